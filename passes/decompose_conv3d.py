"""Rewrite an integer `tosa.conv3d` with kernel depth KD > 1 into one conv3d of kernel depth
1 whose input channels are the KD depth taps. Vela 5.2.0 runs CONV3D on the Ethos-U55/U65
only with kernel depth 1 (deeper ones fail: "Non-passthrough operation (Conv3D) could not
run on NPU"); the U85 runs any depth, so only the U55/U65 pipeline (`tosa-int-ethos-u55`)
has this pass.

    xp  = pad(x, depth pad front/back, input_zp)           if the conv pads in depth
    t_k = slice(xp, planes k*dilation_d + stride_d*j, j < OD)          k = 0..KD-1
    xc  = concat(t_0, ..., t_{KD-1}, axis=channels)         [N, OD, H, W, KD*C]
    acc = conv3d(xc, w', bias, input_zp, weight_zp)         kernel depth 1, depth stride 1,
                                                            H/W pad, stride, dilation kept
    w'[o, 0, h, w, k*C + c] = w[o, k, h, w, c]              folded on the constant's data

Padded planes hold the input zero point, so they add (zp - zp) * w = 0, as TOSA's own
padding does; `acc` is the same sum of the same integer products, bit-identical for any
activation (i8, i16), weight (i4 stays i4, i8) or accumulator (i32, i48) type. A depth
stride s > 1 picks every s-th plane without a strided slice: the padded input (its depth
rounded up to a multiple of s) is reshaped to [N, D/s, s*H, W, C], where plane s*q + r is
rows r*H..(r+1)*H of plane q, so each tap is one slice of OD planes.

Rejected alternative: one kernel-depth-1 conv3d per tap on the same slices, summed with
int32 tosa.add. Vela 5.2.0 crashes (exit -11) compiling it for ethos-u55-128, and on the
U85 it is no faster; TOSA also has no 48-bit add for int16 activations.

Ethos-U55-128, a8w4 Conv3d(4 -> 8, 3x3x3, pad 1) on 1x4x4x8x8: 30587 cycles, all on the
NPU (Vela turns the conv3d into one conv2d per depth plane, the pad/concat into memory
copies). On the U85-256 the decomposed graph runs from 3% faster to 10% slower (a
depth-stride-2 conv) than the U85's own conv3d, +0.8% for benchmarks/int4.py's conv3d_k3,
so the U85 keeps its conv3d, although Vela encodes the decomposed weights 3.4x smaller.

Left alone: kernel depth 1, float convolutions, a weight that is not a constant.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects.tosa_helpers import (
    defining_op,
    integer_values,
    make_const_shape,
    make_integer_const,
    make_reshape,
    ranked_shape,
    with_shape,
)
from tosaic.passes.base import PatternPass


def _i64s(op, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _constant_integers(value: ir.Value) -> np.ndarray | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    return integer_values(op.attributes["values"])


def _element_width(value: ir.Value) -> int:
    return ir.IntegerType(ir.RankedTensorType(value.type).element_type).width


def _pad_depth(x: ir.Value, front: int, back: int, zero_point: ir.Value) -> ir.Value:
    """`x` [N, D, H, W, C] with `front`/`back` planes of the input zero point in depth."""
    n, d, h, w, c = ranked_shape(x)
    return ir.Operation.create(
        "tosa.pad", results=[with_shape(x.type, [n, d + front + back, h, w, c])],
        operands=[x, make_const_shape([0, 0, front, back, 0, 0, 0, 0, 0, 0]), zero_point],
    ).result


def _slice(x: ir.Value, start, size) -> ir.Value:
    return ir.Operation.create(
        "tosa.slice", results=[with_shape(x.type, size)],
        operands=[x, make_const_shape(list(start)), make_const_shape(list(size))],
    ).result


def _depth_windows(x, kernel_d, pad_front, stride_d, dilation_d, out_d, zero_point):
    """Per depth tap k, the `out_d` planes k*dilation_d + stride_d*j (j < out_d) of `x`
    padded in depth with the zero point. A depth stride s reads every s-th plane: the padded
    input, its depth a multiple of s, is reshaped to [N, D/s, s*H, W, C], where plane
    s*q + r is rows r*H.. of plane q, so the tap is one slice."""
    n, d, h, w, c = ranked_shape(x)
    needed = (kernel_d - 1) * dilation_d + (out_d - 1) * stride_d + 1
    total = -(-max(d + pad_front, needed) // stride_d) * stride_d
    pad_back = total - d - pad_front
    if pad_front or pad_back:
        x = _pad_depth(x, pad_front, pad_back, zero_point)
    if stride_d > 1:
        x = make_reshape(x, [n, total // stride_d, stride_d * h, w, c])
    for k in range(kernel_d):
        first = k * dilation_d
        yield _slice(x, [0, first // stride_d, (first % stride_d) * h, 0, 0], [n, out_d, h, w, c])


def _conv3d_depth1(conv, x: ir.Value, weight: np.ndarray) -> ir.Value:
    """`conv` with input `x` and kernel-depth-1 `weight`: no depth padding, stride or
    dilation, everything else (H/W pad, stride, dilation, bias, zero points) as `conv`."""
    pad, stride, dilation = _i64s(conv, "pad"), _i64s(conv, "stride"), _i64s(conv, "dilation")
    attributes = {name: conv.attributes[name] for name in conv.attributes}
    attributes["pad"] = ir.DenseI64ArrayAttr.get([0, 0] + pad[2:])
    attributes["stride"] = ir.DenseI64ArrayAttr.get([1] + stride[1:])
    attributes["dilation"] = ir.DenseI64ArrayAttr.get([1] + dilation[1:])
    weight_width = _element_width(conv.operands[1])
    return ir.Operation.create(
        "tosa.conv3d", results=[conv.results[0].type],
        operands=[x, make_integer_const(weight, weight_width), conv.operands[2], conv.operands[3], conv.operands[4]],
        attributes=attributes,
    ).result


def _decompose(conv, rewriter) -> bool:
    conv = conv.operation
    x = conv.operands[0]
    if not isinstance(ir.RankedTensorType(x.type).element_type, ir.IntegerType):
        return True
    weight = _constant_integers(conv.operands[1])
    if weight is None:
        return True
    out_c, kernel_d, kernel_h, kernel_w, in_c = weight.shape
    if kernel_d == 1:
        return True
    pad, stride, dilation = _i64s(conv, "pad"), _i64s(conv, "stride"), _i64s(conv, "dilation")
    out_d = ranked_shape(conv.results[0])[1]
    with rewriter.ip, conv.location:
        taps = list(_depth_windows(x, kernel_d, pad[0], stride[0], dilation[0], out_d, conv.operands[3]))
        n, _, h, w, c = ranked_shape(taps[0])
        stacked = ir.Operation.create(
            "tosa.concat", results=[with_shape(x.type, [n, out_d, h, w, c * kernel_d])],
            operands=taps, attributes={"axis": ir.IntegerAttr.get(ir.IntegerType.get_signless(32), 4)},
        ).result
        # w'[o, 0, h, w, k*C + c] = w[o, k, h, w, c], the concat's channel order
        folded = weight.transpose(0, 2, 3, 1, 4).reshape(out_c, 1, kernel_h, kernel_w, kernel_d * in_c)
        result = _conv3d_depth1(conv, stacked, folded)
    rewriter.replace_op(conv, [result])
    return False


class DecomposeConv3d(PatternPass):
    name = "tosaic-decompose-conv3d"
    summary = ("Rewrite integer tosa.conv3d with kernel depth > 1 into one kernel-depth-1 conv3d over "
               "the depth taps stacked as channels (Ethos-U55/U65)")

    def patterns(self):
        return [("tosa.conv3d", _decompose, 1)]
