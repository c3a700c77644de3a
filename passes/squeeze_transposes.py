"""Transpose without the unit dims a reshape adds or removes next to it.

torch-mlir lowers conv1d as reshape [N, C, W] -> [N, C, 1, W], transpose to NHWC
[N, 1, W, C], conv2d, and back. Vela 5.2.0 runs a convolution fed directly by a
TRANSPOSE far slower than one fed through a reshape (it reads the transposed IFM in
place): Ethos-U85-256, conv1d 1x16x64 -> 32 channels, kernel 3: 26545 cycles against
3577 for ExecuTorch's form, which transposes the rank-3 tensor and reshapes after. The
same bytes in the same order either way, so:

- transpose(reshape(x)) where the reshape only inserts unit dims becomes
  reshape(transpose(x)) with the permutation of x's own axes;
- reshape(transpose(y)) where the reshape only drops unit dims becomes
  transpose(reshape(y)), likewise.
"""

from __future__ import annotations

from tosaic.dialects.tosa_helpers import (
    defining_op,
    has_single_use,
    make_reshape,
    make_transpose,
    permute,
    ranked_shape,
    transpose_perms,
    unit_insertion,
)
from tosaic.passes.base import PatternPass


def _small_perms(mapping: list[int], perms: list[int]) -> list[int]:
    """The permutation of the small tensor's axes that `perms` (on the large one) makes."""
    position = {large_axis: small_axis for small_axis, large_axis in enumerate(mapping)}
    return [position[axis] for axis in perms if axis in position]


def transpose_before_unit_reshape(op, rewriter) -> bool:
    op = op.operation
    reshape = defining_op(op.operands[0])
    if reshape is None or reshape.name != "tosa.reshape" or not has_single_use(reshape.results[0]):
        return True
    small, large = ranked_shape(reshape.operands[0]), ranked_shape(reshape.results[0])
    mapping = unit_insertion(small or [], large or [])
    if mapping is None or len(small) < 2:
        return True
    perms = _small_perms(mapping, transpose_perms(op))
    if perms == sorted(perms):
        return True  # the transpose only moves unit dims: fold-transposes' business
    with rewriter.ip, op.location:
        moved = make_transpose(reshape.operands[0], perms)
        result = make_reshape(moved, ranked_shape(op.results[0]))
    rewriter.replace_op(op, [result])
    return False


def transpose_after_unit_reshape(op, rewriter) -> bool:
    op = op.operation
    transpose = defining_op(op.operands[0])
    if transpose is None or transpose.name != "tosa.transpose" or not has_single_use(transpose.results[0]):
        return True
    large, small = ranked_shape(transpose.results[0]), ranked_shape(op.results[0])
    mapping = unit_insertion(small or [], large or [])
    if mapping is None or len(small) < 2:
        return True
    perms = transpose_perms(transpose)
    source_shape = ranked_shape(transpose.operands[0])
    # The small tensor's axes, as axes of the transpose's input (unit dims dropped).
    kept_inputs = [perms[axis] for axis in mapping]
    order = sorted(kept_inputs)
    small_perms = [order.index(axis) for axis in kept_inputs]
    with rewriter.ip, op.location:
        squeezed = make_reshape(transpose.operands[0], [source_shape[axis] for axis in order])
        result = make_transpose(squeezed, small_perms)
    rewriter.replace_op(op, [result])
    return False


class SqueezeTransposes(PatternPass):
    name = "tosaic-squeeze-transposes"
    summary = "Transpose the lower-rank tensor on the other side of a unit-dim reshape (Vela runs it faster)"

    def patterns(self):
        return [("tosa.transpose", transpose_before_unit_reshape, 1), ("tosa.reshape", transpose_after_unit_reshape, 1)]
