"""What the quantized lowering passes share.

Reading constants, the integer rescale and saturation builders (RESCALE constants from
`tosaic.quantization.qmath`), refusing an op with a diagnostic, and the pass shape
itself: rewrite patterns rooted at `tosaic.quantize` (mostly), run by MLIR's greedy
driver, the pass failing after the run if any op was refused.
"""

from __future__ import annotations

from typing import Callable, ClassVar

import numpy as np
from torch_mlir import ir, rewrite

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, make_integer_const
from tosaic.passes.base import Pass, PassFailure
from tosaic.quantization import qmath


def constant_array(value: ir.Value) -> np.ndarray | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    return np.array(op.attributes["values"])


# Operands seen through layout ops ----------------------------------------------------


def integer_rescale(value: ir.Value, scales, input_zp: int, output_zp: int,
                    out_type: ir.Type, per_channel: bool) -> ir.Value:
    """tosa.rescale by real `scales` (one, or one per last-dim channel), SINGLE_ROUND."""
    multipliers, shifts = qmath.compute_multiplier_and_shift_per_channel(list(scales), True)
    in_element = ir.RankedTensorType(value.type).element_type
    out_element = ir.RankedTensorType(out_type).element_type
    operands = [
        value,
        make_integer_const(np.asarray(multipliers, np.int32), 32),
        make_integer_const(np.asarray(shifts, np.int8), 8),
        make_integer_const(np.asarray([input_zp]), ir.IntegerType(in_element).width),
        make_integer_const(np.asarray([output_zp]), ir.IntegerType(out_element).width),
    ]
    false = ir.BoolAttr.get(False)
    return ir.Operation.create(
        "tosa.rescale",
        results=[out_type],
        operands=operands,
        attributes={
            "scale32": ir.BoolAttr.get(True),
            "rounding_mode": ir.Attribute.parse("#tosa.rounding_mode<SINGLE_ROUND>"),
            "per_channel": ir.BoolAttr.get(per_channel),
            "input_unsigned": false,
            "output_unsigned": false,
        },
    ).result


def clamp_bounds(clamp_op, qparams: quant.QParams) -> tuple[int, int]:
    """The float clamp's bounds in the quantized domain, within the output range."""
    lo = ir.FloatAttr(clamp_op.attributes["min_val"]).value
    hi = ir.FloatAttr(clamp_op.attributes["max_val"]).value
    scale, zp = qparams.scale[0], qparams.zero_point[0]
    q_lo = qparams.qmin if lo < -1e30 else max(qparams.qmin, int(np.round(lo / scale)) + zp)
    q_hi = qparams.qmax if hi > 1e30 else min(qparams.qmax, int(np.round(hi / scale)) + zp)
    return q_lo, q_hi


def saturate(value: ir.Value, q_lo: int, q_hi: int, storage_min: int, storage_max: int) -> ir.Value:
    if q_lo <= storage_min and q_hi >= storage_max:
        return value  # the rescale already saturates to the storage range
    element = ir.RankedTensorType(value.type).element_type
    return ir.Operation.create(
        "tosa.clamp",
        results=[value.type],
        operands=[value],
        attributes={"min_val": ir.IntegerAttr.get(element, q_lo),
                    "max_val": ir.IntegerAttr.get(element, q_hi)},
    ).result


_refused: list = []


def refuse(op, reason: str) -> bool:
    """Report, once (the greedy driver may revisit an op), why `op` cannot be lowered;
    the pass fails after its pattern run. Returns True: the pattern did not match."""
    if not any(op == seen for seen in _refused):
        Pass.error(op, reason)
        _refused.append(op)
    return True


class QuantizedLowering(Pass):
    """Base of the `tosaic-lower-quantized-*` passes: `patterns()` lists (root op,
    callable, benefit); all of them join the tosa-int pipeline's lowering stage."""

    anchor = "func.func"
    integer_lowering = True
    failure: ClassVar[str] = "a quantized op could not be lowered"

    def patterns(self) -> list[tuple[str, Callable, int]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, op: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet()
        for root, fn, benefit in self.patterns():
            patterns.add(root, fn, benefit=benefit)
        _refused.clear()
        rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze())
        if _refused:
            raise PassFailure(self.failure)
