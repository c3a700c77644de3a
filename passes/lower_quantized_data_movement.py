"""Fold `dequantize -> data movement -> quantize` into the same ops on the integer values.

Data movement only copies elements, so it commutes with (de)quantization:

    quantize(op(dequantize(x)))  ==  op(requantize(x))

where `requantize` maps the input's quantization to the output's: nothing when both are
equal, else one per-tensor `tosa.rescale` by input_scale / output_scale (scale32,
SINGLE_ROUND, multiplier and shift from `tosaic.quantization.qmath`), plus an integer
clamp when the output's range is narrower than its storage (qmin -127). Patterns:

- quantize(dequantize(x)) with other parameters (a requantize, e.g. where quantizers
  start a new quantization, or into uint8 graph I/O): one rescale.
- quantize(op(dequantize(x))) for slice, reshape, transpose, tile, reverse, identity,
  gather (of the values) and nearest-neighbour resize: the op on the integers, the
  rescale (if any) on whichever side has fewer elements. For pad, the input is rescaled
  and the pad value is the float pad value quantized for the output (0.0: the zero
  point), as TOSA 1.0's `pad_const` operand, a tensor<1xi8>.
- op(dequantize(x)) with no quantize right after (a chain of data movement ops, or one
  feeding a graph output or another quantized op): dequantize(op(x)), so the chain moves
  integers and ends in one of the patterns above. A pad moves so only when its value is
  exactly representable in the input's quantization.
- concat(dequantize(x_i) | float constant): inputs of one quantization are concatenated
  as they are, dequantize(concat(x_i)). Otherwise each input whose quantization differs
  is rescaled (constants quantized) to the quantization that every use of the concat's
  result reaches through data movement ops (usually the quantize right after it), then
  concatenated; when the uses disagree, the concat stays float.

Exact ties round differently: RESCALE rounds half up, torch's quantize half to even. A
requantize by a ratio such as exactly 0.5 so differs by 1 LSB on a quarter of the codes.

Per-channel quantization is not lowered: a quantize-anchored pattern with per-channel
parameters, or a rescale TOSA cannot encode, is refused with a diagnostic at the op.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op, has_single_use, make_rescale, make_storage_const, ranked_shape
from tosaic.passes.quantized_lowering import QuantizedLowering, refuse as _refuse
from tosaic.quantization import qmath

# Ops whose result elements are copies of elements of operand 0 (their other operands,
# if any, are shapes, indices or attributes). Concat and pad are handled on their own.
UNARY_DATA_MOVEMENT_OPS = frozenset(
    "tosa." + name for name in "slice reshape transpose tile reverse identity gather resize".split()
)


# ---------------------------------------------------------------------------
# Requantization
# ---------------------------------------------------------------------------


def _is_unsigned(qparams: quant.QParams, element: ir.Type) -> bool:
    """uint8 storage: an unsigned type, or a signless one holding values above its signed max."""
    integer = ir.IntegerType(element)
    return integer.is_unsigned or (qparams.qmin >= 0 and qparams.qmax >= 1 << (integer.width - 1))


def _storage_range(element: ir.Type, unsigned: bool) -> tuple[int, int]:
    return qmath.storage_range(f"int{ir.IntegerType(element).width}", unsigned)


def _clamp(value: ir.Value, lo: int, hi: int) -> ir.Value:
    element = ir.RankedTensorType(value.type).element_type
    return ir.Operation.create(
        "tosa.clamp",
        results=[value.type],
        operands=[value],
        attributes={"min_val": ir.IntegerAttr.get(element, lo), "max_val": ir.IntegerAttr.get(element, hi)},
    ).result


def needs_rescale(in_q: quant.QParams, in_element: ir.Type, out_q: quant.QParams, out_element: ir.Type) -> bool:
    return (in_q.scale[0], in_q.zero_point[0], in_element) != (out_q.scale[0], out_q.zero_point[0], out_element)


def requantize(value: ir.Value, in_q: quant.QParams, out_q: quant.QParams, out_element: ir.Type) -> ir.Value:
    """`value` (quantized with `in_q`) quantized with `out_q` instead, as `out_element`.

    Nothing when the parameters and storage agree (a clamp if the output's range is
    narrower), else a per-tensor tosa.rescale by in_scale / out_scale. Raises ValueError
    when TOSA cannot encode the scale."""
    in_element = ir.RankedTensorType(value.type).element_type
    out_type = ir.RankedTensorType.get(ranked_shape(value), out_element)
    in_unsigned, out_unsigned = _is_unsigned(in_q, in_element), _is_unsigned(out_q, out_element)
    if not needs_rescale(in_q, in_element, out_q, out_element):
        if in_q.qmin >= out_q.qmin and in_q.qmax <= out_q.qmax:
            return value
        if out_unsigned:
            raise ValueError(f"no integer clamp to the unsigned range [{out_q.qmin}, {out_q.qmax}]")
        return _clamp(value, out_q.qmin, out_q.qmax)
    multiplier, shift = qmath.compute_multiplier_and_shift(in_q.scale[0] / out_q.scale[0], True)
    in_bits = ir.IntegerType(in_element).width
    qmath.validate_rescale_zero_point(in_q.zero_point[0], f"int{in_bits}", in_unsigned)
    qmath.validate_rescale_zero_point(out_q.zero_point[0], f"int{ir.IntegerType(out_element).width}", out_unsigned)
    # apply_scale_32 REQUIREs |x - input_zp| < 2**(shift - 1).
    lo, hi = _storage_range(in_element, in_unsigned)
    lo, hi = max(lo, in_q.qmin), min(hi, in_q.qmax)
    bound = max(abs(lo - in_q.zero_point[0]), abs(hi - in_q.zero_point[0]))
    if bound >= 1 << (shift - 1):
        raise ValueError(f"rescale by {in_q.scale[0] / out_q.scale[0]!r} needs shift {shift}, too small for "
                         f"inputs up to {bound}")
    result = make_rescale(value, out_type, [multiplier], [shift], in_q.zero_point[0], out_q.zero_point[0],
                          input_unsigned=in_unsigned, output_unsigned=out_unsigned)
    storage_lo, storage_hi = _storage_range(out_element, out_unsigned)
    # The rescale is monotonic: the images of the input range's ends bound its results
    # (an int16 rescale by <= 1 never reaches -32768, so [-32767, 32767] needs no clamp).
    reached = qmath.rescale_reference(
        np.asarray([lo, hi], np.int64), in_q.zero_point[0], out_q.zero_point[0], multiplier, shift,
        input_unsigned=in_unsigned, output_unsigned=out_unsigned, in_dtype=f"int{in_bits}",
        out_dtype=f"int{ir.IntegerType(out_element).width}")
    reached_lo, reached_hi = int(reached.min()), int(reached.max())
    if out_q.qmin > reached_lo or out_q.qmax < reached_hi:
        if out_unsigned:
            raise ValueError(f"no integer clamp to the unsigned range [{out_q.qmin}, {out_q.qmax}]")
        result = _clamp(result, max(out_q.qmin, storage_lo), min(out_q.qmax, storage_hi))
    return result


# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

def _float_constant(value: ir.Value) -> np.ndarray | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    array = np.array(op.attributes["values"])
    return array if np.issubdtype(array.dtype, np.floating) else None


def _quantized_const(array: np.ndarray, qparams: quant.QParams, element: ir.Type) -> ir.Value:
    """A float constant quantized as PyTorch would (`qmath.quantize`), as an integer tosa.const."""
    lo, hi = _storage_range(element, _is_unsigned(qparams, element))
    q = qmath.quantize(np.asarray(array, np.float32), qparams.scale[0], qparams.zero_point[0],
                       max(lo, qparams.qmin), min(hi, qparams.qmax), dtype=np.int64)
    return make_storage_const(q, element)


def _element_count(value: ir.Value) -> int:
    return int(np.prod(ranked_shape(value)))


def _with_element(value: ir.Value, element: ir.Type) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(ranked_shape(value), element)


def _recreate(op, operands, result_type) -> ir.Value:
    """`op` again, on `operands`, with result type `result_type` (attributes kept)."""
    attributes = {name: op.attributes[name] for name in op.attributes}
    return ir.Operation.create(op.name, results=[result_type], operands=list(operands),
                               attributes=attributes).result


def _quantized_user(value: ir.Value):
    """(qparams, element type) of the per-tensor quantizes that every use of `value`
    reaches through data movement ops, if they all agree; else None."""
    found = set()
    pending = [value]
    while pending:
        current = pending.pop()
        uses = list(current.uses)
        if not uses:
            return None  # a float result leaves (a graph output): nothing to agree with
        for use in uses:
            user = use.owner
            user = user.operation if hasattr(user, "operation") else user
            if quant.is_quantize(user):
                qparams = quant.QParams.of(user)
                if qparams.per_channel:
                    return None
                found.add((qparams, ir.RankedTensorType(user.results[0].type).element_type))
            elif _is_moving_op(user) and use.operand_number == 0:
                pending.append(user.results[0])
            else:
                return None
        if len(found) > 1:
            return None
    return found.pop() if len(found) == 1 else None


def _is_moving_op(op) -> bool:
    """Data movement on operand 0 (a nearest-neighbour resize is; a bilinear one is not)."""
    if op.name == "tosa.resize":
        return "NEAREST" in str(op.attributes["mode"])
    return op.name in UNARY_DATA_MOVEMENT_OPS or op.name == "tosa.pad"


def _pad_value(op) -> np.ndarray | None:
    value = _float_constant(op.operands[2])
    return value.reshape(1) if value is not None and value.size == 1 else None


def _representable(value: np.ndarray, qparams: quant.QParams, element: ir.Type) -> bool:
    """Whether dequantize(quantize(value)) gives `value` back exactly (0.0 always does)."""
    lo, hi = _storage_range(element, _is_unsigned(qparams, element))
    q = qmath.quantize(np.asarray(value, np.float32), qparams.scale[0], qparams.zero_point[0],
                       max(lo, qparams.qmin), min(hi, qparams.qmax), dtype=np.int64)
    back = (q.astype(np.float32) - np.float32(qparams.zero_point[0])) * np.float32(qparams.scale[0])
    return bool(np.all(back == np.asarray(value, np.float32)))


def _lower_requantize(q_op, dq, rewriter) -> bool:
    """quantize(dequantize(x)) -> x, or one rescale."""
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    if in_q.per_channel or out_q.per_channel:
        if in_q == out_q and dq.operands[0].type == q_op.results[0].type:
            rewriter.replace_op(q_op, [dq.operands[0]])
            return False
        return _refuse(q_op, "requantizes per-channel quantized values, which has no integer lowering")
    out_element = ir.RankedTensorType(q_op.results[0].type).element_type
    with rewriter.ip, q_op.location:
        try:
            result = requantize(dq.operands[0], in_q, out_q, out_element)
        except ValueError as e:
            return _refuse(q_op, f"cannot requantize: {e}")
    rewriter.replace_op(q_op, [result])
    return False


def _lower_quantized_move(q_op, op, rewriter) -> bool:
    """quantize(op(dequantize(x))) -> op on the integers, the rescale (if any) on the side
    with fewer elements; a pad pads with its value quantized for the output."""
    dq = defining_op(op.operands[0])
    if not quant.is_dequantize(dq) or not has_single_use(op.results[0]):
        return True
    pad_value = _pad_value(op) if op.name == "tosa.pad" else None
    if op.name == "tosa.pad" and pad_value is None:
        return True
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    if in_q.per_channel or out_q.per_channel:
        return _refuse(op, "moves per-channel quantized values, which has no integer lowering")
    source = dq.operands[0]
    in_element = ir.RankedTensorType(source.type).element_type
    out_element = ir.RankedTensorType(q_op.results[0].type).element_type
    operands = list(op.operands)
    operands[0] = source
    # Before the op for pad (its pad value is quantized for the output) and for unsigned
    # input (TOSA moves no uint8 data); else where there are fewer elements.
    rescale_after = (
        needs_rescale(in_q, in_element, out_q, out_element)
        and op.name != "tosa.pad"
        and not _is_unsigned(in_q, in_element)
        and _element_count(op.results[0]) < _element_count(source)
    )
    with rewriter.ip, op.location:
        try:
            if rescale_after:
                moved = _recreate(op, operands, _with_element(op.results[0], in_element))
                result = requantize(moved, in_q, out_q, out_element)
            else:
                operands[0] = requantize(source, in_q, out_q, out_element)
                if pad_value is not None:
                    operands[2] = _quantized_const(pad_value, out_q, out_element)
                result = _recreate(op, operands, q_op.results[0].type)
        except ValueError as e:
            return _refuse(op, f"cannot requantize its input: {e}")
    rewriter.replace_op(q_op, [result])
    return False


def lower_quantize(q_op, rewriter) -> bool:
    """Patterns anchored on a quantize: a requantize, or a data movement op it quantizes."""
    q_op = q_op.operation
    producer = defining_op(q_op.operands[0])
    if producer is None:
        return True
    if quant.is_dequantize(producer):
        return _lower_requantize(q_op, producer, rewriter)
    if _is_moving_op(producer):
        return _lower_quantized_move(q_op, producer, rewriter)
    return True


def dequantize_after_move(op, rewriter) -> bool:
    """op(dequantize(x)) -> dequantize(op(x)), when no quantize takes `op`'s result directly.

    Data movement commutes with dequantization, so a chain of them (or one feeding a graph
    output or another quantized op) moves the integers. A pad moves only if its value is
    exactly representable in the input's quantization."""
    op = op.operation
    if not _is_moving_op(op):
        return True
    dq = defining_op(op.operands[0])
    if not quant.is_dequantize(dq):
        return True
    uses = list(op.results[0].uses)
    if len(uses) == 1 and quant.is_quantize(uses[0].owner):
        return True  # lower_quantize's
    in_q = quant.QParams.of(dq)
    source = dq.operands[0]
    element = ir.RankedTensorType(source.type).element_type
    if in_q.per_channel or _is_unsigned(in_q, element):
        return True
    operands = list(op.operands)
    operands[0] = source
    with rewriter.ip, op.location:
        if op.name == "tosa.pad":
            pad_value = _pad_value(op)
            if pad_value is None or not _representable(pad_value, in_q, element):
                return True
            operands[2] = _quantized_const(pad_value, in_q, element)
        moved = _recreate(op, operands, _with_element(op.results[0], element))
        result = quant.create(quant.DEQUANTIZE, moved, op.results[0].type, in_q)
    rewriter.replace_op(op, [result])
    return False


def lower_concat(concat, rewriter) -> bool:
    """concat(dequantize(x_i) | float constant) -> dequantize(concat(x_i')).

    Inputs of one quantization are concatenated as they are. Otherwise every input is
    requantized to (constants quantized with) the one quantization that all uses of its
    result reach through data movement ops; without one, the concat stays float."""
    concat = concat.operation
    inputs = []  # (dequantize op or None, float constant or None)
    for operand in concat.operands:
        dq = defining_op(operand)
        if quant.is_dequantize(dq):
            if quant.QParams.of(dq).per_channel:
                return True
            inputs.append((dq, None))
            continue
        constant = _float_constant(operand)
        if constant is None:
            return True  # a float input: not a quantized concat
        inputs.append((None, constant))
    dqs = [dq for dq, _ in inputs if dq is not None]
    if not dqs:
        return True  # constant folding's

    def params(dq):
        return quant.QParams.of(dq), ir.RankedTensorType(dq.operands[0].type).element_type

    distinct = {params(dq) for dq in dqs}
    if len(distinct) == 1 and len(dqs) == len(inputs) and not _is_unsigned(*next(iter(distinct))):
        target = next(iter(distinct))
    else:
        target = _quantized_user(concat.results[0])
        if target is None:
            return True
    target_q, element = target
    with rewriter.ip, concat.location:
        try:
            operands = [
                _quantized_const(constant, target_q, element) if dq is None
                else requantize(dq.operands[0], quant.QParams.of(dq), target_q, element)
                for dq, constant in inputs
            ]
        except ValueError as e:
            return _refuse(concat, f"cannot requantize an input: {e}")
        joined = _recreate(concat, operands, _with_element(concat.results[0], element))
        result = quant.create(quant.DEQUANTIZE, joined, concat.results[0].type, target_q)
    rewriter.replace_op(concat, [result])
    return False


class LowerQuantizedDataMovement(QuantizedLowering):
    name = "tosaic-lower-quantized-data-movement"
    summary = ("Fold dequantize -> concat/pad/slice/reshape/transpose/tile/reverse/... -> quantize, "
               "and requantizing quantize(dequantize), into integer TOSA with rescales")
    failure = "quantized data movement could not be lowered"

    def patterns(self):
        return (
            [(quant.QUANTIZE, lower_quantize, 1), ("tosa.concat", lower_concat, 1)]
            + [(name, dequantize_after_move, 1) for name in sorted(UNARY_DATA_MOVEMENT_OPS | {"tosa.pad"})]
            + [(quant.DEQUANTIZE, quant.erase_if_unused, 2)]
        )
