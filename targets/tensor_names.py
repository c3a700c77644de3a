"""Flatbuffer tensors named after the user's layers: `features.3.conv/conv2d`, not `layer_343`.

tosa-tools' serializer names every op result `layer_N` (graph inputs and outputs
`TosaInput_N`/`TosaOutput_N`). Vela names its per-layer rows after the tensors, so these
names are what a deployment engineer sees. Here each operator's results are renamed after
the layer its MLIR op's location names (tosaic.driver.locations): `<module path>/<op kind>`,
with `_2`, `_3`, ... where one layer makes several tensors of one kind.

The serializer's operators are the `main` function's ops in order (checked op by op against
the MLIR; any mismatch leaves the names alone). The new names are appended to the buffer
and the name references repointed: flatbuffer offsets point forward, and the end of the
buffer is past every table. Only names change, so the graph (and every number in it) is the
serializer's, and the same module gives the same bytes. Graph input and output names stay
the serializer's (firmware looks tensors up by them).
"""

from __future__ import annotations

import struct
from collections import Counter

from torch_mlir import ir

from tosaic.driver.locations import layer_of

_TENSOR_NAME = 4  # vtable slots (tosa.fbs): TosaTensor.name
_OPERATOR_OP, _OPERATOR_INPUTS, _OPERATOR_OUTPUTS = 4, 10, 12


def _op_enum_names() -> dict[int, str]:
    from tosa.Op import Op

    return {value: name for name, value in vars(Op).items() if not name.startswith("_") and isinstance(value, int)}


def _main_ops(module: ir.Module) -> list:
    for op in module.body.operations:
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == "main":
            return [o.operation for o in op.regions[0].blocks[0].operations if o.operation.name != "func.return"]
    return []


def _describe(op) -> dict:
    layer = layer_of(op.location)
    kind = op.name.removeprefix("tosa.")
    if layer is None:
        return {"module": None, "node": None, "source": None, "op": kind, "label": kind}
    return {"module": layer.module, "node": layer.node, "source": layer.source, "op": kind,
            "label": layer.label}


def name_tensors(module: ir.Module, flatbuffer: bytes) -> tuple[bytes, dict[str, dict]]:
    """(the flatbuffer with its op results renamed, {tensor name: layer}), where a layer is
    {module, node, source, op, label}; graph outputs keep their name and map to the layer
    that makes them. Unchanged bytes and {} when the ops do not line up."""
    from tosa.TosaGraph import TosaGraph

    graph = TosaGraph.GetRootAs(flatbuffer, 0)
    if graph.RegionsLength() != 1 or graph.Regions(0).BlocksLength() != 1:
        return flatbuffer, {}
    block = graph.Regions(0).Blocks(0)
    ops = _main_ops(module)
    if block.OperatorsLength() != len(ops):
        return flatbuffer, {}
    enum_names = _op_enum_names()
    io_names = {block.Inputs(i) for i in range(block.InputsLength())}
    io_names |= {block.Outputs(i) for i in range(block.OutputsLength())}
    # Shapes (tosa.const_shape results) live in their own list; only tensors are renamed.
    tensors = {block.Tensors(i).Name() for i in range(block.TensorsLength())}

    renamed: dict[bytes, bytes] = {}
    layers: dict[str, dict] = {}
    used: Counter = Counter()
    for index, op in enumerate(ops):
        operator = block.Operators(index)
        kind = enum_names.get(operator.Op(), "").replace("_", "")
        if kind != op.name.removeprefix("tosa.").upper().replace("_", ""):
            return flatbuffer, {}
        layer = _describe(op)
        for j in range(operator.OutputsLength()):
            old = operator.Outputs(j)
            if old in io_names:
                layers[old.decode()] = layer
                continue
            if old not in tensors:
                continue
            stem = f"{layer['label']}/{layer['op']}"
            used[stem] += 1
            new = stem if used[stem] == 1 else f"{stem}_{used[stem]}"
            renamed[old] = new.encode()
            layers[new] = layer

    out = bytearray(flatbuffer)
    appended: dict[bytes, int] = {}

    def string_at_end(text: bytes) -> int:
        if text not in appended:
            out.extend(b"\0" * (-len(out) % 4))
            appended[text] = len(out)
            out.extend(struct.pack("<I", len(text)) + text + b"\0")
        return appended[text]

    def repoint(field_pos: int, text: bytes) -> None:
        struct.pack_into("<I", out, field_pos, string_at_end(text) - field_pos)

    def repoint_vector(table, slot: int) -> None:
        offset = table.Offset(slot)
        if not offset:
            return
        start, length = table.Vector(offset), table.VectorLen(offset)
        for j in range(length):
            name = table.String(start + 4 * j)
            if name in renamed:
                repoint(start + 4 * j, renamed[name])

    for i in range(block.TensorsLength()):
        tensor = block.Tensors(i)
        name = tensor.Name()
        if name in renamed:
            repoint(tensor._tab.Pos + tensor._tab.Offset(_TENSOR_NAME), renamed[name])
    for index in range(block.OperatorsLength()):
        operator = block.Operators(index)
        repoint_vector(operator._tab, _OPERATOR_INPUTS)
        repoint_vector(operator._tab, _OPERATOR_OUTPUTS)
    out.extend(b"\0" * (-len(out) % 8))
    return bytes(out), layers


def tensor_names(flatbuffer: bytes) -> list[str]:
    """The names of the flatbuffer's tensors, in order."""
    from tosa.TosaGraph import TosaGraph

    block = TosaGraph.GetRootAs(flatbuffer, 0).Regions(0).Blocks(0)
    return [block.Tensors(i).Name().decode() for i in range(block.TensorsLength())]


def annotate_vela_layers(rows: list[dict], layers: dict[str, dict]) -> None:
    """Give Vela's per-layer rows (named after tensors) their module, op kind and source."""
    for row in rows:
        layer = layers.get(row.get("name", ""))
        if layer:
            row.update({"module": layer["module"], "tosa_op": layer["op"], "source": layer["source"],
                        "layer": layer["label"]})
