"""Rewrite an integer `tosa.transpose_conv2d` into a `tosa.conv2d` over the zero-inserted
input, for the Ethos-U pipelines (`tosa-int-ethos-u55`, `tosa-int-ethos-u85`).

A transpose convolution with stride (sy, sx) and out_pad (t, b, l, r) adds x[iy, ix] *
w[oc, ky, kx] to output (iy*sy + ky + t, ix*sx + kx + l). That is a stride-1 conv2d with
the kernel flipped in H and W over u, the input with sy - 1 rows and sx - 1 columns of the
input zero point after every row and column:

    u   = reshape(pad(reshape(x, [N, H, 1, W, 1, C]), after dims 2 and 4: sy-1, sx-1; zp),
                  [N, H*sy, W*sx, C])                       (stride 1: u = x)
    acc = conv2d(u, w[:, ::-1, ::-1, :], bias, input_zp, weight_zp,
                 pad = [KH-1+t, KH+b-sy, KW-1+l, KW+r-sx], stride 1, dilation 1)

(u keeps sy - 1 rows of zero points after the last input row, which the bottom pad counts;
where it is negative, b < sy - KH, a slice drops that many of them: at most sy - 1, as TOSA
has b > -KH.) The inserted and padded
elements hold the zero point, so they add (zp - zp) * w = 0; `acc` is the same sum of the
same integer products, bit-identical for i8 and i16 activations, i8 and i4 weights, i32
and i48 accumulators, and the RESCALE chain after it (with or without tosaic-int48-bias's
split bias) stays as it is. The weight flip is done on the constant's data.

Why: Vela 5.2.0 runs TRANSPOSE_CONV2D, but it does not fuse the RESCALE after it into the
convolution, as it does for CONV2D. The RESCALE then runs as its own elementwise op over
the whole int32 (int48 with int16 activations) accumulator: on ethos-u55-128 a separate
MUL that costs up to 20x the convolution, and an int16 transpose conv fails altogether
("Non-passthrough operation (Conv2D) could not run on NPU": the U55 cannot write the i48
accumulator). The U55 also takes only strides 1x1 and 2x2 (1x2/2x1 only for a width or
height of 1), the U85 any (it splits the stride into sy*sx sub-convolutions). Negative
out_pad (torch's padding, folded in by the lowering) is accepted on both.

Vela cycles, TRANSPOSE_CONV2D -> this form, 3x3 stride 2, out_pad (-1, 0, -1, 0),
int8 (int16):

    1x8x8x8 -> 16 ch      ethos-u55-128   37992 -> 17800  (fails -> 32416)
                          ethos-u85-256   23576 -> 15296  (34320 -> 17633)
    1x16x16x32 -> 16 ch   ethos-u55-128  170838 -> 125452 (fails -> 247646)
                          ethos-u85-256  206023 -> 89857  (329337 -> 141417)
    1x32x32x16 -> 8 ch    ethos-u55-128 1101735 -> 286890 (fails -> 545456)
                          ethos-u85-256  225225 -> 175965 (819523 -> 253364)

A stride-1 transpose conv is just the flipped conv2d (no pad op). Not chosen: inserting the
zeros with two rank-3 pads (rows, then columns) instead of one rank-6 pad: 5-10% faster on
the U85, 1-10% slower on the U55; the sub-pixel form (one conv2d with sy*sx*OC channels, a
kernel of ceil(K/s) taps per phase, then a depth-to-space reshape/transpose/reshape and a
crop): fewer MACs and 1.4-2x faster than this form on ethos-u55-128 from 16x16 inputs on,
but slower at 8x8 and 1.7-3.6x slower on ethos-u85-256 (Vela's rank-6 transpose).

Left alone: float convolutions, a weight that is not a constant.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects.tosa_helpers import (
    constant_array,
    make_const_shape,
    make_integer_const,
    make_reshape,
    ranked_shape,
    with_shape,
)
from tosaic.passes.base import PatternPass


def _i64s(op, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _element_width(value: ir.Value) -> int:
    return ir.IntegerType(ir.RankedTensorType(value.type).element_type).width


def zero_inserted(x: ir.Value, stride, zero_point: ir.Value) -> ir.Value:
    """NHWC `x` with stride[0] - 1 rows and stride[1] - 1 columns of `zero_point` after
    every row and column: [N, H*sy, W*sx, C]."""
    n, h, w, c = ranked_shape(x)
    sy, sx = stride
    spread = make_reshape(x, [n, h, 1, w, 1, c])
    padded = ir.Operation.create(
        "tosa.pad", results=[with_shape(x.type, [n, h, sy, w, sx, c])],
        operands=[spread, make_const_shape([0, 0, 0, 0, 0, sy - 1, 0, 0, 0, sx - 1, 0, 0]), zero_point],
    ).result
    return make_reshape(padded, [n, h * sy, w * sx, c])


def conv2d_form(conv, weight: np.ndarray) -> ir.Value:
    """The conv2d computing transpose conv `conv` (constant OHWI `weight`), at the
    insertion point."""
    x = conv.operands[0]
    stride = _i64s(conv, "stride")
    top, bottom, left, right = _i64s(conv, "out_pad")
    kernel_h, kernel_w = weight.shape[1:3]
    pad = [kernel_h - 1 + top, kernel_h + bottom - stride[0], kernel_w - 1 + left, kernel_w + right - stride[1]]
    if stride != [1, 1]:
        x = zero_inserted(x, stride, conv.operands[3])
    n, h, w, c = ranked_shape(x)
    cut_h, cut_w = max(0, -pad[1]), max(0, -pad[3])
    if cut_h or cut_w:  # drop inserted zero rows/columns a negative pad would not read
        x = ir.Operation.create(
            "tosa.slice", results=[with_shape(x.type, [n, h - cut_h, w - cut_w, c])],
            operands=[x, make_const_shape([0, 0, 0, 0]), make_const_shape([n, h - cut_h, w - cut_w, c])],
        ).result
        pad[1], pad[3] = pad[1] + cut_h, pad[3] + cut_w
    flipped = np.ascontiguousarray(weight[:, ::-1, ::-1, :])
    # acc_type and tosaic's own attributes (tosaic.int8_weight) carry over
    attributes = {name: conv.attributes[name] for name in conv.attributes if name not in ("out_pad", "stride")}
    attributes.update(pad=ir.DenseI64ArrayAttr.get(pad), stride=ir.DenseI64ArrayAttr.get([1, 1]),
                      dilation=ir.DenseI64ArrayAttr.get([1, 1]))
    return ir.Operation.create(
        "tosa.conv2d", results=[conv.results[0].type],
        operands=[x, make_integer_const(flipped, _element_width(conv.operands[1])), conv.operands[2],
                  conv.operands[3], conv.operands[4]],
        attributes=attributes,
    ).result


def _decompose(conv, rewriter) -> bool:
    conv = conv.operation
    if not isinstance(ir.RankedTensorType(conv.operands[0].type).element_type, ir.IntegerType):
        return True
    weight = constant_array(conv.operands[1])
    if weight is None:
        return True
    with rewriter.ip, conv.location:
        result = conv2d_form(conv, weight)
    rewriter.replace_op(conv, [result])
    return False


class DecomposeTransposeConv2d(PatternPass):
    name = "tosaic-decompose-transpose-conv2d"
    summary = ("Rewrite integer tosa.transpose_conv2d into a conv2d with the flipped kernel over the "
               "zero-inserted input (Ethos-U: Vela fuses the output rescale into a conv2d only)")

    def patterns(self):
        return [("tosa.transpose_conv2d", _decompose, 1)]
