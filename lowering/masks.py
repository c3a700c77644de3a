"""Boolean conditions as int32 0/1 masks built from ops Ethos-U55 runs (no comparison, no SELECT).

A `where` / `masked_fill` picks `b + mask * (a - b)` (lowering/elementwise.py); this module
builds the mask of its boolean condition, a tree of:

- a function of one int8 input (comparisons with constants, logical ops on them): a 0/1
  TABLE of that input (`table_mask`, the table lowering's interpreter evaluates it);
- a comparison of two quantized tensors, `a > b`, `a >= b`, `a == b` (torch-mlir writes
  `<`, `<=` swapped and `!=` as not-equal): both are rescaled to int32 at one common unit
  `u = 2 * max(s_a, s_b) / 2**k` (as add, k = qmath.add_headroom_shift <= 20), d = A - B,
  and with int32 MAXIMUM/MINIMUM
      a > b  :  min(max(d, 0), 1)
      a >= b :  min(max(d + 1, 0), 1)
      a == b :  (a >= b) + (b >= a) - 1
  The larger scale's rescale is exact (2**(k-1)); the other's error is ~2**-31 relative,
  far below 1/2 unit, so equal real values give d = 0 exactly, and a nonzero real
  difference of two int8 grids (>= ~s / 255 unless the scale ratio is within 2**-19 of a
  small rational) is many units: the sign of d is the program's float comparison;
- logical_not (1 - m), logical_and (m1 * m2), logical_or (max(m1, m2)) of those;
- a boolean constant (tril's triangle, a fixed attention mask): an int32 constant.

`plan(cond)` checks the whole tree before anything is built, so a condition that does not
fit leaves no ops behind; the plan's `build()` emits the ops at the insertion point.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import constant_array, defining_op, make_integer_const, ranked_shape
from tosaic.lowering.build import integer_rescale
from tosaic.lowering.match import PerTensorOperand
from tosaic.quantization import qmath

# The int32 extra fractional bits of the common unit (as add's): at most 20 for int8, 15 for int16.
_COMMON_UNIT_SHIFT = {8: 20, 16: 15}


def _i32(shape) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), ir.IntegerType.get_signless(32))


def _const(value: int, rank: int) -> ir.Value:
    return make_integer_const(np.full([1] * rank, value, np.int64), 32)


def _binary(name: str, lhs: ir.Value, rhs: ir.Value, shape) -> ir.Value:
    operands = [lhs, rhs]
    if name == "tosa.mul":
        operands.append(make_integer_const(np.asarray([0]), 8))  # shift 0
    return ir.Operation.create(name, results=[_i32(shape)], operands=operands).result


def _clip01(value: ir.Value, shape) -> ir.Value:
    """min(max(value, 0), 1) in int32: 1 where value >= 1, else 0."""
    rank = len(shape)
    return tosa.minimum(_i32(shape), tosa.maximum(_i32(shape), value, _const(0, rank)), _const(1, rank))


def _quantized_input(value: ir.Value) -> PerTensorOperand | None:
    op = defining_op(value)
    if not quant.is_dequantize(op):
        return None
    x = PerTensorOperand(op)
    if x.qparams.per_channel or x.width not in _COMMON_UNIT_SHIFT or x.shape is None:
        return None
    if x.width == 16 and x.qparams.zero_point[0]:
        return None  # TOSA's RESCALE: int16 zero point 0
    return x


def _comparison(op) -> Callable[[], ir.Value] | None:
    """The mask builder of `a > b`, `a >= b` or `a == b` of two quantized tensors."""
    inputs = [_quantized_input(v) for v in op.operands]
    if any(x is None for x in inputs):
        return None
    a, b = inputs
    shape = ranked_shape(op.results[0])
    if shape is None or len(a.shape) != len(shape) or len(b.shape) != len(shape):
        return None
    scales = [a.qparams.scale[0], b.qparams.scale[0]]
    try:
        shift = qmath.add_headroom_shift([a.magnitude(), b.magnitude()], scales, 0.0,
                                         min(_COMMON_UNIT_SHIFT[a.width], _COMMON_UNIT_SHIFT[b.width]))
    except ValueError:
        return None
    unit = 2 * max(scales) / (1 << shift)
    if any(qmath.rescale_fits(s / unit, x.magnitude()) for s, x in zip(scales, inputs)):
        return None
    # d + 1 and 1 - d must fit int32 too.
    if sum(x.magnitude() * s / unit for s, x in zip(scales, inputs)) + 2 >= (1 << 31) - 1:
        return None

    def build() -> ir.Value:
        a32, b32 = [integer_rescale(x.value, [s / unit], x.qparams.zero_point[0], 0, _i32(x.shape),
                                    per_channel=False) for s, x in zip(scales, inputs)]
        rank = len(shape)
        d = _binary("tosa.sub", a32, b32, shape)
        if op.name == "tosa.greater":
            return _clip01(d, shape)
        ge = _clip01(_binary("tosa.add", d, _const(1, rank), shape), shape)
        if op.name == "tosa.greater_equal":
            return ge
        le = _clip01(_binary("tosa.sub", _const(1, rank), d, shape), shape)
        return _binary("tosa.sub", _binary("tosa.add", ge, le, shape), _const(1, rank), shape)

    return build


_CONSTANT_FOLDS = {
    "tosa.add": np.add, "tosa.sub": np.subtract, "tosa.greater": np.greater,
    "tosa.greater_equal": np.greater_equal, "tosa.equal": np.equal, "tosa.logical_and": np.logical_and,
    "tosa.logical_or": np.logical_or, "tosa.logical_not": np.logical_not,
}


def _integer_constant(value: ir.Value, depth: int = 0) -> np.ndarray | None:
    """The value of an integer/boolean expression of constants (torch-mlir's iota arithmetic
    of tril, which TOSA's constant folder leaves: i64 casts), or None."""
    array = constant_array(value)
    if array is not None:
        return array if array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer) else None
    op = defining_op(value)
    shape = ranked_shape(value)
    if op is None or shape is None or depth > 16:
        return None
    if op.name in ("tosa.reshape", "tosa.cast"):
        inner = _integer_constant(op.operands[0], depth + 1)
        if inner is None:
            return None
        element = ir.RankedTensorType(value.type).element_type
        if op.name == "tosa.cast" and not (isinstance(element, ir.IntegerType) and ir.IntegerType(element).width > 1):
            return None
        return inner.reshape(shape)
    fold = _CONSTANT_FOLDS.get(op.name)
    if fold is None:
        return None
    args = [_integer_constant(v, depth + 1) for v in op.operands]
    if any(a is None for a in args):
        return None
    result = fold(*[a.astype(np.int64) if a.dtype != np.bool_ else a for a in args])
    return np.broadcast_to(result, shape)


def constant_condition(value: ir.Value) -> np.ndarray | None:
    """The boolean array of a constant condition (folded as above), or None."""
    array = _integer_constant(value)
    return array if array is not None and array.dtype == np.bool_ else None


def _bool_constant(value: ir.Value) -> Callable[[], ir.Value] | None:
    array = _integer_constant(value)
    if array is None or array.dtype != np.bool_:
        return None
    shape = ranked_shape(value)
    return lambda: make_integer_const(np.broadcast_to(array, shape).astype(np.int64), 32)


def plan(cond: ir.Value, table_mask: Callable[[ir.Value], Callable[[], ir.Value] | None]):
    """A builder of the int32 0/1 mask of the boolean `cond`, or None when some part of it
    is none of the forms above. `table_mask(value)` plans the TABLE mask of a condition
    that is a function of one int8 input (or returns None)."""
    single = table_mask(cond)
    if single is not None:
        return single
    constant = _bool_constant(cond)
    if constant is not None:
        return constant
    op = defining_op(cond)
    if op is None:
        return None
    shape = ranked_shape(op.results[0])
    if shape is None:
        return None
    if op.name in ("tosa.greater", "tosa.greater_equal", "tosa.equal"):
        return _comparison(op)
    if op.name == "tosa.logical_not":
        inner = plan(op.operands[0], table_mask)
        if inner is None:
            return None
        return lambda: _binary("tosa.sub", _const(1, len(shape)), inner(), shape)
    if op.name in ("tosa.logical_and", "tosa.logical_or"):
        parts = [plan(v, table_mask) for v in op.operands]
        if any(p is None for p in parts):
            return None
        if op.name == "tosa.logical_and":
            return lambda: _binary("tosa.mul", parts[0](), parts[1](), shape)
        return lambda: tosa.maximum(_i32(shape), parts[0](), parts[1]())
    return None
