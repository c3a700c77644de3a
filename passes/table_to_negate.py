"""Run an int8 TABLE that is a negation as TOSA's NEGATE (with zero points).

A quantized neg lowers to a 256-entry TABLE. When every entry is
`clamp(k - code, -128, 127)` for one k (input and output scales equal, as ExecuTorch's
quantizer makes them), NEGATE with zero points `input_zp + output_zp = k` gives the
same int8 at every code. Vela 5.2.0 runs it faster on the Ethos-U85 only (1x16x16x16,
U85-256: NEGATE 1538 cycles, TABLE 5100; on the U55-128 the TABLE is faster, 4672
against NEGATE's 6144), so only the U85 pipeline has this pass.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects.tosa_helpers import constant_array, make_integer_const
from tosaic.passes.base import PatternPass

_CODES = np.arange(-128, 128, dtype=np.int64)


def negation_offset(table: np.ndarray) -> int | None:
    """k when `table[code + 128] == clip(k - code, -128, 127)` at every int8 code, else None."""
    if table.shape != (256,):
        return None
    table = table.astype(np.int64)
    inside = (table > -128) & (table < 127)
    if not inside.any():
        return None
    k = int((table + _CODES)[inside][0])
    if not np.array_equal(np.clip(k - _CODES, -128, 127), table):
        return None
    return k


def _to_negate(op, rewriter) -> bool:
    op = op.operation
    x = op.operands[0]
    element = ir.RankedTensorType(x.type).element_type
    if not (isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 8):
        return True
    table = constant_array(op.operands[1])
    k = None if table is None else negation_offset(np.asarray(table))
    if k is None:
        return True
    input_zp = max(-128, min(127, k))  # both zero points int8: k in [-256, 254] splits
    output_zp = k - input_zp
    if not -128 <= output_zp <= 127:
        return True
    with rewriter.ip, op.location:
        negate = ir.Operation.create(
            "tosa.negate", results=[op.results[0].type],
            operands=[x, make_integer_const(np.array([input_zp]), 8), make_integer_const(np.array([output_zp]), 8)],
        )
    rewriter.replace_op(op, [negate.result])
    return False


class TableToNegate(PatternPass):
    name = "tosaic-table-to-negate"
    summary = "Run an int8 TABLE that negates (clamp(k - x)) as tosa.negate with zero points"

    def patterns(self):
        return [("tosa.table", _to_negate, 1)]
