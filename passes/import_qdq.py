"""Turn torch-level `quantized_decomposed` Q/DQ ops into `tosaic.quantize`/`dequantize`.

Runs on torch-backend IR, before torch-mlir lowers the float ops to TOSA. Only here do
the quantization range (qmin/qmax: [-7, 7] marks int4 weights) and the storage dtype
exist, so they go onto our ops as attributes. The new ops work on builtin tensors,
bridged with `torch_c` casts that torch-mlir's backend type conversion removes, so they
pass through TorchToTosa untouched.
"""

from __future__ import annotations

import re

import numpy as np
from torch_mlir import ir, rewrite

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op
from tosaic.passes.base import Pass, PassFailure

_QDQ_OPS = {
    "torch.quantized_decomposed.quantize_per_tensor": (quant.QUANTIZE, False),
    "torch.quantized_decomposed.dequantize_per_tensor": (quant.DEQUANTIZE, False),
    "torch.quantized_decomposed.quantize_per_channel": (quant.QUANTIZE, True),
    "torch.quantized_decomposed.dequantize_per_channel": (quant.DEQUANTIZE, True),
}

_BUILTIN_ELEMENT = {"f32": "f32", "si8": "i8", "ui8": "ui8", "si16": "i16", "si32": "i32",
                    "si64": "i64", "i1": "i1"}


class QDQImportError(Exception):
    pass


def builtin_tensor_type(vtensor_type: ir.Type) -> ir.Type:
    """`!torch.vtensor<[1,3],si8>` -> `tensor<1x3xi8>`, as torch-mlir's backend converts it."""
    m = re.fullmatch(r"!torch\.vtensor<\[([-0-9,]*)\],(\w+)>", str(vtensor_type))
    if not m or m.group(2) not in _BUILTIN_ELEMENT:
        raise QDQImportError(f"unsupported tensor type {vtensor_type}")
    dims = "x".join(d if d != "-1" else "?" for d in m.group(1).split(",") if d)
    return ir.Type.parse(f"tensor<{dims + 'x' if dims else ''}{_BUILTIN_ELEMENT[m.group(2)]}>")


def _constant(value: ir.Value, what: str):
    op = defining_op(value)
    if op is None:
        raise QDQImportError(f"{what} is not a constant")
    if op.name in ("torch.constant.float", "torch.constant.int"):
        attr = op.attributes["value"]
        return ir.FloatAttr(attr).value if op.name.endswith("float") else ir.IntegerAttr(attr).value
    if op.name == "torch.vtensor.literal":
        return np.array(op.attributes["value"])
    raise QDQImportError(f"{what} is not a constant (it is computed by '{op.name}')")


def qparams_of(op, per_channel: bool) -> quant.QParams:
    operands = list(op.operands)
    if per_channel:
        scale = np.atleast_1d(_constant(operands[1], "the scale")).astype(np.float64)
        zero_point = np.atleast_1d(_constant(operands[2], "the zero point")).astype(np.int64)
        axis, qmin, qmax = (_constant(v, n) for v, n in zip(operands[3:6], ("axis", "quant_min", "quant_max")))
    else:
        scale = np.atleast_1d(_constant(operands[1], "the scale")).astype(np.float64)
        zero_point = np.atleast_1d(_constant(operands[2], "the zero point")).astype(np.int64)
        axis = -1
        qmin, qmax = (_constant(v, n) for v, n in zip(operands[3:5], ("quant_min", "quant_max")))
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise QDQImportError(f"scale {scale.tolist()} is not positive and finite")
    return quant.QParams(tuple(float(s) for s in scale), tuple(int(z) for z in zero_point),
                         int(axis), int(qmin), int(qmax))


def import_qdq(op, rewriter) -> bool:
    op = op.operation
    name, per_channel = _QDQ_OPS[op.name]
    try:
        qparams = qparams_of(op, per_channel)
        if per_channel:
            rank = len(str(op.operands[0].type).split("[")[1].split("]")[0].split(","))
            qparams = quant.QParams(qparams.scale, qparams.zero_point, qparams.axis % rank,
                                    qparams.qmin, qparams.qmax)
        in_type = builtin_tensor_type(op.operands[0].type)
        out_type = builtin_tensor_type(op.results[0].type)
    except QDQImportError:
        return True  # reported once, after the rewrite, by the pass
    with rewriter.ip, op.location:
        source = ir.Operation.create(
            "torch_c.to_builtin_tensor", results=[in_type], operands=[op.operands[0]]
        ).result
        converted = quant.create(name, source, out_type, qparams)
        back = ir.Operation.create(
            "torch_c.from_builtin_tensor", results=[op.results[0].type], operands=[converted]
        ).result
    rewriter.replace_op(op, [back])
    return False


class ImportQDQ(Pass):
    name = "tosaic-import-qdq"
    summary = "Turn quantized_decomposed Q/DQ ops (torch dialect) into tosaic.quantize/dequantize"
    anchor = "func.func"

    def run(self, op: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet()
        for torch_name in _QDQ_OPS:
            patterns.add(torch_name, import_qdq)
        rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze())
        leftover = []

        def find(o):
            if o.operation.name in _QDQ_OPS:
                leftover.append(o.operation)
            return ir.WalkResult.ADVANCE

        op.walk(find)
        for unimported in leftover:
            _, per_channel = _QDQ_OPS[unimported.name]
            try:
                qparams_of(unimported, per_channel)
                builtin_tensor_type(unimported.operands[0].type)
                builtin_tensor_type(unimported.results[0].type)
                reason = "quantization parameters could not be read"
            except QDQImportError as e:
                reason = str(e)
            self.error(unimported, f"cannot be imported: {reason}")
        if leftover:
            raise PassFailure(f"{len(leftover)} quantize/dequantize op(s) could not be imported")
