"""Run an int8 GATHER of a constant table (an embedding) as a one-hot 1x1 convolution
(Ethos-U55: Vela 5.2.0 has no GATHER there).

For `values` [1, K, C] (the table's int8 codes) and int32 `indices` [1, W]:

    d[w, k]      = indices[w] - k                                     (SUB of a constant row)
    onehot[w, k] = min(max(d + 1, 0), 1) * min(max(1 - d, 0), 1)      (1 iff d == 0; int32)
    out[w, c]    = sum_k onehot[w, k] * values[k, c]                   (CONV2D 1x1, weights values^T)

The convolution's weights are the codes themselves (weight zero point 0, no bias), so each
accumulator is exactly the chosen row's code, and a RESCALE by 1 brings it back to int8:
bit-exact, whatever the table's zero point. An index outside [0, K) selects no row (code 0).
Ops Vela runs on the U55: int32 SUB/ADD/MAXIMUM/MINIMUM/MUL, RESCALE, CONV2D. A gather of
anything but an int8 constant (int16 values, activations) stays a GATHER.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects.tosa_helpers import make_integer_const, make_reshape, ranked_shape
from tosaic.lowering.build import element_width, integer_convolution, integer_rescale
from tosaic.lowering.match import integer_constant
from tosaic.passes.base import PatternPass


def _i32(shape) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), ir.IntegerType.get_signless(32))


def _clip01(value: ir.Value, shape) -> ir.Value:
    """min(max(value, 0), 1) in int32."""
    zero = make_integer_const(np.zeros((1, 1, 1), np.int64), 32)
    one = make_integer_const(np.ones((1, 1, 1), np.int64), 32)
    return tosa.MinimumOp(_i32(shape), tosa.MaximumOp(_i32(shape), value, zero).result, one).result


def _decompose(op, rewriter) -> bool:
    op = op.operation
    values, indices = op.operands
    if element_width(values) != 8 or element_width(indices) != 32:
        return True
    table = integer_constant(values)
    shape = ranked_shape(values)
    index_shape = ranked_shape(indices)
    if table is None or shape[0] != 1 or index_shape[0] != 1:
        return True
    _, k, c = shape
    w = index_shape[1]
    onehot_shape = [1, w, k]
    i8 = ir.IntegerType.get_signless(8)
    with rewriter.ip, op.location:
        column = make_reshape(indices, [1, w, 1])
        # d + 1 = index - (k - 1) and 1 - d = (k + 1) - index, each against a constant row.
        plus = tosa.SubOp(_i32(onehot_shape), column,
                          make_integer_const(np.arange(k, dtype=np.int64).reshape(1, 1, k) - 1, 32)).result
        minus = tosa.SubOp(_i32(onehot_shape),
                           make_integer_const(np.arange(k, dtype=np.int64).reshape(1, 1, k) + 1, 32), column).result
        onehot = tosa.MulOp(_i32(onehot_shape), _clip01(plus, onehot_shape), _clip01(minus, onehot_shape),
                            make_integer_const(np.asarray([0]), 8)).result
        # As an NHWC image [1, 1, W, K] of int8 0/1 codes.
        onehot = integer_rescale(make_reshape(onehot, [1, 1, w, k]), [1.0], 0, 0,
                                 ir.RankedTensorType.get([1, 1, w, k], i8), per_channel=False)
        weight = np.ascontiguousarray(table[0].T).reshape(c, 1, 1, k)
        accumulator = integer_convolution("tosa.conv2d", onehot, weight, np.zeros(c, np.int64), 0, [1, 1, w, c])
        codes = integer_rescale(accumulator, [1.0], 0, 0, ir.RankedTensorType.get([1, 1, w, c], i8),
                                per_channel=False)
        result = make_reshape(codes, ranked_shape(op.results[0]))
    rewriter.replace_op(op, [result])
    return False


class DecomposeGather(PatternPass):
    name = "tosaic-decompose-gather"
    summary = ("Run an int8 tosa.gather of a constant table (an embedding) as a one-hot int32 mask and a "
               "1x1 conv2d with the table as weights (Ethos-U55: Vela has no GATHER)")

    def patterns(self):
        return [("tosa.gather", _decompose, 1)]
