"""Compose `tosa.slice(tosa.slice(x))` into one slice of `x`.

torch-mlir trims a strided convolution's input one axis at a time (TOSA wants the output
size to divide exactly): two chained slices. Vela performs a slice whose only consumer is
an NPU operator as that operator's read offset (no extra pass), but a slice feeding a
slice becomes a separate MemoryCopy. One slice of the original tensor is the same data
with none.
"""

from __future__ import annotations

from torch_mlir.dialects import tosa

from tosaic.dialects.tosa_helpers import constant_shape, defining_op, make_const_shape
from tosaic.passes.base import PatternPass


def _merge(op, rewriter) -> bool:
    op = op.operation
    inner = defining_op(op.operands[0])
    if inner is None or inner.name != "tosa.slice":
        return True
    outer_start, outer_size = constant_shape(op.operands[1]), constant_shape(op.operands[2])
    inner_start = constant_shape(inner.operands[1])
    if outer_start is None or outer_size is None or inner_start is None:
        return True
    start = [a + b for a, b in zip(inner_start, outer_start)]
    with rewriter.ip, op.location:
        merged = tosa.slice(op.results[0].type, inner.operands[0], make_const_shape(start),
                            make_const_shape(outer_size))
    rewriter.replace_op(op, [merged])
    return False


class MergeSlices(PatternPass):
    name = "tosaic-merge-slices"
    summary = "Compose chained tosa.slice ops into one slice (Vela fuses one slice into its consumer)"

    def patterns(self):
        return [("tosa.slice", _merge, 1)]
