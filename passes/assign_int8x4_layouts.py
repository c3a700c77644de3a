"""Give int8 activations a packed int8x4 layout by consumer, with pack/unpack at the edges.

Every int8 activation operand (not a constant) of a convolution reads packed 4W4C, of a
matmul packed 4H4W (`layout=by-consumer`; `layout=4W4C` or `4H4W` uses one layout for
both where it applies to the operand's rank, `none` packs no consumer). An edge becomes

    %p = tosaic.pack_int8x4 %x     // the producer writes the packed words
    %u = tosaic.unpack_int8x4 %p   // the consumer reads them
    tosa.conv2d %u, ...

With `results=true` (default) the int8 result of a quantized convolution or matmul
(the `tosa.rescale` of its accumulator) is also written packed in that op's layout, as
packed kernels do, so a chain conv -> rescale -> conv holds packed words in between.
Each edge gets its own conversions; tosaic-fold-int8x4 removes those that cancel.

`graph-io=4W4C|4H4W` makes the function's int8 arguments and results of a fitting rank
(not uint8 IO, whose `tosaic.io` dtype says uint8) packed: the signature changes to the packed type, an unpack follows each such argument
and a pack precedes each such return (what `tosaic compile --io-packing` runs). A
rank-4 input that the program reads through an NCHW -> NHWC transpose is packed as the
NHWC tensor the layouts are defined on (the transpose goes; likewise an output returned
through NHWC -> NCHW); its attributes get `tosaic.int8x4_perms = [0, 2, 3, 1]`: pack
`x.permute(0, 2, 3, 1)`, and read an output as `unpack(...).transpose(0, 3, 1, 2)`.

The padding value is the tensor's zero point (the consumer's input zero point, the
rescale's output zero point, the graph IO's `tosaic.io` zero point; 0 if none is known),
or the integer given as `padding`.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects import attributes, int8x4
from tosaic.dialects.tosa_helpers import constant_array, defining_op, has_single_use, permute, transpose_perms
from tosaic.passes.base import Option, Pass

# The consumer op's layout under layout=by-consumer, and the operands it reads
# activations from, with the operand holding each one's zero point.
_CONSUMERS = {
    **{name: ("4W4C", {0: 3}) for name in ("tosa.conv2d", "tosa.depthwise_conv2d", "tosa.transpose_conv2d")},
    "tosa.matmul": ("4H4W", {0: 2, 1: 3}),
}
_CHOICES = ("by-consumer", "none", *int8x4.LAYOUTS)
_RESCALE_OUTPUT_ZP = 4


def _is_int8_tensor(t: ir.Type) -> bool:
    if not isinstance(t, ir.RankedTensorType):
        try:
            t = ir.RankedTensorType(t)
        except ValueError:
            return False
    e = t.element_type
    return isinstance(e, ir.IntegerType) and ir.IntegerType(e).width == 8 and t.encoding is None


def _scalar(value: ir.Value) -> int | None:
    values = constant_array(value)
    return int(np.asarray(values).reshape(-1)[0]) if values is not None and np.asarray(values).size else None


def _io_zero_point(func, attrs_name: str, index: int) -> int | None:
    if attrs_name not in func.attributes:
        return None
    entry = ir.DictAttr(ir.ArrayAttr(func.attributes[attrs_name])[index])
    if attributes.IO not in entry:
        return None
    return ir.IntegerAttr(ir.DictAttr(entry[attributes.IO])["zero_point"]).value


def _io_is_signed_int8(func, attrs_name: str, index: int) -> bool:
    """Not uint8 graph IO (same i8 storage): the packed type's element is int8."""
    if attrs_name not in func.attributes:
        return True
    entry = ir.DictAttr(ir.ArrayAttr(func.attributes[attrs_name])[index])
    return attributes.IO not in entry or ir.StringAttr(ir.DictAttr(entry[attributes.IO])["dtype"]).value == "int8"


def _rescale_zero_point(value: ir.Value) -> int | None:
    producer = defining_op(value)
    if producer is not None and producer.name == "tosa.rescale":
        return _scalar(producer.operands[_RESCALE_OUTPUT_ZP])
    return None


class AssignInt8x4Layouts(Pass):
    name = "tosaic-assign-int8x4-layouts"
    summary = "Give int8 activations a packed int8x4 layout by consumer (conv 4W4C, matmul 4H4W), " \
              "with pack/unpack at the edges"
    anchor = "func.func"
    layout = Option(str, "by-consumer", "by-consumer (conv inputs 4W4C, matmul inputs 4H4W), 4W4C, 4H4W "
                    "(one layout where it fits the rank) or none (no consumer is packed)")
    results = Option(bool, True, "Also write the int8 result of a quantized conv/matmul packed in its layout")
    graph_io = Option(str, "none", "Pack the function's int8 arguments and results: none, 4W4C or 4H4W")
    padding = Option(str, "zero-point", "The padding value: zero-point (the tensor's) or an int8 integer")

    def run(self, func: ir.Operation) -> None:
        with func.location:  # the types built below take it for their diagnostics
            self._run(func)

    def _run(self, func: ir.Operation) -> None:
        if self.layout not in _CHOICES:
            raise Pass.error(func, f"unknown layout '{self.layout}'; choices: {', '.join(_CHOICES)}")
        if self.graph_io not in ("none", *int8x4.LAYOUTS):
            raise Pass.error(func, f"unknown graph-io layout '{self.graph_io}'; choices: none, "
                             f"{', '.join(int8x4.LAYOUTS)}")
        if self.padding != "zero-point":
            try:
                int(self.padding)
            except ValueError:
                raise Pass.error(func, f"padding must be zero-point or an integer, not '{self.padding}'") from None
        int8x4.verify(func, Pass.error)
        if self.layout != "none":
            consumers = []

            def collect(op):
                if op.operation.name in _CONSUMERS:
                    consumers.append(op.operation)
                return ir.WalkResult.ADVANCE

            func.walk(collect)
            if self.results:
                for op in consumers:
                    self._pack_result(op)
            for op in consumers:
                self._pack_operands(op)
        if self.graph_io != "none":
            self._pack_graph_io(func)

    def _layout_for(self, consumer: str, rank: int) -> str | None:
        layout = _CONSUMERS[consumer][0] if self.layout == "by-consumer" else self.layout
        return layout if int8x4.block_dims(layout, rank) is not None else None

    def _padding(self, zero_point: int | None) -> int:
        if self.padding != "zero-point":
            return int(self.padding)
        return zero_point if zero_point is not None and -128 <= zero_point <= 127 else 0

    def _pack_operands(self, op) -> None:
        for index, zp_index in _CONSUMERS[op.name][1].items():
            x = op.operands[index]
            if not _is_int8_tensor(x.type) or constant_array(x) is not None:
                continue
            shape = list(ir.RankedTensorType(x.type).shape)
            layout = self._layout_for(op.name, len(shape))
            if layout is None:
                continue
            packed = int8x4.PackedType(layout, tuple(shape), self._padding(_scalar(op.operands[zp_index])))
            with ir.InsertionPoint(op), op.location:
                op.operands[index] = int8x4.create_unpack(int8x4.create_pack(x, packed))

    def _pack_result(self, op) -> None:
        """The rescale that makes the op's int8 result writes it packed."""
        for use in list(op.results[0].uses):
            rescale = use.owner
            if rescale.name != "tosa.rescale" or not _is_int8_tensor(rescale.results[0].type):
                continue
            r = rescale.results[0]
            shape = list(ir.RankedTensorType(r.type).shape)
            layout = self._layout_for(op.name, len(shape))
            if layout is None or not any(True for _ in r.uses):
                continue
            packed = int8x4.PackedType(layout, tuple(shape), self._padding(_rescale_zero_point(r)))
            with ir.InsertionPoint.after(rescale), rescale.location:
                p = int8x4.create_pack(r, packed)
                u = int8x4.create_unpack(p)
            r.replace_all_uses_except(u, defining_op(p).operation)

    def _pack_graph_io(self, func) -> None:
        block = func.regions[0].blocks[0]
        fn_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        inputs, results = list(fn_type.inputs), list(fn_type.results)
        for index, arg in enumerate(block.arguments):
            if not _is_int8_tensor(arg.type) or not _io_is_signed_int8(func, "arg_attrs", index):
                continue
            shape = list(ir.RankedTensorType(arg.type).shape)
            # The program's NCHW input read as NHWC: pack the NHWC tensor the layouts define.
            to_nhwc = [u.owner for u in arg.uses]
            to_nhwc = to_nhwc if len(shape) == 4 and to_nhwc and all(
                u.name == "tosa.transpose" and transpose_perms(u) == _NCHW_TO_NHWC for u in to_nhwc) else []
            logical = permute(shape, _NCHW_TO_NHWC) if to_nhwc else shape
            if int8x4.block_dims(self.graph_io, len(logical)) is None:
                continue
            packed = int8x4.PackedType(self.graph_io, tuple(logical),
                                       self._padding(_io_zero_point(func, "arg_attrs", index)))
            users = [(use.owner, use.operand_number) for use in arg.uses]
            arg.set_type(packed.tensor_type())
            inputs[index] = arg.type
            with ir.InsertionPoint.at_block_begin(block), func.location:
                u = int8x4.create_unpack(arg)
            if to_nhwc:
                for transpose in to_nhwc:
                    transpose.results[0].replace_all_uses_with(u)
                    transpose.operation.erase()
                _set_arg_attribute(func, "arg_attrs", index, len(inputs), attributes.INT8X4_PERMS, _NCHW_TO_NHWC)
            else:
                for owner, number in users:
                    owner.operands[number] = u
        terminator = block.operations[len(block.operations) - 1]
        for index, value in enumerate(list(terminator.operands)):
            if not _is_int8_tensor(value.type) or not _io_is_signed_int8(func, "res_attrs", index):
                continue
            producer = defining_op(value)
            # An NHWC result returned as NCHW: pack the NHWC tensor (the transpose goes).
            from_nhwc = producer is not None and producer.name == "tosa.transpose" \
                and transpose_perms(producer) == _NHWC_TO_NCHW and has_single_use(value)
            if from_nhwc:
                value = producer.operands[0]
            shape = list(ir.RankedTensorType(value.type).shape)
            if int8x4.block_dims(self.graph_io, len(shape)) is None:
                continue
            packed = int8x4.PackedType(self.graph_io, tuple(shape),
                                       self._padding(_io_zero_point(func, "res_attrs", index)))
            with ir.InsertionPoint(terminator), terminator.location:
                terminator.operands[index] = int8x4.create_pack(value, packed)
            if from_nhwc:
                producer.operation.erase()
                _set_arg_attribute(func, "res_attrs", index, len(results), attributes.INT8X4_PERMS, _NCHW_TO_NHWC)
            results[index] = packed.tensor_type()
        func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


_NCHW_TO_NHWC = [0, 2, 3, 1]
_NHWC_TO_NCHW = [0, 3, 1, 2]


def _set_arg_attribute(func, attrs_name: str, index: int, count: int, name: str, perms) -> None:
    """Set `name` = perms (i32 array) in argument/result `index`'s attribute dictionary."""
    array_attr = func.attributes[attrs_name] if attrs_name in func.attributes else None
    dicts = [ir.DictAttr(array_attr[i]) for i in range(count)] if array_attr else [ir.DictAttr.get({})] * count
    entries = []
    for i, d in enumerate(dicts):
        items = {d[j].name: d[j].attr for j in range(len(d))}
        if i == index:
            items[name] = ir.DenseI32ArrayAttr.get(list(perms))
        entries.append(ir.DictAttr.get(items))
    func.attributes[attrs_name] = ir.ArrayAttr.get(entries)
