"""Confine uint8 to the graph's inputs and outputs: int8 everywhere inside.

TOSA has no unsigned arithmetic: 8-bit storage is signless, and unsigned meaning exists
only where a `tosa.rescale` reads (`input_unsigned`) or writes (`output_unsigned`) it.
After import, a uint8 quantization is an i8 tensor whose Q/DQ ops say qmin 0, qmax 255.
This pass rewrites every uint8 quantization that is not graph IO into the identical int8
one, at no cost: the uint8 value v with zero point z is the int8 value v - 128 with zero
point z - 128 (same scale), so the Q/DQ ops only change their zero point and range.

Graph IO keeps its uint8 and is connected to the int8 inside by a requantize pair, which
the data movement lowering turns into the unsigned rescale:

    input:  quantize_u8(%arg) -> dequantize_u8 -> quantize_i8 -> dequantize_i8 -> ...
    output: ... -> quantize_i8 -> dequantize_i8 -> quantize_u8 -> dequantize_u8 -> return

Programs from tosaic's quantizer (and ExecuTorch's) already have these pairs; where a
program quantizes straight to uint8 around an op (a foreign quantizer's all-uint8
program), the pass inserts them. With `preserve-io=false` graph IO is treated like any
other tensor: the flatbuffer then takes and returns the identical int8 (v - 128, zero
point z - 128), with no rescale at all.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.passes.base import Option, Pass

_SIGNED_SHIFT = 128  # uint8 v == int8 v - 128 (same scale, zero point - 128)


def is_uint8(qparams: quant.QParams, element: ir.Type) -> bool:
    """8-bit storage holding unsigned values (the range reaches above 127)."""
    return (isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 8
            and qparams.qmin >= 0 and qparams.qmax > 127)


def _element(value: ir.Value) -> ir.Type:
    return ir.RankedTensorType(value.type).element_type


def _is_uint8_op(op) -> bool:
    if quant.is_quantize(op):
        return is_uint8(quant.QParams.of(op), _element(op.results[0]))
    if quant.is_dequantize(op):
        return is_uint8(quant.QParams.of(op), _element(op.operands[0]))
    return False


def as_int8(qparams: quant.QParams) -> quant.QParams:
    shift = lambda values: tuple(v - _SIGNED_SHIFT for v in values)  # noqa: E731
    return quant.QParams(qparams.scale, shift(qparams.zero_point), qparams.axis,
                         qparams.qmin - _SIGNED_SHIFT, qparams.qmax - _SIGNED_SHIFT)


def _set_qparams(op, qparams: quant.QParams) -> None:
    for name, attr in qparams.attributes().items():
        op.operation.attributes[name] = attr


def _only_returned(value: ir.Value) -> bool:
    uses = [use.owner for use in value.uses]
    return bool(uses) and all(u.operation.name == "func.return" for u in uses)


def _requantize_pair(value: ir.Value, qparams: quant.QParams, loc) -> ir.Value:
    """quantize(value) with `qparams`, then dequantize: the pair a lowering makes a rescale."""
    q = quant.create(quant.QUANTIZE, value, ir.RankedTensorType.get(
        list(ir.RankedTensorType(value.type).shape), ir.IntegerType.get_signless(8)), qparams, loc)
    return quant.create(quant.DEQUANTIZE, q, value.type, qparams, loc)


class ConfineUint8(Pass):
    name = "tosaic-confine-uint8"
    summary = "Rewrite uint8 quantization inside the graph to the identical int8; uint8 stays only at graph IO"
    anchor = "func.func"
    preserve_io = Option(bool, True, "Keep uint8 graph inputs and outputs (false: they become the identical int8)")

    def run(self, func: ir.Operation) -> None:
        ops = []

        def collect(op):
            if _is_uint8_op(op.operation):
                ops.append(op.operation)
            return ir.WalkResult.ADVANCE

        func.walk(collect)
        for op in ops:
            if quant.is_quantize(op):
                self._quantize(op)
            else:
                self._dequantize(op)

    def _is_io_input(self, q_op) -> bool:
        return self.preserve_io and isinstance(q_op.operands[0].owner, ir.Block)

    def _quantize(self, q_op) -> None:
        """A uint8 quantize: kept if it quantizes a graph input, else made int8."""
        if self._is_io_input(q_op):
            return
        qparams = quant.QParams.of(q_op)
        result = q_op.results[0]
        returned = [use.owner for use in result.uses
                    if quant.is_dequantize(use.owner) and _only_returned(use.owner.results[0])]
        if self.preserve_io and returned and len(returned) == len(list(result.uses)):
            source = q_op.operands[0].owner
            if quant.is_dequantize(source) and not _is_uint8_op(source):
                return  # already the output's requantize: int8 -> uint8
        _set_qparams(q_op, as_int8(qparams))
        if not self.preserve_io:
            return
        # The returned dequantizes keep uint8: they read a requantize of the int8 value.
        for dq in returned:
            with ir.InsertionPoint(dq), dq.location:
                internal = quant.create(quant.DEQUANTIZE, result, dq.results[0].type, as_int8(qparams))
                requantized = quant.create(quant.QUANTIZE, internal, result.type, qparams)
            dq.operands[0] = requantized

    def _dequantize(self, dq_op) -> None:
        """A uint8 dequantize: kept at the boundary (reading a graph input, or returned),
        else made int8 (its producer was made int8 too)."""
        source = dq_op.operands[0]
        producer = source.owner
        from_input = isinstance(producer, ir.Block) or (quant.is_quantize(producer) and self._is_io_input(producer))
        qparams = quant.QParams.of(dq_op)
        if self.preserve_io and _only_returned(dq_op.results[0]) and not from_input:
            return  # the output's own uint8 dequantize (its quantize is the requantize)
        if not from_input:
            if isinstance(producer, ir.Block) or not quant.is_quantize(producer):
                raise Pass.error(dq_op, "dequantizes uint8 values that no quantize op made (nor a graph "
                                 "input): they cannot be rewritten to int8")
            _set_qparams(dq_op, as_int8(qparams))
            return
        if not self.preserve_io:
            _set_qparams(dq_op, as_int8(qparams))
            return
        # uint8 graph input: users other than requantizes read an int8 requantize of it.
        users = [use.owner for use in dq_op.results[0].uses]
        if all(quant.is_quantize(u) or u.operation.name == "func.return" for u in users):
            return
        rerouted = [(use.owner, use.operand_number) for use in dq_op.results[0].uses
                    if not quant.is_quantize(use.owner) and use.owner.operation.name != "func.return"]
        with ir.InsertionPoint.after(dq_op), dq_op.location:
            internal = _requantize_pair(dq_op.results[0], as_int8(qparams), dq_op.location)
        for owner, index in rerouted:
            owner.operands[index] = internal
