"""Lower a quantized softmax (int8 in, int8 out) to integer TOSA that Ethos-U can run.

torch-mlir lowers softmax along `axis` to

    %x = tosaic.dequantize(%q)                       // int8, per tensor
    %m = tosa.reduce_max %x ; %d = tosa.sub %x, %m    // (optional: exp(x) alone also matches)
    %e = tosa.exp %d ; %s = tosa.reduce_sum %e ; %r = tosa.reciprocal %s
    %y = tosa.mul %e, %r ; %out = tosaic.quantize(%y) // int8, per tensor

and this pass replaces it with integer ops only, all of which Vela 5.2 places on the
Ethos-U55/U65 NPU for TOSA input (int8 TABLE; int32 ADD/SUB/MUL/CLZ/shifts; REDUCE_MAX
int8; REDUCE_SUM; RESCALE). The structure follows the int8 softmax TFLite/Vela run on the
NPU (max, exp lookup, sum, CLZ normalisation, Newton-Raphson reciprocal, multiply), but
every step is an exact TOSA integer op and the exp table is wide enough that the result
is the correctly rounded softmax of the dequantized input almost everywhere:

 1. `m = reduce_max(q)` (int8); `d = q - m` in int32, d in [-255, 0]: exactly 256 values,
    so `idx = d + 127` (RESCALE to int8, output zero point 127) indexes int8 tables.
 2. `E = round(exp(s_in * d) * 2^K)`, K = min(23, largest with N * 2^K < 2^31), built from
    up to three int8 TABLEs, one per byte (stored minus 128), each RESCALEd to int32 by
    256^k (input zero point -128) and added. E(0) = 2^K exactly.
 3. `S = reduce_sum(E)` (int32, no overflow by the choice of K), S >= 2^K.
 4. `z = clz(S)`; `Sn = S << (z - 1)` is S normalised to [2^30, 2^31), x = Sn / 2^31.
 5. `r ~= 2^29 / x` (Q2.29) by Newton-Raphson from 48/17 - 32/17 x (gemmlowp's initial
    estimate), three iterations `r += r * (1 - x r)` with int32 MUL (64-bit product, rounded
    shift): relative error ~1e-9.
 6. `M = (E * r) >> K` (MUL shift K) and `V = M >> (31 - K - z)` (ARITHMETIC_RIGHT_SHIFT,
    round): V = round(p * 2^30), p = E / S.
 7. `out = RESCALE(V, 2^-30 / s_out, output zero point)` rounds once, to int8, then clamps
    to the output's [qmin, qmax] when that is narrower than int8.

Error budget (vs the exact softmax of the dequantized input, in output LSBs): the table
rounding is at most (N + 1) / (2 * S) * p / s_out <= (N + 1) / 2^(K+1) / s_out, e.g.
0.0005 LSB for N = 32 at s_out = 1/256; the reciprocal and shifts add < 0.0001 LSB. The
fake-quantized program's own float32 rounding is ~1e-7 relative. Mismatches therefore
come only from values within ~0.001 LSB of a rounding boundary.

log_softmax (`log_softmax`): s_in d - ln(S / 2^K) with d and S = sum(E) from steps 1-3.
ln(S) = ln(Sn / 2^30) + (31 - z) ln 2, the mantissa's log from an int16 TABLE (513 entries
ln(1 + j/512) in Q15, interpolated to Q22: error <= 2^-16 nats + 5e-7), indexed by
(Sn - 2^30) >> 14 - 2^15; d and the log meet at 2^P (P from the input scale so the
difference fits int32) and one RESCALE rounds to the output. The log's error is ~1e-3
output LSB at typical scales (measured: <= 1 LSB, >= 99.75% bit-exact).

Decomposed softmax (`softmax.max`): ExecuTorch's TOSAQuantizer decomposes softmax (and
log_softmax) into amax, sub, exp, sum, reciprocal, mul [, log] before annotating, and
quantizes every intermediate result. The fake-quantized program then rounds at each step,
so the exact softmax above would differ from it; instead each step lowers on its own
(sub, mul: elementwise; sum: pool's mean; exp, reciprocal, log: table), bit-exact to its
fake-quantized step. The one step no other entry takes is the quantized max, which this
entry lowers only where it is subtracted from its own input (x - max(x)): an int8
reduce_max of the codes, then a rescale when its qparams differ from the input's.
"""

from __future__ import annotations

import math

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, is_zero_constant, make_integer_const, ranked_shape
from tosaic.lowering.build import integer_rescale, requantize, saturate
from tosaic.lowering.match import is_int8_per_tensor, uses_stay_inside
from tosaic.lowering.registry import OWN_OUTPUT, Refuse, Replace, family, lowering
from tosaic.quantization import qmath

INT8_MIN, INT8_MAX = qmath.qrange("int8")
family("softmax", summary="Lower dequantize -> softmax -> quantize (int8) to integer TOSA (exp tables, NR reciprocal)",
       failure="a quantized softmax could not be lowered")

MAX_TABLE_BITS = 23  # three int8 tables; RESCALE cannot multiply a byte by 2^24 (shift >= 9)
MIN_TABLE_BITS = 8
Q = 29  # the reciprocal's fraction bits (values in (1, 2])
P = 30  # fraction bits of the probabilities before the final rescale


# --------------------------------------------------------------------------- matching


class SoftmaxMatch:
    def __init__(self, dequantize, axis: int, ops, keep=None):
        self.dequantize = dequantize
        self.axis = axis
        self.ops = ops  # the float ops replaced
        self.keep = keep  # a constant mask's kept positions (bool array), or None


def _masked_input(value: ir.Value):
    """(dequantize, keep, select) when `value` is select(keep, dequantize(q), -inf) or
    select(~keep, -inf, dequantize(q)) with a constant boolean condition (an attention mask), else None."""
    from tosaic.lowering import masks, table

    select = defining_op(value)
    if _name(select) != "tosa.select":
        return None
    keep = masks.constant_condition(select.operands[0])
    if keep is None:
        return None
    for data, fill, kept in ((1, 2, keep), (2, 1, ~keep)):
        dq = defining_op(select.operands[data])
        splat = table.splat_value(select.operands[fill])
        if quant.is_dequantize(dq) and splat is not None and splat[0] == "float" and splat[1] == -math.inf:
            shape = ranked_shape(value)
            return dq, np.broadcast_to(kept, shape), select
    return None


def _name(op) -> str | None:
    return op.name if op is not None else None


def _axis(op) -> int:
    return ir.IntegerAttr(op.attributes["axis"]).value


def match_softmax(root: ir.Value) -> SoftmaxMatch | None:
    """`root` = softmax(dequantize(q)) as torch-mlir lowers it, or None."""
    mul = defining_op(root)
    if _name(mul) != "tosa.mul" or not is_zero_constant(mul.operands[2]):
        return None
    for e_value, r_value in ((mul.operands[0], mul.operands[1]), (mul.operands[1], mul.operands[0])):
        exp, recip = defining_op(e_value), defining_op(r_value)
        if _name(exp) != "tosa.exp" or _name(recip) != "tosa.reciprocal":
            continue
        total = defining_op(recip.operands[0])
        if _name(total) != "tosa.reduce_sum" or total.operands[0] != e_value:
            continue
        axis = _axis(total)
        ops = [mul, recip, total, exp]
        arg = exp.operands[0]
        sub = defining_op(arg)
        if _name(sub) == "tosa.sub":
            peak = defining_op(sub.operands[1])
            if _name(peak) != "tosa.reduce_max" or _axis(peak) != axis or peak.operands[0] != sub.operands[0]:
                continue
            ops += [sub, peak]
            arg = sub.operands[0]
        masked = _masked_input(arg)
        if masked is not None:
            dq, keep, select = masked
            return SoftmaxMatch(dq, axis, ops + [select], keep)
        dq = defining_op(arg)
        if not quant.is_dequantize(dq):
            continue
        return SoftmaxMatch(dq, axis, ops)
    return None


def _is_16_bit(value_type: ir.Type) -> bool:
    element = ir.RankedTensorType(value_type).element_type
    return isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 16


# --------------------------------------------------------------------------- tables


def table_bits(n: int) -> int:
    """K: E = exp(.) * 2^K with N * 2^K < 2^31 (the sum fits int32)."""
    return min(MAX_TABLE_BITS, int(math.floor(math.log2(((1 << 31) - 1) / n))))


def exp_table(input_scale: float, k: int) -> np.ndarray:
    """E(d) = round(exp(s * d) * 2^K) for d = index - 255 (index = d + 127 + 128)."""
    d = np.arange(256, dtype=np.float64) - 255.0
    scale = float(np.float32(input_scale))  # the fake-quantized program's float32 scale
    e = np.exp(d * scale) * float(1 << k)
    return np.floor(e + 0.5).astype(np.int64)


def byte_tables(e: np.ndarray, k: int) -> list[np.ndarray]:
    """The int8 tables whose bytes (+128) make E: E = sum_k (t_k + 128) * 256^k."""
    count = max(1, math.ceil((k + 1) / 8))
    return [(((e >> (8 * i)) & 0xFF) - 128).astype(np.int8) for i in range(count)]


# --------------------------------------------------------------------------- builders


def _i32() -> ir.Type:
    return ir.IntegerType.get_signless(32)


def _tensor(shape, element) -> ir.Type:
    return ir.RankedTensorType.get(list(shape), element)


def _create(name: str, result_type: ir.Type, operands, attributes=None) -> ir.Value:
    return ir.Operation.create(name, results=[result_type], operands=list(operands), attributes=attributes or {}).result


def _scalar(value: int, rank: int) -> ir.Value:
    """An int32 constant of shape [1] * rank, to broadcast against any tensor of that rank."""
    return make_integer_const(np.full([1] * rank, value, np.int32), 32)


def _mul(a: ir.Value, b: ir.Value, shift: int, shape) -> ir.Value:
    return _create("tosa.mul", _tensor(shape, _i32()), [a, b, make_integer_const(np.asarray([shift]), 8)])


def _binary(name: str, a: ir.Value, b: ir.Value, shape) -> ir.Value:
    return _create(name, _tensor(shape, _i32()), [a, b])


def _exp_sum(q: ir.Value, in_q: quant.QParams, axis: int, keep=None):
    """Steps 1-3: (d = q - max(q) in int32, E = exp(s_in d) 2^K per element, S = sum(E), K).
    With a constant mask `keep`: the masked codes are set to -128 before the max and their
    E to 0 (exp(-inf)), so max, E and S are those of the kept positions."""
    shape = ranked_shape(q)
    keep32 = None
    if keep is not None:
        keep32 = make_integer_const(np.asarray(keep, np.int64), 32)
        kept = _mul(integer_rescale(q, [1.0], -128, 0, _tensor(shape, _i32()), per_channel=False), keep32, 0, shape)
        q = integer_rescale(kept, [1.0], 0, -128, q.type, per_channel=False)
    n = shape[axis]
    reduced = list(shape)
    reduced[axis] = 1
    i8, i32 = ir.IntegerType.get_signless(8), _i32()
    k = table_bits(n)

    # 1. d = q - max(q) in [-255, 0]; idx = d + 127 as int8.
    peak = tosa.ReduceMaxOp(q, ir.IntegerAttr.get(i32, axis), results=[_tensor(reduced, i8)]).result
    q32 = integer_rescale(q, [1.0], 0, 0, _tensor(shape, i32), per_channel=False)
    peak32 = integer_rescale(peak, [1.0], 0, 0, _tensor(reduced, i32), per_channel=False)
    d = _binary("tosa.sub", q32, peak32, shape)
    idx = integer_rescale(d, [1.0], 0, 127, _tensor(shape, i8), per_channel=False)

    # 2. E = exp(s_in * d) * 2^K from one int8 table per byte.
    e = None
    for i, table in enumerate(byte_tables(exp_table(in_q.scale[0], k), k)):
        looked_up = _create("tosa.table", _tensor(shape, i8), [idx, make_integer_const(table, 8)])
        part = integer_rescale(looked_up, [float(256**i)], -128, 0, _tensor(shape, i32), per_channel=False)
        e = part if e is None else _binary("tosa.add", e, part, shape)
    if keep32 is not None:
        e = _mul(e, keep32, 0, shape)

    # 3. S = sum E.
    total = tosa.ReduceSumOp(e, ir.IntegerAttr.get(i32, axis), results=[_tensor(reduced, i32)]).result
    return d, e, total, k


def build_softmax(q: ir.Value, in_q: quant.QParams, out_q: quant.QParams, axis: int, out_type: ir.Type,
                  keep=None) -> ir.Value:
    shape = ranked_shape(q)
    rank = len(shape)
    reduced = list(shape)
    reduced[axis] = 1
    i32 = _i32()
    _, e, total, k = _exp_sum(q, in_q, axis, keep)
    # 4. normalise to Sn in [2^30, 2^31).
    zeros = _create("tosa.clz", _tensor(reduced, i32), [total])
    norm_shift = _binary("tosa.sub", zeros, _scalar(1, rank), reduced)
    x = _binary("tosa.logical_left_shift", total, norm_shift, reduced)

    # 5. r = 2^Q / (Sn / 2^31) by Newton-Raphson.
    r = _binary(
        "tosa.sub",
        _scalar(round(48 / 17 * (1 << Q)), rank),
        _mul(x, _scalar(round(32 / 17 * (1 << Q)), rank), 31, reduced),
        reduced,
    )
    for _ in range(3):
        xr = _mul(x, r, 31, reduced)
        error = _binary("tosa.sub", _scalar(1 << Q, rank), xr, reduced)
        r = _binary("tosa.add", r, _mul(r, error, Q, reduced), reduced)

    # 6. V = E / S * 2^P = (E * r >> K) >> (31 - K - z), rounded.
    m = _mul(e, r, k, shape)
    shift = _binary("tosa.sub", _scalar(Q + 32 - P - k, rank), zeros, reduced)
    v = _create(
        "tosa.arithmetic_right_shift", _tensor(shape, i32), [m, shift], {"round": ir.BoolAttr.get(True)}
    )

    # 7. requantize: one rounding, then the output range.
    out = integer_rescale(v, [2.0**-P / out_q.scale[0]], 0, out_q.zero_point[0], out_type, per_channel=False)
    return saturate(out, out_q.qmin, out_q.qmax, INT8_MIN, INT8_MAX)


def build_log_softmax(q: ir.Value, in_q: quant.QParams, out_q: quant.QParams, axis: int,
                      out_type: ir.Type) -> ir.Value:
    """s_in d - ln(S / 2^K), with ln(S) = ln(Sn / 2^30) + (31 - z) ln 2 from an int16 TABLE
    of ln(1 + f) on the normalised sum's mantissa (see the module docstring)."""
    shape = ranked_shape(q)
    rank = len(shape)
    reduced = list(shape)
    reduced[axis] = 1
    d, _, total, k = _exp_sum(q, in_q, axis)
    zeros = _create("tosa.clz", _tensor(reduced, _i32()), [total])
    sn = _binary("tosa.logical_left_shift", total, _binary("tosa.sub", zeros, _scalar(1, rank), reduced), reduced)
    # f = (Sn - 2^30) / 2^30 in 16 bits, as the int16 TABLE index f 2^16 - 2^15
    f16 = _create("tosa.arithmetic_right_shift", _tensor(reduced, _i32()),
                  [_binary("tosa.sub", sn, _scalar(1 << 30, rank), reduced), _scalar(14, rank)],
                  {"round": ir.BoolAttr.get(False)})
    index = integer_rescale(_binary("tosa.sub", f16, _scalar(1 << 15, rank), reduced), [1.0], 0, 0,
                            _tensor(reduced, ir.IntegerType.get_signless(16)), per_channel=False)
    ln_mantissa = _create("tosa.table", _tensor(reduced, _i32()),
                          [index, make_integer_const(qmath.log_mantissa_table(), 16)])
    octaves = _binary("tosa.sub", _scalar(31 - k, rank), zeros, reduced)  # ln(S / 2^K) = ln(u) + (31 - z - K) ln 2
    log_sum = _binary("tosa.add", ln_mantissa, _mul(octaves, _scalar(qmath.LN2_Q, rank), 0, reduced), reduced)
    p, step = qmath.log_softmax_bits(in_q.scale[0], shape[axis])
    if p >= qmath.LOG_Q:
        log_sum = _mul(log_sum, _scalar(1 << (p - qmath.LOG_Q), rank), 0, reduced)
    else:
        log_sum = _create("tosa.arithmetic_right_shift", _tensor(reduced, _i32()),
                          [log_sum, _scalar(qmath.LOG_Q - p, rank)], {"round": ir.BoolAttr.get(True)})
    acc = _binary("tosa.sub", _mul(d, _scalar(step, rank), 0, shape), log_sum, shape)
    out = integer_rescale(acc, [2.0**-p / out_q.scale[0]], 0, out_q.zero_point[0], out_type, per_channel=False)
    return saturate(out, out_q.qmin, out_q.qmax, INT8_MIN, INT8_MAX)


# --------------------------------------------------------------------------- pattern

@lowering("softmax", family="softmax", root=quant.QUANTIZE, activations=("int8",),
          annotates={"aten.softmax.int": OWN_OUTPUT, "aten._softmax.default": OWN_OUTPUT})
def lower_softmax(q_op, run):
    """softmax (torch-mlir's exp / reduce_sum / reciprocal region) -> integer softmax (exp tables,
    Newton reciprocal), 35 TOSA ops."""
    out_q = quant.QParams.of(q_op)
    out_type = q_op.results[0].type
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(out_type).element_type) and not _is_16_bit(out_type):
        return None
    match = match_softmax(q_op.operands[0])
    if match is None:
        return None
    dq = match.dequantize
    in_q = quant.QParams.of(dq)
    q = dq.operands[0]
    if _is_16_bit(out_type) or _is_16_bit(q.type):
        # The exp tables index q - max(q), 256 values for int8; int16's 65536 have no
        # exact integer form here yet.
        return Refuse(q_op, "softmax of int16 (a16w8) values is not supported: quantize it to int8 "
                            "(e.g. a8w8 for this module)")
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type):
        return None
    shape = ranked_shape(q)
    if shape is None or any(s < 0 for s in shape) or shape != ranked_shape(q_op.results[0]):
        return None
    if not uses_stay_inside(match.ops, q_op):
        return None
    axis = match.axis if match.axis >= 0 else match.axis + len(shape)
    if table_bits(shape[axis]) < MIN_TABLE_BITS:
        return Refuse(q_op, f"softmax over {shape[axis]} elements is too long for an int32 sum of exp")
    if match.keep is not None and not np.all(np.any(match.keep, axis=axis)):
        return Refuse(q_op, "a masked softmax with a row that masks every position (PyTorch: NaN)")
    with ir.InsertionPoint(q_op), q_op.location:
        result = build_softmax(q, in_q, out_q, axis, out_type, match.keep)
    return Replace.one(q_op, result)


# --------------------------------------------------------------------------- decomposed form

_PASS_THROUGH = (quant.DEQUANTIZE, "tosa.rescale")  # what lies between a quantized value and its use


def _traces_to(value: ir.Value, source: ir.Value) -> bool:
    for _ in range(3):
        if value == source:
            return True
        op = defining_op(value)
        if _name(op) not in _PASS_THROUGH:
            return False
        value = op.operands[0]
    return value == source


def _subtracts_from_its_input(q_op, source: ir.Value) -> bool:
    """The quantized max reaches (through a dequantize, or the rescale the elementwise
    phase made of it) only subs from the values it is the max of: the `x - max(x)` of a
    decomposed softmax."""
    frontier, subs = [q_op], 0
    for _ in range(3):
        following = []
        for op in frontier:
            for use in op.results[0].uses:
                user = use.owner
                if _name(user) in _PASS_THROUGH:
                    following.append(user)
                elif _name(user) == "tosa.sub" and user.operands[1] == op.results[0] \
                        and _traces_to(user.operands[0], source):
                    subs += 1
                else:
                    return False
        frontier = following
    return subs > 0 and not frontier


@lowering("softmax.max", family="softmax", root=quant.QUANTIZE, activations=("int8",))
def lower_softmax_max(q_op, run):
    """A decomposed softmax's quantized max(x) (ExecuTorch's amax, sub, exp, sum, reciprocal,
    mul, each quantized) -> int8 reduce_max (+ a rescale when its qparams differ); the
    other steps are their own entries."""
    peak = defining_op(q_op.operands[0])
    if _name(peak) != "tosa.reduce_max":
        return None
    dq = defining_op(peak.operands[0])
    if not quant.is_dequantize(dq) or not _subtracts_from_its_input(q_op, dq.operands[0]):
        return None
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    q = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type) or not is_int8_per_tensor(out_q, ir.RankedTensorType(q_op.results[0].type).element_type):
        return None
    reduced = ranked_shape(peak.results[0])
    if reduced is None or any(s < 0 for s in reduced):
        return None
    element = ir.RankedTensorType(q.type).element_type
    with ir.InsertionPoint(q_op), q_op.location:
        # max commutes with the (monotone) quantization: the max code is the code of the max.
        top = tosa.ReduceMaxOp(q, peak.attributes["axis"], results=[_tensor(reduced, element)]).result
        try:
            result = requantize(top, in_q, out_q, ir.RankedTensorType(q_op.results[0].type).element_type)
        except ValueError as e:
            return Refuse(q_op, f"cannot requantize the max: {e}")
    return Replace.one(q_op, result)


# --------------------------------------------------------------------------- log_softmax

def match_log_softmax(root: ir.Value) -> SoftmaxMatch | None:
    """`root` = sub(d, log(reduce_sum(exp(d)))), d = sub(x, reduce_max(x)), x = dequantize(q)."""
    sub = defining_op(root)
    if _name(sub) != "tosa.sub":
        return None
    d = sub.operands[0]
    log = defining_op(sub.operands[1])
    total = defining_op(log.operands[0]) if _name(log) == "tosa.log" else None
    exp = defining_op(total.operands[0]) if _name(total) == "tosa.reduce_sum" else None
    shift = defining_op(d)
    if _name(exp) != "tosa.exp" or exp.operands[0] != d or _name(shift) != "tosa.sub":
        return None
    peak = defining_op(shift.operands[1])
    if _name(peak) != "tosa.reduce_max" or peak.operands[0] != shift.operands[0] or _axis(peak) != _axis(total):
        return None
    dq = defining_op(shift.operands[0])
    if not quant.is_dequantize(dq):
        return None
    return SoftmaxMatch(dq, _axis(total), [sub, log, total, exp, shift, peak])


@lowering("log_softmax", family="softmax", root=quant.QUANTIZE, activations=("int8",),
          annotates={"aten.log_softmax.int": OWN_OUTPUT, "aten._log_softmax.default": OWN_OUTPUT})
def lower_log_softmax(q_op, run):
    """log_softmax (torch-mlir's max / exp / sum / log region) -> s d - ln(sum of exp tables),
    the log from an int16 TABLE on the sum's mantissa."""
    out_q = quant.QParams.of(q_op)
    out_type = q_op.results[0].type
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(out_type).element_type):
        return None
    match = match_log_softmax(q_op.operands[0])
    if match is None:
        return None
    dq = match.dequantize
    in_q = quant.QParams.of(dq)
    q = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(q.type).element_type):
        return Refuse(q_op, "log_softmax needs int8 per-tensor input (int16 is not supported)")
    shape = ranked_shape(q)
    if shape is None or any(s < 0 for s in shape) or shape != ranked_shape(q_op.results[0]):
        return None
    if not uses_stay_inside(match.ops, q_op):
        return None
    axis = match.axis if match.axis >= 0 else match.axis + len(shape)
    if table_bits(shape[axis]) < MIN_TABLE_BITS:
        return Refuse(q_op, f"log_softmax over {shape[axis]} elements is too long for an int32 sum of exp")
    with ir.InsertionPoint(q_op), q_op.location:
        result = build_log_softmax(q, in_q, out_q, axis, out_type)
    return Replace.one(q_op, result)
