"""Fold `dequantize -> reduce_max/reduce_min chain -> quantize` into the same reductions on
the integer values.

amax / amin over any dims (keepdim or not) reach TOSA as one `reduce_max` (`reduce_min`)
per dim, with a reshape where the dims are dropped. Quantization is monotonic
(non-decreasing), so the largest (smallest) value of a tensor quantizes to the largest
(smallest) code: `max(dequantize(x)) = dequantize(max(x))`. The chain runs on the int8
(int16) values as it is; its result is then requantized to the output's qparams, which is
nothing when they equal the input's (tosaic's quantizer shares them, as for max_pool2d),
else one per-tensor rescale (another quantizer's own output qparams, e.g. ExecuTorch's
softmax decomposition that quantizes `reduce_max`'s result). Bit-exact but for RESCALE's
round-half-up ties.

argmax (entry `argmax`): quantization is monotonic and the scale positive, so the index of
the largest value is the index of the largest code (ties: the first, as in PyTorch):
`tosa.argmax` on the int8 (int16) values. Its index is int32 (TOSA 1.0 has no int64; the
graph output that PyTorch gives as int64 is int32 here, compared exactly).

Matched: a `reduce_max`/`reduce_min` whose operand is a per-tensor dequantize, followed by
more reductions of the same kind and reshapes, each the only user of the one before, up
to quantizes. int16 inputs that need a rescale must have zero point 0 (TOSA), else the op
is refused; per-channel quantization is refused.
"""

from __future__ import annotations

from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, make_reshape, ranked_shape, with_shape
from tosaic.lowering.build import element_width, is_unsigned, requantize
from tosaic.lowering.match import quantizes_below
from tosaic.lowering.registry import COMPARE, SHARED_ALWAYS, Refuse, Replace, family, lower_each, lowering
from tosaic.quantization import qmath

family("reduce", summary="Fold dequantize -> reduce_max/reduce_min (+ reshapes) -> quantize into the same "
       "reductions on the integers (+ a rescale when the qparams differ)",
       failure="quantized reduction could not be lowered")


def _chain(root) -> list | None:
    """`root` and the reductions of its kind and reshapes that follow it, each the single
    user of the one before; None when an intermediate result has other users."""
    chain = [root]
    while True:
        users = [use.owner for use in chain[-1].results[0].uses]
        users = [u.operation if hasattr(u, "operation") else u for u in users]
        following = [u for u in users if u.name in (root.name, "tosa.reshape") and u.operands[0] == chain[-1].results[0]]
        if not following:
            return chain
        if len(users) != 1:
            return None
        chain.append(following[0])


def _emit(chain, x: ir.Value) -> ir.Value:
    """The chain's reductions and reshapes on the integer value `x`."""
    build = tosa.reduce_max if chain[0].name == "tosa.reduce_max" else tosa.reduce_min
    for op in chain:
        shape = ranked_shape(op.results[0])
        if op.name == "tosa.reshape":
            x = make_reshape(x, shape)
        else:
            x = build(x, ir.IntegerAttr(op.attributes["axis"]), results=[with_shape(x.type, shape)])
    return x


def _lower_reduction(root, run):
    dq = defining_op(root.operands[0])
    if not quant.is_dequantize(dq):
        return None
    chain = _chain(root)
    if chain is None:
        return None
    x, in_q = dq.operands[0], quant.QParams.of(dq)

    def lower(q_op):
        out_q = quant.QParams.of(q_op)
        if in_q.per_channel or out_q.per_channel:
            return Refuse(root, "needs per-tensor quantization")
        if element_width(x) not in (8, 16) or element_width(q_op.results[0]) not in (8, 16):
            return Refuse(root, "needs 8- or 16-bit quantized input and output")
        out_element = ir.RankedTensorType(q_op.results[0].type).element_type
        in_element = ir.RankedTensorType(x.type).element_type
        try:  # before any op is built: a refusal must leave the IR as it was
            qmath.requantize_plan(in_q, element_width(x), is_unsigned(in_q, in_element), out_q,
                                  ir.IntegerType(out_element).width, is_unsigned(out_q, out_element),
                                  in_element == out_element)
        except ValueError as e:
            return Refuse(root, f"cannot requantize the reduction's result: {e}")
        with ir.InsertionPoint(q_op), root.location:
            return Replace.one(q_op, requantize(_emit(chain, x), in_q, out_q, out_element))

    return lower_each(quantizes_below(chain[-1], through=set(), depth=0), lower)


@lowering("amax", family="reduce", root="tosa.reduce_max", activations=("int8", "int16"),
          annotates={"aten.amax.default": SHARED_ALWAYS})
def lower_amax(reduce_op, run):
    """amax / reduce_max over any dims (+ reshape) -> the same reduce_max chain on the integers (+ rescale)."""
    return _lower_reduction(reduce_op, run)


@lowering("amin", family="reduce", root="tosa.reduce_min", activations=("int8", "int16"),
          annotates={"aten.amin.default": SHARED_ALWAYS})
def lower_amin(reduce_op, run):
    """amin / reduce_min over any dims (+ reshape) -> the same reduce_min chain on the integers (+ rescale)."""
    return _lower_reduction(reduce_op, run)


@lowering("argmax", family="reduce", root="tosa.argmax", activations=("int8", "int16"),
          annotates={"aten.argmax.default": COMPARE})
def lower_argmax(argmax_op, run):
    """argmax(dequantize(x)) -> tosa.argmax(x): the same index, as int32."""
    dq = defining_op(argmax_op.operands[0])
    if dq is None or dq.name != quant.DEQUANTIZE:
        return None
    in_q = quant.QParams.of(dq)
    x = dq.operands[0]
    if in_q.per_channel:
        return Refuse(argmax_op, "argmax of a per-channel quantized tensor: the order of codes is not the order of "
                                 "values across channels")
    if is_unsigned(in_q, ir.RankedTensorType(x.type).element_type):
        return Refuse(argmax_op, "argmax of uint8 values (stored signless, codes above 127 would order as negative)")
    if min(in_q.scale) <= 0:
        return Refuse(argmax_op, f"argmax needs a positive scale, got {in_q.scale[0]}")
    shape = ranked_shape(argmax_op.results[0])
    with ir.InsertionPoint(argmax_op), argmax_op.location:
        index = tosa.ArgMaxOp(ir.RankedTensorType.get(shape, ir.IntegerType.get_signless(32)), x,
                              argmax_op.attributes["axis"]).result
    return Replace.one(argmax_op, index)
