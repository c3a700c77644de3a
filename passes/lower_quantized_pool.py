"""Fold `dequantize -> pooling (float) -> quantize` into integer TOSA pooling.

- max_pool2d: `tosa.max_pool2d` on the int8 values (max commutes with quantization),
  then a rescale only when the output qparams differ from the input's (our quantizer
  shares them).
- avg_pool2d: `tosa.avg_pool2d` on int8 with input_zp / output_zp and an int32
  accumulator; TOSA divides by the count of non-padding elements (rounding half away
  from zero). With count_include_pad, torch-mlir pads explicitly with 0.0 first: that
  `tosa.pad` becomes an int8 pad with the input zero point. If the scales differ (our
  quantizer gives averages their own output qparams), an unpadded int8 pool becomes a
  window sum, a depthwise conv with weights 1 accumulating in int32, and ONE rescale by
  s_in / (N * s_out), so the average rounds once as the float program's does. With
  shared qparams an even window count (2x2) makes exact .5 LSB averages common; TOSA
  rounds them away from zero while the float program's rounding noise settles them
  either way, so such pools (from other quantizers) agree to 1 LSB but are ~85%
  bit-exact.
- adaptive_avg_pool2d / mean: torch-mlir emits `avg_pool2d` when the output is larger
  than 1x1, else `reduce_sum` (one per dim) [+ reshape] + `mul` by the float 1/N.
  A mean over both spatial dims of a rank-4 tensor becomes a global `tosa.avg_pool2d`
  with equal input/output scales, else a global window sum + one rescale (ops Ethos-U
  runs; NCHW input is transposed to NHWC, which cancels with the convolution's
  transpose). Any other sum/mean: the
  int8 values minus their zero point are summed with `tosa.reduce_sum` in int32 and
  rescaled once by `s_in * c / s_out` (c: the mul's constant, 1/N for a mean).

int16 inputs (a16w8) take the same paths; TOSA requires their zero points to be 0 (else
the op is refused). The int16 window sum is a depthwise conv accumulating in int48,
narrowed exactly to int32 before the one rounding rescale (see
`quantized_lowering.integer_window_sum`); TOSA's int16 avg_pool2d accumulates in int32.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import (
    defining_op,
    make_integer_const,
    make_reshape,
    make_transpose,
    ranked_shape,
    with_shape,
)
from tosaic.passes.quantized_lowering import (
    QuantizedLowering,
    constant_array,
    integer_rescale,
    integer_window_sum,
    refuse as _refuse,
    window_sum_limit,
)
from tosaic.quantization import qmath

def _element_width(value: ir.Value) -> int | None:
    element = ir.RankedTensorType(value.type).element_type
    return ir.IntegerType(element).width if isinstance(element, ir.IntegerType) else None


def _scale_ok(scale: float, bound: float) -> str | None:
    """Why a rescale by `scale` of values up to |bound| is impossible, or None."""
    try:
        _, shift = qmath.compute_multiplier_and_shift(scale, True)
    except ValueError as e:
        return f"scale cannot be expressed as a TOSA rescale: {e}"
    if bound >= (1 << (shift - 1)):
        return f"rescale by {scale:.6g} would overflow for values up to {bound:.6g}"
    return None


def _requantize(value: ir.Value, in_q: quant.QParams, out_q: quant.QParams, out_type: ir.Type) -> ir.Value:
    """`value` (at in_q) at out_q; itself when they agree."""
    if (in_q.scale, in_q.zero_point) == (out_q.scale, out_q.zero_point):
        return value
    return integer_rescale(value, [in_q.scale[0] / out_q.scale[0]], in_q.zero_point[0],
                           out_q.zero_point[0], out_type, per_channel=False)


def _zp_const(zp: int, width: int) -> ir.Value:
    return make_integer_const(np.asarray([zp]), width)


def _quantized_input(value: ir.Value):
    """(integer value, qparams) when `value` is a dequantize, else None."""
    dq = defining_op(value)
    if not quant.is_dequantize(dq):
        return None
    return dq.operands[0], quant.QParams.of(dq)


def _check_io(op, in_q: quant.QParams, out_q: quant.QParams, x: ir.Value, q_op) -> str | None:
    if in_q.per_channel or out_q.per_channel:
        return "needs per-tensor quantization"
    if _element_width(x) not in (8, 16) or _element_width(q_op.results[0]) != _element_width(x):
        return "needs int8 (or int16) input and output of one type"
    if _element_width(x) == 16 and (in_q.zero_point[0] or out_q.zero_point[0]):
        return "int16 values need zero point 0 (TOSA)"
    if (in_q.scale, in_q.zero_point) != (out_q.scale, out_q.zero_point):
        return _scale_ok(in_q.scale[0] / out_q.scale[0], 1 << _element_width(x))
    return None


def _lower_max_pool(q_op, pool, out_q, rewriter) -> bool:
    found = _quantized_input(pool.operands[0])
    if found is None:
        return True
    x, in_q = found
    reason = _check_io(pool, in_q, out_q, x, q_op)
    if reason:
        return _refuse(pool, reason)
    out_type = q_op.results[0].type
    with rewriter.ip, pool.location:
        pooled = ir.Operation.create(
            "tosa.max_pool2d", results=[with_shape(x.type, ranked_shape(pool.results[0]))], operands=[x],
            attributes={name: pool.attributes[name] for name in pool.attributes},
        ).result
        result = _requantize(pooled, in_q, out_q, out_type)
    rewriter.replace_op(q_op, [result])
    return False


def _window_sum_rescaled(x: ir.Value, kernel, stride, in_q: quant.QParams, scale: float,
                         out_zp: int, out_type: ir.Type) -> ir.Value:
    """sum over each kernel window (a depthwise conv with weights 1, input zero point
    removed, int32; int16 via an int48 accumulator), then ONE rescale by `scale`: the
    average rounds once, as the fake-quantized program's float average does."""
    n, h, w, c = ranked_shape(x)
    out_h = (h - kernel[0]) // stride[0] + 1
    out_w = (w - kernel[1]) // stride[1] + 1
    window_sum = integer_window_sum(x, kernel, stride, in_q.zero_point[0], [n, out_h, out_w, c])
    return integer_rescale(window_sum, [scale], 0, out_zp, out_type, per_channel=False)


def _lower_avg_pool(q_op, pool, out_q, rewriter) -> bool:
    source = pool.operands[0]
    pad = defining_op(source)
    if pad is not None and pad.name == "tosa.pad":
        source = pad.operands[0]
    else:
        pad = None
    found = _quantized_input(source)
    if found is None:
        return True
    x, in_q = found
    reason = _check_io(pool, in_q, out_q, x, q_op)
    if reason:
        return _refuse(pool, reason)
    in_scale, in_zp = in_q.scale[0], in_q.zero_point[0]
    width = _element_width(x)
    if pad is not None:
        pad_value = constant_array(pad.operands[2]) if len(pad.operands) > 2 else np.zeros(1)
        if pad_value is None:
            return _refuse(pad, "pad value is not a constant")
        value = float(np.asarray(pad_value, np.float64).reshape(-1)[0])
        exact = value / in_scale
        pad_q = int(np.rint(exact)) + in_zp
        if abs(exact - np.rint(exact)) > 1e-3 or not in_q.qmin <= pad_q <= in_q.qmax:
            return _refuse(pad, f"pad value {value} is not representable in the input's quantization")
    same_scale = in_q.scale == out_q.scale
    out_type = q_op.results[0].type
    with rewriter.ip, pool.location:
        if pad is not None:
            x = ir.Operation.create(
                "tosa.pad", results=[with_shape(x.type, ranked_shape(pad.results[0]))],
                operands=[x, pad.operands[1], _zp_const(pad_q, width)],
                attributes={name: pad.attributes[name] for name in pad.attributes},
            ).result
        attributes = {name: pool.attributes[name] for name in pool.attributes}
        kernel = list(ir.DenseI64ArrayAttr(attributes["kernel"]))
        stride = list(ir.DenseI64ArrayAttr(attributes["stride"]))
        unpadded = not any(ir.DenseI64ArrayAttr(attributes["pad"]))
        if not same_scale and unpadded and kernel[0] * kernel[1] <= window_sum_limit(width):
            # Own output qparams: sum, then one rounding (avg_pool2d + rescale rounds twice).
            count = kernel[0] * kernel[1]
            result = _window_sum_rescaled(x, kernel, stride, in_q, in_scale / (count * out_q.scale[0]),
                                          out_q.zero_point[0], out_type)
            rewriter.replace_op(q_op, [result])
            return False
        attributes["acc_type"] = ir.TypeAttr.get(ir.IntegerType.get_signless(32))
        pool_zp = out_q.zero_point[0] if same_scale else in_zp
        pooled = ir.Operation.create(
            "tosa.avg_pool2d", results=[with_shape(x.type, ranked_shape(pool.results[0]))],
            operands=[x, _zp_const(in_zp, width), _zp_const(pool_zp, width)], attributes=attributes,
        ).result
        if not same_scale:
            pooled = integer_rescale(pooled, [in_scale / out_q.scale[0]], in_zp, out_q.zero_point[0],
                                     out_type, per_channel=False)
    rewriter.replace_op(q_op, [pooled])
    return False


def _splat(value: ir.Value) -> float | None:
    array = constant_array(value)
    if array is None or array.size == 0 or not np.issubdtype(array.dtype, np.floating):
        return None
    first = float(array.reshape(-1)[0])
    return first if np.all(array == first) else None


def _reduction_chain(value: ir.Value):
    """(dequantize, [reduce_sum/reshape ops from it to `value`]) with >= 1 reduce_sum."""
    chain = []
    op = defining_op(value)
    while op is not None and op.name in ("tosa.reduce_sum", "tosa.reshape"):
        chain.append(op)
        op = defining_op(op.operands[0])
    if not quant.is_dequantize(op) or not any(o.name == "tosa.reduce_sum" for o in chain):
        return None
    return op, chain[::-1]


def _mean_operands(producer):
    """(factor, dequantize, chain) for `[mul(·, splat c)](reduce_sum/reshape...(dq))`, or None."""
    if producer.name != "tosa.mul":
        found = _reduction_chain(producer.results[0])
        return None if found is None else (1.0, *found)
    if len(producer.operands) > 2:
        shift = constant_array(producer.operands[2])
        if shift is None or np.any(shift != 0):
            return None
    for data, const in ((0, 1), (1, 0)):
        factor = _splat(producer.operands[const])
        found = _reduction_chain(producer.operands[data]) if factor is not None else None
        if found is not None:
            return (factor, *found)
    return None


def _lower_mean(q_op, producer, out_q, rewriter) -> bool:
    """quantize([mul(·, c)](reduce_sum/reshape...(dequantize(x)))): a sum times c."""
    found = _mean_operands(producer)
    if found is None:
        return True
    factor, dq, chain = found
    x, in_q = dq.operands[0], quant.QParams.of(dq)
    if in_q.per_channel or out_q.per_channel:
        return _refuse(producer, "needs per-tensor quantization")
    if _element_width(x) not in (8, 16) or _element_width(q_op.results[0]) != _element_width(x):
        return _refuse(producer, "needs int8 (or int16) input and output of one type")
    if _element_width(x) == 16 and (in_q.zero_point[0] or out_q.zero_point[0]):
        return _refuse(producer, "int16 values need zero point 0 (TOSA)")
    if factor <= 0:
        return _refuse(producer, f"the sum's scale factor {factor} is not positive")
    in_shape, out_shape = ranked_shape(x), ranked_shape(q_op.results[0])
    width = _element_width(x)
    count = int(np.prod(in_shape)) // int(np.prod(ranked_shape(chain[-1].results[0])))
    names = [o.name for o in chain]
    reductions = names.count("tosa.reduce_sum")
    axes = sorted(ir.IntegerAttr(o.attributes["axis"]).value for o in chain[:reductions])
    spatial_mean = (
        len(in_shape) == 4 and names[:reductions] == ["tosa.reduce_sum"] * reductions
        and axes in ([1, 2], [2, 3]) and abs(factor * count - 1.0) < 1e-6
    )
    if spatial_mean and in_q.scale != out_q.scale and count <= window_sum_limit(width):
        # Own output qparams: one window sum over H x W, then one rounding.
        with rewriter.ip, producer.location:
            nhwc = make_transpose(x, [0, 2, 3, 1]) if axes == [2, 3] else x
            n, h, w, c = ranked_shape(nhwc)
            summed = _window_sum_rescaled(
                nhwc, [h, w], [1, 1], in_q, in_q.scale[0] / (count * out_q.scale[0]),
                out_q.zero_point[0], with_shape(q_op.results[0].type, [n, 1, 1, c]),
            )
            result = summed if out_shape == [n, 1, 1, c] else make_reshape(summed, out_shape)
        rewriter.replace_op(q_op, [result])
        return False
    global_pool = spatial_mean and in_q.scale == out_q.scale
    if global_pool:
        with rewriter.ip, producer.location:
            nhwc = make_transpose(x, [0, 2, 3, 1]) if axes == [2, 3] else x
            n, h, w, c = ranked_shape(nhwc)
            pooled = ir.Operation.create(
                "tosa.avg_pool2d", results=[with_shape(x.type, [n, 1, 1, c])],
                operands=[nhwc, _zp_const(in_q.zero_point[0], width), _zp_const(out_q.zero_point[0], width)],
                attributes={
                    "kernel": ir.DenseI64ArrayAttr.get([h, w]),
                    "stride": ir.DenseI64ArrayAttr.get([1, 1]),
                    "pad": ir.DenseI64ArrayAttr.get([0, 0, 0, 0]),
                    "acc_type": ir.TypeAttr.get(ir.IntegerType.get_signless(32)),
                },
            ).result
            result = pooled if out_shape == [n, 1, 1, c] else make_reshape(pooled, out_shape)
        rewriter.replace_op(q_op, [result])
        return False

    magnitude = max(in_q.qmax - in_q.zero_point[0], in_q.zero_point[0] - in_q.qmin)
    scale = in_q.scale[0] * factor / out_q.scale[0]
    reason = _scale_ok(scale, magnitude * count)
    if reason or magnitude * count >= 1 << 31:
        return _refuse(producer, reason or "the int32 sum could overflow")
    i32 = ir.IntegerType.get_signless(32)
    with rewriter.ip, producer.location:
        acc = integer_rescale(x, [1.0], in_q.zero_point[0], 0, ir.RankedTensorType.get(in_shape, i32),
                              per_channel=False)
        for op in chain:
            shape = ranked_shape(op.results[0])
            if op.name == "tosa.reshape":
                acc = make_reshape(acc, shape)
            else:
                acc = ir.Operation.create(
                    "tosa.reduce_sum", results=[ir.RankedTensorType.get(shape, i32)], operands=[acc],
                    attributes={name: op.attributes[name] for name in op.attributes},
                ).result
        result = integer_rescale(acc, [scale], 0, out_q.zero_point[0], q_op.results[0].type,
                                 per_channel=False)
    rewriter.replace_op(q_op, [result])
    return False


def lower_pool(q_op, rewriter) -> bool:
    q_op = q_op.operation
    producer = defining_op(q_op.operands[0])
    if producer is None:
        return True
    out_q = quant.QParams.of(q_op)
    if producer.name == "tosa.max_pool2d":
        return _lower_max_pool(q_op, producer, out_q, rewriter)
    if producer.name == "tosa.avg_pool2d":
        return _lower_avg_pool(q_op, producer, out_q, rewriter)
    if producer.name in ("tosa.mul", "tosa.reduce_sum", "tosa.reshape"):
        return _lower_mean(q_op, producer, out_q, rewriter)
    return True


class LowerQuantizedPool(QuantizedLowering):
    name = "tosaic-lower-quantized-pool"
    summary = "Fold dequantize -> max/avg pool, mean -> quantize into int8 pooling or int32 sums + rescale"
    failure = "quantized pooling could not be lowered"

    def patterns(self):
        return [(quant.QUANTIZE, lower_pool, 1)]
