"""Run an int8 GATHER of a constant table (an embedding) as a one-hot 1x1 convolution
(Ethos-U55: Vela 5.2.0 has no GATHER there).

For `values` [1, K, C] (the table's int8 codes) and int32 `indices` [1, W]:

    d[w, k]      = indices[w] - k                       (int32 SUB of a constant row)
    onehot[w, k] = TABLE(saturate_int8(d)) == (d == 0)   (RESCALE by 1 to int8: 0 stays 0, any
                                                          other value stays nonzero; a 0/1 TABLE)
    out[w, c]    = sum_k onehot[w, k] * values[k, c]     (CONV2D 1x1, weights values^T)

The convolution's weights are the codes themselves (weight zero point 0, no bias), so each
accumulator is exactly the chosen row's code, and a RESCALE by 1 brings it back to int8:
bit-exact, whatever the table's zero point. An index outside [0, K) selects no row (code 0).
Ops Vela runs on the U55: int32 SUB, RESCALE, TABLE, CONV2D (an int32 one-hot of clipped
differences, SUB/MAXIMUM/MINIMUM/MUL, took 19968 / 3577 cycles for 14 ids into a 50 x 16 table
on U55-128 / U85-256). A gather of
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


# The int8 TABLE of "x == 0": entry x + 128.
_IS_ZERO = (np.arange(-128, 128) == 0).astype(np.int8)


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
    i8 = ir.IntegerType.get_signless(8)
    with rewriter.ip, op.location:
        column = make_reshape(indices, [1, w, 1])
        difference = tosa.SubOp(_i32([1, w, k]), column,
                                make_integer_const(np.arange(k, dtype=np.int64).reshape(1, 1, k), 32)).result
        # As an NHWC image [1, 1, W, K]: the differences saturated to int8 (0 stays 0, every
        # other value stays nonzero), then a TABLE of "is zero".
        saturated = integer_rescale(make_reshape(difference, [1, 1, w, k]), [1.0], 0, 0,
                                    ir.RankedTensorType.get([1, 1, w, k], i8), per_channel=False)
        onehot = tosa.table(saturated.type, saturated, make_integer_const(_IS_ZERO, 8))
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
