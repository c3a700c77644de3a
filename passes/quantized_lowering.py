"""What the quantized lowering passes share.

Reading constants, the integer rescale and saturation builders (RESCALE constants from
`tosaic.quantization.qmath`), refusing an op with a diagnostic, and the pass shape
itself: rewrite patterns rooted at `tosaic.quantize` (mostly), run by MLIR's greedy
driver, the pass failing after the run if any op was refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np
from torch_mlir import ir, rewrite

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import (
    defining_op,
    integer_values,
    make_integer_const,
    make_rescale,
    make_reshape,
    make_transpose,
    ranked_shape,
    transpose_perms,
)
from tosaic.passes.base import Option, Pass, PassFailure
from tosaic.quantization import qmath


def constant_array(value: ir.Value) -> np.ndarray | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    if str(ir.ShapedType(op.results[0].type).element_type) in ("i4", "i48"):
        return integer_values(op.attributes["values"])
    return np.array(op.attributes["values"])


def is_zero_constant(value: ir.Value) -> bool:
    """A non-empty `tosa.const` of zeros (e.g. a float op's shift or zero-point operand)."""
    values = constant_array(value)
    return values is not None and values.size > 0 and bool(np.all(values == 0))


# Operands seen through layout ops ----------------------------------------------------


def integer_rescale(value: ir.Value, scales, input_zp: int, output_zp: int,
                    out_type: ir.Type, per_channel: bool) -> ir.Value:
    """tosa.rescale by real `scales` (one, or one per last-dim channel), SINGLE_ROUND; from
    an i48 accumulator with a 16-bit multiplier (TOSA forbids scale32 there)."""
    scale32 = ir.IntegerType(ir.RankedTensorType(value.type).element_type).width != 48
    multipliers, shifts = qmath.compute_multiplier_and_shift_per_channel(list(scales), scale32)
    return make_rescale(value, out_type, multipliers, shifts, input_zp, output_zp, scale32=scale32,
                        per_channel=per_channel)


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


# Layout ops a quantized operand or result may pass through on its way to the op.
LAYOUT_OPS = ("tosa.reshape", "tosa.transpose", "tosa.slice")


# Tracing quantized operands and requantizing results (conv and matmul lowering) ----


def follow_layouts(value: ir.Value) -> tuple[ir.Value, list]:
    """The value under a chain of reshape/transpose/slice ops, and those ops in program
    order (first applied first)."""
    layouts = []
    op = defining_op(value)
    while op is not None and op.name in LAYOUT_OPS:
        layouts.append(op)
        value = op.operands[0]
        op = defining_op(value)
    layouts.reverse()
    return value, layouts


def _shape_values(value: ir.Value) -> list[int]:
    return [int(v) for v in ir.DenseIntElementsAttr(defining_op(value).attributes["values"])]


def apply_layouts(array: np.ndarray, layouts) -> np.ndarray:
    """What `layouts` do to `array` (of their first input's shape), in numpy."""
    for op in layouts:
        out_shape = ranked_shape(op.results[0])
        if op.name == "tosa.reshape":
            array = array.reshape(out_shape)
        elif op.name == "tosa.transpose":
            array = np.transpose(array, transpose_perms(op))
        else:  # tosa.slice
            start = _shape_values(op.operands[1])
            array = array[tuple(slice(s, s + n) for s, n in zip(start, out_shape))]
    return array


def _emit_layouts(value: ir.Value, layouts) -> ir.Value:
    """Integer copies of the float `layouts`, applied to `value` (at the insertion point)."""
    element = ir.RankedTensorType(value.type).element_type
    for op in layouts:
        out_shape = ranked_shape(op.results[0])
        if op.name == "tosa.reshape":
            value = make_reshape(value, out_shape)
        elif op.name == "tosa.transpose":
            value = make_transpose(value, transpose_perms(op))
        else:
            value = ir.Operation.create(
                "tosa.slice",
                results=[ir.RankedTensorType.get(out_shape, element)],
                operands=[value, op.operands[1], op.operands[2]],
            ).result
    return value


def _per_element(values, axis: int, shape) -> np.ndarray:
    """Per-tensor or per-channel (along `axis`) parameters, broadcast to `shape`."""
    values = np.asarray(values)
    if axis < 0 or values.size == 1:
        return np.broadcast_to(values.reshape(-1)[0], shape)
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return np.broadcast_to(values.reshape(view), shape)


@dataclass
class QuantizedOperand:
    """A float operand that is `layouts(dequantize(source))`: its quantization per element."""

    dequantize: ir.Operation
    layouts: list
    scale: np.ndarray  # float64, the operand's shape
    zero_point: np.ndarray  # int64, the operand's shape
    qmin: int
    qmax: int

    @property
    def source(self) -> ir.Value:
        return self.dequantize.operands[0]

    @property
    def element_type(self) -> ir.Type:
        return ir.RankedTensorType(self.source.type).element_type

    @property
    def width(self) -> int:
        return ir.IntegerType(self.element_type).width

    @property
    def axis(self) -> int:
        return quant.QParams.of(self.dequantize).axis

    def per_tensor(self) -> tuple[float, int] | None:
        """(scale, zero point) when they are the same for every element."""
        s, z = self.scale.reshape(-1), self.zero_point.reshape(-1)
        if s.size == 0 or np.any(s != s[0]) or np.any(z != z[0]):
            return None
        return float(s[0]), int(z[0])

    def constant(self) -> np.ndarray | None:
        """The integer values, in the operand's shape, when the source is a constant."""
        values = constant_array(self.source)
        return None if values is None else apply_layouts(values, self.layouts)

    @property
    def int4_range(self) -> bool:
        """Quantized to an int4 range in an int8 container: how PT2E programs (which have
        no int4 dtype) state int4 weights, e.g. quant_min=-7, quant_max=7."""
        return self.width == 8 and qmath.is_int4_range(self.qmin, self.qmax)

    def weight_width(self, int4_weights: bool = True) -> tuple[int, str | None]:
        """The width to store this weight with: 4 for a constant with an int4 range whose
        values are all TOSA int4 values, else its container's; and why, when an int4 range
        stays int8 (the lowering records it: see `record_int8_weight`)."""
        if not self.int4_range:
            return self.width, None
        if not int4_weights:
            return 8, "int4 detection is off (int4-weights=false)"
        values = self.constant()
        if values is None:
            return 8, "the weight is not a constant"
        if not qmath.int4_values_fit(values):
            lo, hi = qmath.TOSA_INT4_RANGE
            return 8, f"weight values {int(values.min())}..{int(values.max())} exceed TOSA int4 [{lo}, {hi}]"
        return 4, None

    def integer(self, width: int | None = None) -> ir.Value:
        """The integer operand: a folded constant (of `width` bits, default the
        container's: the layouts are applied to the data, so an i4 weight needs no i4
        layout op), or integer layout ops on the source."""
        values = self.constant()
        if values is not None:
            return make_integer_const(np.ascontiguousarray(values), width or self.width)
        return _emit_layouts(self.source, self.layouts)


# A discardable attribute on a lowered op whose weight has an int4 quantization range but
# is stored as int8, holding the reason; the compiler lists these layers in report.json.
INT8_WEIGHT_ATTR = "tosaic.int8_weight"


def record_int8_weight(op, reason: str | None) -> None:
    if reason is not None:
        op = op.operation if hasattr(op, "operation") else op
        op.attributes[INT8_WEIGHT_ATTR] = ir.StringAttr.get(reason)


def int4_weights_option() -> Option:
    """The `int4-weights` option of the lowerings that fold constant weights."""
    return Option(
        bool, True,
        "Store a constant weight whose quantization range fits int4 (quant_min >= -8, "
        "quant_max <= 7 in an int8 container, e.g. a8w4's [-7, 7]) as an i4 tensor when "
        "its values are TOSA int4 values; otherwise int8, marked `tosaic.int8_weight`")


def trace_quantized(value: ir.Value) -> QuantizedOperand | None:
    """`value` as layouts(dequantize(x)), or None."""
    root, layouts = follow_layouts(value)
    dq = defining_op(root)
    if not quant.is_dequantize(dq):
        return None
    q = quant.QParams.of(dq)
    shape = ranked_shape(dq.operands[0])
    if shape is None or any(ranked_shape(op.results[0]) is None for op in layouts):
        return None
    scale = apply_layouts(_per_element(np.asarray(q.scale, np.float64), q.axis, shape), layouts)
    zero_point = apply_layouts(_per_element(np.asarray(q.zero_point, np.int64), q.axis, shape), layouts)
    return QuantizedOperand(dq.operation, layouts, scale, zero_point, q.qmin, q.qmax)


def float_constant(value: ir.Value) -> np.ndarray | None:
    """A float constant seen through layout ops."""
    root, layouts = follow_layouts(value)
    values = constant_array(root)
    if values is None or not np.issubdtype(values.dtype, np.floating):
        return None
    return apply_layouts(values, layouts)


def channel_vector(per_element: np.ndarray, channel_dims) -> np.ndarray | None:
    """The values per output channel (the flattened `channel_dims`), or None if they vary
    along any other dim."""
    others = [d for d in range(per_element.ndim) if d not in channel_dims]
    moved = np.transpose(per_element, list(channel_dims) + others)
    flat = moved.reshape(int(np.prod([per_element.shape[d] for d in channel_dims])), -1)
    if flat.shape[1] and np.any(flat != flat[:, :1]):
        return None
    return flat[:, 0] if flat.shape[1] else None


def integer_bias(bias: ir.Value | None, input_scale: float, weight_scales: np.ndarray,
                 bits: int = 32) -> np.ndarray | str:
    """The int32 bias at the accumulator's scale input_scale * weight_scale[c], one per
    output channel (the bias's last dim, or broadcast from one value); a reason if none.
    With `bits` = 48 (int16 activations) the int48 bias, as int64: the program's int32
    bias widened, or the float bias quantized to the int48 range."""
    channels = weight_scales.size
    wide = bits == 48
    if bias is None:
        return np.zeros(channels, np.int64 if wide else np.int32)
    shape = ranked_shape(bias)
    if shape is None or (shape and int(np.prod(shape[:-1])) != 1) or (shape and shape[-1] not in (1, channels)):
        return f"bias of shape {shape} is not one value per output channel"
    acc_scales = input_scale * weight_scales
    traced = trace_quantized(bias)
    if traced is not None:
        values = traced.constant()
        if values is None:
            return "bias values are not constant"
        values = np.broadcast_to(values.reshape(-1), (channels,)).astype(np.int64)
        scales = np.broadcast_to(traced.scale.reshape(-1), (channels,))
        zero_points = np.broadcast_to(traced.zero_point.reshape(-1), (channels,))
        if np.all(zero_points == 0) and np.allclose(scales, acc_scales, rtol=1e-6, atol=0):
            if np.any(values < -(1 << 31)) or np.any(values >= 1 << 31):
                return "bias does not fit int32"
            # the quantizer's bias, at the accumulator's scale
            return values.astype(np.int64) if wide else values.astype(np.int32)
        real = (values - zero_points) * scales
    else:
        real = float_constant(bias)
        if real is None:
            return "bias is neither constant nor dequantized"
        real = np.broadcast_to(real.reshape(-1), (channels,))
    try:
        return qmath.quantize_bias(real, input_scale, weight_scales, bits)
    except ValueError as e:
        return f"bias cannot be quantized to int{bits}: {e}"


# int16 activations: 48-bit accumulators ---------------------------------------------


def accumulator_width(input_width: int) -> int:
    """TOSA's accumulator (and bias) width for a convolution/matmul of `input_width`-bit
    activations with int8 weights: i32 for int8, i48 for int16."""
    return {8: 32, 16: 48}[input_width]


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


def requantize_int48(accumulator: ir.Value, acc_scales, acc_bounds, biases, out_q: quant.QParams, clamp,
                     out_element: ir.Type) -> ir.Value:
    """An i48 accumulator (real scale `acc_scales` per last-dim channel or one; without its
    bias at most `acc_bounds` in magnitude, plus `biases`) -> the output quantization, in two exact
    steps: i48 -> i32 by 2**-k (`int48_to_int32`), then `requantize_output` with a 32-bit
    multiplier. One 16-bit RESCALE straight to int16 would round differently from the
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


# Integer building blocks --------------------------------------------------------------


def requantize_output(accumulator: ir.Value, acc_scales, out_q: quant.QParams, clamp,
                      out_element: ir.Type) -> ir.Value:
    """int32 accumulator (real scale `acc_scales` per last-dim channel, or one) -> the
    output quantization, with the clamp's bounds."""
    acc_scales = np.asarray(acc_scales, np.float64).reshape(-1)
    out_type = ir.RankedTensorType.get(ranked_shape(accumulator), out_element)
    rescaled = integer_rescale(accumulator, acc_scales / out_q.scale[0], 0, out_q.zero_point[0],
                               out_type, per_channel=acc_scales.size > 1)
    q_lo, q_hi = clamp_bounds(clamp, out_q) if clamp is not None else (out_q.qmin, out_q.qmax)
    storage_min, storage_max = qmath.qrange(f"int{ir.IntegerType(out_element).width}")
    return saturate(rescaled, q_lo, q_hi, storage_min, storage_max)


def peel_output(q_op):
    """quantize(layouts(clamp?(layouts(producer)))) -> (clamp or None, the reshapes and
    transposes in program order, producer). A per-tensor quantize and a clamp commute with
    layout ops, so a lowering can apply them to its integer result (`apply_output_layouts`):
    torch-mlir leaves e.g. conv1d -> transpose -> reshape -> relu."""
    clamp, layouts = None, []
    op = defining_op(q_op.operands[0])
    while op is not None and (op.name in ("tosa.reshape", "tosa.transpose")
                              or (op.name == "tosa.clamp" and clamp is None)):
        if op.name == "tosa.clamp":
            clamp = op
        else:
            layouts.append(op)
        op = defining_op(op.operands[0])
    layouts.reverse()
    return clamp, layouts, op


def apply_output_layouts(value: ir.Value, layouts) -> ir.Value:
    """The integer `value` through `peel_output`'s layouts."""
    return _emit_layouts(value, layouts)


def integer_convolution(kind: str, x: ir.Value, weight: np.ndarray, bias: np.ndarray, input_zp: int,
                        out_shape, stride=(1, 1), weight_width: int = 8) -> ir.Value:
    """A `tosa.conv2d` / `tosa.depthwise_conv2d` of int8 or int16 `x` with constant weights
    (int8, or int4 with `weight_width` 4) and bias, accumulating in int32 (int8 `x`) or
    int48 (int16 `x`, int48 bias); weight zero point 0, no padding or dilation."""
    x_width = ir.IntegerType(ir.RankedTensorType(x.type).element_type).width
    acc_width = accumulator_width(x_width)
    acc = ir.IntegerType.get_signless(acc_width)
    return ir.Operation.create(
        kind,
        results=[ir.RankedTensorType.get(list(out_shape), acc)],
        operands=[
            x,
            make_integer_const(np.asarray(weight, np.int8), weight_width),
            make_integer_const(np.asarray(bias, np.int64), acc_width),
            make_integer_const(np.asarray([input_zp]), x_width),
            make_integer_const(np.asarray([0]), weight_width),
        ],
        attributes={
            "acc_type": ir.TypeAttr.get(acc),
            "pad": ir.DenseI64ArrayAttr.get([0, 0, 0, 0]),
            "stride": ir.DenseI64ArrayAttr.get(list(stride)),
            "dilation": ir.DenseI64ArrayAttr.get([1, 1]),
        },
    ).result


# Window sums (average pools and means with their own output scale) -------------------


def window_sum_limit(input_width: int) -> int:
    """The most elements an int32 window sum of `input_width`-bit values may add."""
    return (1 << 31) // (1 << (input_width - 1))


def integer_window_sum(x: ir.Value, kernel, stride, input_zp: int, out_shape) -> ir.Value:
    """sum(x - input_zp) over each kernel window of NHWC `x`, as int32: a depthwise conv
    with weights 1. int8 accumulates in int32; int16 in int48 (TOSA's only accumulator
    for int16 x int8), narrowed to int32 exactly (`int48_to_int32` by 2^0: no rounding)
    as long as the kernel area is <= window_sum_limit(16), which the caller ensures."""
    c = ranked_shape(x)[3]
    window_sum = integer_convolution("tosa.depthwise_conv2d", x, np.ones((kernel[0], kernel[1], c, 1)),
                                     np.zeros(c), input_zp, out_shape, stride)
    if ir.IntegerType(ir.RankedTensorType(window_sum.type).element_type).width == 48:
        window_sum = int48_to_int32(window_sum, [0])
    return window_sum


_refused: list = []


def refuse(op, reason: str) -> bool:
    """Report, once (the greedy driver may revisit an op), why `op` cannot be lowered;
    the pass fails after its pattern run. Returns True: the pattern did not match."""
    if not any(op == seen for seen in _refused):
        Pass.error(op, reason)
        _refused.append(op)
    return True


class QuantizedLowering(Pass):
    """Base of the `tosaic-lower-quantized-*` passes: `patterns()` lists (root op,
    callable, benefit); all of them join the tosa-int pipeline's lowering stage."""

    anchor = "func.func"
    integer_lowering = True
    failure: ClassVar[str] = "a quantized op could not be lowered"

    def patterns(self) -> list[tuple[str, Callable, int]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, op: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet()
        for root, fn, benefit in self.patterns():
            patterns.add(root, fn, benefit=benefit)
        _refused.clear()
        rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze())
        if _refused:
            raise PassFailure(self.failure)
