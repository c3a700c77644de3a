"""Rewrite maximum/minimum against splat constants into tosa.clamp.

torch-mlir lowers relu6/hardtanh/clamp with tensor bounds as `minimum(maximum(x, lo),
hi)`. As a clamp the bounds are attributes that the quantized lowerings fold into
a rescale's saturation or an integer clamp.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects.tosa_helpers import defining_op, ranked_shape
from tosaic.passes.base import PatternPass

_FLOAT_MAX = float(np.finfo(np.float32).max)


def _splat_bound(value: ir.Value) -> float | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    array = np.array(op.attributes["values"])
    if array.size == 0 or not np.issubdtype(array.dtype, np.floating) or not np.all(array == array.flat[0]):
        return None
    return float(array.flat[0])


def _to_clamp(op, rewriter) -> bool:
    op = op.operation
    x, bound_value = op.operands[0], op.operands[1]
    bound = _splat_bound(bound_value)
    if bound is None:
        x, bound_value = op.operands[1], op.operands[0]
        bound = _splat_bound(bound_value)
    if bound is None or ranked_shape(x) != ranked_shape(op.results[0]):
        return True
    lo, hi = (bound, _FLOAT_MAX) if op.name == "tosa.maximum" else (-_FLOAT_MAX, bound)
    element = ir.RankedTensorType(op.results[0].type).element_type
    with rewriter.ip, op.location:
        clamp = ir.Operation.create(
            "tosa.clamp", results=[op.results[0].type], operands=[x],
            attributes={"min_val": ir.FloatAttr.get(element, lo), "max_val": ir.FloatAttr.get(element, hi)},
        )
    rewriter.replace_op(op, [clamp.result])
    return False


def _merge_clamps(op, rewriter) -> bool:
    """clamp(clamp(x)) -> clamp(x) with the intersected float bounds."""
    op = op.operation
    inner = defining_op(op.operands[0])
    if inner is None or inner.name != "tosa.clamp":
        return True
    element = ir.RankedTensorType(op.results[0].type).element_type
    if not isinstance(element, ir.F32Type):
        return True
    lo = max(ir.FloatAttr(op.attributes["min_val"]).value, ir.FloatAttr(inner.attributes["min_val"]).value)
    hi = min(ir.FloatAttr(op.attributes["max_val"]).value, ir.FloatAttr(inner.attributes["max_val"]).value)
    with rewriter.ip, op.location:
        clamp = ir.Operation.create(
            "tosa.clamp", results=[op.results[0].type], operands=[inner.operands[0]],
            attributes={"min_val": ir.FloatAttr.get(element, lo), "max_val": ir.FloatAttr.get(element, hi)},
        )
    rewriter.replace_op(op, [clamp.result])
    return False


class FormClamps(PatternPass):
    name = "tosaic-form-clamps"
    summary = "Rewrite float maximum/minimum against splat constants into tosa.clamp"

    def patterns(self):
        return [("tosa.maximum", _to_clamp, 1), ("tosa.minimum", _to_clamp, 1), ("tosa.clamp", _merge_clamps, 1)]
