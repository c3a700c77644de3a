"""Lower a quantized layer norm (int8 in, int8 out) to integer TOSA that Ethos-U runs.

torch-mlir lowers `layer_norm(x, shape, w, b, eps)` over the last dims to

    %x = tosaic.dequantize(%q)
    %mean = mul(reduce_sum(x), 1/N) ; %c = sub(x, mean)
    %var = mul(reduce_sum(mul(c', c')), 1/N)      // c' the same in f64, through casts
    %n = mul(c, rsqrt(add(var, eps))) ; [mul(n, w)] ; [add(., b)] ; tosaic.quantize

and this pass replaces the region with int32 arithmetic only (RESCALE, REDUCE_SUM, MUL,
ADD, SUB, CLZ, shifts: the ops the softmax lowering already runs on the NPU). With X the
codes minus the zero point and N the count:

 1. mu0 = round(sum(X) / N) (a MUL by round(2^j / N)); X' = X - mu0, S = sum(X'),
    T = sum(X'^2): exact, and centred so the variance below loses nothing.
 2. D = N X' - S = N (X - mean(X)) exactly, and V = N T - S^2 = N^2 var(X) exactly (as
    V / 2^k when N > 256, rounded; times 2^-k below). n = D / sqrt(V + E), with
    E = eps N^2 / s^2 (over 2^k): the normalised value of the float program.
 3. 1/sqrt(W), W = V + E: W << 2m (m = (clz(W) - 1) >> 1, an even shift) is x in
    [1/4, 1) in Q31; y = 1/sqrt(x) from a linear estimate and three Newton steps
    y (3 - x y^2) / 2 in Q29 (relative error < 6e-8); 1/sqrt(W) = y 2^(m - 15.5).
 4. Z = (D << m) y >> t = n 2^F (F ~ 29 - log2(N) / 2 fraction bits; the shifts are
    chosen so no int32 value can overflow for any input codes).
 5. y_out / s_out = n w / s_out + b / s_out: MUL(Z, round(w 2^(Fh + sw - F) / s_out), sw)
    + round(b / s_out 2^Fh), one RESCALE by 2^-Fh to the output's codes (one rounding).

Error budget (output LSBs): the variance is exact for N <= 256 (relative 2^k / V
beyond), the reciprocal square root < 6e-8 relative, Z's rounding 2^-F in n: for
|y_out| <= 128 LSB well below 0.001 LSB, so results differ from the fake-quantized
program only next to a rounding boundary.

RMSNorm (`x * rsqrt(mean(x^2) + eps) [* w]`) is the same with D = N X and V = N sum(X^2).

group_norm: the frontend writes it as this layer norm over [N, G, C/G, H*W] (axes 2, 3),
reshaped back to [N, C, H, W] before the per-channel affine; the affine's constants are
moved through the reshape onto [1, G, C/G, 1].

batch_norm alone (not folded into a convolution; eval mode): torch-mlir's sub(x, mean),
mul(., rsqrt(var + eps)), mul(., w), add(., b) with constants is one per-element affine
y = m x + o. With X the codes minus the zero point: (X Mq + Oq) 2^-k, Mq = round(m s_in /
s_out 2^k), Oq = round(o / s_out 2^k) (`qmath.affine_plan`: the largest k keeping int32),
then one RESCALE by 2^-k: an int32 MUL, ADD, RESCALE, off by < 2^-20 LSB before rounding.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import (
    constant_array,
    defining_op,
    is_zero_constant,
    make_integer_const,
    make_reshape,
    make_storage_const,
    ranked_shape,
)
from tosaic.lowering.build import integer_rescale, saturate
from tosaic.lowering.match import float_constant, is_int8_per_tensor, uses_stay_inside
from tosaic.lowering.registry import OWN_OUTPUT, Refuse, Replace, family, lowering
from tosaic.quantization import qmath

INT8_MIN, INT8_MAX = qmath.qrange("int8")
family("norm", summary="Lower dequantize -> layer norm / RMSNorm -> quantize (int8) to int32 sums, an integer "
                       "rsqrt (Newton) and a per-channel affine",
       failure="a quantized normalisation could not be lowered")


# --------------------------------------------------------------------------- matching


def _name(op) -> str | None:
    return op.name if op is not None else None


def _through_casts(value: ir.Value) -> ir.Value:
    op = defining_op(value)
    while _name(op) == "tosa.cast":
        value = op.operands[0]
        op = defining_op(value)
    return value


def _splat(value: ir.Value) -> float | None:
    array = constant_array(value)
    if array is None or array.size == 0 or not np.issubdtype(array.dtype, np.floating):
        return None
    first = float(array.reshape(-1)[0])
    return first if np.all(array == first) else None


def _plain_mul(op) -> bool:
    return _name(op) == "tosa.mul" and (len(op.operands) < 3 or is_zero_constant(op.operands[2]))


class _Region:
    def __init__(self):
        self.ops = []

    def add(self, op):
        self.ops.append(op)
        return op


def _mean(value: ir.Value, region: _Region):
    """(source, axes) for mul(reduce_sum...(source), 1/N), or None."""
    op = defining_op(value)
    if not _plain_mul(op):
        return None
    for data, const in ((0, 1), (1, 0)):
        factor = _splat(op.operands[const])
        if factor is None:
            continue
        axes, chain, inner = [], [], defining_op(op.operands[data])
        while _name(inner) == "tosa.reduce_sum":
            axes.append(ir.IntegerAttr(inner.attributes["axis"]).value)
            chain.append(inner)
            source = inner.operands[0]
            inner = defining_op(source)
        if not chain:
            continue
        shape = ranked_shape(source)
        count = int(np.prod([shape[a] for a in axes]))
        if abs(factor * count - 1.0) > 1e-6:
            continue
        region.add(op)
        for reduce in chain:
            region.add(reduce)
        return source, tuple(sorted(axes))
    return None


def _centred(value: ir.Value, region: _Region):
    """(x, axes) for sub(x, mean(x)) (x through casts), or None."""
    op = defining_op(value)
    if _name(op) != "tosa.sub":
        return None
    found = _mean(op.operands[1], region)
    if found is None or _through_casts(found[0]) != _through_casts(op.operands[0]):
        return None
    region.add(op)
    return _through_casts(op.operands[0]), found[1]


class NormMatch:
    def __init__(self, dequantize, axes, eps, centred, weight, bias, ops):
        self.dequantize = dequantize
        self.axes = axes
        self.eps = eps
        self.centred = centred
        self.weight = weight  # float array (broadcastable) or None
        self.bias = bias
        self.ops = ops


def _inverse_root(value: ir.Value, region: _Region):
    """(mean-of-squares value, eps) for rsqrt(add(v, eps))."""
    rsqrt = defining_op(value)
    if _name(rsqrt) != "tosa.rsqrt":
        return None
    add = defining_op(rsqrt.operands[0])
    if _name(add) != "tosa.add":
        return None
    for data, const in ((0, 1), (1, 0)):
        eps = _splat(add.operands[const])
        if eps is not None and eps >= 0:
            region.add(rsqrt)
            region.add(add)
            return add.operands[data], eps
    return None


def _normalised(value: ir.Value, region: _Region):
    """(dequantize, axes, eps, centred) for mul(centred(x) or x, rsqrt(mean(sq) + eps))."""
    op = defining_op(value)
    if not _plain_mul(op):
        return None
    for left, right in ((0, 1), (1, 0)):
        inner = _Region()
        root = _inverse_root(op.operands[right], inner)
        if root is None:
            continue
        variance, eps = root
        squares = _mean(_through_casts(variance), inner)
        if squares is None:
            continue
        square = defining_op(squares[0])
        if not _plain_mul(square) or square.operands[0] != square.operands[1]:
            continue
        inner.add(square)
        centred = _centred(op.operands[left], inner)
        if centred is not None:
            x, axes = centred
            deviation = _centred(_through_casts(square.operands[0]), inner)
            if deviation is None or deviation != (x, axes) or squares[1] != axes:
                continue
        else:
            x, axes = _through_casts(op.operands[left]), squares[1]
            if _through_casts(square.operands[0]) != x:
                continue
        dq = defining_op(x)
        if not quant.is_dequantize(dq):
            continue
        region.ops += inner.ops + [op]
        return dq, axes, eps, centred is not None
    return None


def _affine_constant(op, region: _Region, kind: str):
    """(other operand, float constant) for `kind`(v, const) (mul: a weight, add: a bias)."""
    if _name(op) != kind or (kind == "tosa.mul" and not _plain_mul(op)):
        return None
    for data, const in ((0, 1), (1, 0)):
        array = constant_array(op.operands[const])
        if array is not None and np.issubdtype(array.dtype, np.floating):
            region.add(op)
            return op.operands[data], array
    return None


def match_norm(root: ir.Value) -> NormMatch | None:
    region = _Region()
    value, weight, bias = root, None, None
    found = _affine_constant(defining_op(value), region, "tosa.add")
    if found is not None:
        value, bias = found
    found = _affine_constant(defining_op(value), region, "tosa.mul")
    if found is not None:
        value, weight = found
    regroup = defining_op(value)
    if _name(regroup) == "tosa.reshape":  # group norm: [N, G, C/G, HW] back to [N, C, H, W]
        region.add(regroup)
        value = regroup.operands[0]
    normalised = _normalised(value, region)
    if normalised is None:
        return None
    dq, axes, eps, centred = normalised
    match = NormMatch(dq, axes, eps, centred, weight, bias, region.ops)
    match.output_shape = ranked_shape(root)
    return match


def _region_ops(match: NormMatch) -> list:
    """The matched ops and the casts between them (torch-mlir computes the variance in f64)."""
    ops = list(match.ops)
    for op in list(ops):
        for operand in op.operands:
            inner = defining_op(operand)
            while _name(inner) == "tosa.cast" and not any(inner == seen for seen in ops):
                ops.append(inner)
                inner = defining_op(inner.operands[0])
    return ops


# --------------------------------------------------------------------------- builders


def _i32() -> ir.Type:
    return ir.IntegerType.get_signless(32)


def _tensor(shape) -> ir.Type:
    return ir.RankedTensorType.get(list(shape), _i32())


def _scalar(value: int, rank: int) -> ir.Value:
    return make_integer_const(np.full([1] * rank, value, np.int64), 32)


def _mul(a: ir.Value, b: ir.Value, shift: int, shape) -> ir.Value:
    return tosa.MulOp(_tensor(shape), a, b, make_integer_const(np.asarray([shift]), 8)).result


def _add(a, b, shape):
    return tosa.AddOp(_tensor(shape), a, b).result


def _sub(a, b, shape):
    return tosa.SubOp(_tensor(shape), a, b).result


def _reduce_sum(x: ir.Value, axes, shape) -> ir.Value:
    shape = list(shape)
    for axis in axes:
        shape[axis] = 1
        x = tosa.ReduceSumOp(x, ir.IntegerAttr.get(_i32(), axis), results=[_tensor(shape)]).result
    return x


def _variance_terms(q: ir.Value, in_q: quant.QParams, axes, centred: bool, plan: qmath.NormPlan):
    """(X', S, T): the codes minus the zero point [centred on their rounded mean], their
    sum over `axes` (None when not centred) and the sum of their squares."""
    shape = ranked_shape(q)
    rank = len(shape)
    rows = list(shape)
    for axis in axes:
        rows[axis] = 1
    x = integer_rescale(q, [1.0], in_q.zero_point[0], 0, _tensor(shape), per_channel=False)
    total = None
    if centred:
        # centre on the rounded mean (exact arithmetic from here on).
        mu0 = _mul(_reduce_sum(x, axes, shape), _scalar(plan.mean_multiplier, rank), plan.mean_shift, rows)
        x = _sub(x, mu0, shape)
        total = _reduce_sum(x, axes, shape)
    squares = _reduce_sum(_mul(x, x, 0, shape), axes, shape)
    return x, total, squares


def _variance(squares: ir.Value, total: ir.Value | None, plan: qmath.NormPlan, rows) -> ir.Value:
    """V = N T - S^2 = N^2 var(X) (N sum(X^2) when not centred), as V / 2^max(k, 0)."""
    k = max(plan.variance_shift, 0)
    v = _mul(squares, _scalar(plan.count, len(rows)), k, rows)
    if total is not None:
        v = _sub(v, _mul(total, total, k, rows), rows)
    return v


def _inverse_sqrt(w: ir.Value, rows):
    """(m, Wn, y) for int32 W >= 0: Wn = W << 2m in [2^29, 2^31) (m = (clz(W) - 1) >> 1, so
    x = Wn / 2^31 is in [1/4, 1)), y = 1/sqrt(x) in Q29 from a linear estimate and Newton
    steps y (3 - x y^2) / 2; 1/sqrt(W) = y 2^(m - 15.5)."""
    rank = len(rows)
    zeros = tosa.ClzOp(_tensor(rows), w).result
    m = tosa.ArithmeticRightShiftOp(_tensor(rows), _sub(zeros, _scalar(1, rank), rows), _scalar(1, rank),
                                    ir.BoolAttr.get(False)).result
    wn = tosa.LogicalLeftShiftOp(_tensor(rows), w, _add(m, m, rows)).result
    a, b = qmath.rsqrt_estimate_constants()
    y = _sub(_scalar(a, rank), _mul(wn, _scalar(b, rank), 31, rows), rows)
    for _ in range(qmath.RSQRT_STEPS):
        y2 = _mul(y, y, 30, rows)  # Q28
        error = _sub(_scalar(3 << 28, rank), _mul(wn, y2, 31, rows), rows)
        y = _mul(y, error, 29, rows)
    return m, wn, y


def build_norm(q: ir.Value, in_q: quant.QParams, out_q: quant.QParams, match: NormMatch, plan: qmath.NormPlan,
               weight: np.ndarray, bias: np.ndarray | None, out_type: ir.Type) -> ir.Value:
    shape = ranked_shape(q)
    rank = len(shape)
    rows = list(shape)
    for axis in match.axes:
        rows[axis] = 1
    n = plan.count

    x, total, squares = _variance_terms(q, in_q, match.axes, match.centred, plan)
    # 2. D = N X' - S; V = N T - S^2 (as V / 2^k).
    d = _mul(x, _scalar(n, rank), 0, shape)
    if match.centred:
        d = _sub(d, total, shape)
    v = _variance(squares, total, plan, rows)
    k = plan.variance_shift
    if k < 0:
        v = _mul(v, _scalar(1 << -k, rank), 0, rows)
    w = _add(v, _scalar(plan.eps_term, rank), rows) if plan.eps_term else v

    # 3. 1/sqrt(W) = y 2^(m - 15.5).
    m, _, y = _inverse_sqrt(w, rows)

    # 4. Z = (D << m) y >> t = n 2^F.
    z = _mul(tosa.LogicalLeftShiftOp(_tensor(shape), d, m).result, y, plan.product_shift, shape)

    # 5. the affine at 2^Fh, then one rounding to the output's codes.
    wq = weight if weight.ndim == rank else weight.reshape([1] * (rank - weight.ndim) + list(weight.shape))
    acc = _mul(z, make_integer_const(wq.astype(np.int64), 32), plan.weight_shift, shape)
    if bias is not None:
        bq = bias if bias.ndim == rank else bias.reshape([1] * (rank - bias.ndim) + list(bias.shape))
        acc = _add(acc, make_integer_const(bq.astype(np.int64), 32), shape)
    out = integer_rescale(acc, [2.0 ** -plan.output_bits], 0, out_q.zero_point[0], out_type, per_channel=False)
    return saturate(out, out_q.qmin, out_q.qmax, INT8_MIN, INT8_MAX)


# --------------------------------------------------------------------------- pattern


@lowering("layer_norm", family="norm", root=quant.QUANTIZE, activations=("int8",),
          annotates={"aten.layer_norm.default": OWN_OUTPUT, "aten.rms_norm.default": OWN_OUTPUT,
                     "aten.group_norm.default": OWN_OUTPUT})
def lower_layer_norm(q_op, run):
    """layer norm / RMSNorm (torch-mlir's sums, rsqrt, affine region) -> int32 sums, Newton
    rsqrt and a per-channel affine, ~45 TOSA ops."""
    out_q = quant.QParams.of(q_op)
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(q_op.results[0].type).element_type):
        return None
    match = match_norm(q_op.operands[0])
    if match is None:
        return None
    dq = match.dequantize
    in_q = quant.QParams.of(dq)
    q = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type):
        return Refuse(q_op, "a normalisation needs int8 per-tensor input (int16 is not supported)")
    shape = ranked_shape(q)
    out_shape = ranked_shape(q_op.results[0])
    if shape is None or any(s < 0 for s in shape) or out_shape is None or np.prod(shape) != np.prod(out_shape):
        return None
    ops = _region_ops(match)
    if not uses_stay_inside(ops, q_op):
        return None
    axes = tuple(a if a >= 0 else a + len(shape) for a in match.axes)
    match.axes = axes
    count = int(np.prod([shape[a] for a in axes]))
    weight = np.ones([1] * len(shape)) if match.weight is None else match.weight.astype(np.float64)
    bias = None if match.bias is None else match.bias.astype(np.float64)
    for name, array in (("weight", weight), ("bias", bias)):
        if array is not None and (array.ndim > len(out_shape) or not np.all(np.isfinite(array))):
            return Refuse(q_op, f"the normalisation's {name} is not a finite constant of the input's rank")
    if shape != out_shape:  # group norm: the affine's constants onto the normalised shape
        weight = _onto(weight, out_shape, shape)
        bias = None if bias is None else _onto(bias, out_shape, shape)
        if weight is None or (match.bias is not None and bias is None):
            return None
    if not np.abs(weight).max() > 0:
        return None  # a zero weight: the output is the bias, a constant (left to the table)
    try:
        plan = qmath.norm_plan(count, in_q.scale[0], match.eps, match.centred, float(np.abs(weight).max()),
                               0.0 if bias is None else float(np.abs(bias).max()), out_q.scale[0])
    except ValueError as e:
        return Refuse(q_op, f"cannot lower this normalisation exactly: {e}")
    wq, bq = qmath.norm_affine(plan, weight, 0.0 if bias is None else bias, out_q.scale[0])
    with ir.InsertionPoint(q_op), q_op.location:
        out_type = ir.RankedTensorType.get(shape, ir.RankedTensorType(q_op.results[0].type).element_type)
        result = build_norm(q, in_q, out_q, match, plan, wq, None if bias is None else bq, out_type)
        if shape != out_shape:
            result = make_reshape(result, out_shape)
    return Replace.one(q_op, result)


def _onto(array: np.ndarray, out_shape, shape) -> np.ndarray | None:
    """A constant broadcastable to `out_shape`, as one broadcastable to `shape` (the same
    elements reshaped), kept size 1 along every axis it does not vary over and over the
    batch; None when it varies over the batch."""
    full = np.broadcast_to(array.reshape([1] * (len(out_shape) - array.ndim) + list(array.shape)),
                           out_shape).reshape(shape)
    if not np.all(full == full[:1]):
        return None
    for axis in range(len(shape)):
        first = np.take(full, [0], axis=axis)
        if np.all(full == first):
            full = first
    return np.ascontiguousarray(full)


# --------------------------------------------------------------------------- batch norm


_AFFINE_OPS = ("tosa.add", "tosa.sub", "tosa.mul")


def match_affine(value: ir.Value):
    """(dequantize, multiplier, offset, ops) for a chain of add/sub/mul by constants from a
    dequantize to `value` (y = multiplier x + offset per element, broadcast to `value`),
    with at least one constant that is not a scalar; None otherwise."""
    shape = ranked_shape(value)
    m, o, ops, per_element = np.ones(shape), np.zeros(shape), [], False
    op = defining_op(value)
    while _name(op) in _AFFINE_OPS:
        if op.name == "tosa.mul" and not _plain_mul(op):
            return None
        consts = [float_constant(operand) for operand in op.operands[:2]]
        if (consts[0] is None) == (consts[1] is None):
            return None
        data = 1 if consts[0] is not None else 0
        c = np.broadcast_to(consts[1 - data], shape)
        per_element = per_element or np.unique(c).size > 1
        # Walking up from the output: y = m z + o, and z is this op of its data operand.
        if op.name == "tosa.mul":
            m = m * c
        elif op.name == "tosa.add":
            o = o + m * c
        elif data == 0:  # z = w - c
            o = o - m * c
        else:  # z = c - w
            m, o = -m, o + m * c
        ops.append(op)
        if ranked_shape(op.operands[data]) != shape:
            return None  # the data operand is broadcast: not one value per element
        op = defining_op(op.operands[data])
    if not quant.is_dequantize(op) or not ops or not per_element:
        return None
    return op, m, o, ops


@lowering("batch_norm", family="norm", root=quant.QUANTIZE, activations=("int8",),
          annotates={"aten.batch_norm.default": OWN_OUTPUT})
def lower_batch_norm(q_op, run):
    """batch norm alone (a chain of add/sub/mul by per-channel constants) -> int32
    (x - zp) Mq + Oq and one rescale."""
    out_q = quant.QParams.of(q_op)
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(q_op.results[0].type).element_type):
        return None
    found = match_affine(q_op.operands[0])
    if found is None:
        return None
    dq, m, o, ops = found
    in_q = quant.QParams.of(dq)
    q = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type) or not uses_stay_inside(ops, q_op):
        return None
    shape = ranked_shape(q)
    multipliers = _onto(m * in_q.scale[0] / out_q.scale[0], shape, shape)
    offsets = _onto(o / out_q.scale[0], shape, shape)
    if multipliers is None or offsets is None:
        return Refuse(q_op, "the affine's constants vary over the batch")
    magnitude = max(in_q.qmax - in_q.zero_point[0], in_q.zero_point[0] - in_q.qmin)
    try:
        mq, oq, k = qmath.affine_plan(multipliers, offsets, magnitude)
    except ValueError as e:
        return Refuse(q_op, f"cannot lower this affine exactly: {e}")
    with ir.InsertionPoint(q_op), q_op.location:
        x = integer_rescale(q, [1.0], in_q.zero_point[0], 0, _tensor(shape), per_channel=False)
        acc = _mul(x, make_integer_const(mq, 32), 0, shape)
        if np.any(oq):
            acc = _add(acc, make_integer_const(oq, 32), shape)
        out = integer_rescale(acc, [2.0 ** -k], 0, out_q.zero_point[0], q_op.results[0].type, per_channel=False)
        result = saturate(out, out_q.qmin, out_q.qmax, INT8_MIN, INT8_MAX)
    return Replace.one(q_op, result)


# --------------------------------------------------------------------------- constants


def _float_constant(value: ir.Value) -> np.ndarray | None:
    """The values of a float `tosa.const` or `arith.constant` (torch-mlir's `aten.full`)."""
    op = defining_op(value)
    if _name(op) not in ("tosa.const", "arith.constant"):
        return None
    attr = op.attributes["values" if op.name == "tosa.const" else "value"]
    array = np.array(attr)
    if array.shape != tuple(ranked_shape(value) or ()):
        array = np.broadcast_to(array, ranked_shape(value))  # a splat
    return array if np.issubdtype(array.dtype, np.floating) else None


@lowering("quantized_constant", family="norm", root=quant.QUANTIZE, activations=("int8", "int16"))
def lower_quantized_constant(q_op, run):
    """quantize(float constant) -> the integer constant (ExecuTorch's batch norm quantizes
    its eps, a `full`, before adding it to the variance)."""
    values = _float_constant(q_op.operands[0])
    if values is None:
        return None
    qparams = quant.QParams.of(q_op)
    if qparams.per_channel or not np.all(np.isfinite(values)):
        return None
    codes = qmath.quantize(values.astype(np.float32), qparams.scale[0], qparams.zero_point[0], qparams.qmin,
                           qparams.qmax, np.int64)
    element = ir.RankedTensorType(q_op.results[0].type).element_type
    with ir.InsertionPoint(q_op), q_op.location:
        result = make_storage_const(codes, element)
    return Replace.one(q_op, result)


# --------------------------------------------------------------------------- variance


def _peel_casts_reshapes(value: ir.Value, region: _Region):
    """The op under casts and reshapes (added to `region`) above a quantize."""
    op = defining_op(value)
    while _name(op) in ("tosa.cast", "tosa.reshape"):
        region.add(op)
        op = defining_op(op.operands[0])
    return op


def _like(q_op, shape) -> ir.Type:
    return ir.RankedTensorType.get(list(shape), ir.RankedTensorType(q_op.results[0].type).element_type)


def _reshaped(value: ir.Value, q_op) -> ir.Value:
    shape = ranked_shape(q_op.results[0])
    return value if ranked_shape(value) == shape else make_reshape(value, shape)


@lowering("var", family="norm", root=quant.QUANTIZE, activations=("int8",),
          annotates={"aten.var.dim": OWN_OUTPUT, "aten.var.correction": OWN_OUTPUT})
def lower_var(q_op, run):
    """var (sum of squared deviations / (N - correction)) -> the exact int32 N^2 var of the
    codes and one rescale."""
    out_q = quant.QParams.of(q_op)
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(q_op.results[0].type).element_type):
        return None
    region = _Region()
    scaled = _peel_casts_reshapes(q_op.operands[0], region)  # f64 variance; keepdim=False
    if not _plain_mul(scaled):
        return None
    for data, const in ((0, 1), (1, 0)):
        factor = _splat(scaled.operands[const])
        squares = defining_op(scaled.operands[data])
        if factor is not None and factor > 0 and _name(squares) in ("tosa.reduce_sum", "tosa.reshape"):
            break
    else:
        return None
    region.add(scaled)
    axes = []
    while _name(squares) in ("tosa.reduce_sum", "tosa.reshape"):  # keepdim=False: a reshape
        if squares.name == "tosa.reshape" and axes:
            return None  # a reshape between the sums: their axes are not the input's
        region.add(squares)
        if squares.name == "tosa.reduce_sum":
            axes.append(ir.IntegerAttr(squares.attributes["axis"]).value)
        squares = defining_op(squares.operands[0])
    if not _plain_mul(squares) or squares.operands[0] != squares.operands[1]:
        return None
    region.add(squares)
    centred = _centred(squares.operands[0], region)
    if centred is None or tuple(sorted(axes)) != centred[1]:
        return None
    dq = defining_op(centred[0])
    if not quant.is_dequantize(dq):
        return None
    in_q = quant.QParams.of(dq)
    q = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type):
        return Refuse(q_op, "a variance needs int8 per-tensor input (int16 is not supported)")
    ops = _region_ops(NormMatch(dq, centred[1], 0.0, True, None, None, region.ops))
    if not uses_stay_inside(ops, q_op):
        return None
    shape = ranked_shape(q)
    count = int(np.prod([shape[a] for a in centred[1]]))
    try:
        plan = qmath.norm_plan(count, in_q.scale[0], 0.0, True, 1.0, 0.0, out_q.scale[0])
    except ValueError as e:
        return Refuse(q_op, f"cannot lower this variance exactly: {e}")
    # sum((X - mean)^2) = V / N: the output is s_in^2 f V 2^k / (N s_out), one rounding.
    scale = in_q.scale[0] ** 2 * factor * 2.0 ** max(plan.variance_shift, 0) / (count * out_q.scale[0])
    with ir.InsertionPoint(q_op), q_op.location:
        rows = [1 if axis in centred[1] else size for axis, size in enumerate(shape)]
        _, total, squares = _variance_terms(q, in_q, centred[1], True, plan)
        v = _variance(squares, total, plan, rows)
        out = integer_rescale(v, [scale], 0, out_q.zero_point[0], _like(q_op, rows), per_channel=False)
        result = _reshaped(saturate(out, out_q.qmin, out_q.qmax, INT8_MIN, INT8_MAX), q_op)
    return Replace.one(q_op, result)


@lowering("linalg_vector_norm", family="norm", root=quant.QUANTIZE, activations=("int8",),
          annotates={"aten.linalg_vector_norm.default": OWN_OUTPUT})
def lower_vector_norm(q_op, run):
    """linalg_vector_norm (ord 2) -> the exact int32 sum of squares, an integer sqrt
    (Newton rsqrt times the value) and one rescale."""
    out_q = quant.QParams.of(q_op)
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(q_op.results[0].type).element_type):
        return None
    region = _Region()
    root = _peel_casts_reshapes(q_op.operands[0], region)  # keepdim=False
    if _name(root) == "tosa.pow" and _splat(root.operands[1]) == 0.5:
        summed = defining_op(root.operands[0])
    elif _name(root) == "tosa.sqrt":
        summed = defining_op(root.operands[0])
    else:
        return None
    region.add(root)
    axes = []
    while _name(summed) in ("tosa.reduce_sum", "tosa.reshape"):  # keepdim=False: a reshape
        if summed.name == "tosa.reshape" and axes:
            return None  # a reshape between the sums: their axes are not the input's
        region.add(summed)
        if summed.name == "tosa.reduce_sum":
            axes.append(ir.IntegerAttr(summed.attributes["axis"]).value)
        summed = defining_op(summed.operands[0])
    if not axes:
        return None
    square = summed
    if _name(square) == "tosa.pow" and _splat(square.operands[1]) == 2.0:
        base = square.operands[0]
    elif _plain_mul(square) and square.operands[0] == square.operands[1]:
        base = square.operands[0]
    else:
        return None
    region.add(square)
    if _name(defining_op(base)) == "tosa.abs":
        region.add(defining_op(base))
        base = defining_op(base).operands[0]
    dq = defining_op(base)
    if not quant.is_dequantize(dq) or not uses_stay_inside(region.ops, q_op):
        return None
    in_q = quant.QParams.of(dq)
    q = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type):
        return Refuse(q_op, "a vector norm needs int8 per-tensor input (int16 is not supported)")
    shape = ranked_shape(q)
    count = int(np.prod([shape[a] for a in axes]))
    if count * 65026 >= 1 << 31:
        return Refuse(q_op, f"{count} elements: the int32 sum of squares could overflow")
    rows = list(shape)
    for axis in axes:
        rows[axis] = 1
    with ir.InsertionPoint(q_op), q_op.location:
        x = integer_rescale(q, [1.0], in_q.zero_point[0], 0, _tensor(shape), per_channel=False)
        total = _reduce_sum(_mul(x, x, 0, shape), sorted(axes), shape)
        # sqrt(T) = sqrt(x) 2^(15.5 - m) with sqrt(x) = x y: Z = Wn y >> 31 = sqrt(x) 2^29;
        # Z >> m (absolute error < 2^-13.5 input LSB), then one rescale by s_in 2^-13.5 / s_out.
        m, wn, y = _inverse_sqrt(total, rows)
        z = _mul(wn, y, 31, rows)
        z = tosa.ArithmeticRightShiftOp(_tensor(rows), z, m, ir.BoolAttr.get(True)).result
        scale = in_q.scale[0] * 2.0 ** -13.5 / out_q.scale[0]
        out = integer_rescale(z, [scale], 0, out_q.zero_point[0], _like(q_op, rows), per_channel=False)
        result = _reshaped(saturate(out, out_q.qmin, out_q.qmax, INT8_MIN, INT8_MAX), q_op)
    return Replace.one(q_op, result)
