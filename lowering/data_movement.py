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

Nearest upsampling by 2, 4 or 8 (the frontend's broadcast between reshapes, once it is
integer) becomes one nearest RESIZE in NHWC (entry `upsample_nearest.resize`): Vela 5.2.0
runs it on Ethos-U55 (power-of-two upscales 2x..8x only) and U85, in ~1/3 of the
broadcast's cycles; other factors stay the broadcast (TILE), which both run.

Exact ties round differently: RESCALE rounds half up, torch's quantize half to even. A
requantize by a ratio such as exactly 0.5 so differs by 1 LSB on a quarter of the codes.

Per-channel quantization is not lowered: a quantize-anchored pattern with per-channel
parameters, or a rescale TOSA cannot encode, is refused with a diagnostic at the op.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import quant, tosa_ops
from tosaic.dialects.tosa_helpers import (
    defining_op,
    has_single_use,
    make_const_shape,
    make_integer_const,
    make_storage_const,
    ranked_shape,
)
from tosaic.lowering.build import is_unsigned as _is_unsigned
from tosaic.lowering.build import requantize
from tosaic.lowering.match import integer_constant
from tosaic.lowering.registry import CONCAT, SHARED, SHARED_ALWAYS, Refuse, Replace, family, lowering
from tosaic.quantization import qmath

family("data-movement", summary=(
    "Fold dequantize -> concat/pad/slice/reshape/transpose/tile/reverse/... -> quantize, and requantizing "
    "quantize(dequantize), into integer TOSA with rescales"),
    failure="quantized data movement could not be lowered",
    # A dequantize whose users all moved to the integers is dead; the IRDL op declares no
    # side effects, so MLIR's dead-code elimination keeps it.
    cleanup=((quant.DEQUANTIZE, quant.erase_if_unused, 2),))


def _storage_range(element: ir.Type, unsigned: bool) -> tuple[int, int]:
    return qmath.storage_range(f"int{ir.IntegerType(element).width}", unsigned)


def needs_rescale(in_q: quant.QParams, in_element: ir.Type, out_q: quant.QParams, out_element: ir.Type) -> bool:
    return (in_q.scale[0], in_q.zero_point[0], in_element) != (out_q.scale[0], out_q.zero_point[0], out_element)


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
    return op.name in tosa_ops.DATA_MOVEMENT or op.name == "tosa.pad"


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


def _lower_requantize(q_op, dq) -> Refuse | Replace | None:
    """quantize(dequantize(x)) -> x, or one rescale."""
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    if in_q.per_channel or out_q.per_channel:
        if in_q == out_q and dq.operands[0].type == q_op.results[0].type:
            return Replace.one(q_op, dq.operands[0])
        return Refuse(q_op, "requantizes per-channel quantized values, which has no integer lowering")
    out_element = ir.RankedTensorType(q_op.results[0].type).element_type
    with ir.InsertionPoint(q_op), q_op.location:
        try:
            result = requantize(dq.operands[0], in_q, out_q, out_element)
        except ValueError as e:
            return Refuse(q_op, f"cannot requantize: {e}")
    return Replace.one(q_op, result)


def _lower_quantized_move(q_op, op) -> Refuse | Replace | None:
    """quantize(op(dequantize(x))) -> op on the integers, the rescale (if any) on the side
    with fewer elements; a pad pads with its value quantized for the output."""
    dq = defining_op(op.operands[0])
    if not quant.is_dequantize(dq) or not has_single_use(op.results[0]):
        return None
    pad_value = _pad_value(op) if op.name == "tosa.pad" else None
    if op.name == "tosa.pad" and pad_value is None:
        return None
    in_q, out_q = quant.QParams.of(dq), quant.QParams.of(q_op)
    if in_q.per_channel or out_q.per_channel:
        return Refuse(op, "moves per-channel quantized values, which has no integer lowering")
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
    with ir.InsertionPoint(q_op), op.location:
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
            return Refuse(op, f"cannot requantize its input: {e}")
    return Replace.one(q_op, result)


# The aten ops the quantizer annotates with shared qparams, by the TOSA op they become.
_SHARED_ATEN_OPS = {
    "tosa.reshape": ("reshape.default", "view.default", "_unsafe_view.default", "flatten.using_ints",
                     "squeeze.default", "squeeze.dim", "squeeze.dims", "unsqueeze.default", "unflatten.int",
                     # reshapes around a transpose
                     "pixel_shuffle.default", "pixel_unshuffle.default"),
    "tosa.transpose": ("permute.default", "transpose.int", "t.default"),
    "tosa.slice": ("slice.Tensor", "select.int"),
    "tosa.pad": ("pad.default", "constant_pad_nd.default"),
    # upsample_nearest2d by whole factors: a broadcast between reshapes (frontend/importer.py)
    "tosa.tile": ("expand.default", "repeat.default", "upsample_nearest2d.vec"),
    "tosa.reverse": ("flip.default",),
    "tosa.identity": ("clone.default",),
}
# ... and those whose input is a constant, quantized for them (an embedding's table).
_SHARED_CONSTANT_ATEN_OPS = {
    "tosa.gather": ("embedding.default",),
}


@lowering("requantize", family="data-movement", root=quant.QUANTIZE, activations=("int8", "int16", "uint8"))
def lower_requantize(q_op, run):
    """quantize(dequantize(x)) with other parameters -> x, or one rescale."""
    producer = defining_op(q_op.operands[0])
    if not quant.is_dequantize(producer):
        return None
    return _lower_requantize(q_op, producer)


def _quantized_move(op, run):
    """quantize(op(dequantize(x))) -> op on the integers (+ a rescale on the smaller side)."""
    if not _is_moving_op(op):
        return None
    uses = list(op.results[0].uses)
    if len(uses) != 1 or not quant.is_quantize(uses[0].owner):
        return None
    q_op = uses[0].owner
    return _lower_quantized_move(q_op.operation if hasattr(q_op, "operation") else q_op, op)


def _moved_dequantize(op, run):
    """op(dequantize(x)) without a quantize right after -> dequantize(op(x))."""
    return dequantize_after_move(op)


# One pattern instance per data movement op, twice: moving into a quantize (benefit 2)
# before moving the dequantize down (benefit 1), which leaves that case to the first.
for _root in sorted(tosa_ops.DATA_MOVEMENT | {"tosa.pad"}):
    _short = _root.removeprefix("tosa.")
    lowering(f"{_short}.quantized", family="data-movement", root=_root, benefit=2,
             activations=("int8", "int16", "uint8"),
             annotates={**{f"aten.{op}": SHARED for op in _SHARED_ATEN_OPS.get(_root, ())},
                        **{f"aten.{op}": SHARED_ALWAYS for op in _SHARED_CONSTANT_ATEN_OPS.get(_root, ())}},
             summary=f"quantize({_short}(dequantize(x))) -> {_short} on the integers (+ rescale)")(_quantized_move)
    lowering(f"{_short}.dequantized", family="data-movement", root=_root, benefit=1,
             activations=("int8", "int16"),
             summary=f"{_short}(dequantize(x)) -> dequantize({_short}(x))")(_moved_dequantize)
del _root, _short


def dequantize_after_move(op) -> Refuse | Replace | None:
    """op(dequantize(x)) -> dequantize(op(x)), when no quantize takes `op`'s result directly.

    Data movement commutes with dequantization, so a chain of them (or one feeding a graph
    output or another quantized op) moves the integers. A pad moves only if its value is
    exactly representable in the input's quantization."""
    op = op.operation
    if not _is_moving_op(op):
        return None
    dq = defining_op(op.operands[0])
    if not quant.is_dequantize(dq):
        return None
    uses = list(op.results[0].uses)
    if len(uses) == 1 and quant.is_quantize(uses[0].owner):
        return None  # the quantized move's
    in_q = quant.QParams.of(dq)
    source = dq.operands[0]
    element = ir.RankedTensorType(source.type).element_type
    if in_q.per_channel or _is_unsigned(in_q, element):
        return None
    operands = list(op.operands)
    operands[0] = source
    with ir.InsertionPoint(op), op.location:
        if op.name == "tosa.pad":
            pad_value = _pad_value(op)
            if pad_value is None or not _representable(pad_value, in_q, element):
                return None
            operands[2] = _quantized_const(pad_value, in_q, element)
        moved = _recreate(op, operands, _with_element(op.results[0], element))
        result = quant.create(quant.DEQUANTIZE, moved, op.results[0].type, in_q)
    return Replace.one(op, result)


def lower_concat(concat) -> Refuse | Replace | None:
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
                return None
            inputs.append((dq, None))
            continue
        constant = _float_constant(operand)
        if constant is None:
            return None  # a float input: not a quantized concat
        inputs.append((None, constant))
    dqs = [dq for dq, _ in inputs if dq is not None]
    if not dqs:
        return None  # constant folding's

    def params(dq):
        return quant.QParams.of(dq), ir.RankedTensorType(dq.operands[0].type).element_type

    distinct = {params(dq) for dq in dqs}
    if len(distinct) == 1 and len(dqs) == len(inputs) and not _is_unsigned(*next(iter(distinct))):
        target = next(iter(distinct))
    else:
        target = _quantized_user(concat.results[0])
        if target is None:
            return None
    target_q, element = target
    with ir.InsertionPoint(concat), concat.location:
        try:
            operands = [
                _quantized_const(constant, target_q, element) if dq is None
                else requantize(dq.operands[0], quant.QParams.of(dq), target_q, element)
                for dq, constant in inputs
            ]
        except ValueError as e:
            return Refuse(concat, f"cannot requantize an input: {e}")
        joined = _recreate(concat, operands, _with_element(concat.results[0], element))
        result = quant.create(quant.DEQUANTIZE, joined, concat.results[0].type, target_q)
    return Replace.one(concat, result)


@lowering("concat", family="data-movement", root="tosa.concat", activations=("int8", "int16", "uint8"),
          annotates={"aten.cat.default": CONCAT, "aten.concat.default": CONCAT, "aten.stack.default": CONCAT})
def lower_concat_entry(concat, run):
    """concat of dequantized values / float constants -> dequantize(concat(x_i)) (inputs rescaled to one
    quantization where they differ)."""
    return lower_concat(concat)


# A gather of constant indices into at most this many runs of consecutive rows becomes
# that many slices and one concat; more would cost more than the GATHER (which Ethos-U85
# runs; Vela rejects it on Ethos-U55).
MAX_GATHER_RUNS = 32


def _consecutive_runs(indices) -> list[tuple[int, int]]:
    """(start, length) of each run of consecutive indices, in order."""
    runs = []
    for index in (int(i) for i in indices):
        if runs and runs[-1][0] + runs[-1][1] == index:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((index, 1))
    return runs


@lowering("gather.constant-indices", family="data-movement", root="tosa.gather", benefit=3,
          activations=("int8", "int16"),
          annotates={"aten.index_select.default": SHARED, "aten.gather.default": SHARED})
def lower_constant_gather(gather, run):
    """gather(dequantize(x), constant indices) -> dequantize(concat(slices of x)): one slice per
    run of consecutive indices (Ethos-U55 runs no GATHER)."""
    dq = defining_op(gather.operands[0])
    if not quant.is_dequantize(dq) or quant.QParams.of(dq).per_channel:
        return None
    indices = integer_constant(gather.operands[1])
    if indices is None or indices.shape[0] != 1:
        return None
    runs = _consecutive_runs(indices[0])
    if len(runs) > MAX_GATHER_RUNS:
        index_op = defining_op(gather.operands[1])
        if index_op.name == "tosa.const":
            return None  # gather.quantized's
        # The GATHER stays, its int32 indices folded (torch-mlir computes them from int64
        # constants, which TOSA's integer profile does not allow).
        with ir.InsertionPoint(gather), gather.location:
            folded = tosa.gather(gather.results[0].type, gather.operands[0], make_integer_const(indices, 32))
        return Replace.one(gather, folded)
    source = dq.operands[0]
    _, _, channels = ranked_shape(source)
    element = ir.RankedTensorType(source.type).element_type
    with ir.InsertionPoint(gather), gather.location:
        pieces = [
            tosa.slice(ir.RankedTensorType.get([1, length, channels], element), source,
                       make_const_shape([0, start, 0]), make_const_shape([1, length, channels]))
            for start, length in runs
        ]
        joined = pieces[0] if len(pieces) == 1 else tosa.concat(pieces, 1)
        result = quant.create(quant.DEQUANTIZE, joined, gather.results[0].type, quant.QParams.of(dq))
    return Replace.one(gather, result)


# Nearest upsampling by these factors runs as one RESIZE on Ethos-U55 and -U85 (Vela 5.2.0:
# "upscale must be power-of-two in range 2x..8x"); other factors stay a broadcast.
RESIZE_FACTORS = (2, 4, 8)


def _tile_multiples(tile) -> list[int] | None:
    from tosaic.dialects.tosa_helpers import constant_shape

    return constant_shape(tile.operands[1])


def _single_user(value: ir.Value):
    users = [use.owner for use in value.uses]
    if len(users) != 1:
        return None
    user = users[0]
    return user.operation if hasattr(user, "operation") else user


def _nearest_broadcast(first):
    """(sh, sw, last reshape) for frontend/importer.py's nearest upsampling of NCHW `x`
    from its first reshape down:
    reshape(tile(reshape(tile(reshape(x) [., W, 1]) x sw) [., H, 1, OW]) x sh) [N, C, OH, OW]."""
    chain, op = [first], first
    for name in ("tosa.tile", "tosa.reshape", "tosa.tile", "tosa.reshape"):
        op = _single_user(op.results[0])
        if op is None or op.name != name or op.operands[0] != chain[-1].results[0]:
            return None
        chain.append(op)
    shape, out = ranked_shape(first.operands[0]), ranked_shape(chain[-1].results[0])
    if shape is None or out is None or len(shape) != 4 or len(out) != 4:
        return None
    n, c, h, w = shape
    if out[:2] != [n, c] or out[2] % h or out[3] % w:
        return None
    sh, sw = out[2] // h, out[3] // w
    if (ranked_shape(chain[0].results[0]) != [n * c * h, w, 1] or _tile_multiples(chain[1]) != [1, 1, sw]
            or ranked_shape(chain[2].results[0]) != [n * c, h, 1, out[3]]
            or _tile_multiples(chain[3]) != [1, 1, sh, 1]):
        return None
    return sh, sw, chain[-1]


@lowering("upsample_nearest.resize", family="data-movement", root="tosa.reshape", benefit=5,
          activations=("int8",))
def lower_nearest_as_resize(reshape, run):
    """Nearest upsampling of int8 values by 2, 4 or 8 (the frontend's broadcast
    between reshapes, once integer) -> one nearest RESIZE in NHWC (its transposes cancel
    with a convolution's)."""
    x = reshape.operands[0]
    element = ir.RankedTensorType(x.type).element_type
    if not isinstance(element, ir.IntegerType) or ir.IntegerType(element).width != 8:
        return None  # (int16 RESIZE on Ethos-U not measured: the broadcast stays) once the chain is integer (its quantize/dequantize moved out by the patterns above)
    found = _nearest_broadcast(reshape)
    if found is None:
        return None
    sh, sw, last = found
    if sh not in RESIZE_FACTORS or sw not in RESIZE_FACTORS:
        return None
    from tosaic.dialects.tosa_helpers import make_transpose, with_shape

    n, c, h, w = ranked_shape(x)
    with ir.InsertionPoint(last), last.location:
        nhwc = make_transpose(x, [0, 2, 3, 1])
        # PyTorch's nearest index floor(o / s) is TOSA's round-half-up (o d + offset) / n with
        # n = 2s, d = 2, offset = 1 - s; border s - 1 gives s times the size.
        resized = tosa.ResizeOp(
            with_shape(x.type, [n, h * sh, w * sw, c]), nhwc, make_const_shape([2 * sh, 2, 2 * sw, 2]),
            make_const_shape([1 - sh, 1 - sw]), make_const_shape([sh - 1, sw - 1]),
            ir.Attribute.parse("#tosa.resize_mode<NEAREST_NEIGHBOR>"),
        ).result
        result = make_transpose(resized, [0, 3, 1, 2])
    return Replace.one(last, result)
