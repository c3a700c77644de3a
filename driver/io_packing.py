"""`--io-packing`: the flatbuffer's int8 graph inputs and outputs as packed int8x4 words.

For a producer or consumer that hands packed tensors (a GPU backend storing int8x4, see
tosaic.dialects.int8x4), the compiled integer graph gets int32 inputs/outputs of the
packed physical shape: unpack after each int8 input, pack before each int8 output,
lowered to plain TOSA (tosaic-materialize-int8x4). report.json's `packing` entry of such
an input or output says how to produce or read the words (`tosaic.int8x4.pack/unpack`).
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects import attributes

# --io-packing value -> layout
IO_PACKINGS = {"int8x4-4w4c": "4W4C", "int8x4-4h4w": "4H4W"}


def io_packing_pipeline(io_packing: str) -> str:
    """The passes that pack the integer graph's IO in `io_packing`'s layout."""
    layout = IO_PACKINGS[io_packing]
    return ("builtin.module(func.func(tosaic-assign-int8x4-layouts{layout=none results=false "
            f"graph-io={layout}}},tosaic-fold-int8x4,tosaic-materialize-int8x4),canonicalize,cse)")


def packing_of(func, attrs_name: str, index: int) -> dict | None:
    """The report's description of a packed graph input/output (None if it is not packed)."""
    if attrs_name not in func.attributes:
        return None
    entry = ir.DictAttr(ir.ArrayAttr(func.attributes[attrs_name])[index])
    if attributes.INT8X4 not in entry:
        return None
    from tosaic.dialects.int8x4 import PackedType

    d = ir.DictAttr(entry[attributes.INT8X4])
    packed = PackedType(ir.StringAttr(d["layout"]).value, tuple(ir.DenseI64ArrayAttr(d["logical_shape"])),
                        ir.IntegerAttr(d["padding"]).value)
    described = packed.describe()
    if attributes.INT8X4_PERMS in entry:  # what a runtime permutes the program's tensor by first
        described["program_to_logical_permutation"] = list(ir.DenseI32ArrayAttr(entry[attributes.INT8X4_PERMS]))
    return described
