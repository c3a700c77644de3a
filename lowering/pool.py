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
  bit-exact. A padded own-scale average that excludes the padding (count_include_pad
  False) divides by a count that varies at the borders: the window sum of the input
  padded with its zero point, times the integer L / count of each output position (L
  the counts' least common multiple), then ONE rescale by s_in / (L * s_out). Where
  that could overflow int32, the int8 values are widened exactly to int16 (x 128),
  averaged by TOSA, and rescaled: the first rounding is 1/128 of an input LSB.
- adaptive_avg_pool2d with sizes that do not divide (decomposed in
  frontend/decompositions.py): the windows sliced side by side, padded with 0.0
  (the input's zero point) to the longest, an avg_pool2d with kernel = stride, times a
  constant per output position. Lowered as the window sum, times the integer L / count of
  each output position, then ONE rescale by s_in / (L * s_out).
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
`tosaic.lowering.build.integer_window_sum`); TOSA's int16 avg_pool2d accumulates in int32.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import (
    constant_array,
    defining_op,
    make_integer_const,
    make_reshape,
    make_const_shape,
    make_transpose,
    ranked_shape,
    transpose_perms,
    with_shape,
)
from tosaic.lowering.build import element_width as _element_width
from tosaic.lowering.build import emit_layouts, integer_rescale, integer_window_sum, requantize
from tosaic.lowering.match import _users, float_constant, quantizes_below
from tosaic.lowering.registry import OWN_OUTPUT, SHARED_ALWAYS, Refuse, Replace, family, lower_each, lowering
from tosaic.quantization import qmath

family("pool", summary="Fold dequantize -> max/avg pool, mean -> quantize into int8 pooling or int32 sums + rescale",
       failure="quantized pooling could not be lowered")


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
        return qmath.rescale_fits(in_q.scale[0] / out_q.scale[0], 1 << _element_width(x))
    return None


def _lower_max_pool(q_op, pool, out_q) -> Refuse | Replace | None:
    found = _quantized_input(pool.operands[0])
    if found is None:
        return None
    x, in_q = found
    reason = _check_io(pool, in_q, out_q, x, q_op)
    if reason:
        return Refuse(pool, reason)
    out_type = q_op.results[0].type
    with ir.InsertionPoint(q_op), pool.location:
        pooled = ir.Operation.create(
            "tosa.max_pool2d", results=[with_shape(x.type, ranked_shape(pool.results[0]))], operands=[x],
            attributes={name: pool.attributes[name] for name in pool.attributes},
        ).result
        result = requantize(pooled, in_q, out_q, ir.RankedTensorType(out_type).element_type)
    return Replace.one(q_op, result)


def _window_sum_rescaled(x: ir.Value, kernel, stride, in_q: quant.QParams, scale: float,
                         out_zp: int, out_type: ir.Type) -> ir.Value:
    """sum over each kernel window (a depthwise conv with weights 1, input zero point
    removed, int32; int16 via an int48 accumulator), then ONE rescale by `scale`: the
    average rounds once, as the fake-quantized program's float average does."""
    n, h, w, c = ranked_shape(x)
    out_h = (h - kernel[0]) // stride[0] + 1
    out_w = (w - kernel[1]) // stride[1] + 1
    window_sum = _window_sum(x, kernel, stride, in_q.zero_point[0], [n, out_h, out_w, c])
    return integer_rescale(window_sum, [scale], 0, out_zp, out_type, per_channel=False)


# Vela runs a depthwise convolution on Ethos-U55 only with strides up to 3.
MAX_WINDOW_SUM_STRIDE = 3


def _tiled_window_sum(x: ir.Value, kernel, in_zp: int, out_shape) -> ir.Value:
    """sum(x - zp) over windows that tile NHWC `x` (kernel = stride, no remainder), as int32
    REDUCE_SUMs between reshapes: for strides a depthwise convolution cannot take."""
    n, out_h, out_w, c = out_shape
    kh, kw = kernel
    i32 = ir.IntegerType.get_signless(32)
    acc = integer_rescale(x, [1.0], in_zp, 0, ir.RankedTensorType.get(ranked_shape(x), i32), per_channel=False)
    for shape, axis in (([n * out_h, kh, out_w * kw, c], 1), ([n * out_h * out_w, kw, c, 1], 1)):
        if shape[axis] == 1:
            continue
        acc = make_reshape(acc, shape)
        shape = list(shape)
        shape[axis] = 1
        acc = tosa.ReduceSumOp(acc, ir.IntegerAttr.get(i32, axis), results=[ir.RankedTensorType.get(shape, i32)]).result
    return make_reshape(acc, out_shape)


def _window_sum(x: ir.Value, kernel, stride, in_zp: int, out_shape) -> ir.Value:
    """sum(x - zp) over each window, int32: a depthwise conv with weights 1, or for windows
    that tile the input with a stride above 3 (adaptive pooling by 4 or more), REDUCE_SUMs."""
    _, out_h, out_w, _ = out_shape
    # A stride along an axis with one window moves nothing (a global pool stays a conv).
    moving = [step for size, step in zip((out_h, out_w), stride) if size > 1]
    tiles = list(kernel) == list(stride) and ranked_shape(x)[1:3] == [out_h * kernel[0], out_w * kernel[1]]
    if tiles and max(moving, default=1) > MAX_WINDOW_SUM_STRIDE:
        return _tiled_window_sum(x, kernel, in_zp, out_shape)
    return integer_window_sum(x, kernel, stride, in_zp, out_shape)


def _excluding_pad_sum_rescaled(x, kernel, stride, pad, in_q, out_q, out_shape, out_type):
    """An average that excludes the padding, rounded once: the window sum of the padded
    input (padding at the zero point adds 0), times the integer weight L / count of each
    output position, rescaled by s_in / (L * s_out). None when sum * weight could
    overflow int32."""
    n, h, w, c = ranked_shape(x)
    top, bottom, left, right = pad
    _, out_h, out_w, _ = out_shape
    counts = np.outer(qmath.window_counts(h, kernel[0], stride[0], top, out_h),
                      qmath.window_counts(w, kernel[1], stride[1], left, out_w))
    weights, common = qmath.count_weights(counts)
    if 255 * common >= 1 << 31:  # |sum * weight| <= 255 * count * weight
        return None
    zp = in_q.zero_point[0]
    padded_shape = [n, h + top + bottom, w + left + right, c]
    i32 = ir.IntegerType.get_signless(32)
    padded = tosa.pad(with_shape(x.type, padded_shape), x,
                      make_const_shape([0, 0, top, bottom, left, right, 0, 0]), _zp_const(zp, 8))
    window_sum = integer_window_sum(padded, kernel, stride, zp, [n, out_h, out_w, c])
    weighted = tosa.mul(ir.RankedTensorType.get([n, out_h, out_w, c], i32), window_sum,
                        make_integer_const(weights.reshape(1, out_h, out_w, 1), 32),
                        make_integer_const(np.asarray([0]), 8))
    return integer_rescale(weighted, [in_q.scale[0] / (common * out_q.scale[0])], 0, out_q.zero_point[0],
                           out_type, per_channel=False)


def _lower_avg_pool(q_op, pool, out_q) -> Refuse | Replace | None:
    source = pool.operands[0]
    pad = defining_op(source)
    if pad is not None and pad.name == "tosa.pad":
        source = pad.operands[0]
    else:
        pad = None
    found = _quantized_input(source)
    if found is None:
        return None
    x, in_q = found
    reason = _check_io(pool, in_q, out_q, x, q_op)
    if reason:
        return Refuse(pool, reason)
    in_scale, in_zp = in_q.scale[0], in_q.zero_point[0]
    width = _element_width(x)
    if pad is not None:
        pad_value = constant_array(pad.operands[2]) if len(pad.operands) > 2 else np.zeros(1)
        if pad_value is None:
            return Refuse(pad, "pad value is not a constant")
        value = float(np.asarray(pad_value, np.float64).reshape(-1)[0])
        exact = value / in_scale
        pad_q = int(np.rint(exact)) + in_zp
        if abs(exact - np.rint(exact)) > 1e-3 or not in_q.qmin <= pad_q <= in_q.qmax:
            return Refuse(pad, f"pad value {value} is not representable in the input's quantization")
    same_scale = in_q.scale == out_q.scale
    out_type = q_op.results[0].type
    with ir.InsertionPoint(q_op), pool.location:
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
        if not same_scale and unpadded and kernel[0] * kernel[1] <= qmath.window_sum_limit(width):
            # Own output qparams: sum, then one rounding (avg_pool2d + rescale rounds twice).
            count = kernel[0] * kernel[1]
            result = _window_sum_rescaled(x, kernel, stride, in_q, in_scale / (count * out_q.scale[0]),
                                          out_q.zero_point[0], out_type)
            return Replace.one(q_op, result)
        attributes["acc_type"] = ir.TypeAttr.get(ir.IntegerType.get_signless(32))
        if not same_scale and width == 8 and not unpadded:
            result = _excluding_pad_sum_rescaled(x, kernel, stride, list(ir.DenseI64ArrayAttr(attributes["pad"])),
                                                 in_q, out_q, ranked_shape(pool.results[0]), out_type)
            if result is not None:
                return Replace.one(q_op, result)
        if not same_scale and width == 8:
            # TOSA's average rounds to an int8 code; a rescale after it would round again,
            # up to s_in / s_out LSB off. Average the values widened to int16 instead: the
            # first rounding is then 1/128 of an input LSB.
            factor = qmath.average_widening(width)
            wide = ir.RankedTensorType.get(ranked_shape(x), ir.IntegerType.get_signless(16))
            widened = integer_rescale(x, [float(factor)], in_zp, 0, wide, per_channel=False)
            pooled = ir.Operation.create(
                "tosa.avg_pool2d", results=[with_shape(wide, ranked_shape(pool.results[0]))],
                operands=[widened, _zp_const(0, 16), _zp_const(0, 16)], attributes=attributes,
            ).result
            result = integer_rescale(pooled, [in_scale / (factor * out_q.scale[0])], 0, out_q.zero_point[0],
                                     out_type, per_channel=False)
            return Replace.one(q_op, result)
        pool_zp = out_q.zero_point[0] if same_scale else in_zp
        pooled = ir.Operation.create(
            "tosa.avg_pool2d", results=[with_shape(x.type, ranked_shape(pool.results[0]))],
            operands=[x, _zp_const(in_zp, width), _zp_const(pool_zp, width)], attributes=attributes,
        ).result
        if not same_scale:
            pooled = integer_rescale(pooled, [in_scale / out_q.scale[0]], in_zp, out_q.zero_point[0],
                                     out_type, per_channel=False)
    return Replace.one(q_op, pooled)


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


def _lower_mean(q_op, producer, out_q) -> Refuse | Replace | None:
    """quantize([mul(·, c)](reduce_sum/reshape...(dequantize(x)))): a sum times c."""
    found = _mean_operands(producer)
    if found is None:
        return None
    factor, dq, chain = found
    x, in_q = dq.operands[0], quant.QParams.of(dq)
    if in_q.per_channel or out_q.per_channel:
        return Refuse(producer, "needs per-tensor quantization")
    if _element_width(x) not in (8, 16) or _element_width(q_op.results[0]) != _element_width(x):
        return Refuse(producer, "needs int8 (or int16) input and output of one type")
    if _element_width(x) == 16 and (in_q.zero_point[0] or out_q.zero_point[0]):
        return Refuse(producer, "int16 values need zero point 0 (TOSA)")
    if factor <= 0:
        return Refuse(producer, f"the sum's scale factor {factor} is not positive")
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
    if spatial_mean and in_q.scale != out_q.scale and count <= qmath.window_sum_limit(width):
        # Own output qparams: one window sum over H x W, then one rounding.
        with ir.InsertionPoint(q_op), producer.location:
            nhwc = make_transpose(x, [0, 2, 3, 1]) if axes == [2, 3] else x
            n, h, w, c = ranked_shape(nhwc)
            summed = _window_sum_rescaled(
                nhwc, [h, w], [1, 1], in_q, in_q.scale[0] / (count * out_q.scale[0]),
                out_q.zero_point[0], with_shape(q_op.results[0].type, [n, 1, 1, c]),
            )
            result = summed if out_shape == [n, 1, 1, c] else make_reshape(summed, out_shape)
        return Replace.one(q_op, result)
    global_pool = spatial_mean and in_q.scale == out_q.scale
    if global_pool:
        with ir.InsertionPoint(q_op), producer.location:
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
        return Replace.one(q_op, result)

    magnitude = max(in_q.qmax - in_q.zero_point[0], in_q.zero_point[0] - in_q.qmin)
    scale = in_q.scale[0] * factor / out_q.scale[0]
    reason = qmath.rescale_fits(scale, magnitude * count)
    if reason or magnitude * count >= 1 << 31:
        return Refuse(producer, reason or "the int32 sum could overflow")
    i32 = ir.IntegerType.get_signless(32)
    with ir.InsertionPoint(q_op), producer.location:
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
    return Replace.one(q_op, result)


def _lower_below(op, lower):
    return lower_each(quantizes_below(op, through=set(), depth=0), lambda q_op: lower(q_op, op, quant.QParams.of(q_op)))


def _lower_mean_below(op, run):
    """A mean's chain ends in a mul (by 1/N), a reduce_sum or a reshape right before its
    quantize; the chain's first reduce_sum is the root."""
    return lower_each(_mean_ends(op), lambda end: _lower_below(
        end, lambda q_op, producer, out_q: _lower_mean_rooted(q_op, producer, out_q, op)))


def _mean_ends(reduce_op) -> list:
    """The ops a sum chain starting at `reduce_op` may end in: itself and what follows it
    through reduce_sum/reshape ops and at most one mul."""
    ends, frontier = [], [reduce_op]
    while frontier:
        op = frontier.pop(0)
        ends.append(op)
        if op.name == "tosa.mul":
            continue
        for use in op.results[0].uses:
            user = use.owner.operation if hasattr(use.owner, "operation") else use.owner
            if user.name in ("tosa.reduce_sum", "tosa.reshape", "tosa.mul") and not any(user == e for e in ends):
                frontier.append(user)
    return ends


def _lower_mean_rooted(q_op, producer, out_q, root):
    found = _mean_operands(producer)
    if found is None or not any(root == op for op in found[2] if op.name == "tosa.reduce_sum"):
        return None
    if next(op for op in found[2] if op.name == "tosa.reduce_sum") != root:
        return None  # the chain's first reduce_sum lowers it
    return _lower_mean(q_op, producer, out_q)


@lowering("max_pool2d", family="pool", root="tosa.max_pool2d", activations=("int8", "int16"),
          annotates={"aten.max_pool2d.default": SHARED_ALWAYS, "aten.max_pool1d.default": SHARED_ALWAYS})
def lower_max_pool2d(pool, run):
    """max_pool2d -> integer max_pool2d (+ a rescale when the qparams differ)."""
    return _lower_below(pool, _lower_max_pool)


@lowering("avg_pool2d", family="pool", root="tosa.avg_pool2d", activations=("int8", "int16"),
          annotates={"aten.avg_pool2d.default": OWN_OUTPUT, "aten.adaptive_avg_pool2d.default": OWN_OUTPUT})
def lower_avg_pool2d(pool, run):
    """avg_pool2d (and adaptive) -> integer avg_pool2d, or a window sum + one rescale."""
    return _lower_below(pool, _lower_avg_pool)


def _position_factor(pool):
    """(layouts, mul, factor per pool output element) for `mul(layouts(pool), constant)`."""
    layouts, value = [], pool.results[0]
    while True:
        users = _users(value)
        if len(users) != 1:
            return None
        user = users[0]
        if user.name not in ("tosa.transpose", "tosa.reshape", "tosa.mul"):
            return None
        if user.name != "tosa.mul":
            layouts.append(user)
            value = user.results[0]
            continue
        if len(user.operands) > 2:
            shift = constant_array(user.operands[2])
            if shift is None or np.any(shift != 0):
                return None
        other = user.operands[1] if user.operands[0] == value else user.operands[0]
        factor = float_constant(other)
        if factor is None:
            return None
        factor = np.broadcast_to(np.asarray(factor, np.float64), ranked_shape(user.results[0]))
        for op in reversed(layouts):  # back to the pool's output layout
            if op.name == "tosa.transpose":
                factor = np.transpose(factor, np.argsort(transpose_perms(op)))
            else:
                factor = factor.reshape(ranked_shape(op.operands[0]))
        return layouts, user, factor


def _lower_weighted_average(q_op, pool, x, in_q, kernel, stride, layouts, counts):
    out_q = quant.QParams.of(q_op)
    reason = _check_io(pool, in_q, out_q, x, q_op)
    if reason:
        return Refuse(pool, reason)
    if _element_width(x) != 8:
        return Refuse(pool, "an average with varying window counts needs int8 input")
    weights, common = qmath.count_weights(counts)
    if 255 * common >= 1 << 31:  # |sum * weight| <= 255 * count * weight
        return Refuse(pool, f"the window counts' common multiple {common} could overflow the int32 sum")
    n, out_h, out_w, c = ranked_shape(pool.results[0])
    i32 = ir.IntegerType.get_signless(32)
    element = ir.RankedTensorType(q_op.results[0].type).element_type
    with ir.InsertionPoint(q_op), pool.location:
        window_sum = _window_sum(x, kernel, stride, in_q.zero_point[0], [n, out_h, out_w, c])
        weighted = tosa.mul(ir.RankedTensorType.get([n, out_h, out_w, c], i32), window_sum,
                            make_integer_const(weights.reshape(1, out_h, out_w, 1), 32),
                            make_integer_const(np.asarray([0]), 8))
        result = integer_rescale(weighted, [in_q.scale[0] / (common * out_q.scale[0])], 0, out_q.zero_point[0],
                                 ir.RankedTensorType.get([n, out_h, out_w, c], element), per_channel=False)
        result = emit_layouts(result, layouts)
    return Replace.one(q_op, result)


@lowering("adaptive_avg_pool2d", family="pool", root="tosa.avg_pool2d", benefit=2, activations=("int8",))
def lower_adaptive_avg_pool2d(pool, run):
    """avg_pool2d times a constant per output position (adaptive_avg_pool2d with sizes that
    do not divide) -> window sum x integer L / count + one rescale."""
    found = _quantized_input(pool.operands[0])
    if found is None or any(ir.DenseI64ArrayAttr(pool.attributes["pad"])):
        return None
    x, in_q = found
    scaled = _position_factor(pool)
    if scaled is None:
        return None
    layouts, mul, factor = scaled
    kernel = list(ir.DenseI64ArrayAttr(pool.attributes["kernel"]))
    stride = list(ir.DenseI64ArrayAttr(pool.attributes["stride"]))
    per_position = factor[:1, :, :, :1]
    if not np.all(factor == per_position) or not np.all(per_position > 0):
        return None
    exact = kernel[0] * kernel[1] / per_position[0, :, :, 0]
    counts = np.rint(exact).astype(np.int64)
    if np.any(np.abs(exact - counts) > 1e-4) or np.any(counts < 1):
        return None  # not an average over a whole number of elements
    return lower_each(quantizes_below(mul, through=set(), depth=0),
                      lambda q_op: _lower_weighted_average(q_op, pool, x, in_q, kernel, stride, layouts, counts))


@lowering("mean", family="pool", root="tosa.reduce_sum", activations=("int8", "int16"),
          annotates={"aten.mean.dim": OWN_OUTPUT, "aten.mean.default": OWN_OUTPUT,
                     "aten.sum.dim_IntList": OWN_OUTPUT, "aten.sum.default": OWN_OUTPUT})
def lower_mean(reduce_op, run):
    """mean / sum (reduce_sum chain [* 1/N]) -> global avg_pool2d, window sum + rescale, or int32 sums."""
    return _lower_mean_below(reduce_op, run)
