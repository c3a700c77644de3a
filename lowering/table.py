"""Fold `dequantize -> elementwise float function -> quantize` into a tosa.table.

An int8 input takes only 256 values, so any function of one quantized input that works
element by element is a 256-entry lookup table. The pattern anchors on `tosaic.quantize`
and walks its operand back through float TOSA ops until every leaf is either the one
per-tensor int8 `tosaic.dequantize` (the input x) or a splat constant:

    %x = tosaic.dequantize(%q)                     // int8, per tensor
    %a = tosa.add %x, 3.0 ; %c = tosa.clamp %a [0, 6]
    %m = tosa.mul %x, %c ; %y = tosa.mul %m, 1/6   // hardswish, as torch-mlir lowers it
    %r = tosaic.quantize(%y)                       // int8, per tensor
      ->  %r = tosa.table %q, dense<[...]> : tensor<256xi8>

The table is computed the way the fake-quantized PyTorch program computes each value:
the 256 codes are dequantized as `quantized_decomposed` does ((q - zp) * scale in
float32), the region is evaluated op by op on that float32 tensor with the matching
torch function (`tosa.sigmoid` -> torch.sigmoid, ...), and the result is quantized with
the output's parameters by `qmath.quantize` (bit-exact with torch's quantize). One
pattern so covers sigmoid, tanh, hardswish, hardsigmoid, exp, and any chain of
elementwise ops with scalar constants.

int16 input and output (a16w8, zero points 0): TOSA's int16 TABLE has 513 int16 entries
and interpolates linearly between knots 128 input codes apart, giving int32 with 7
fractional bits (`tosaic.quantization.table16`). The region is evaluated at all 65536
codes (as for int8, the fake-quantized program's own float32 arithmetic) and quantized:
the exact target. Forms, cheapest first; `int16-form=auto` keeps the first within 1 LSB
of the target at every code and equal to it at `int16-min-exact` (99.5%) of them:

    one-table  (2 ops)  TABLE, RESCALE: entries ~1 output LSB, ~80% bit-exact
    two-table  (5 ops)  TABLE(x, high) * 2^6 (RESCALE) + TABLE(x, low), RESCALE: entries 6
                        bits finer; left with the straight lines' error h^2 |f''| / 8
                        (sigmoid over +-2: 99.7%, +-8: 97%; tanh over +-4: 95%)
    quadratic  (7 ops)  (TABLE(x, high) << 8) + MUL(TABLE(x, low), TABLE(x, scale), >> 21+j),
                        RESCALE: piecewise quadratic, ~99.8-99.9% bit-exact for sigmoid
                        up to +-16 and tanh up to +-8 (most of the rest is the float32
                        reference's own rounding)
               (8 ops)  the same after an exact RESCALE u = clamp(m * x), for wide input
                        ranges whose quantized function is constant beyond |x| ~ 32767 / m

A region no form gets within 1 LSB of (a step, or a kink between knots, e.g. floor or
hardswish over some ranges) is refused with the closest form's figures.

A region whose leaves are all splat constants (ExecuTorch's quantizer makes one of a division
by a constant: reciprocal(dequantize(const 3.0)), quantized) computes one number: it is
evaluated the same way and becomes a splat integer constant.

abs has its own entry (benefit 2, the same root): TOSA's ABS between two RESCALEs, for
int16 anywhere and for int8 on a graph input (where a TABLE cannot fuse into a
producer), when it gives the table's output at every input code (Vela's cycles for
both forms are beside the entry).

Not matched (left for another lowering, or for tosaic-verify-integer to report): an op in
the region that is not elementwise (reductions, reshapes, convolutions...), a non-splat
constant (the function would depend on the position), a second non-constant input, an
intermediate value used outside the region, mixed int8/int16 or per-channel
quantization. A region that matches but is NaN for some input code, or an int16 one with
a nonzero zero point, is refused with a diagnostic.

leaky_relu (entry `leaky_relu`, tried before `table` on the same quantize): torch-mlir's
add(maximum(x, 0), mul(minimum(x, 0), slope)), maximum and minimum as clamps once
tosaic-form-clamps ran. int8: the 256-entry table above, exact, and free after a
convolution (Vela fuses a TABLE into the op before it). int16: the two branches
requantized, as `qmath.leaky_relu_plan` plans them, and the right one picked:

    a = RESCALE(x -> i32, s_x / s_y)   b = RESCALE(x -> i32, slope * s_x / s_y)
    y = RESCALE(MAXIMUM(a, b) -> i16, 1)    (MINIMUM for slope > 1; TOSA's integer
                                             MAXIMUM/MINIMUM are int32 only)

checked at every input code like the int16 table forms (within 1 LSB of the quantized
function everywhere, equal at int16-min-exact of the codes; the table forms otherwise, and
for a slope <= 0 or of 1). Vela cycles, ethos-u55-128 / ethos-u85-256, int16 table forms
-> this: 3x3 conv (3 -> 16 channels, 16x16) + leaky_relu 107466 -> 39786 / 33834 -> 9834
(Vela fuses the RESCALEs into the conv and the MAXIMUM); leaky_relu alone on 1x16x16x16
96384 -> 27648 / 35906 -> 24615. The same form for int8 loses to the table: 9328 -> 35440
/ 5791 -> 6491 after the conv, 4672 -> 27648 / 5100 -> 3076 alone.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import (
    constant_array,
    defining_op,
    has_single_use,
    is_zero_constant,
    make_integer_const,
    make_rescale,
    make_transpose,
    ranked_shape,
)
from tosaic.lowering.build import integer_clamp, integer_rescale, saturate
from tosaic.lowering.match import is_int8_per_tensor, uses_stay_inside
from tosaic.lowering.registry import OWN_OUTPUT, Refuse, Replace, family, lowering
from tosaic.quantization import qmath, table16

family("table", summary=("Fold dequantize -> elementwise float ops -> quantize into a tosa.table (int8: 256 entries; "
                         "int16: the 513-entry interpolated table + rescale)"),
       failure="a quantized elementwise function could not become a table")

TABLE_SIZE = 256
INT8_MIN, INT8_MAX = qmath.qrange("int8")


# --------------------------------------------------------------------------- interpreter
#
# Each entry: op name -> (indices of the operands that carry data, evaluator). The
# evaluator gets the torch tensors of those operands (float32, or bool for comparisons)
# and the op; other operands (mul's shift, negate's zero points) are checked by
# `_extra_operands_ok`.


def _clamp(op, x):
    import torch

    lo = ir.FloatAttr(op.attributes["min_val"]).value
    hi = ir.FloatAttr(op.attributes["max_val"]).value
    lo_t = torch.tensor(lo, dtype=torch.float32)
    hi_t = torch.tensor(hi, dtype=torch.float32)
    return torch.minimum(torch.maximum(x, lo_t), hi_t)


def _evaluators():
    import torch

    unary = {
        "tosa.abs": torch.abs,
        "tosa.ceil": torch.ceil,
        "tosa.cos": torch.cos,
        "tosa.erf": torch.erf,
        "tosa.exp": torch.exp,
        "tosa.floor": torch.floor,
        "tosa.log": torch.log,
        "tosa.negate": torch.neg,
        "tosa.reciprocal": torch.reciprocal,
        "tosa.rsqrt": torch.rsqrt,
        "tosa.sigmoid": torch.sigmoid,
        "tosa.sin": torch.sin,
        "tosa.tanh": torch.tanh,
        "tosa.identity": lambda x: x,
        "tosa.logical_not": torch.logical_not,
    }
    binary = {
        "tosa.add": torch.add,
        "tosa.sub": torch.sub,
        "tosa.mul": torch.mul,
        "tosa.maximum": torch.maximum,
        "tosa.minimum": torch.minimum,
        "tosa.pow": torch.pow,
        "tosa.greater": torch.gt,
        "tosa.greater_equal": torch.ge,
        "tosa.equal": torch.eq,
        "tosa.logical_and": torch.logical_and,
        "tosa.logical_or": torch.logical_or,
    }
    table = {name: ((0,), lambda op, x, f=f: f(x)) for name, f in unary.items()}
    table.update({name: ((0, 1), lambda op, a, b, f=f: f(a, b)) for name, f in binary.items()})
    table["tosa.clamp"] = ((0,), _clamp)
    table["tosa.select"] = ((0, 1, 2), lambda op, c, a, b: torch.where(c, a, b))
    return table


# The ops the float interpreter evaluates (names only, so matching needs no torch import).
INTERPRETED_OPS = frozenset(
    """tosa.abs tosa.ceil tosa.cos tosa.erf tosa.exp tosa.floor tosa.log tosa.negate
    tosa.reciprocal tosa.rsqrt tosa.sigmoid tosa.sin tosa.tanh tosa.identity
    tosa.logical_not tosa.add tosa.sub tosa.mul tosa.maximum tosa.minimum tosa.pow
    tosa.greater tosa.greater_equal tosa.equal tosa.logical_and tosa.logical_or
    tosa.clamp tosa.select""".split()
)
_DATA_OPERANDS = {"tosa.mul": 2, "tosa.negate": 1, "tosa.select": 3, "tosa.clamp": 1}


def _data_operand_count(name: str, op) -> int:
    return _DATA_OPERANDS.get(name, len(op.operands))


def _is_float_or_bool(value: ir.Value) -> bool:
    t = value.type
    if not isinstance(t, ir.RankedTensorType):
        return False
    element = ir.RankedTensorType(t).element_type
    if isinstance(element, ir.F32Type):
        return True
    return isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 1


def splat_value(value: ir.Value):
    """The one value of a splat float/bool `tosa.const` (or a dequantized splat int
    constant), as (kind, number), or None."""
    op = defining_op(value)
    if op is None:
        return None
    if op.name == "tosa.const":
        try:
            array = np.asarray(op.attributes["values"])
        except (TypeError, ValueError):  # e.g. an element type numpy cannot view
            return None
        if array.size == 0 or not np.all(array == array.reshape(-1)[0]):
            return None
        first = array.reshape(-1)[0]
        if array.dtype == np.bool_:
            return ("bool", bool(first))
        if np.issubdtype(array.dtype, np.floating):
            return ("float", np.float32(first))
        return None
    if quant.is_dequantize(op):
        source = defining_op(op.operands[0])
        if source is None or source.name != "tosa.const":
            return None
        q = quant.QParams.of(op)
        array = np.asarray(source.attributes["values"])
        if q.per_channel or array.size == 0 or not np.all(array == array.reshape(-1)[0]):
            return None
        return ("dequantized", (int(array.reshape(-1)[0]), q.scale[0], q.zero_point[0]))
    return None


def _extra_operands_ok(op) -> bool:
    """mul's shift and negate's zero points must be constant zeros (float semantics)."""
    n = _data_operand_count(op.name, op)
    return all(is_zero_constant(v) for v in list(op.operands)[n:])


class Region:
    """The float ops between one dequantize and one quantize, in evaluation order."""

    def __init__(self, dequantize, ops, constants):
        self.dequantize = dequantize  # the input's tosaic.dequantize
        self.ops = ops  # operands before users
        self.constants = constants  # [(value, splat_value())]


def _fits(shape_a, shape) -> bool:
    """`shape_a` is `shape` or broadcasts to it (the region must not enlarge x)."""
    return (
        shape_a is not None
        and len(shape_a) == len(shape)
        and all(a == s or a == 1 for a, s in zip(shape_a, shape))
    )


def find_region(root: ir.Value, shape, constant: bool = False) -> Region | None:
    """The elementwise region computing `root` from one dequantized int8 tensor, or None.
    `constant`: the region computing `root` from splat constants alone (its dequantize None)."""
    found = {"dequantize": None}
    ops: list = []  # post order: operands before users
    seen: list = []
    constants: list = []

    def visit(value: ir.Value) -> bool:
        if any(value == v for v in seen):
            return True
        seen.append(value)
        op = defining_op(value)
        if op is None:
            return False  # a float block argument: not a function of the quantized input
        splat = splat_value(value)
        if splat is not None:
            constants.append((value, splat))
            return True
        if quant.is_dequantize(op):
            if found["dequantize"] is not None and found["dequantize"].results[0] != value:
                return False  # a second input
            found["dequantize"] = op
            return True
        if op.name not in INTERPRETED_OPS or len(op.results) != 1:
            return False
        n = _data_operand_count(op.name, op)
        data = list(op.operands)[:n]
        if not _extra_operands_ok(op) or not all(_is_float_or_bool(v) for v in data + [op.results[0]]):
            return False
        if not _fits(ranked_shape(op.results[0]), shape):
            return False
        if not all(visit(v) for v in data):
            return False
        ops.append(op)
        return True

    if not visit(root) or not ops or (found["dequantize"] is None) != constant:
        return None
    return Region(found["dequantize"], ops, constants)


def fold_constant_region(q_op) -> Replace | None:
    """quantize(f(splat constants)): the quantized program computes one number, here the way
    it does (float32, then `qmath.quantize`), as a splat integer constant. ExecuTorch's
    quantizer makes these of a division by a constant: reciprocal(dequantize(const 3.0))."""
    out_q = quant.QParams.of(q_op)
    out_type = ir.RankedTensorType(q_op.results[0].type)
    shape = ranked_shape(q_op.results[0])
    width = ir.IntegerType(out_type.element_type).width
    if out_q.per_channel or shape is None or not -(1 << (width - 1)) <= out_q.qmin <= out_q.qmax < 1 << (width - 1):
        return None  # (uint8 storage: left to the other lowerings)
    region = find_region(q_op.operands[0], shape, constant=True)
    if region is None:
        return None
    value = np.asarray(_evaluate_on(region, None, None).numpy(), np.float32).reshape(-1)
    if value.size != 1 or not np.isfinite(value).all():
        return None
    code = qmath.quantize(value, out_q.scale[0], out_q.zero_point[0], out_q.qmin, out_q.qmax, np.int64)
    with ir.InsertionPoint(q_op), q_op.location:
        result = make_integer_const(np.full(shape, int(code[0]), np.int64), width)
    return Replace.one(q_op, result)


# --------------------------------------------------------------------------- evaluation


def dequantized_codes(qparams: quant.QParams):
    """The 256 int8 codes, dequantized as quantized_decomposed.dequantize_per_tensor does."""
    import torch

    codes = torch.arange(INT8_MIN, INT8_MAX + 1, dtype=torch.int8)
    return (codes.to(torch.float32) - qparams.zero_point[0]) * qparams.scale[0]


def evaluate(region: Region):
    """The region's float32 output for each of the 256 input codes (a torch tensor)."""
    return _evaluate_on(region, region.dequantize.results[0], dequantized_codes(quant.QParams.of(region.dequantize)))


def constant_tensor(kind: str, number):
    """A region constant as the float tensor PyTorch computes with: a bool, a float, or a
    quantized integer (code, scale, zero point) dequantized."""
    import torch

    if kind == "bool":
        return torch.tensor(number, dtype=torch.bool)
    if kind == "float":
        return torch.tensor(float(number), dtype=torch.float32)
    code, scale, zp = number
    return (torch.tensor(code).to(torch.float32) - zp) * scale


def _evaluate_on(region: Region, input_value: ir.Value, x):
    """The region's float32 output for the input tensor `x` (torch)."""
    import torch

    evaluators = _evaluators()
    env: list = [] if input_value is None else [(input_value, x)]  # None: a constant region

    def lookup(value):
        for known, tensor in env:
            if known == value:
                return tensor
        for known, (kind, number) in region.constants:
            if known == value:
                return constant_tensor(kind, number)
        raise KeyError("value outside the region")

    result = None
    for op in region.ops:
        indices, fn = evaluators[op.name]
        args = [lookup(op.operands[i]) for i in indices]
        result = fn(op, *args)
        if result.dtype != torch.bool:
            result = result.to(torch.float32)
        env.append((op.results[0], result))
    return result


def build_table(region: Region, out_q: quant.QParams) -> np.ndarray:
    """The int8 table: entry i is the output code for input code i - 128."""
    values = evaluate(region).numpy()
    values = np.broadcast_to(values, (TABLE_SIZE,)).astype(np.float32)
    in_q = quant.QParams.of(region.dequantize)
    valid = np.arange(INT8_MIN, INT8_MAX + 1)
    valid = (valid >= in_q.qmin) & (valid <= in_q.qmax)
    if np.isnan(values[valid]).any():
        bad = int(np.flatnonzero(np.isnan(values) & valid)[0]) + INT8_MIN
        raise ValueError(f"the function is NaN for input code {bad}")
    values = np.where(valid, values, np.float32(0))
    table = qmath.quantize(values, out_q.scale[0], out_q.zero_point[0], out_q.qmin, out_q.qmax, np.int64)
    return table.astype(np.int8)


def make_table(value: ir.Value, table: np.ndarray, out_type: ir.Type) -> ir.Value:
    return tosa.table(out_type, value, make_integer_const(np.asarray(table, np.int8), 8))


# --------------------------------------------------------------------------- pattern


def _is_int16_per_tensor(qparams: quant.QParams, element: ir.Type) -> bool:
    return (
        not qparams.per_channel
        and isinstance(element, ir.IntegerType)
        and ir.IntegerType(element).width == 16
    )


# --------------------------------------------------------------------------- int16


def int16_function(region: Region, qmin: int, qmax: int):
    """The region as a function of input code positions (float64 array, fractional where
    the table's input is zoomed), float32 as the fake-quantized program computes it:
    positions are dequantized as quantized_decomposed does. Outside [qmin, qmax] (codes
    the input never takes, and the table's last knot 32768) the function is continued
    by its value at the nearest valid code."""
    import torch

    q = quant.QParams.of(region.dequantize)
    env_input = region.dequantize.results[0]

    def function(positions: np.ndarray) -> np.ndarray:
        positions = np.clip(np.asarray(positions, np.float64), qmin, qmax)
        x = (torch.from_numpy(positions.astype(np.float32)) - q.zero_point[0]) * q.scale[0]
        values = _evaluate_on(region, env_input, x).numpy()
        return np.broadcast_to(values, positions.shape).astype(np.float32)

    return function


def int16_target(region: Region, out_q: quant.QParams):
    """The region as a function of input codes (`int16_function`), the quantized output
    it must give at each of table16.CODES (int64), and which codes the input can take.
    Raises ValueError when the function is not finite at one of those."""
    in_q = quant.QParams.of(region.dequantize)
    lo, hi = max(in_q.qmin, table16.INT16_MIN), min(in_q.qmax, table16.INT16_MAX)
    function = int16_function(region, lo, hi)
    values = function(table16.CODES.astype(np.float64))
    valid = (table16.CODES >= lo) & (table16.CODES <= hi)
    if not np.all(np.isfinite(values[valid])):
        bad = int(table16.CODES[np.flatnonzero(~np.isfinite(values) & valid)[0]])
        raise ValueError(f"the function is not finite for input code {bad}")
    target = qmath.quantize(values, out_q.scale[0], out_q.zero_point[0], out_q.qmin, out_q.qmax, np.int64)
    return function, target, valid


def build_table16(region: Region, out_q: quant.QParams, min_exact: float = 0.995,
                  form: str = "auto") -> table16.Table16Choice:
    """The cheapest int16 table form (table16.choose_table16) matching the quantized
    function at every code within 1 LSB and at `min_exact` of them exactly."""
    function, target, valid = int16_target(region, out_q)

    def in_output_lsbs(positions):
        return function(positions).astype(np.float64) / out_q.scale[0]

    return table16.choose_table16(in_output_lsbs, target, valid, out_q.qmin, out_q.qmax, min_exact, form)


def _table16_op(value: ir.Value, entries: np.ndarray) -> ir.Value:
    return tosa.table(_i32_like(value), value, make_integer_const(np.asarray(entries, np.int16), 16))


def _i32_like(value: ir.Value) -> ir.Type:
    return ir.RankedTensorType.get(ranked_shape(value), ir.IntegerType.get_signless(32))


def _exact_rescale(value: ir.Value, multiplier: int, shift: int, out_type: ir.Type) -> ir.Value:
    """tosa.rescale (scale32, SINGLE_ROUND, zero points 0) with an exact multiplier/shift."""
    return make_rescale(value, out_type, [multiplier], [shift])


def _broadcast_const(value: ir.Value, number: int, width: int) -> ir.Value:
    """A constant of rank `value`'s rank, all dims 1 (TOSA elementwise ops broadcast)."""
    rank = len(ranked_shape(value))
    return make_integer_const(np.full([1] * rank, number), width)


def _linear_accumulator(value: ir.Value, fit: table16.Table16) -> ir.Value:
    """TABLE [x 2^k (RESCALE) + TABLE of the low parts]."""
    i32 = _i32_like(value)
    acc = _table16_op(value, fit.high)
    if fit.extra_bits:
        acc = integer_rescale(acc, [float(1 << fit.extra_bits)], 0, 0, i32, per_channel=False)
        acc = tosa.add(i32, acc, _table16_op(value, fit.low))
    return acc


def _quadratic_accumulator(value: ir.Value, fit: table16.QuadraticTable16) -> ir.Value:
    """[RESCALE by the zoom], (TABLE high << 8) + MUL(TABLE low, TABLE scale, shift)."""
    i32 = _i32_like(value)
    if fit.zoom > 1:
        value = _exact_rescale(value, *table16.zoom_rescale(fit.zoom), value.type)
    high = tosa.logical_left_shift(i32, _table16_op(value, fit.high), _broadcast_const(value, table16.HIGH_SHIFT, 32))
    product = tosa.mul(i32, _table16_op(value, fit.low), _table16_op(value, fit.scale),
                       make_integer_const(np.asarray([fit.product_shift]), 8))
    return tosa.add(i32, high, product)


def make_table16(value: ir.Value, fit, out_q: quant.QParams, out_type: ir.Type) -> ir.Value:
    """The chosen form's int32 accumulator, then one RESCALE to the int16 output (and a
    clamp when it can leave [qmin, qmax])."""
    if isinstance(fit, table16.QuadraticTable16):
        acc = _quadratic_accumulator(value, fit)
    else:
        acc = _linear_accumulator(value, fit)
    rescaled = _exact_rescale(acc, fit.multiplier, fit.shift, out_type)
    lo, hi = fit.reach()
    storage_min, storage_max = qmath.qrange("int16")  # where the RESCALE saturates
    if (lo < out_q.qmin and out_q.qmin > storage_min) or (hi > out_q.qmax and out_q.qmax < storage_max):
        return saturate(rescaled, out_q.qmin, out_q.qmax, storage_min, storage_max)
    return rescaled


def _lower_table16(q_op, out_q, min_exact: float, form: str):
    out_type = q_op.results[0].type
    shape = ranked_shape(q_op.results[0])
    region = find_region(q_op.operands[0], shape) if shape is not None else None
    if region is None or not region.ops:
        return None
    dq = region.dequantize
    in_q = quant.QParams.of(dq)
    in_value = dq.operands[0]
    if not _is_int16_per_tensor(in_q, ir.RankedTensorType(in_value.type).element_type):
        return None
    if ranked_shape(in_value) != shape or not uses_stay_inside(region.ops, q_op):
        return None
    if in_q.zero_point[0] != 0 or out_q.zero_point[0] != 0:
        return Refuse(q_op, "cannot be an int16 table: TOSA needs int16 zero points of 0")
    try:
        choice = build_table16(region, out_q, min_exact, form)
    except ValueError as e:
        return Refuse(q_op, f"cannot be a lookup table: {e}")
    if choice.max_lsb > 1:
        why = ("the 513-entry table interpolates between knots 128 input codes apart, which a kink or step "
               "between them defeats" if form == "auto" else f"int16-form={form} was asked for")
        return Refuse(q_op, f"cannot be an int16 table: the closest form ({choice.name}) is {choice.max_lsb} LSB "
                            f"off the quantized function at some input code ({choice.exact:.2%} exact); {why}")
    with ir.InsertionPoint(q_op), q_op.location:
        result = make_table16(in_value, choice.fit, out_q, out_type)
    return Replace.one(q_op, result)


def lower_table_at(q_op, min_exact: float = 0.995, form: str = "auto"):
    out_q = quant.QParams.of(q_op)
    out_type = q_op.results[0].type
    if _is_int16_per_tensor(out_q, ir.RankedTensorType(out_type).element_type):
        return _lower_table16(q_op, out_q, min_exact, form)
    if not is_int8_per_tensor(out_q, ir.RankedTensorType(out_type).element_type):
        return None
    shape = ranked_shape(q_op.results[0])
    if shape is None:
        return None
    region = find_region(q_op.operands[0], shape)
    if region is None or not region.ops:
        return fold_constant_region(q_op)
    dq = region.dequantize
    in_q = quant.QParams.of(dq)
    in_value = dq.operands[0]
    if not is_int8_per_tensor(in_q, ir.RankedTensorType(in_value.type).element_type):
        return None
    if ranked_shape(in_value) != shape:
        return None
    if not uses_stay_inside(region.ops, q_op):
        return None
    try:
        table = build_table(region, out_q)
    except ValueError as e:
        return Refuse(q_op, f"cannot be a lookup table: {e}")
    with ir.InsertionPoint(q_op), q_op.location:
        result = make_table(in_value, table, out_type)
    return Replace.one(q_op, result)


# The single-input elementwise functions the quantizer annotates for a table, as
# torch.export names them (gelu covers both approximate='none' and 'tanh'), and their
# in-place forms, which export keeps (nn.SiLU(inplace=True) is aten.silu_).
_FUNCTION_NAMES = ("sigmoid", "tanh", "hardswish", "hardsigmoid", "exp", "log", "sqrt", "rsqrt", "reciprocal",
                   "sin", "cos", "silu", "gelu", "elu", "erf", "floor", "ceil", "round", "sign", "neg")
_FUNCTIONS = {f"aten.{op}{form}.default": OWN_OUTPUT for op in _FUNCTION_NAMES for form in ("", "_")}
_FUNCTIONS["aten.softplus.default"] = OWN_OUTPUT  # no in-place form


@lowering("table", family="table", root=quant.QUANTIZE, activations=("int8", "int16"), annotates=_FUNCTIONS)
def lower_table(q_op, run):
    """Any elementwise float function of one quantized input (sigmoid, tanh, hardswish, GELU ...) ->
    tosa.table (int8: 256 entries; int16: the 513-entry interpolated table + rescale)."""
    return lower_table_at(q_op, run.options["int16_min_exact"], run.options["int16_form"])


# --------------------------------------------------------------------------- leaky_relu


def _splat_float(value: ir.Value):
    splat = splat_value(value)
    return float(splat[1]) if splat is not None and splat[0] == "float" else None


def _operands_of(op, name: str):
    """`op`'s two data operands, if it is a `name` op with a single use (a region member)."""
    if op is None or op.name != name or not has_single_use(op.results[0]):
        return None
    if name == "tosa.mul" and not is_zero_constant(op.operands[2]):
        return None
    return list(op.operands)[:2]


_FLOAT_MAX = float(np.finfo(np.float32).max)


def _against_zero(op, name: str):
    """x of a single-use `name`(x, 0.0) (either operand order), or of the clamp that
    tosaic-form-clamps makes of it (maximum: [0, max float], minimum: [-max float, 0])."""
    if op is not None and op.name == "tosa.clamp" and has_single_use(op.results[0]):
        lo = ir.FloatAttr(op.attributes["min_val"]).value
        hi = ir.FloatAttr(op.attributes["max_val"]).value
        wanted = (0.0, _FLOAT_MAX) if name == "tosa.maximum" else (-_FLOAT_MAX, 0.0)
        is_float = isinstance(ir.RankedTensorType(op.results[0].type).element_type, ir.F32Type)
        return op.operands[0] if is_float and (lo, hi) == wanted else None
    operands = _operands_of(op, name)
    if operands is None:
        return None
    for x, zero in (operands, operands[::-1]):
        if _splat_float(zero) == 0.0:
            return x
    return None


def match_leaky_relu(q_op):
    """quantize(add(maximum(x, 0), mul(minimum(x, 0), slope))), torch-mlir's aten.leaky_relu
    (maximum and minimum also as clamps), with x = dequantize(q), operands in either order
    -> (the dequantize, slope), or None."""
    add = _operands_of(defining_op(q_op.operands[0]), "tosa.add")
    if add is None:
        return None
    for positive, negative in (add, add[::-1]):
        x = _against_zero(defining_op(positive), "tosa.maximum")
        product = _operands_of(defining_op(negative), "tosa.mul")
        if x is None or product is None:
            continue
        for minimum, slope in (product, product[::-1]):
            slope = _splat_float(slope)
            x_negative = _against_zero(defining_op(minimum), "tosa.minimum")
            dq = defining_op(x)
            if slope is not None and x_negative == x and quant.is_dequantize(dq):
                return dq, slope
    return None


def _leaky_relu_form(q_op, dq, slope: float, min_exact: float):
    """The two-RESCALE form's plan, if TOSA can encode it and it is within 1 LSB of the
    quantized function at every input code and equal to it at `min_exact` of them; else None."""
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    bits = ir.IntegerType(ir.RankedTensorType(q_op.results[0].type).element_type).width
    try:
        plan = qmath.leaky_relu_plan(in_q, out_q, slope, bits)
    except ValueError:
        return None
    region = find_region(q_op.operands[0], ranked_shape(q_op.results[0]))
    if region is None:
        return None
    lo, hi = max(in_q.qmin, table16.INT16_MIN), min(in_q.qmax, table16.INT16_MAX)
    codes = np.arange(lo, hi + 1)
    target = qmath.quantize(int16_function(region, lo, hi)(codes.astype(np.float64)), out_q.scale[0],
                            out_q.zero_point[0], out_q.qmin, out_q.qmax, np.int64)
    errors = np.abs(plan.reference(codes, in_q.zero_point[0], out_q.zero_point[0], bits) - target)
    if errors.max() > 1 or np.mean(errors == 0) < min_exact:
        return None
    return plan


def _emit_leaky_relu(x: ir.Value, plan: qmath.LeakyReluPlan, in_zp: int, out_zp: int, out_type) -> ir.Value:
    """rescale to i32 per branch, maximum/minimum in i32, unit rescale to the output (+ clamp)."""
    i32 = _i32_like(x)
    a, b = (make_rescale(x, i32, [m], [s], in_zp, 0) for m, s in (plan.positive, plan.negative))
    combined = (tosa.maximum if plan.combine == "maximum" else tosa.minimum)(i32, a, b)
    result = make_rescale(combined, out_type, [1 << 30], [30], 0, out_zp)
    return result if plan.clamp is None else integer_clamp(result, *plan.clamp)


@lowering("leaky_relu", family="table", root=quant.QUANTIZE, benefit=2, activations=("int8", "int16"),
          annotates={"aten.leaky_relu.default": OWN_OUTPUT, "aten.leaky_relu_.default": OWN_OUTPUT})
def lower_leaky_relu(q_op, run):
    """leaky_relu -> int8: one 256-entry tosa.table (exact; Vela fuses it into the producer);
    int16: two RESCALEs + MAXIMUM (MINIMUM for a slope > 1) where that is within 1 LSB, else a table form."""
    match = match_leaky_relu(q_op)
    if match is None:
        return None
    dq, slope = match
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    x, out_type = dq.operands[0], q_op.results[0].type
    element = ir.RankedTensorType(out_type).element_type
    int16 = x.type == out_type and _is_int16_per_tensor(in_q, element) and _is_int16_per_tensor(out_q, element)
    plan = _leaky_relu_form(q_op, dq, slope, run.options["int16_min_exact"]) if int16 else None
    if plan is None:
        return lower_table_at(q_op, run.options["int16_min_exact"], run.options["int16_form"])
    with ir.InsertionPoint(q_op), q_op.location:
        return Replace.one(q_op, _emit_leaky_relu(x, plan, in_q.zero_point[0], out_q.zero_point[0], out_type))


# --------------------------------------------------------------------------- ABS
#
# TOSA's ABS (int32 only) between two RESCALEs, which Vela runs as one NPU elementwise
# op, beats the int16 table forms everywhere, and an int8 TABLE where the TABLE stands
# alone: on a graph input. Where an int8 input comes from a computing op, Vela fuses the
# TABLE into that op's output and the TABLE wins or ties. Vela 5.2.0 cycles (U55-128 /
# U85-256), ABS form vs table:
#     int16 abs of a 1x16x32x32 graph input 8192 / 24615  vs 176064 / 60893
#     int16 conv -> abs -> conv, 1x16x16x16  18048 / 15961  vs  60064 / 32222
#   int8:
#     abs of a 1x16x32x32 graph input       8192 / 12499  vs  17216 / 13911
#     abs of a 1x8x8x8 graph input           256 /  1538  vs   1136 /  2700
#     conv -> abs -> conv, 1x16x16x16      12432 / 10225  vs  12560 /  8877
#     max_pool -> abs, 1x16x32x32          20808 / 19207  vs  18912 / 14360
#     add -> abs, 1x16x16x16                8192 /  3076  vs   6144 /  3076
# neg keeps the TABLE: Vela runs TOSA's NEGATE at ~1.5 cycles per element on U55 against
# the TABLE's ~1.05 (1x16x32x32 graph input: NEGATE + RESCALE 41472 / 18958, RESCALE +
# int32 NEGATE + RESCALE 24576 / 12499, vs TABLE 17216 / 13911), and in context the
# TABLE fuses (conv -> neg -> conv, the int32 form: 16528 / 10225 vs 12560 / 8877).
# The ABS form is used only where it gives the table's own output (the fake-quantized
# program's) at every input code, checked here with TOSA's RESCALE semantics.


def _quantized_function(q_op):
    """(region, in_q, out_q, dtype) when `q_op` quantizes an elementwise function of one
    per-tensor int8 or int16 input of its own shape and storage type, else None."""
    out_type = q_op.results[0].type
    out_q = quant.QParams.of(q_op)
    element = ir.RankedTensorType(out_type).element_type
    dtype = "int8" if is_int8_per_tensor(out_q, element) else "int16" if _is_int16_per_tensor(out_q, element) \
        else None
    shape = ranked_shape(q_op.results[0])
    if dtype is None or shape is None:
        return None
    region = find_region(q_op.operands[0], shape)
    if region is None or not uses_stay_inside(region.ops, q_op):
        return None
    in_q = quant.QParams.of(region.dequantize)
    in_value = region.dequantize.operands[0]
    if in_value.type != out_type or in_q.per_channel or (dtype == "int8" and not is_int8_per_tensor(in_q, element)):
        return None
    return region, in_q, out_q, dtype


def _table_target(region: Region, in_q: quant.QParams, out_q: quant.QParams, dtype: str):
    """The input codes, the output the table gives for each (the fake-quantized
    program's), and which codes the input can take."""
    if dtype == "int8":
        codes = np.arange(INT8_MIN, INT8_MAX + 1, dtype=np.int64)
        return codes, build_table(region, out_q).astype(np.int64), (codes >= in_q.qmin) & (codes <= in_q.qmax)
    _, target, valid = int16_target(region, out_q)
    return table16.CODES, target, valid


def _abs_form(codes, in_q: quant.QParams, out_q: quant.QParams, dtype: str):
    """RESCALE to int32 (x - zero point, exactly), ABS, RESCALE by in_scale / out_scale
    to the output: (its outputs at `codes`, its builder), or None when TOSA cannot
    encode it."""
    zp_in, zp_out = in_q.zero_point[0], out_q.zero_point[0]
    if dtype != "int8" and (zp_in or zp_out):
        return None  # TOSA: int16 RESCALEs need zero points of 0
    lo, hi = qmath.qrange(dtype)
    ratio = in_q.scale[0] / out_q.scale[0]
    if qmath.rescale_fits(ratio, max(hi - zp_in, zp_in - lo)) is not None:
        return None
    multiplier, shift = qmath.compute_multiplier_and_shift(ratio, True)
    magnitudes = np.abs(codes - zp_in).astype(np.int32)  # the first RESCALE: multiplier 2^30, shift 30, exact
    outputs = qmath.rescale_reference(magnitudes, 0, zp_out, [multiplier], [shift], out_dtype=dtype)

    def build(value, out_type):
        i32 = _i32_like(value)
        widened = make_rescale(value, i32, [1 << 30], [30], zp_in, 0)
        return make_rescale(tosa.abs(i32, widened), out_type, [multiplier], [shift], 0, zp_out)

    return outputs, build


def _is_graph_input(value: ir.Value) -> bool:
    """A function argument, or the quantize of one (the graph's input quantization, which
    becomes the integer argument later in the pipeline)."""
    producer = defining_op(value)
    return producer is None or (quant.is_quantize(producer) and defining_op(producer.operands[0]) is None)


@lowering("abs", family="table", root=quant.QUANTIZE, benefit=2, activations=("int8", "int16"),
          annotates={"aten.abs.default": OWN_OUTPUT, "aten.abs_.default": OWN_OUTPUT})
def lower_abs(q_op, run):
    """abs (int16; int8 of a graph input) -> RESCALE to int32, ABS, RESCALE, where that is the table's
    output at every code (elsewhere the table entry's TABLE, which Vela fuses into the int8 producer)."""
    matched = _quantized_function(q_op)
    if matched is None:
        return None
    region, in_q, out_q, dtype = matched
    in_value = region.dequantize.operands[0]
    if [op.name for op in region.ops] != ["tosa.abs"] or (dtype == "int8" and not _is_graph_input(in_value)):
        return None
    try:
        codes, target, valid = _table_target(region, in_q, out_q, dtype)
    except ValueError:
        return None  # the table entry reports it
    planned = _abs_form(codes, in_q, out_q, dtype)
    if planned is None:
        return None
    outputs, build = planned
    reached = outputs[valid].astype(np.int64)
    if not np.array_equal(np.clip(reached, out_q.qmin, out_q.qmax), target[valid]):
        return None
    with ir.InsertionPoint(q_op), q_op.location:
        result = build(in_value, q_op.results[0].type)
        if reached.min() < out_q.qmin or reached.max() > out_q.qmax:
            result = integer_clamp(result, out_q.qmin, out_q.qmax)
    return Replace.one(q_op, result)


# --------------------------------------------------------------------------- prelu (per channel)
#
# prelu(x) = x where x > 0, else w_c x, with one slope per channel. torch-mlir writes it as
# select(greater(x, 0), x, mul(w, x)). Per channel, as int16 leaky_relu is per tensor: with
# s = s_x / s_y, a = RESCALE(x, s) and b = RESCALE(x, |w_c| s) (per channel, the channel
# moved last: TOSA rescales per channel along the last axis), times the sign of w_c, each
# rounded once; rounding is monotonic, so MAXIMUM(a, b) is the right branch everywhere when
# every w_c <= 1 (a >= b for x >= zp, a <= b below), MINIMUM when every w_c >= 1. A zero
# slope rescales by 2^-31: every |x - zp| <= 2^16 rounds to 0, as w_c x does. One slope for
# all channels (a splat) is a leaky_relu: the table.


def _prelu_parts(q_op):
    """(the dequantize, slopes [C], channel axis) of quantize(select(greater(x, 0), x,
    mul(w, x))) with w a float constant varying along one axis of x, or None."""
    select = defining_op(q_op.operands[0])
    if select is None or select.name != "tosa.select" or not has_single_use(select.results[0]):
        return None
    cond, x, product = (defining_op(v) for v in select.operands)
    x = select.operands[1]
    dq = defining_op(x)
    if not quant.is_dequantize(dq) or cond is None or cond.name != "tosa.greater" or product is None \
            or product.name != "tosa.mul" or not is_zero_constant(product.operands[2]):
        return None
    if cond.operands[0] != x or _splat_float(cond.operands[1]) != 0.0:
        return None
    mul_operands = list(product.operands)[:2]
    slopes = next((constant_array(w) for w, v in (mul_operands, mul_operands[::-1]) if v == x), None)
    shape = ranked_shape(x)
    if slopes is None or shape is None or slopes.ndim != len(shape) or not np.issubdtype(slopes.dtype, np.floating):
        return None
    axes = [i for i, n in enumerate(slopes.shape) if n != 1]
    if len(axes) != 1 or slopes.shape[axes[0]] != shape[axes[0]]:
        return None
    return dq, slopes.reshape(-1).astype(np.float64), axes[0]


@lowering("prelu", family="table", root=quant.QUANTIZE, benefit=2, activations=("int8", "int16"),
          annotates={"aten.prelu.default": OWN_OUTPUT})
def lower_prelu(q_op, run):
    """prelu with a slope per channel -> two RESCALEs to int32 (the second per channel, signed
    by a MUL), MAXIMUM (MINIMUM when every slope >= 1), a unit RESCALE, the channel moved last
    and back; one slope for all: the table."""
    parts = _prelu_parts(q_op)
    if parts is None:
        return None
    dq, slopes, axis = parts
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    if in_q.per_channel or out_q.per_channel:
        return None
    if np.all(slopes <= 1):
        combine = tosa.maximum
    elif np.all(slopes >= 1):
        combine = tosa.minimum
    else:
        return Refuse(q_op, "prelu with slopes both below and above 1 has no two-branch integer form")
    x, out_type = dq.operands[0], q_op.results[0].type
    scale = in_q.scale[0] / out_q.scale[0]
    lo, hi = in_q.qmin, in_q.qmax
    bound = max(abs(lo - in_q.zero_point[0]), abs(hi - in_q.zero_point[0]))
    scales = [scale] + [max(abs(w) * scale, 2.0 ** -31) for w in slopes]
    for value in scales:
        reason = qmath.rescale_fits(value, bound)
        if reason is None and bound * value + 1 >= 1 << 29:
            reason = f"scale {value:.6g} takes int32 values past the unit rescale's 2**29"
        if reason:
            return Refuse(q_op, f"prelu cannot be rescaled: {reason}")
    shape = ranked_shape(x)
    perm = [i for i in range(len(shape)) if i != axis] + [axis]
    inverse = [perm.index(i) for i in range(len(shape))]
    moved = [shape[i] for i in perm]
    element = ir.RankedTensorType(out_type).element_type
    with ir.InsertionPoint(q_op), q_op.location:
        i32 = ir.RankedTensorType.get(moved, ir.IntegerType.get_signless(32))
        xt = make_transpose(x, perm)
        a = integer_rescale(xt, [scale], in_q.zero_point[0], 0, i32, per_channel=False)
        b = integer_rescale(xt, scales[1:], in_q.zero_point[0], 0, i32, per_channel=True)
        if np.any(slopes < 0):
            signs = np.where(slopes < 0, -1, 1).reshape([1] * (len(shape) - 1) + [-1])
            b = tosa.MulOp(i32, b, make_integer_const(signs, 32), make_integer_const(np.asarray([0]), 8)).result
        y = integer_rescale(combine(i32, a, b), [1.0], 0, out_q.zero_point[0],
                            ir.RankedTensorType.get(moved, element), per_channel=False)
        width = ir.IntegerType(element).width
        y = saturate(y, out_q.qmin, out_q.qmax, -(1 << (width - 1)), (1 << (width - 1)) - 1)
        return Replace.one(q_op, make_transpose(y, inverse))
