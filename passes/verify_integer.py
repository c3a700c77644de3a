"""Refuse float computation in a graph bound for TOSA's integer profile.

Runs last in the integer pipelines. Any op still computing on floating-point tensors
means a float op sat between Q/DQ with no integer lowering, or a quantize/dequantize
was left behind; each is reported at its own location, naming the op and the reason,
and the pass fails. Never a float op inside an INT flatbuffer.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.passes.base import Pass, PassFailure


def _is_float_tensor(t: ir.Type) -> bool:
    return isinstance(t, ir.RankedTensorType) and isinstance(
        ir.RankedTensorType(t).element_type, (ir.F32Type, ir.F16Type, ir.BF16Type, ir.F64Type)
    )


def explain(op) -> str | None:
    name = op.name
    if name == quant.QUANTIZE:
        source = op.operands[0].owner
        source_name = source.name if isinstance(source, (ir.Operation, ir.OpView)) else "a float graph input"
        return f"quantizes the float result of {source_name!s}, which has no integer lowering"
    if name == quant.DEQUANTIZE:
        return "dequantizes into float computation that has no integer lowering"
    types = [v.type for v in op.operands] + [r.type for r in op.results]
    if any(_is_float_tensor(t) for t in types):
        return "computes in floating point, which TOSA's integer profile does not allow (no integer lowering applies: is it quantized?)"
    return None


class VerifyInteger(Pass):
    name = "tosaic-verify-integer"
    summary = "Fail, naming each op, if any float computation or Q/DQ op remains"
    anchor = "func.func"

    def run(self, op: ir.Operation) -> None:
        found = []

        def visit(child):
            child = child.operation
            if child.name.startswith("func."):
                return ir.WalkResult.ADVANCE
            reason = explain(child)
            if reason:
                found.append((child, reason))
            return ir.WalkResult.ADVANCE

        op.walk(visit)
        for child, reason in found[:20]:
            Pass.error(child, reason)
        if found:
            raise PassFailure(f"{len(found)} op(s) are not integer")
