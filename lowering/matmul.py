"""Fold quantized `tosa.matmul` (linear layers and products of activations) into integer TOSA.

torch-mlir lowers `linear(x, W, b)` to `reshape -> tosa.matmul(x, W^T) -> reshape -> add(b)`,
so a quantized linear layer reaches this pass as

    quantize(clamp?(add?(reshape?(matmul(dequantize(x), dequantize(W^T))), dequantize(b))))

with W^T a constant [1, in, out] quantized per output feature (its last dim). It becomes
a 1x1 int8 `tosa.conv2d`, which Vela runs on the NPU's convolution engine:

    x_q [1, M, in] -> reshape [1, 1, M, in] -> conv2d(W_q [out, 1, 1, in], bias i32,
      input_zp, weight_zp 0) -> acc i32 -> rescale(sx * sw[o] / sy, per channel)
      -> [clamp] -> reshape to the program's shape

The bias is the program's int32 bias when its scale is sx * sw[o] (PT2E derives it so),
else round(b / (sx * sw[o])). Vela 5.2.0 also runs int8 `tosa.matmul` with a constant
operand on Ethos-U55 and U85, but as a transpose + matmul (+ a separate rescale on U55):
for a 10x64 @ 64x32 layer 25760 cycles against 2384 for the 1x1 convolution on
ethos-u55-128, 3325 against 1829 on ethos-u85-256. The convolution is also what carries
int4 weights (`int4-weights`, as in tosaic-lower-quantized-conv): TOSA MATMUL has no int4
operand, so W_q becomes an `i4` constant only here.

int16 activations (a16w8) take the same shapes with an i48 accumulator and bias, narrowed
to int32 by an exact 2^-k before the output rescale (see tosaic-lower-quantized-conv); a
matmul of two int16 activations (zero points 0) bounds its accumulator by K * 2^30.

A matmul whose second operand is not such a weight (q @ k^T in attention, bmm) stays a
matmul, on the integers with both zero points:

    a_q, b_q -> tosa.matmul(a_zp, b_zp) -> acc i32 -> rescale(sa * sb / sy) -> [clamp]

(sb may be one scale per output column when b is quantized per channel along its last
dim; its zero point must be one value, TOSA's b_zp.) A constant b with an int4 range stays
int8 there, and the matmul carries `tosaic.int8_weight` saying so.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, make_integer_const, make_reshape, ranked_shape
from tosaic.lowering.build import (
    emit_layouts,
    integer_convolution,
    record_int8_weight,
    requantize_int48,
    requantize_output,
)
from tosaic.lowering.match import channel_vector, integer_bias, peel_output, quantizes_below, trace_quantized
from tosaic.lowering.registry import PRODUCT, WEIGHTED, Refuse, Replace, family, lower_each, lowering
from tosaic.quantization import qmath

family("matmul", summary=(
    "Fold quantized linear layers into 1x1 conv2d (int8 activations with int8 or int4 weights; int16 "
    "activations with i48 acc), and quantized matmul of activations into int8 (i32 acc) or int16 (i48 acc) "
    "matmul + rescale"), failure="quantized matmul could not be lowered")


def _matmul_under(op):
    """`op` if it is a matmul, or the matmul under a reshape `op`: (reshape or None, matmul)."""
    if op is not None and op.name == "tosa.reshape":
        inner = defining_op(op.operands[0])
        if inner is not None and inner.name == "tosa.matmul":
            return op, inner
        return None
    if op is not None and op.name == "tosa.matmul":
        return None, op
    return None


def _match(q_op):
    """(clamp, output layouts, the value they read, bias value or None, matmul) for
    quantize(layouts(clamp?(layouts(add?(reshape?(matmul), bias)))))."""
    clamp, layouts, producer = peel_output(q_op)
    if producer is None:
        return None
    bias = None
    if producer.name == "tosa.add":
        add = producer
        for i in (0, 1):
            found = _matmul_under(defining_op(add.operands[i]))
            if found is not None:
                bias = add.operands[1 - i]
                if ranked_shape(add.operands[i]) != ranked_shape(add.results[0]):
                    return None  # the bias broadcasts the product: not a linear layer's bias
                break
        else:
            return None
    else:
        found = _matmul_under(producer)
        if found is None:
            return None
    return clamp, layouts, producer.results[0], bias, found[1]


def _is_linear_weight(b) -> bool:
    """A constant [1, in, out] with symmetric quantization: a linear layer's transposed weight."""
    shape = list(b.scale.shape)
    return b.constant() is not None and len(shape) == 3 and shape[0] == 1 and bool(np.all(b.zero_point == 0))


def _lower_at(q_op, root, int4_weights: bool):
    out_q = quant.QParams.of(q_op)
    if out_q.per_channel:
        return None
    matched = _match(q_op)
    if matched is None:
        return None
    clamp, layouts, core, bias, matmul = matched
    if matmul != root:
        return None
    a, b = trace_quantized(matmul.operands[0]), trace_quantized(matmul.operands[1])
    if a is None or b is None:
        return None
    a_params = a.per_tensor()
    if a_params is None:
        return Refuse(matmul, "needs a per-tensor quantized first operand")
    a_shape, b_shape = ranked_shape(matmul.operands[0]), ranked_shape(matmul.operands[1])
    linear = _is_linear_weight(b) and a_shape[0] == 1
    if (a.width, b.width) not in (((8, 8), (16, 8)) if linear else ((8, 8), (16, 16))):
        return Refuse(matmul, f"lowers int8 x int8, int16 x int8 weights and int16 x int16 only "
                               f"(i{a.width} x i{b.width})")
    if a.width == 16 and (a_params[1] != 0 or np.any(b.zero_point != 0)):
        return Refuse(matmul, "int16 operands need zero point 0 (TOSA)")
    b_scales = channel_vector(b.scale, (2,))
    if b_scales is None:
        return Refuse(matmul, f"second operand is quantized along axis {b.axis}, not its columns")
    b_zero_points = np.unique(b.zero_point)
    if b_zero_points.size > 1:
        return Refuse(matmul, "second operand needs one zero point")
    out_element = ir.RankedTensorType(q_op.results[0].type).element_type
    out_shape = ranked_shape(core)  # before the output layouts

    if linear:
        bias_values = integer_bias(bias, a_params[0], b_scales, qmath.accumulator_width(a.width))
        if isinstance(bias_values, str):
            return Refuse(matmul, bias_values)
        _, rows, features = a_shape
        outputs = b_shape[2]
        weight = np.ascontiguousarray(np.transpose(b.constant()[0]).reshape(outputs, 1, 1, features))
        acc_scales = a_params[0] * b_scales
        if a.width == 16:
            bounds = qmath.accumulator_bound(np.abs(weight.astype(np.int64)).reshape(outputs, -1).sum(axis=1))
            try:
                qmath.int48_intermediate_shifts(bounds, bias_values, acc_scales / out_q.scale[0])
            except ValueError as e:
                return Refuse(matmul, f"int48 accumulator cannot be requantized: {e}")
        weight_width, int8_reason = b.weight_width(int4_weights)
        if weight_width == 4 and a.width != 8:  # TOSA's int4 convolutions take int8 activations only
            weight_width, int8_reason = 8, f"TOSA has no int4 weights with i{a.width} activations"
        with ir.InsertionPoint(q_op), matmul.location:
            x = make_reshape(a.integer(), [1, 1, rows, features])
            accumulator = integer_convolution("tosa.conv2d", x, weight, bias_values, a_params[1],
                                              [1, 1, rows, outputs], weight_width=weight_width)
        record_int8_weight(accumulator.owner, int8_reason)
        with ir.InsertionPoint(q_op), q_op.location:
            if a.width == 16:
                result = requantize_int48(accumulator, acc_scales, bounds, bias_values, out_q, clamp, out_element)
            else:
                result = requantize_output(accumulator, acc_scales, out_q, clamp, out_element)
            result = emit_layouts(make_reshape(result, out_shape), layouts)
        return Replace.one(q_op, result)

    if bias is not None:
        return None  # matmul + add of activations: not a linear layer; left to the verifier
    scales = a_params[0] * (b_scales if np.unique(b_scales).size > 1 else b_scales[:1])
    if a.width == 16:
        # Products of two int16 activations: |a * b| <= 2**30 each, a_shape[2] of them.
        bounds = qmath.accumulator_bound([a_shape[2] * (1 << 15)], "int16")
        try:
            qmath.int48_intermediate_shifts(bounds, [0], scales / out_q.scale[0])
        except ValueError as e:
            return Refuse(matmul, f"int48 accumulator cannot be requantized: {e}")
    with ir.InsertionPoint(q_op), matmul.location:
        acc = ir.IntegerType.get_signless(qmath.accumulator_width(a.width))
        accumulator = tosa.matmul(
            ir.RankedTensorType.get(ranked_shape(matmul.results[0]), acc),
            a.integer(),
            b.integer(),
            make_integer_const(np.asarray([a_params[1]]), a.width),
            make_integer_const(np.asarray([int(b_zero_points[0])]), b.width),
        )
        if b.int4_range:
            record_int8_weight(accumulator.owner, "TOSA MATMUL has no int4 operand")
    with ir.InsertionPoint(q_op), q_op.location:
        if a.width == 16:
            result = requantize_int48(accumulator, scales, np.repeat(bounds, scales.size), np.zeros(scales.size),
                                      out_q, clamp, out_element)
        else:
            result = requantize_output(accumulator, scales, out_q, clamp, out_element)
        if ranked_shape(result) != out_shape:
            result = make_reshape(result, out_shape)
        result = emit_layouts(result, layouts)
    return Replace.one(q_op, result)




def _lower_below(matmul, run):
    """Every quantize the matmul reaches through its reshape, bias add, clamp and layouts, lowered."""
    reached = quantizes_below(matmul, through={"tosa.reshape", "tosa.transpose", "tosa.clamp", "tosa.add"})
    return lower_each(reached, lambda q_op: _lower_at(q_op, matmul, run.options["int4_weights"]))


@lowering("matmul", family="matmul", root="tosa.matmul", activations=("int8", "int16"), weights=("int8", "int4"),
          annotates={"aten.linear.default": WEIGHTED, "aten.matmul.default": PRODUCT, "aten.mm.default": PRODUCT,
                     "aten.bmm.default": PRODUCT})
def lower_matmul(matmul, run):
    """linear (matmul by a constant weight, + bias) -> 1x1 integer conv2d; matmul of activations ->
    integer matmul; + rescale."""
    return _lower_below(matmul, run)
