"""Move dequantize/quantize across layout ops so each float op sits between its DQ and Q.

torch-mlir wraps convolutions in NCHW<->NHWC transposes and transposes their weights, so
after TorchToTosa a quantized conv reads `transpose(dequantize(x))` and feeds
`quantize(transpose(conv))`. Layout ops commute with (de)quantization (per-channel
quantization follows its axis through a transpose), so:

- transpose(dequantize(x))  ->  dequantize(transpose(x))       (axis renamed)
- reshape(dequantize(x))    ->  dequantize(reshape(x))         (a per-channel axis must survive)
- quantize(transpose(y))    ->  transpose(quantize(y))         (per tensor only)
- quantize(reshape(y))      ->  reshape(quantize(y))           (per tensor only)
- quantize(dequantize(x)) with the same parameters  ->  x

Afterwards layout ops work on the integer values, where `tosaic-fold-transposes` cancels
them and constant folding transposes integer weights. Integer `arith.constant`s that
TorchToTosa leaves for weights become `tosa.const`, which TOSA's folders understand.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import (
    defining_op,
    has_single_use,
    make_reshape,
    make_transpose,
    ranked_shape,
    transpose_perms,
)
from tosaic.passes.base import PatternPass


def reshaped_axis(in_shape, out_shape, axis) -> int | None:
    """Where a reshape puts dim `axis`, if it survives whole (same size, same elements
    before it), as in [8, 16, 1, 1] -> [8, 1, 1, 16] for a 1x1 conv weight; else None."""
    before = int(np.prod(in_shape[:axis]))
    for j, size in enumerate(out_shape):
        if size == in_shape[axis] and int(np.prod(out_shape[:j])) == before:
            return j
    return None


def _dequantize_first(op, rewriter) -> bool:
    """layout(dequantize(x)) -> dequantize(layout(x))."""
    op = op.operation
    dq = defining_op(op.operands[0])
    if not quant.is_dequantize(dq):
        return True
    source = dq.operands[0]
    qparams = quant.QParams.of(dq)
    out_shape = ranked_shape(op.results[0])
    with rewriter.ip, op.location:
        if op.name == "tosa.transpose":
            perms = transpose_perms(op)
            if qparams.per_channel:
                qparams = quant.QParams(qparams.scale, qparams.zero_point,
                                        perms.index(qparams.axis), qparams.qmin, qparams.qmax)
            moved = make_transpose(source, perms)
        else:
            if qparams.per_channel:
                axis = reshaped_axis(ranked_shape(source), out_shape, qparams.axis)
                if axis is None:
                    return True
                qparams = quant.QParams(qparams.scale, qparams.zero_point, axis,
                                        qparams.qmin, qparams.qmax)
            moved = make_reshape(source, out_shape)
        result = quant.create(quant.DEQUANTIZE, moved, op.results[0].type, qparams)
    rewriter.replace_op(op, [result])
    return False


def _quantize_last(op, rewriter) -> bool:
    """quantize(layout(y)) -> layout(quantize(y)), for per-tensor quantization."""
    op = op.operation
    layout = defining_op(op.operands[0])
    if layout is None or layout.name not in ("tosa.transpose", "tosa.reshape"):
        return True
    if not has_single_use(layout.results[0]):
        return True
    qparams = quant.QParams.of(op)
    if qparams.per_channel:
        return True
    source = layout.operands[0]
    element_type = ir.RankedTensorType(op.results[0].type).element_type
    with rewriter.ip, op.location:
        quantized = quant.create(
            quant.QUANTIZE, source,
            ir.RankedTensorType.get(ranked_shape(source), element_type), qparams,
        )
        if layout.name == "tosa.transpose":
            result = make_transpose(quantized, transpose_perms(layout))
        else:
            result = make_reshape(quantized, ranked_shape(op.results[0]))
    rewriter.replace_op(op, [result])
    return False


def _drop_requantize_identity(op, rewriter) -> bool:
    """quantize(dequantize(x)) with identical parameters and types is x."""
    op = op.operation
    dq = defining_op(op.operands[0])
    if not quant.is_dequantize(dq):
        return True
    if quant.QParams.of(dq) != quant.QParams.of(op) or dq.operands[0].type != op.results[0].type:
        return True
    rewriter.replace_op(op, [dq.operands[0]])
    return False


def _integer_constant_to_tosa(op, rewriter) -> bool:
    op = op.operation
    value = op.attributes["value"]
    if not isinstance(op.results[0].type, ir.RankedTensorType):
        return True
    if not isinstance(ir.RankedTensorType(op.results[0].type).element_type, ir.IntegerType):
        return True
    with rewriter.ip, op.location:
        const = ir.Operation.create(
            "tosa.const", results=[op.results[0].type], attributes={"values": value}
        )
    rewriter.replace_op(op, [const.result])
    return False


class PropagateQDQ(PatternPass):
    name = "tosaic-propagate-qdq"
    summary = "Move tosaic.dequantize/quantize across transposes and reshapes"

    def patterns(self):
        return [
            ("tosa.transpose", _dequantize_first, 1),
            ("tosa.reshape", _dequantize_first, 1),
            (quant.QUANTIZE, _quantize_last, 1),
            (quant.QUANTIZE, _drop_requantize_identity, 1),
            ("arith.constant", _integer_constant_to_tosa, 1),
            (quant.QUANTIZE, quant.erase_if_unused, 2),
            (quant.DEQUANTIZE, quant.erase_if_unused, 2),
        ]
