"""Run an integer ARGMAX as reductions and elementwise int32 ops (Vela 5.2.0 has no ARGMAX
on the Ethos-U55).

Along an axis of N codes x_i (int8 or int16, lowest code m), each element becomes a key
that orders by value first and by position second, earliest first:

    key_i = (x_i - m) * N + (N - 1 - i)        (int32; maximised in int16 when it fits)

The largest key is that of the first largest code, so with x_max = max_i x_i the index is

    argmax = (N - 1) - (max_i key_i - (x_max - m) * N)

RESCALE (by the integer N, exact), ADD of a constant column, two REDUCE_MAXes, two SUBs and a
RESHAPE: ops Vela runs on the U55, whose REDUCE_MAX takes 8- and 16-bit values only, so the
keys are narrowed to int16 around it when they fit (int8 argmax over up to 128 elements);
longer axes keep int32 keys, which Vela rejects there. The U85 runs ARGMAX itself, so only
the U55 pipeline has this pass.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects.tosa_helpers import make_integer_const, make_reshape, ranked_shape
from tosaic.lowering.build import integer_rescale
from tosaic.passes.base import PatternPass


def _reduce_max(value: ir.Value, axis: int) -> ir.Value:
    shape = ranked_shape(value)
    shape[axis] = 1
    element = ir.RankedTensorType(value.type).element_type
    return tosa.ReduceMaxOp(value, ir.IntegerAttr.get(ir.IntegerType.get_signless(32), axis),
                            results=[ir.RankedTensorType.get(shape, element)]).result


def _decompose(op, rewriter) -> bool:
    op = op.operation
    x = op.operands[0]
    x_type = ir.RankedTensorType(x.type)
    element = x_type.element_type
    if not isinstance(element, ir.IntegerType) or ir.IntegerType(element).width not in (8, 16):
        return True
    if not x_type.has_static_shape:
        return True
    width = ir.IntegerType(element).width
    shape = list(x_type.shape)
    axis = ir.IntegerAttr(op.attributes["axis"]).value % len(shape)
    n = shape[axis]
    lowest = -(1 << (width - 1))
    # The keys reach (2^width - 1) * N + N - 1. TOSA adds and subtracts in int32 only, and
    # Vela's U55 REDUCE_MAX takes 8- and 16-bit values only: the keys are maximised in int16
    # (RESCALEs by 1 either side, exact) when they fit, else in int32.
    narrow = (1 << width) * n <= (1 << 15)
    i32 = ir.IntegerType.get_signless(32)
    i16 = ir.IntegerType.get_signless(16)
    with rewriter.ip, op.location:
        scaled = integer_rescale(x, [float(n)], lowest, 0, ir.RankedTensorType.get(shape, i32), per_channel=False)
        column = [1] * len(shape)
        column[axis] = n
        positions = make_integer_const((n - 1 - np.arange(n, dtype=np.int64)).reshape(column), 32)
        keys = tosa.AddOp(ir.RankedTensorType.get(shape, i32), scaled, positions).result
        if narrow:
            keys = integer_rescale(keys, [1.0], 0, 0, ir.RankedTensorType.get(shape, i16), per_channel=False)
        best_key = _reduce_max(keys, axis)
        reduced = ranked_shape(best_key)
        if narrow:
            best_key = integer_rescale(best_key, [1.0], 0, 0, ir.RankedTensorType.get(reduced, i32),
                                       per_channel=False)
        best = _reduce_max(x, axis)
        best_scaled = integer_rescale(best, [float(n)], lowest, 0, ir.RankedTensorType.get(reduced, i32),
                                      per_channel=False)
        offset = tosa.SubOp(ir.RankedTensorType.get(reduced, i32), best_key, best_scaled).result
        last = make_integer_const(np.full([1] * len(shape), n - 1, np.int64), 32)
        index = tosa.SubOp(ir.RankedTensorType.get(reduced, i32), last, offset).result
        result = make_reshape(index, ranked_shape(op.results[0]))
    rewriter.replace_op(op, [result])
    return False


class DecomposeArgmax(PatternPass):
    name = "tosaic-decompose-argmax"
    summary = ("Run an int8/int16 tosa.argmax as an int32 max over keys (code * N + reversed position), "
               "two reduce_max and subtractions (Ethos-U55: Vela has no ARGMAX)")

    def patterns(self):
        return [("tosa.argmax", _decompose, 1)]
