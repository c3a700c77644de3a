"""Fold `dequantize -> add/sub/mul/clamp (float) -> [clamp] -> quantize` into integer TOSA.

add / sub, the scheme of TFLite's quantized ADD and of TOSA's TFL legalization: both
inputs are rescaled to int32 at one common unit `u = 2 * max(s_a, s_b) / 2**k`, with
`k = 20` for 8-bit inputs (15 for 16-bit) so the rescale keeps 19 fractional bits:

    a32 = rescale(a_q, s_a / u, zp_a -> 0)      (the larger scale: exactly * 2**(k-1))
    b32 = rescale(b_q, s_b / u, zp_b -> 0)
    y_q = rescale(add/sub_i32(a32, b32), u / s_y, 0 -> zp_y)   (+ relu/relu6 clamp)

k is `qmath.add_headroom_shift`: the largest k <= 20 (<= 15 with an int16 input, as
TFLite's int16 ADD) at which the worst-case int32 sum cannot overflow. int16 values
(a16w8) must have zero point 0 (TOSA's RESCALE), else the op is refused.
The add runs in int32 (TOSA 1.0 pro_int has no int8 ADD). Every step rounds once,
half up, at >= 19 fractional bits, so the result is the exact requantized sum except
within ~2**-19 LSB of a rounding tie.

A float constant operand (`x + 1.0`: PT2E leaves Python scalars unquantized and
torch-mlir makes them a float `tosa.const`) is quantized here, to int32 at the same
unit `u`: `round(c / u)`. That is ~2**-19 of an input LSB, far finer than an int8
quantization of the constant would be, so the result matches the program, which adds
the float constant. `k` is lowered from 20 if a large constant would overflow int32.
A constant the program itself quantized is a dequantize like any other input.

mul of two quantized inputs (TOSA legalization): both rescaled to int32 with scale 1
(just minus the zero point), `tosa.mul` in int32 with shift 0, then one rescale by
`s_a * s_b / s_y`. By a positive float scalar c: one int8 -> int8 rescale by
`s_a * c / s_y`. By any other float constant: the constant is quantized to int32 with
a symmetric 16-bit scale `max|c| / 32767` and multiplied like a quantized input.

maximum / minimum (TOSA 1.0 pro_int has them in int32 only): each input is rescaled to
int32 in output units, `round((x_q - zp_x) * s_x / s_y)`, then MAXIMUM/MINIMUM, then a
rescale by 1 adds zp_y and saturates to the output type. Rounding is monotonic, so
`max(round(a), round(b)) = round(max(a, b))`: exactly the program's one quantization of
the float max, whatever the three scales (no common unit needed, unlike add). A float
constant operand is rounded to output units the same way. Inputs sharing the output's
qparams rescale by 1 (only the zero point moves): Vela runs the same three rescales, so
equal qparams save nothing and our quantizer gives the result its own.

pow(x, 2) of an int16 input (int8: any constant exponent is one exact TABLE, cheaper):
(x - zp)^2 in int32, one rescale by `s_x^2 / s_y`.

where / masked_fill with two inputs, `select(cond(x), a, b)` where cond is an elementwise
boolean function of one int8 input x (comparisons with constants, logical and/or/not) and
a, b are quantized or float constants: Ethos-U55 runs neither SELECT nor comparisons, so
the mask is a 0/1 TABLE of x (the table lowering's interpreter evaluates cond at the 256
codes), a and b are rounded to int32 output units as for maximum, and
`y = b + mask * (a - b)` picks one of them exactly; a rescale by 1 adds the zero point.
A select of one input (a, b and cond all of x, or constants; PT2E gives each user of x
its own dequantize, which the table lowering takes for two inputs) is one TABLE built
here. A cond comparing two tensors, logical ops of comparisons and a constant cond (tril)
are int32 0/1 masks built from MAXIMUM/MINIMUM/SUB (lowering/masks.py), picked the same way.

clamp alone between a dequantize and a quantize (relu after a non-conv op): a rescale
`s_x / s_y` (none when the qparams are equal), the bounds folded into its saturation
or an integer clamp.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import constant_array, defining_op, make_integer_const, ranked_shape
from tosaic.lowering import masks
from tosaic.lowering.build import integer_rescale, saturate_to_output
from tosaic.lowering.match import PerTensorOperand, quantizes_below
from tosaic.lowering.registry import BINARY, COMPARE, FUSED_ACTIVATION, OWN_OUTPUT, SELECT, SHARED, Refuse, Replace, family, lower_each, lowering
from tosaic.quantization import qmath

family("elementwise", summary="Fold dequantize -> add/sub/mul/clamp -> [clamp] -> quantize into int32 arithmetic "
       "+ rescales", failure="quantized elementwise op could not be lowered")

_INT32_MAX = (1 << 31) - 1
# Extra fractional bits of the int32 add/sub domain (TFLite's left_shift).
_ADD_SHIFT = {8: 20, 16: 15}
# Symmetric quantization of a float constant multiplier: int16 range, exact enough.
_CONST_QMAX = 32767

def _operand(value: ir.Value):
    """A PerTensorOperand, a float constant (numpy array), or None (not a lowering input)."""
    op = defining_op(value)
    if quant.is_dequantize(op):
        return PerTensorOperand(op)
    array = constant_array(value)
    if array is not None and np.issubdtype(array.dtype, np.floating):
        return np.asarray(array, np.float64)
    return None


def _i32(shape) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), ir.IntegerType.get_signless(32))


def _binary(name: str, lhs: ir.Value, rhs: ir.Value, shape) -> ir.Value:
    operands = [lhs, rhs]
    if name == "tosa.mul":
        operands.append(make_integer_const(np.asarray([0]), 8))  # shift 0
    return ir.Operation.create(name, results=[_i32(shape)], operands=operands).result


def _output_qparams(q_op):
    """The quantize's qparams, or None unless it stores 8- or 16-bit integers."""
    out_q = quant.QParams.of(q_op)
    element = ir.RankedTensorType(q_op.results[0].type).element_type
    if not isinstance(element, ir.IntegerType) or ir.IntegerType(element).width not in (8, 16):
        return None
    return out_q


def _int16_zero_points(quantized, out_q, q_op) -> str | None:
    """TOSA's RESCALE (and so every int16 lowering) needs int16 zero points of 0."""
    out_width = ir.IntegerType(ir.RankedTensorType(q_op.results[0].type).element_type).width
    if any(q.width == 16 and q.zero_point for q in quantized) or (out_width == 16 and out_q.zero_point[0]):
        return "int16 values need zero point 0 (TOSA)"
    return None


def _rescale_fits(scale: float, bound: float) -> str | None:
    reason = qmath.rescale_fits(scale, bound)
    if reason and "would overflow" in reason:
        reason += " (the output scale is too small for the inputs' range)"
    return reason


def _finish(q_op, rescaled: ir.Value, clamp, out_q) -> Replace:
    return Replace.one(q_op, saturate_to_output(rescaled, clamp, out_q))


def _to_int32(x: PerTensorOperand, scale: float) -> ir.Value:
    """(x - zp) * scale as int32."""
    return integer_rescale(x.value, [scale], x.zero_point, 0, _i32(x.shape), per_channel=False)


def _lower_add_sub(q_op, op, clamp, out_q) -> Refuse | Replace | None:
    operands = [_operand(v) for v in op.operands]
    if any(o is None for o in operands):
        return None
    quantized = [o for o in operands if isinstance(o, PerTensorOperand)]
    if not quantized:
        return None  # constant arithmetic: the folders' business
    if any(q.qparams.per_channel or q.width not in _ADD_SHIFT for q in quantized):
        return Refuse(op, "needs per-tensor 8- or 16-bit quantized inputs")
    constants = [o for o in operands if not isinstance(o, PerTensorOperand)]
    reason = _int16_zero_points(quantized, out_q, q_op)
    if reason:
        return Refuse(op, reason)
    max_scale = max(q.scale for q in quantized)
    q_bound = sum(q.magnitude() * q.scale for q in quantized)  # largest |real sum| of the inputs
    c_bound = sum(float(np.max(np.abs(c))) if c.size else 0.0 for c in constants)
    # The largest shift <= 20 (15 with a 16-bit input) whose int32 values cannot overflow.
    try:
        shift = qmath.add_headroom_shift([q.magnitude() for q in quantized], [q.scale for q in quantized],
                                         c_bound, min(_ADD_SHIFT[q.width] for q in quantized))
    except ValueError:
        shift = 0  # refused below
    unit = 2 * max_scale / (1 << shift)
    bound = (q_bound + c_bound) / unit + len(operands)  # + rounding
    if bound >= (1 << 30):
        return Refuse(op, "a constant operand is too large for an int32 sum at the inputs' scale")
    rescales = [(q.scale / unit, q.magnitude()) for q in quantized] + [(unit / out_q.scale[0], bound)]
    for scale, limit in rescales:
        reason = _rescale_fits(scale, limit)
        if reason:
            return Refuse(op, reason)
    with ir.InsertionPoint(q_op), op.location:
        values = [
            _to_int32(o, o.scale / unit) if isinstance(o, PerTensorOperand)
            else make_integer_const(np.rint(o / unit).astype(np.int64), 32)
            for o in operands
        ]
        total = _binary(op.name, values[0], values[1], ranked_shape(op.results[0]))
        rescaled = integer_rescale(total, [unit / out_q.scale[0]], 0, out_q.zero_point[0],
                                   q_op.results[0].type, per_channel=False)
        return _finish(q_op, rescaled, clamp, out_q)


def _divides_by_quantized(value: ir.Value) -> bool:
    """`value` is the float reciprocal of a dequantize: torch-mlir's form of `a / b`."""
    op = defining_op(value)
    return op is not None and op.name == "tosa.reciprocal" and quant.is_dequantize(defining_op(op.operands[0]))


def _lower_mul(q_op, op, clamp, out_q) -> Refuse | Replace | None:
    operands = [_operand(v) for v in op.operands[:2]]
    if any(o is None for o in operands):
        if any(isinstance(o, PerTensorOperand) for o in operands) and any(_divides_by_quantized(v) for v in op.operands[:2]):
            return Refuse(op, "division by a quantized tensor is not supported (only by a constant): 1/b has "
                              "no exact integer form")
        return None
    shift_value = constant_array(op.operands[2]) if len(op.operands) > 2 else np.zeros(1)
    if shift_value is None or np.any(shift_value != 0):
        return None
    quantized = [o for o in operands if isinstance(o, PerTensorOperand)]
    if not quantized:
        return None
    if any(q.qparams.per_channel or q.width not in _ADD_SHIFT for q in quantized):
        return Refuse(op, "needs per-tensor 8- or 16-bit quantized inputs")
    reason = _int16_zero_points(quantized, out_q, q_op)
    if reason:
        return Refuse(op, reason)
    out_shape = ranked_shape(op.results[0])
    out_type = q_op.results[0].type
    out_scale, out_zp = out_q.scale[0], out_q.zero_point[0]

    if len(quantized) == 2:
        a, b = quantized
        scale, bound, c_scale = a.scale * b.scale / out_scale, a.magnitude() * b.magnitude(), None
    else:
        x = quantized[0]
        c = next(o for o in operands if not isinstance(o, PerTensorOperand))
        c_max = float(np.max(np.abs(c))) if c.size else 0.0
        if c_max == 0.0:  # times zero: every output is the zero point
            with ir.InsertionPoint(q_op), op.location:
                width = ir.IntegerType(ir.RankedTensorType(out_type).element_type).width
                zero = make_integer_const(np.full(out_shape, out_zp), width)
                return _finish(q_op, zero, clamp, out_q)
        scalar = float(c.flat[0])
        if np.all(c == scalar) and scalar > 0 and x.shape == out_shape:
            # y = (x - zx) * (sx * c / sy) + zy: one rescale.
            scale = x.scale * scalar / out_scale
            reason = _rescale_fits(scale, x.magnitude())
            if reason:
                return Refuse(op, reason)
            with ir.InsertionPoint(q_op), op.location:
                rescaled = integer_rescale(x.value, [scale], x.zero_point, out_zp, out_type,
                                           per_channel=False)
                return _finish(q_op, rescaled, clamp, out_q)
        c_scale = c_max / _CONST_QMAX
        scale, bound = x.scale * c_scale / out_scale, x.magnitude() * _CONST_QMAX
    if bound > _INT32_MAX:
        return Refuse(op, "the int32 product could overflow")
    reason = _rescale_fits(scale, bound)
    if reason:
        return Refuse(op, reason)
    with ir.InsertionPoint(q_op), op.location:
        values = [
            _to_int32(o, 1.0) if isinstance(o, PerTensorOperand)
            else make_integer_const(np.rint(o / c_scale).astype(np.int64), 32)
            for o in operands
        ]
        product = _binary("tosa.mul", values[0], values[1], out_shape)
        rescaled = integer_rescale(product, [scale], 0, out_zp, out_type, per_channel=False)
        return _finish(q_op, rescaled, clamp, out_q)


def _lower_extremum(q_op, op, clamp, out_q) -> Refuse | Replace | None:
    """maximum/minimum: both inputs rounded to int32 output units, the int32 op, the zero point."""
    operands = [_operand(v) for v in op.operands]
    if any(o is None for o in operands):
        return None
    quantized = [o for o in operands if isinstance(o, PerTensorOperand)]
    if not quantized:
        return None
    if any(q.qparams.per_channel or q.width not in _ADD_SHIFT for q in quantized):
        return Refuse(op, "needs per-tensor 8- or 16-bit quantized inputs")
    reason = _int16_zero_points(quantized, out_q, q_op)
    if reason:
        return Refuse(op, reason)
    out_scale = out_q.scale[0]
    for q in quantized:
        reason = _rescale_fits(q.scale / out_scale, q.magnitude())
        if reason:
            return Refuse(op, reason)
    constants = [o for o in operands if not isinstance(o, PerTensorOperand)]
    if any(c.size and float(np.max(np.abs(c))) / out_scale >= (1 << 30) for c in constants):
        return Refuse(op, "a constant operand is out of int32 range at the output scale")
    out_shape = ranked_shape(op.results[0])
    build = tosa.maximum if op.name == "tosa.maximum" else tosa.minimum
    with ir.InsertionPoint(q_op), op.location:
        values = [
            _to_int32(o, o.scale / out_scale) if isinstance(o, PerTensorOperand)
            else make_integer_const(np.rint(o / out_scale).astype(np.int64), 32)
            for o in operands
        ]
        extremum = build(_i32(out_shape), values[0], values[1])
        rescaled = integer_rescale(extremum, [1.0], 0, out_q.zero_point[0], q_op.results[0].type,
                                   per_channel=False)
        return _finish(q_op, rescaled, clamp, out_q)


def _lower_square(q_op, op, clamp, out_q) -> Refuse | Replace | None:
    """pow(x, 2) as x * x: (x - zp)^2 in int32, one rescale by s_x^2 / s_y."""
    x = _operand(op.operands[0])
    exponent = constant_array(op.operands[1])
    if not isinstance(x, PerTensorOperand) or exponent is None or exponent.size == 0 or np.any(exponent != 2):
        return None
    if x.width == 8:
        return None  # one exact TABLE (the table lowering) is cheaper: U55-128 ~1400 vs ~2550 cycles on 8x8x8
    if x.qparams.per_channel or x.width not in _ADD_SHIFT:
        return Refuse(op, "needs a per-tensor 8- or 16-bit quantized input")
    reason = _int16_zero_points([x], out_q, q_op)
    if reason:
        return Refuse(op, reason)
    scale = x.scale * x.scale / out_q.scale[0]
    reason = _rescale_fits(scale, x.magnitude() ** 2)
    if reason:
        return Refuse(op, reason)
    out_shape = ranked_shape(op.results[0])
    with ir.InsertionPoint(q_op), op.location:
        centred = _to_int32(x, 1.0)
        square = _binary("tosa.mul", centred, centred, out_shape)
        rescaled = integer_rescale(square, [scale], 0, out_q.zero_point[0], q_op.results[0].type,
                                   per_channel=False)
        return _finish(q_op, rescaled, clamp, out_q)


def _condition_region(cond: ir.Value):
    """(dequantize values, ops, constants) when the boolean `cond` is an elementwise
    function (the table lowering's interpreted ops) of one per-tensor int8 input. PT2E
    gives each user of a tensor its own dequantize: those of one source and qparams are
    one input."""
    from tosaic.lowering import table

    shape = ranked_shape(cond)
    leaves, ops, constants, seen = [], [], [], []

    def visit(value: ir.Value) -> bool:
        if any(value == v for v in seen):
            return True
        seen.append(value)
        op = defining_op(value)
        if op is None:
            return False
        splat = table.splat_value(value)
        if splat is not None:
            constants.append((value, splat))
            return True
        if quant.is_dequantize(op):
            first = leaves[0] if leaves else op
            if op.operands[0] != first.operands[0] or quant.QParams.of(op) != quant.QParams.of(first):
                return False
            leaves.append(op)
            return True
        if op.name == "tosa.cast" and _is_f64(op.results[0]):
            data = [op.operands[0]]  # torch-mlir compares with a Python float in f64
        elif op.name not in table.INTERPRETED_OPS or len(op.results) != 1 or not table._extra_operands_ok(op):
            return False
        else:
            data = list(op.operands)[:table._data_operand_count(op.name, op)]
        if not all(table._is_float_or_bool(v) or _is_f64(v) for v in data + [op.results[0]]):
            return False
        if ranked_shape(op.results[0]) != shape or not all(visit(v) for v in data):
            return False
        ops.append(op)
        return True

    if shape is None or not visit(cond) or not leaves or not ops:
        return None
    x = PerTensorOperand(leaves[0])
    if x.width != 8 or x.qparams.per_channel or x.shape != shape:
        return None
    return x, [dq.results[0] for dq in leaves], ops, constants


def _is_f64(value: ir.Value) -> bool:
    return isinstance(value.type, ir.RankedTensorType) and isinstance(ir.RankedTensorType(value.type).element_type,
                                                                       ir.F64Type)


def _condition_truth(region) -> np.ndarray | None:
    """cond at the 256 int8 codes of its input (bool), evaluated as the table lowering does."""
    import torch

    from tosaic.lowering import table

    x, inputs, ops, constants = region
    evaluators = table._evaluators()
    env = [(v, table.dequantized_codes(x.qparams)) for v in inputs]

    def lookup(value):
        for known, tensor in env:
            if known == value:
                return tensor
        for known, (kind, number) in constants:
            if known == value:
                return table.constant_tensor(kind, number)
        raise KeyError("value outside the condition")

    result = None
    for op in ops:
        if op.name == "tosa.cast":  # to f64 for a Python-float comparison: PyTorch compares in float32
            result = lookup(op.operands[0])
            env.append((op.results[0], result))
            continue
        indices, fn = evaluators[op.name]
        result = fn(op, *[lookup(op.operands[i]) for i in indices])
        env.append((op.results[0], result if result.dtype == torch.bool else result.to(torch.float32)))
    if result is None or result.dtype != torch.bool:
        return None
    return np.broadcast_to(result.numpy(), (table.TABLE_SIZE,))


def _select_table(x, truth, operands, out_q, q_op) -> np.ndarray | None:
    """The int8 table of the whole select when a and b are each x or a splat constant."""
    from tosaic.lowering import table

    if ir.IntegerType(ir.RankedTensorType(q_op.results[0].type).element_type).width != 8:
        return None
    codes = table.dequantized_codes(x.qparams).numpy()
    branches = []
    for o in operands:
        if isinstance(o, PerTensorOperand):
            if o.value != x.value or o.qparams != x.qparams:
                return None
            branches.append(codes)
        elif o.size and np.all(o == o.flat[0]):
            branches.append(np.full(codes.shape, o.flat[0], np.float32))
        else:
            return None
    values = np.where(truth, branches[0], branches[1]).astype(np.float32)
    return qmath.quantize(values, out_q.scale[0], out_q.zero_point[0], out_q.qmin, out_q.qmax, np.int64).astype(np.int8)


def _table_mask(cond: ir.Value):
    """A builder of the int32 0/1 TABLE mask of `cond`, a function of one int8 input, or None."""
    region = _condition_region(cond)
    if region is None:
        return None
    x, truth = region[0], _condition_truth(region)
    if truth is None:
        return None

    def build() -> ir.Value:
        mask8 = tosa.table(x.value.type, x.value, make_integer_const(truth.astype(np.int8), 8))
        return integer_rescale(mask8, [1.0], 0, 0, _i32(x.shape), per_channel=False)

    return build


def _lower_where(q_op, op, clamp, out_q) -> Refuse | Replace | None:
    """select(cond, a, b) with a, b quantized or float constants and cond an int32 0/1 mask
    (lowering/masks.py): y = b + mask * (a - b) in int32 output units."""
    cond, data = op.operands[0], list(op.operands[1:])
    operands = [_operand(v) for v in data]
    if any(o is None for o in operands) or not any(isinstance(o, PerTensorOperand) for o in operands):
        return None
    region = _condition_region(cond)
    truth = _condition_truth(region) if region is not None else None
    if truth is not None:
        select_table = _select_table(region[0], truth, operands, out_q, q_op)
        if select_table is not None:  # one input (split across dequantizes): the whole select is one TABLE
            with ir.InsertionPoint(q_op), op.location:
                return _finish(q_op, tosa.table(q_op.results[0].type, region[0].value,
                                                make_integer_const(select_table, 8)), clamp, out_q)
    mask_plan = masks.plan(cond, _table_mask)
    if mask_plan is None:
        return None
    quantized = [o for o in operands if isinstance(o, PerTensorOperand)]
    if any(q.qparams.per_channel or q.width not in _ADD_SHIFT for q in quantized):
        return Refuse(op, "needs per-tensor 8- or 16-bit quantized inputs")
    reason = _int16_zero_points(quantized, out_q, q_op)
    if reason:
        return Refuse(op, reason)
    out_scale = out_q.scale[0]
    for q in quantized:
        reason = _rescale_fits(q.scale / out_scale, q.magnitude())
        if reason or q.magnitude() * q.scale / out_scale >= (1 << 30):
            return Refuse(op, reason or "the inputs' range in output units does not fit int32 differences")
    if any(c.size and float(np.max(np.abs(c))) / out_scale >= (1 << 30) for c in operands
           if not isinstance(c, PerTensorOperand)):
        return Refuse(op, "a constant operand is out of int32 range at the output scale")
    out_shape = ranked_shape(op.results[0])
    with ir.InsertionPoint(q_op), op.location:
        a32, b32 = [
            _to_int32(o, o.scale / out_scale) if isinstance(o, PerTensorOperand)
            else make_integer_const(np.rint(o / out_scale).astype(np.int64), 32)
            for o in operands
        ]
        mask = mask_plan()
        diff_shape = list(np.broadcast_shapes(tuple(ranked_shape(a32)), tuple(ranked_shape(b32))))
        diff = _binary("tosa.sub", a32, b32, diff_shape)
        chosen = _binary("tosa.add", b32, _binary("tosa.mul", mask, diff, out_shape), out_shape)
        rescaled = integer_rescale(chosen, [1.0], 0, out_q.zero_point[0], q_op.results[0].type,
                                   per_channel=False)
        return _finish(q_op, rescaled, clamp, out_q)


def _lower_clamp(q_op, dq, clamp, out_q) -> Refuse | Replace | None:
    x = PerTensorOperand(dq)
    if x.qparams.per_channel or x.width not in _ADD_SHIFT:
        return Refuse(clamp, "needs a per-tensor 8- or 16-bit quantized input")
    reason = _int16_zero_points([x], out_q, q_op)
    if reason:
        return Refuse(clamp, reason)
    same = (x.qparams.scale, x.qparams.zero_point) == (out_q.scale, out_q.zero_point) \
        and x.value.type == q_op.results[0].type
    scale = x.scale / out_q.scale[0]
    if not same:
        reason = _rescale_fits(scale, x.magnitude())
        if reason:
            return Refuse(clamp, reason)
    with ir.InsertionPoint(q_op), clamp.location:
        value = x.value if same else integer_rescale(
            x.value, [scale], x.zero_point, out_q.zero_point[0], q_op.results[0].type, per_channel=False)
        return _finish(q_op, value, clamp, out_q)


def _lower_below(op, run, lower):
    """Each quantize `op`'s result reaches through at most one clamp, lowered by
    `lower(q_op, op, clamp, out_q)`."""

    def lower_one(q_op):
        producer = defining_op(q_op.operands[0])
        clamp = None
        if producer is not None and producer.name == "tosa.clamp":
            clamp, producer = producer, defining_op(producer.operands[0])
        if producer != op:
            return None
        return _with_output_qparams(q_op, lambda out_q: lower(q_op, op, clamp, out_q))

    return lower_each(quantizes_below(op, through={"tosa.clamp"}, depth=1), lower_one)


def _with_output_qparams(q_op, lower):
    """`lower(out_q)` for an 8- or 16-bit per-tensor quantize; a per-channel one is refused."""
    out_q = _output_qparams(q_op)
    if out_q is None:
        return None
    if out_q.per_channel:
        return Refuse(q_op, "per-channel quantization of an elementwise result is not supported")
    return lower(out_q)


_ADD = {f"aten.{op}.Tensor": BINARY for op in ("add", "add_")}
# rsub (`c - x`) is torch-mlir's tosa.sub of a float constant and x.
_SUB = {f"aten.{op}.Tensor": BINARY for op in ("sub", "sub_")} | {"aten.rsub.Scalar": BINARY}
# div by a constant is torch-mlir's tosa.mul by its float reciprocal; by a tensor, a
# reciprocal no lowering here takes (refused at the mul).
_MUL = {f"aten.{op}.Tensor": BINARY for op in ("mul", "mul_", "div", "div_")}
_MAXIMUM = {"aten.maximum.default": BINARY}
_MINIMUM = {"aten.minimum.default": BINARY}
_CLAMPS = {f"aten.{op}": FUSED_ACTIVATION for op in (
    "relu.default", "relu_.default", "relu6.default", "hardtanh.default", "hardtanh_.default", "clamp.default")}


@lowering("add", family="elementwise", root="tosa.add", activations=("int8", "int16"), annotates=_ADD)
def lower_add(op, run):
    """add of quantized inputs (or a float constant) -> int32 add at a common scale + rescale."""
    return _lower_below(op, run, _lower_add_sub)


@lowering("sub", family="elementwise", root="tosa.sub", activations=("int8", "int16"), annotates=_SUB)
def lower_sub(op, run):
    """sub of quantized inputs (or a float constant) -> int32 sub at a common scale + rescale."""
    return _lower_below(op, run, _lower_add_sub)


@lowering("mul", family="elementwise", root="tosa.mul", activations=("int8", "int16"), annotates=_MUL)
def lower_mul(op, run):
    """mul of quantized inputs, or by a float constant -> int32 mul + rescale (or one rescale)."""
    return _lower_below(op, run, _lower_mul)


@lowering("maximum", family="elementwise", root="tosa.maximum", activations=("int8", "int16"),
          annotates=_MAXIMUM)
def lower_maximum(op, run):
    """maximum of quantized inputs (or a float constant) -> int32 maximum in output units + zero point."""
    return _lower_below(op, run, _lower_extremum)


@lowering("minimum", family="elementwise", root="tosa.minimum", activations=("int8", "int16"),
          annotates=_MINIMUM)
def lower_minimum(op, run):
    """minimum of quantized inputs (or a float constant) -> int32 minimum in output units + zero point."""
    return _lower_below(op, run, _lower_extremum)


@lowering("pow.square", family="elementwise", root="tosa.pow", activations=("int16",),
          annotates={"aten.pow.Tensor_Scalar": OWN_OUTPUT})
def lower_square(op, run):
    """int16 pow(x, 2) -> int32 x^2 + one rescale. int8 (any constant exponent): the table lowering."""
    return _lower_below(op, run, _lower_square)


# Comparisons of tensors: their inputs are quantized, so the condition compares integer values.
_COMPARISONS = {f"aten.{op}.{overload}": COMPARE for op in ("eq", "ne", "gt", "ge", "lt", "le")
                for overload in ("Tensor", "Scalar")}


@lowering("where", family="elementwise", root="tosa.select", activations=("int8", "int16"),
          annotates={"aten.where.self": SELECT, "aten.where.ScalarOther": SELECT, "aten.where.ScalarSelf": SELECT,
                     "aten.masked_fill.Scalar": OWN_OUTPUT, "aten.tril.default": SHARED} | _COMPARISONS)
def lower_where(op, run):
    """where(cond(x), a, b) of two inputs, cond a function of one int8 x -> 0/1 TABLE mask,
    b + mask * (a - b) in int32 output units (no SELECT or comparison: Ethos-U55 runs it)."""
    return _lower_below(op, run, _lower_where)


@lowering("clamp", family="elementwise", root="tosa.clamp", activations=("int8", "int16"), annotates=_CLAMPS)
def lower_clamp(clamp, run):
    """clamp (relu, relu6, hardtanh) right after a dequantize -> rescale saturation or an integer clamp.
    After a convolution, linear layer, add, sub or mul, those lowerings fold it into their own rescale."""
    dq = defining_op(clamp.operands[0])
    if not quant.is_dequantize(dq):
        return None
    return lower_each(quantizes_below(clamp, through=set(), depth=0),
                      lambda q_op: _with_output_qparams(q_op, lambda out_q: _lower_clamp(q_op, dq, clamp, out_q)))


# a / b by a tensor: its own entry (lowering/divide.py), in this family's phase
from tosaic.lowering import divide  # noqa: E402,F401
