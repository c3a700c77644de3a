"""Fold `dequantize -> tosa.conv2d / depthwise_conv2d / conv3d / transpose_conv2d (float) -> [clamp] ->
quantize` into integer TOSA.

    x_q, w_q --conv(acc i32, input_zp, weight_zp 0)--> acc --rescale(per channel)--> y_q

int16 activations (a16w8) accumulate in i48 with an i48 bias (the program's int32 bias
widened, or the float bias quantized to the int48 range) and input zero point 0, and
reach the output in two exact steps (`requantize_int48`):

    x_q16, w_q8 --conv(acc i48, bias i48)--> acc --rescale(2^-k, scale32 = false)--> i32
      --rescale(per channel, 32-bit multiplier)--> y_q16

k is the finest power-of-two step at which the accumulator (bounded by sum|w| * 32768 per
channel) plus bias cannot overflow int32 (`qmath.int48_intermediate_shifts`); one 16-bit
RESCALE from i48 straight to int16 would miss the exactly scaled result on several percent
of the outputs. Vela fuses both RESCALEs into the convolution. tosaic-int48-bias turns
this into the bias-split form and back.

int4 weights (`int4-weights`, on by default): PyTorch has no int4 dtype, so an a8w4 program
stores its weights in int8 with the quantization range [-7, 7]. A constant weight whose
dequantize has a range within [-8, 7] and whose values are all TOSA int4 values (-7..7)
becomes an `i4` constant, its layout ops folded into the data, with an `i4` weight zero
point: the int8 activations accumulate in int32 as before. An int4 range that must stay
int8 (values of -8, a weight that is not a constant, the option off) is kept int8 and the
convolution carries `tosaic.int8_weight = "<reason>"`, which report.json lists.

The int32 bias is taken from the bias dequantize when the program has one, or computed
from the float bias as round(b / (input_scale * weight_scale[c])). The rescale carries
input_scale * weight_scale[c] / output_scale with TOSA 1.0's 32-bit multiplier and shift
(`tosaic.quantization.qmath`). A following clamp (relu, relu6, hardtanh) becomes the
rescale's saturation when its bounds are the int8 bounds at that zero point, or an
integer clamp otherwise.

Operands are found through the float layout ops torch-mlir leaves between a dequantize
and the convolution (`QuantizedOperand`), with the per-channel scales following every
element:

- depthwise (torch groups == in channels): the weight is `reshape(dequantize(w))`,
  [KH, KW, C*M, 1] -> [KH, KW, C, M] for channel multiplier M, which splits the
  quantization axis, so no dequantize can move past it. Output channel c*M + m keeps
  scale[c*M + m]; the reshape is done on the integer weight.
  Vela 5.2.0 splits a depthwise convolution with M > 1 into one NPU op per kernel tap, so
  by default (`expand-depth-multiplier`) the input channels are first repeated M times by
  an exact 1x1 conv2d (one-hot weights, acc = x - zp, rescale by 1 back to x), and the
  depthwise convolution runs with multiplier 1 on [KH, KW, C*M, 1]. For a 3x3, M = 2
  depthwise on ethos-u55-128 / ethos-u85-256 that takes 8040 / 7141 cycles instead of
  21696 / 60016 at C = 16 (12x12), and 93232 / 52531 instead of 141840 / 477976 at C = 256
  (8x8); repeating the channels with tosa.tile instead is slower than either.
- grouped: torch-mlir slices input, weight and bias per group, convolves each and
  concatenates: `quantize(clamp?(concat(conv(slice(dq x), slice(dq w), slice(dq b)), ...)))`
  becomes a concat of the per-group integer convolutions, each rescaled to the output's
  quantization.
- transpose (torch conv_transpose2d, groups 1): the same plan on `tosa.transpose_conv2d`,
  whose OHWI weight carries the quantizer's per-channel scales (torch axis 1) on dim 0, and
  whose operands are conv2d's; int4 weights with int8 activations as for conv2d (TOSA
  EXT-INT4 has them). torch-mlir applies torch's padding and output_padding as a slice of
  the full output (out_pad 0): `quantize(clamp?(slice(transpose_conv2d)))`. The slice is
  folded into a negative out_pad (`folded_out_pad`); beyond TOSA's out_pad > -kernel size
  it stays, on the integer result. int16: |acc| is bounded by sum|w| over the whole kernel,
  as for conv2d (tosaic-int48-bias uses the same bound), though a stride-s output sees only
  about 1/s^2 of the taps. Vela does not fuse the output RESCALE into TRANSPOSE_CONV2D, so
  the Ethos-U pipelines make it a conv2d over the zero-inserted input
  (tosaic-decompose-transpose-conv2d, which has Vela's limits and cycles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch_mlir import ir

from tosaic.dialects import quant, tosa_ops
from tosaic.dialects.tosa_helpers import constant_shape, defining_op, make_integer_const, make_reshape, ranked_shape
from tosaic.lowering.build import (
    emit_layouts,
    integer_convolution,
    integer_rescale,
    record_int8_weight,
    requantize_int48,
    requantize_output,
)
from tosaic.lowering.match import QuantizedOperand, channel_vector, integer_bias, peel_output, quantizes_below, \
    trace_quantized
from tosaic.lowering.registry import WEIGHTED, WEIGHTED_TRANSPOSED, Refuse, Replace, family, lower_each, lowering
from tosaic.quantization import qmath

family("conv", summary=(
    "Fold dequantize -> conv2d/depthwise_conv2d (also grouped)/conv3d/transpose_conv2d -> [clamp] -> quantize "
    "into integer convolutions (int8 activations with int8 or int4 weights, i32 acc; int16 activations with int8 "
    "weights, i48 acc and bias) + rescale"), failure="quantized convolution could not be lowered")


# Convolutions -------------------------------------------------------------------------


def repeat_channels(x: ir.Value, x_zp: int, times: int) -> ir.Value:
    """int8/int16 NHWC `x` with each channel repeated `times` times (channel c -> c*times + m),
    by a 1x1 conv2d with one-hot weights: acc = x - x_zp exactly, rescaled by 1 back to x."""
    n, h, w, channels = ranked_shape(x)
    out_channels = channels * times
    one_hot = np.zeros((out_channels, 1, 1, channels), np.int8)
    one_hot[np.arange(out_channels), 0, 0, np.arange(out_channels) // times] = 1
    accumulator = integer_convolution("tosa.conv2d", x, one_hot, np.zeros(out_channels), x_zp,
                                      [n, h, w, out_channels])
    out_type = ir.RankedTensorType.get([n, h, w, out_channels], ir.RankedTensorType(x.type).element_type)
    return integer_rescale(accumulator, [1.0], 0, x_zp, out_type, per_channel=False)


@dataclass
class _ConvPlan:
    conv: ir.Operation
    x: QuantizedOperand
    w: QuantizedOperand
    x_zp: int
    acc_scales: np.ndarray
    bias: np.ndarray
    acc_bounds: np.ndarray | None = None  # int16 input: the largest |accumulator| without bias
    w_width: int = 8  # 4: an int4 weight
    int8_reason: str | None = None  # why an int4-range weight stays int8
    out_pad: list[int] | None = None  # transpose conv: out_pad with its output crop folded in
    out_shape: list[int] | None = None  # ... and the cropped output's shape
    crop_after: object = None  # a crop out_pad cannot take: sliced off the integer result

    @property
    def acc_width(self) -> int:
        return qmath.accumulator_width(self.x.width)

    def emit(self, expand_depth_multiplier: bool = True) -> ir.Value:
        """The int32 (int8 input) or int48 (int16 input) accumulator, at the insertion point."""
        conv = self.conv
        acc_element = ir.IntegerType.get_signless(self.acc_width)
        acc_type = ir.RankedTensorType.get(self.out_shape or ranked_shape(conv.results[0]), acc_element)
        attributes = {name: conv.attributes[name] for name in conv.attributes}
        attributes["acc_type"] = ir.TypeAttr.get(acc_element)
        if self.out_pad is not None:
            attributes["out_pad"] = ir.DenseI64ArrayAttr.get(self.out_pad)
        x, w = self.x.integer(), self.w.integer(self.w_width)
        w_shape = ranked_shape(w)
        if conv.name == "tosa.depthwise_conv2d" and w_shape[3] > 1 and expand_depth_multiplier:
            x = repeat_channels(x, self.x_zp, w_shape[3])
            w_shape = w_shape[:2] + [w_shape[2] * w_shape[3], 1]
            w_values = self.w.constant()
            w = (make_integer_const(np.ascontiguousarray(w_values).reshape(w_shape), self.w_width)
                 if w_values is not None else make_reshape(w, w_shape))
        lowered = ir.Operation.create(
            conv.name,
            results=[acc_type],
            operands=[
                x,
                w,
                make_integer_const(self.bias.reshape(-1), self.acc_width),
                make_integer_const(np.asarray([self.x_zp]), self.x.width),
                make_integer_const(np.asarray([0]), self.w_width),
            ],
            attributes=attributes,
            loc=conv.location,
        )
        record_int8_weight(lowered, self.int8_reason)
        return lowered.result


def crop_of(conv):
    """The `tosa.slice` that is the only user of a transpose conv's result, if it crops only
    the spatial dims (torch-mlir's way of applying torch's padding and output_padding)."""
    uses = list(conv.results[0].uses)
    if len(uses) != 1:
        return None
    user = uses[0].owner
    user = user.operation if hasattr(user, "operation") else user
    if user.name != "tosa.slice":
        return None
    start = constant_shape(user.operands[1])
    shape, cropped = ranked_shape(conv.results[0]), ranked_shape(user.results[0])
    if start is None or shape is None or cropped is None:
        return None
    if start[0] != 0 or start[3] != 0 or cropped[0] != shape[0] or cropped[3] != shape[3]:
        return None
    return user


def folded_out_pad(conv, crop) -> list[int] | None:
    """The transpose conv's out_pad with `crop` (a slice of its result) folded in: each
    spatial side loses what the crop drops there; None if TOSA cannot take that
    (ERROR_IF out_pad <= -kernel size)."""
    top, bottom, left, right = ir.DenseI64ArrayAttr(conv.attributes["out_pad"])
    start = constant_shape(crop.operands[1])
    full, cropped = ranked_shape(conv.results[0]), ranked_shape(crop.results[0])
    kernel = ranked_shape(conv.operands[1])[1:3]
    pad = [top - start[1], bottom - (full[1] - start[1] - cropped[1]),
           left - start[2], right - (full[2] - start[2] - cropped[2])]
    if any(p <= -kernel[i // 2] for i, p in enumerate(pad)):
        return None
    return pad


def plan_conv(conv, int4_weights: bool = True, crop=None) -> _ConvPlan | str | None:
    """How to lower one float convolution: a plan, a reason it cannot be, or None if its
    operands are not quantized at all. `crop`: a transpose conv's output slice
    (`crop_of`), folded into its out_pad."""
    conv = conv.operation
    x, w = trace_quantized(conv.operands[0]), trace_quantized(conv.operands[1])
    if x is None or w is None:
        return None
    x_params = x.per_tensor()
    if x_params is None or np.any(w.zero_point != 0):
        return "needs per-tensor input and symmetric weight quantization"
    if x.width not in (8, 16) or w.width != 8:
        return f"lowers int8 or int16 activations with int8 weights only (input i{x.width}, weight i{w.width})"
    if x.width == 16 and x_params[1] != 0:
        return f"int16 input needs zero point 0 (TOSA), not {x_params[1]}"
    w_scales = channel_vector(w.scale, tosa_ops.OUTPUT_CHANNEL_DIMS[conv.name])
    if w_scales is None:
        return f"weight is quantized along axis {w.axis}, not the output channels"
    out_channels = ranked_shape(conv.results[0])[-1]
    if w_scales.size != out_channels:
        return f"{w_scales.size} weight channels for {out_channels} output channels"
    bias = integer_bias(conv.operands[2], x_params[0], w_scales, qmath.accumulator_width(x.width))
    if isinstance(bias, str):
        return bias
    w_width, int8_reason = w.weight_width(int4_weights)
    if w_width == 4 and x.width != 8:  # TOSA's int4 convolutions take int8 activations only
        w_width, int8_reason = 8, f"TOSA has no int4 weights with i{x.width} activations"
    plan = _ConvPlan(conv, x, w, x_params[1], x_params[0] * w_scales, bias, w_width=w_width,
                     int8_reason=int8_reason)
    if crop is not None:
        plan.out_pad = folded_out_pad(conv, crop)
        if plan.out_pad is None:
            plan.crop_after = crop
        else:
            plan.out_shape = ranked_shape(crop.results[0])
    if x.width == 16:
        weights = w.constant()
        if weights is None:
            return "int16 convolution needs constant weights (to bound its 48-bit accumulator)"
        channel_dims = tosa_ops.OUTPUT_CHANNEL_DIMS[conv.name]
        others = [d for d in range(weights.ndim) if d not in channel_dims]
        abs_sums = np.abs(np.transpose(weights.astype(np.int64), list(channel_dims) + others))
        plan.acc_bounds = qmath.accumulator_bound(abs_sums.reshape(out_channels, -1).sum(axis=1), "int16")
    return plan


def _lower_at(q_op, root, options, crop=None) -> Refuse | Replace | None:
    """quantize(layouts(clamp?(layouts(root)))) for a convolution or a grouped
    convolution's concat `root`, lowered; for a transpose conv with an output `crop`,
    quantize(layouts(clamp?(layouts(crop(root)))))."""
    out_q = quant.QParams.of(q_op)
    if out_q.per_channel:
        return None
    clamp, layouts, producer = peel_output(q_op)
    if producer is None or producer != (crop or root):
        return None
    if root.name == "tosa.concat":
        convs = [defining_op(v) for v in root.operands]
        if not all(c is not None and c.name in tosa_ops.CONVOLUTIONS for c in convs):
            return None
        concat = root
    else:
        convs, concat = [root], None
    plans = [plan_conv(c, options["int4_weights"], crop) for c in convs]
    if any(p is None for p in plans):
        return None
    for conv, plan in zip(convs, plans):
        if isinstance(plan, str):
            return Refuse(conv, plan)

    for plan in plans:
        if plan.acc_bounds is not None:
            try:
                qmath.int48_intermediate_shifts(plan.acc_bounds, plan.bias, plan.acc_scales / out_q.scale[0])
            except ValueError as e:
                return Refuse(plan.conv, f"int48 accumulator cannot be requantized: {e}")
    out_element = ir.RankedTensorType(q_op.results[0].type).element_type
    with ir.InsertionPoint(q_op), q_op.location:
        pieces = []
        for p in plans:
            accumulator = p.emit(options["expand_depth_multiplier"])
            if p.acc_bounds is None:
                pieces.append(requantize_output(accumulator, p.acc_scales, out_q, clamp, out_element))
                continue
            pieces.append(requantize_int48(accumulator, p.acc_scales, p.acc_bounds, p.bias, out_q, clamp,
                                           out_element))
        pieces = [emit_layouts(piece, [p.crop_after]) if p.crop_after is not None else piece
                  for piece, p in zip(pieces, plans)]
        if concat is None:
            result = pieces[0]
        else:
            result = ir.Operation.create(
                "tosa.concat",
                results=[ir.RankedTensorType.get(ranked_shape(concat.results[0]), out_element)],
                operands=pieces,
                attributes={"axis": concat.attributes["axis"]}, loc=concat.location,
            ).result
        result = emit_layouts(result, layouts)
    return Replace.one(q_op, result)


def _lower_below(root, run, crop=None):
    """Every quantize the convolution (or grouped convolution) `root` reaches (through its
    output `crop`, if any), lowered."""
    return lower_each(quantizes_below(crop or root), lambda q_op: _lower_at(q_op, root, run.options, crop))


# The aten convolutions each becomes (torch-mlir lowers conv1d as a conv2d; groups decide
# between conv2d, depthwise and grouped).
_CONV2D = {f"aten.{op}": WEIGHTED for op in ("conv1d.default", "conv1d.padding", "conv2d.default", "conv2d.padding")}
_CONV3D = {f"aten.{op}": WEIGHTED for op in ("conv3d.default", "conv3d.padding")}


@lowering("conv2d", family="conv", root="tosa.conv2d", activations=("int8", "int16"), weights=("int8", "int4"),
          annotates=_CONV2D)
def lower_conv2d(conv, run):
    """conv2d (and conv1d, as torch-mlir lowers it) -> integer conv2d + rescale."""
    return _lower_below(conv, run)


@lowering("depthwise_conv2d", family="conv", root="tosa.depthwise_conv2d", activations=("int8", "int16"),
          weights=("int8", "int4"), annotates=_CONV2D)
def lower_depthwise_conv2d(conv, run):
    """depthwise conv2d (torch groups == in channels; multiplier expanded) -> integer depthwise + rescale."""
    return _lower_below(conv, run)


@lowering("conv3d", family="conv", root="tosa.conv3d", activations=("int8", "int16"), weights=("int8", "int4"),
          annotates=_CONV3D)
def lower_conv3d(conv, run):
    """conv3d -> integer conv3d + rescale."""
    return _lower_below(conv, run)


@lowering("grouped_conv2d", family="conv", root="tosa.concat", benefit=2, activations=("int8", "int16"),
          weights=("int8", "int4"), annotates=_CONV2D)
def lower_grouped_conv2d(concat, run):
    """grouped conv2d (a concat of per-group convolutions) -> concat of integer convolutions."""
    return _lower_below(concat, run)


@lowering("transpose_conv2d", family="conv", root="tosa.transpose_conv2d", activations=("int8", "int16"),
          weights=("int8", "int4"), annotates={"aten.conv_transpose2d.input": WEIGHTED_TRANSPOSED})
def lower_transpose_conv2d(conv, run):
    """transpose conv2d (groups 1; torch's padding as a negative out_pad) -> integer transpose_conv2d + rescale."""
    return _lower_below(conv, run, crop_of(conv))
