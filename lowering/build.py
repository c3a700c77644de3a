"""Typed integer builders for the quantized lowerings: rescale, saturate, requantize an
accumulator (int32, or int48 in two exact steps), integer convolutions and window sums.

Every number (multiplier and shift, clamp bounds, storage ranges, headroom) comes from
`tosaic.quantization.qmath`; this module only builds the ops, at the current insertion
point and location.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import attributes, quant
from tosaic.dialects.tosa_helpers import (
    make_integer_const,
    make_rescale,
    make_reshape,
    make_transpose,
    ranked_shape,
    transpose_perms,
)
from tosaic.quantization import qmath


def element_width(value: ir.Value) -> int | None:
    """The integer width of `value`'s elements, or None for a float tensor."""
    element = ir.RankedTensorType(value.type).element_type
    return ir.IntegerType(element).width if isinstance(element, ir.IntegerType) else None


def is_unsigned(qparams: quant.QParams, element: ir.Type) -> bool:
    """uint8 storage: an unsigned type, or a signless one holding values above its signed max."""
    integer = ir.IntegerType(element)
    return integer.is_unsigned or qmath.holds_unsigned(qparams.qmin, qparams.qmax, integer.width)


def integer_rescale(value: ir.Value, scales, input_zp: int, output_zp: int,
                    out_type: ir.Type, per_channel: bool) -> ir.Value:
    """tosa.rescale by real `scales` (one, or one per last-dim channel), SINGLE_ROUND; from
    an i48 accumulator with a 16-bit multiplier (TOSA forbids scale32 there)."""
    scale32 = element_width(value) != 48
    multipliers, shifts = qmath.compute_multiplier_and_shift_per_channel(list(scales), scale32)
    return make_rescale(value, out_type, multipliers, shifts, input_zp, output_zp, scale32=scale32,
                        per_channel=per_channel)


def integer_clamp(value: ir.Value, lo: int, hi: int) -> ir.Value:
    element = ir.RankedTensorType(value.type).element_type
    return tosa.clamp(value.type, value, ir.IntegerAttr.get(element, lo), ir.IntegerAttr.get(element, hi))


def saturate(value: ir.Value, q_lo: int, q_hi: int, storage_min: int, storage_max: int) -> ir.Value:
    """`value` clamped to [q_lo, q_hi], unless that is its whole storage range (which the
    rescale producing it already saturates to)."""
    if q_lo <= storage_min and q_hi >= storage_max:
        return value
    return integer_clamp(value, q_lo, q_hi)


def clamp_bounds(clamp_op, qparams: quant.QParams) -> tuple[int, int]:
    """A float `tosa.clamp`'s bounds in `qparams`' quantized domain."""
    return qmath.quantized_clamp_bounds(ir.FloatAttr(clamp_op.attributes["min_val"]).value,
                                        ir.FloatAttr(clamp_op.attributes["max_val"]).value,
                                        qparams.scale[0], qparams.zero_point[0], qparams.qmin, qparams.qmax)


def saturate_to_output(value: ir.Value, clamp, out_q: quant.QParams) -> ir.Value:
    """The rescaled `value` within the output's range, narrowed by a fused float clamp."""
    q_lo, q_hi = clamp_bounds(clamp, out_q) if clamp is not None else (out_q.qmin, out_q.qmax)
    storage_min, storage_max = qmath.qrange(f"int{element_width(value)}")
    return saturate(value, q_lo, q_hi, storage_min, storage_max)


def emit_layouts(value: ir.Value, layouts) -> ir.Value:
    """Integer copies of the float layout ops `layouts` (reshape, transpose, slice),
    applied to `value`."""
    element = ir.RankedTensorType(value.type).element_type
    for op in layouts:
        out_shape = ranked_shape(op.results[0])
        if op.name == "tosa.reshape":
            value = make_reshape(value, out_shape)
        elif op.name == "tosa.transpose":
            value = make_transpose(value, transpose_perms(op))
        else:
            value = tosa.slice(ir.RankedTensorType.get(out_shape, element), value, op.operands[1], op.operands[2])
    return value


def record_int8_weight(op, reason: str | None) -> None:
    """Mark a lowered op whose int4-range weight stays int8, with the reason."""
    if reason is not None:
        op = op.operation if hasattr(op, "operation") else op
        op.attributes[attributes.INT8_WEIGHT] = ir.StringAttr.get(reason)


# Accumulators -----------------------------------------------------------------------


def int48_to_int32(accumulator: ir.Value, steps) -> ir.Value:
    """The i48 `accumulator` RESCALEd to i32 by exactly 2**-steps[c] (per last-dim channel,
    or one): scale32 = false with multiplier 2**14 and shift 14 + k, which has no
    multiplier error; SINGLE_ROUND."""
    steps = np.asarray(steps, np.int64).reshape(-1)
    per_channel = bool(np.unique(steps).size > 1)
    if not per_channel:
        steps = steps[:1]
    out_type = ir.RankedTensorType.get(ranked_shape(accumulator), ir.IntegerType.get_signless(32))
    return make_rescale(accumulator, out_type, np.full(steps.size, 1 << 14), 14 + steps, scale32=False,
                        per_channel=per_channel)


def requantize_output(accumulator: ir.Value, acc_scales, out_q: quant.QParams, clamp,
                      out_element: ir.Type) -> ir.Value:
    """int32 accumulator (real scale `acc_scales` per last-dim channel, or one) -> the
    output quantization, with the clamp's bounds."""
    acc_scales = np.asarray(acc_scales, np.float64).reshape(-1)
    out_type = ir.RankedTensorType.get(ranked_shape(accumulator), out_element)
    rescaled = integer_rescale(accumulator, acc_scales / out_q.scale[0], 0, out_q.zero_point[0],
                               out_type, per_channel=acc_scales.size > 1)
    return saturate_to_output(rescaled, clamp, out_q)


def requantize_int48(accumulator: ir.Value, acc_scales, acc_bounds, biases, out_q: quant.QParams, clamp,
                     out_element: ir.Type) -> ir.Value:
    """An i48 accumulator (real scale `acc_scales` per last-dim channel or one; without its
    bias at most `acc_bounds` in magnitude, plus `biases`) -> the output quantization, in two
    exact steps: i48 -> i32 by 2**-k (`int48_to_int32`), then `requantize_output` with a
    32-bit multiplier. One 16-bit RESCALE straight to int16 would round differently from the
    exact scaling on several percent of the outputs (`qmath.rescale16_error`). k is
    `qmath.int48_intermediate_shifts`' finest step that cannot overflow int32, the same
    the bias-split form (tosaic-int48-bias) uses, so both forms share this RESCALE.
    Raises ValueError when no such step exists."""
    acc_scales = np.asarray(acc_scales, np.float64).reshape(-1)
    channels = max(acc_scales.size, np.asarray(acc_bounds, dtype=object).size)
    scales = np.broadcast_to(acc_scales, (channels,)) / out_q.scale[0]
    steps = qmath.int48_intermediate_shifts(acc_bounds, biases, scales)
    if acc_scales.size == 1 and np.unique(steps).size == 1:
        steps = steps[:1]  # stays per tensor
    narrowed = int48_to_int32(accumulator, steps)
    return requantize_output(narrowed, np.broadcast_to(acc_scales, steps.shape) * 2.0**steps, out_q, clamp,
                             out_element)


def requantize(value: ir.Value, in_q: quant.QParams, out_q: quant.QParams, out_element: ir.Type) -> ir.Value:
    """`value` (quantized with `in_q`) quantized with `out_q` instead, as `out_element`.

    Nothing when the parameters and storage agree (a clamp if the output's range is
    narrower), else a per-tensor tosa.rescale by in_scale / out_scale (`qmath.requantize_plan`),
    and a clamp where the rescale's reach exceeds the output's range. Raises ValueError
    when TOSA cannot encode it."""
    in_element = ir.RankedTensorType(value.type).element_type
    out_type = ir.RankedTensorType.get(ranked_shape(value), out_element)
    plan = qmath.requantize_plan(in_q, element_width(value), is_unsigned(in_q, in_element),
                                 out_q, ir.IntegerType(out_element).width, is_unsigned(out_q, out_element),
                                 in_element == out_element)
    result = value
    if plan.rescale is not None:
        multiplier, shift = plan.rescale
        result = make_rescale(value, out_type, [multiplier], [shift], in_q.zero_point[0], out_q.zero_point[0],
                              input_unsigned=plan.input_unsigned, output_unsigned=plan.output_unsigned)
    if plan.clamp is not None:
        result = integer_clamp(result, *plan.clamp)
    return result


# Convolutions and window sums --------------------------------------------------------


def integer_convolution(kind: str, x: ir.Value, weight: np.ndarray, bias: np.ndarray, input_zp: int,
                        out_shape, stride=(1, 1), weight_width: int = 8) -> ir.Value:
    """A `tosa.conv2d` / `tosa.depthwise_conv2d` of int8 or int16 `x` with constant weights
    (int8, or int4 with `weight_width` 4) and bias, accumulating in int32 (int8 `x`) or
    int48 (int16 `x`, int48 bias); weight zero point 0, no padding or dilation."""
    x_width = element_width(x)
    acc_width = qmath.accumulator_width(x_width)
    acc = ir.IntegerType.get_signless(acc_width)
    build = {"tosa.conv2d": tosa.conv2d, "tosa.depthwise_conv2d": tosa.depthwise_conv2d}[kind]
    return build(
        ir.RankedTensorType.get(list(out_shape), acc),
        x,
        make_integer_const(np.asarray(weight, np.int8), weight_width),
        make_integer_const(np.asarray(bias, np.int64), acc_width),
        make_integer_const(np.asarray([input_zp]), x_width),
        make_integer_const(np.asarray([0]), weight_width),
        ir.DenseI64ArrayAttr.get([0, 0, 0, 0]),
        ir.DenseI64ArrayAttr.get(list(stride)),
        ir.DenseI64ArrayAttr.get([1, 1]),
        ir.TypeAttr.get(acc),
    )


def integer_window_sum(x: ir.Value, kernel, stride, input_zp: int, out_shape) -> ir.Value:
    """sum(x - input_zp) over each kernel window of NHWC `x`, as int32: a depthwise conv
    with weights 1. int8 accumulates in int32; int16 in int48 (TOSA's only accumulator
    for int16 x int8), narrowed to int32 exactly (`int48_to_int32` by 2^0: no rounding)
    as long as the kernel area is <= qmath.window_sum_limit(16), which the caller ensures."""
    c = ranked_shape(x)[3]
    window_sum = integer_convolution("tosa.depthwise_conv2d", x, np.ones((kernel[0], kernel[1], c, 1)),
                                     np.zeros(c), input_zp, out_shape, stride)
    if element_width(window_sum) == 48:
        window_sum = int48_to_int32(window_sum, [0])
    return window_sum
