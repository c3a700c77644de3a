"""Division by a quantized tensor, `a / b` (torch-mlir: `mul(a, reciprocal(b))`), in integers.

b has 256 int8 codes, so its reciprocal is a table: R(q) = round(2**22 / (q - zp_b)), 24 bits
(signed, stored + 2**23) from three int8 TABLEs of b, one per byte, each RESCALEd to int32 by
256**k and added (the softmax lowering's exp tables, the same way). Then

    y = RESCALE((a_q - zp_a) * R(b_q), s_a / (s_b s_y) 2**-22, output zero point)

|a_q - zp_a| <= 255 and |R| <= 2**22, so the int32 product cannot overflow. R's relative error
is at most 0.5 / |R| <= 255 / 2**23 (3e-5), i.e. at most 128 * 3e-5 = 0.004 output LSB: the
result is the program's rounded quotient except within ~0.004 LSB of a rounding tie (measured
on the op table: 0 LSB, 100% exact).

Division by b = 0 exactly (b's code = its zero point; PyTorch: +-inf, which the program's
quantize saturates): R(zero point) = 0, and sign(a) * 2**20 (a 0/1 TABLE of b times a sign
TABLE of a, in int32) is added to the quotient in int32 output units before the last rescale
(by 1, adding the zero point), which saturates it to qmax / qmin. 0 / 0 (NaN) gives the zero point.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, make_integer_const, ranked_shape
from tosaic.lowering.build import integer_rescale, saturate_to_output
from tosaic.lowering.match import quantizes_below
from tosaic.lowering.registry import BINARY, Refuse, Replace, lower_each, lowering
from tosaic.quantization import qmath

RECIPROCAL_BITS = 22  # R = 2**22 / (q - zp): |R| < 2**23, so R + 2**23 is 24 bits (three bytes)


def reciprocal_codes(zero_point: int) -> np.ndarray:
    """R at the 256 int8 codes -128..127 (R(zero point) = 0)."""
    centred = np.arange(-128, 128, dtype=np.int64) - zero_point
    safe = np.where(centred == 0, 1, centred)
    return np.where(centred == 0, 0, np.rint((1 << RECIPROCAL_BITS) / safe)).astype(np.int64)


def _i32(shape) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), ir.IntegerType.get_signless(32))


def _int8_per_tensor(dq) -> bool:
    q = quant.QParams.of(dq)
    element = ir.RankedTensorType(dq.operands[0].type).element_type
    return not q.per_channel and isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 8


def _lower_divide(q_op, mul, clamp) -> Refuse | Replace | None:
    from tosaic.lowering.softmax import byte_tables

    for a_value, r_value in ((mul.operands[0], mul.operands[1]), (mul.operands[1], mul.operands[0])):
        reciprocal = defining_op(r_value)
        dq_a = defining_op(a_value)
        if reciprocal is None or reciprocal.name != "tosa.reciprocal" or not quant.is_dequantize(dq_a):
            continue
        dq_b = defining_op(reciprocal.operands[0])
        if not quant.is_dequantize(dq_b):
            continue
        break
    else:
        return None
    out_q = quant.QParams.of(q_op)
    out_element = ir.RankedTensorType(q_op.results[0].type).element_type
    if out_q.per_channel or not isinstance(out_element, ir.IntegerType) or ir.IntegerType(out_element).width != 8:
        return Refuse(mul, "division by a tensor needs a per-tensor int8 output")
    if not (_int8_per_tensor(dq_a) and _int8_per_tensor(dq_b)):
        return Refuse(mul, "division by a tensor needs per-tensor int8 inputs (its reciprocal is a table of b's codes)")
    a_q, b_q = quant.QParams.of(dq_a), quant.QParams.of(dq_b)
    scale = a_q.scale[0] / (b_q.scale[0] * out_q.scale[0]) * 2.0 ** -RECIPROCAL_BITS
    reason = qmath.rescale_fits(scale, 255 * (1 << RECIPROCAL_BITS))
    if reason is None and 255 * (1 << RECIPROCAL_BITS) * scale >= (1 << 29):
        reason = "the quotient's range in output units does not fit int32 beside the saturation term"
    if reason:
        return Refuse(mul, f"division by a tensor: {reason}")
    b, a = dq_b.operands[0], dq_a.operands[0]
    b_shape, a_shape, out_shape = ranked_shape(b), ranked_shape(a), ranked_shape(mul.results[0])
    stored = reciprocal_codes(b_q.zero_point[0]) + (1 << (RECIPROCAL_BITS + 1))
    with ir.InsertionPoint(q_op), mul.location:
        r32 = None
        for i, table in enumerate(byte_tables(stored, RECIPROCAL_BITS + 1)):
            looked_up = ir.Operation.create("tosa.table", results=[b.type], operands=[b, make_integer_const(table, 8)]).result
            part = integer_rescale(looked_up, [float(256**i)], -128, 0, _i32(b_shape), per_channel=False)
            r32 = part if r32 is None else ir.Operation.create("tosa.add", results=[_i32(b_shape)], operands=[r32, part]).result
        offset = make_integer_const(np.full([1] * len(b_shape), 1 << (RECIPROCAL_BITS + 1), np.int64), 32)
        r32 = ir.Operation.create("tosa.sub", results=[_i32(b_shape)], operands=[r32, offset]).result
        a32 = integer_rescale(a, [1.0], a_q.zero_point[0], 0, _i32(a_shape), per_channel=False)
        product = ir.Operation.create("tosa.mul", results=[_i32(out_shape)],
                                      operands=[a32, r32, make_integer_const(np.asarray([0]), 8)]).result
        quotient = integer_rescale(product, [scale], 0, 0, _i32(out_shape), per_channel=False)
        codes = np.arange(-128, 128)
        at_zero = ir.Operation.create("tosa.table", results=[b.type], operands=[
            b, make_integer_const((codes == b_q.zero_point[0]).astype(np.int8), 8)]).result
        sign = ir.Operation.create("tosa.table", results=[a.type], operands=[
            a, make_integer_const(np.sign(codes - a_q.zero_point[0]).astype(np.int8), 8)]).result
        infinite = ir.Operation.create("tosa.mul", results=[_i32(out_shape)], operands=[
            integer_rescale(at_zero, [float(1 << 20)], 0, 0, _i32(b_shape), per_channel=False),
            integer_rescale(sign, [1.0], 0, 0, _i32(a_shape), per_channel=False),
            make_integer_const(np.asarray([0]), 8)]).result
        total = ir.Operation.create("tosa.add", results=[_i32(out_shape)], operands=[quotient, infinite]).result
        rescaled = integer_rescale(total, [1.0], 0, out_q.zero_point[0], q_op.results[0].type, per_channel=False)
        return Replace.one(q_op, saturate_to_output(rescaled, clamp, out_q))


@lowering("div.tensor", family="elementwise", root="tosa.mul", benefit=2, activations=("int8",),
          annotates={"aten.div.Tensor": BINARY, "aten.div_.Tensor": BINARY})
def lower_divide(mul, run):
    """a / b of two int8 tensors -> b's reciprocal from three byte TABLEs (24 bits) * (a - zp), one rescale."""

    def lower_one(q_op):
        producer = defining_op(q_op.operands[0])
        clamp = None
        if producer is not None and producer.name == "tosa.clamp":
            clamp, producer = producer, defining_op(producer.operands[0])
        if producer != mul:
            return None
        return _lower_divide(q_op, mul, clamp)

    return lower_each(quantizes_below(mul, through={"tosa.clamp"}, depth=1), lower_one)
