"""Fold `dequantize -> tosa.conv2d (float) -> [clamp] -> quantize` into integer TOSA.

    x_q, w_q --conv2d(acc i32, input_zp, weight_zp 0)--> acc --rescale(per channel)--> y_q

The int32 bias is taken from the bias dequantize when the program has one, or computed
from the float bias as round(b / (input_scale * weight_scale[c])). The rescale carries
input_scale * weight_scale[c] / output_scale with TOSA 1.0's 32-bit multiplier and shift
(`tosaic.quantization.qmath`). A following clamp (relu, relu6, hardtanh) becomes the
rescale's saturation when its bounds are the int8 bounds at that zero point, or an
integer clamp otherwise.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir, rewrite

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, make_integer_const, ranked_shape
from tosaic.passes.base import Pass, PassFailure
from tosaic.quantization import qmath

CONV_OPS = ("tosa.conv2d",)


def constant_array(value: ir.Value) -> np.ndarray | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    return np.array(op.attributes["values"])


def integer_rescale(value: ir.Value, scales, input_zp: int, output_zp: int,
                    out_type: ir.Type, per_channel: bool) -> ir.Value:
    """tosa.rescale by real `scales` (one, or one per last-dim channel), SINGLE_ROUND."""
    multipliers, shifts = qmath.compute_multiplier_and_shift_per_channel(list(scales), True)
    in_element = ir.RankedTensorType(value.type).element_type
    out_element = ir.RankedTensorType(out_type).element_type
    operands = [
        value,
        make_integer_const(np.asarray(multipliers, np.int32), 32),
        make_integer_const(np.asarray(shifts, np.int8), 8),
        make_integer_const(np.asarray([input_zp]), ir.IntegerType(in_element).width),
        make_integer_const(np.asarray([output_zp]), ir.IntegerType(out_element).width),
    ]
    false = ir.BoolAttr.get(False)
    return ir.Operation.create(
        "tosa.rescale",
        results=[out_type],
        operands=operands,
        attributes={
            "scale32": ir.BoolAttr.get(True),
            "rounding_mode": ir.Attribute.parse("#tosa.rounding_mode<SINGLE_ROUND>"),
            "per_channel": ir.BoolAttr.get(per_channel),
            "input_unsigned": false,
            "output_unsigned": false,
        },
    ).result


def clamp_bounds(clamp_op, qparams: quant.QParams) -> tuple[int, int]:
    """The float clamp's bounds in the quantized domain, within the output range."""
    lo = ir.FloatAttr(clamp_op.attributes["min_val"]).value
    hi = ir.FloatAttr(clamp_op.attributes["max_val"]).value
    scale, zp = qparams.scale[0], qparams.zero_point[0]
    q_lo = qparams.qmin if lo < -1e30 else max(qparams.qmin, int(np.round(lo / scale)) + zp)
    q_hi = qparams.qmax if hi > 1e30 else min(qparams.qmax, int(np.round(hi / scale)) + zp)
    return q_lo, q_hi


def saturate(value: ir.Value, q_lo: int, q_hi: int, storage_min: int, storage_max: int) -> ir.Value:
    if q_lo <= storage_min and q_hi >= storage_max:
        return value  # the rescale already saturates to the storage range
    element = ir.RankedTensorType(value.type).element_type
    return ir.Operation.create(
        "tosa.clamp",
        results=[value.type],
        operands=[value],
        attributes={"min_val": ir.IntegerAttr.get(element, q_lo),
                    "max_val": ir.IntegerAttr.get(element, q_hi)},
    ).result


_refusals: list = []


def _refuse(op, reason: str) -> bool:
    """Report why `op` cannot be lowered (once: the driver may revisit it); the pass fails
    after the pattern run."""
    if not any(op == refused for refused in _refusals):
        Pass.error(op, reason)
        _refusals.append(op)
    return True


def lower_conv(q_op, rewriter) -> bool:
    q_op = q_op.operation
    out_q = quant.QParams.of(q_op)
    if out_q.per_channel:
        return True
    producer = defining_op(q_op.operands[0])
    clamp = None
    if producer is not None and producer.name == "tosa.clamp":
        clamp, producer = producer, defining_op(producer.operands[0])
    if producer is None or producer.name not in CONV_OPS:
        return True
    conv = producer
    x_dq, w_dq = defining_op(conv.operands[0]), defining_op(conv.operands[1])
    if not (quant.is_dequantize(x_dq) and quant.is_dequantize(w_dq)):
        return True
    x_q, w_q = quant.QParams.of(x_dq), quant.QParams.of(w_dq)
    if x_q.per_channel or any(z != 0 for z in w_q.zero_point):
        return _refuse(conv, "needs per-tensor input and symmetric weight quantization")
    out_channels = ranked_shape(conv.results[0])[-1]
    w_scales = np.broadcast_to(np.asarray(w_q.scale), (out_channels,))
    if w_q.per_channel and w_q.axis != 0:
        return _refuse(conv, f"weight is quantized along axis {w_q.axis}, not the output channels")
    acc_scales = x_q.scale[0] * w_scales

    bias_dq = defining_op(conv.operands[2])
    if quant.is_dequantize(bias_dq):
        bias = constant_array(bias_dq.operands[0])
    else:
        bias_float = constant_array(conv.operands[2])
        if bias_float is None:
            return _refuse(conv, "bias is neither constant nor dequantized")
        try:
            bias = qmath.quantize_bias(np.broadcast_to(bias_float, (out_channels,)), x_q.scale[0], w_scales)
        except ValueError as e:
            return _refuse(conv, f"bias cannot be quantized to int32: {e}")
    if bias is None:
        return _refuse(conv, "bias values are not constant")

    out_type = q_op.results[0].type
    with rewriter.ip, conv.location:
        acc_type = ir.RankedTensorType.get(ranked_shape(conv.results[0]), ir.IntegerType.get_signless(32))
        attributes = {name: conv.attributes[name] for name in conv.attributes}
        attributes["acc_type"] = ir.TypeAttr.get(ir.IntegerType.get_signless(32))
        accumulator = ir.Operation.create(
            conv.name,
            results=[acc_type],
            operands=[
                x_dq.operands[0],
                w_dq.operands[0],
                make_integer_const(np.asarray(bias, np.int32).reshape(-1), 32),
                make_integer_const(np.asarray([x_q.zero_point[0]]), 8),
                make_integer_const(np.asarray([0]), 8),
            ],
            attributes=attributes,
        ).result
        rescaled = integer_rescale(accumulator, acc_scales / out_q.scale[0], 0,
                                   out_q.zero_point[0], out_type, per_channel=True)
        q_lo, q_hi = clamp_bounds(clamp, out_q) if clamp else (out_q.qmin, out_q.qmax)
        storage_min, storage_max = qmath.qrange("int8")
        result = saturate(rescaled, q_lo, q_hi, storage_min, storage_max)
    rewriter.replace_op(q_op, [result])
    return False


class LowerQuantizedConv(Pass):
    name = "tosaic-lower-quantized-conv"
    summary = "Fold dequantize -> conv2d -> [clamp] -> quantize into int8 conv2d + rescale"
    anchor = "func.func"
    integer_lowering = True  # part of the tosa-int pipeline's lowering stage

    def run(self, op: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet()
        patterns.add(quant.QUANTIZE, lower_conv)
        _refusals.clear()
        rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze())
        if _refusals:
            raise PassFailure("quantized convolution could not be lowered")
