"""Sum over an axis of the tensor itself, not of a transposed copy of it.

A mean over time after a conv1d stack (keyword spotting) reaches TOSA as the NHWC
convolution output transposed back to PyTorch's [N, C, W] (with unit-dim reshapes either
side), a per-tensor RESCALE to int32 and a REDUCE_SUM over W. Summing does not care about
the order of the other axes, so when the axes left after the sum keep their order, the
transpose is not needed: REDUCE_SUM over the matching axis of the untransposed tensor, then
a reshape to the result's shape. Vela 5.2.0 ran that transpose (1x1x13x128 -> 1x128x1x13)
at 1.73 M of the 1.76 M Ethos-U85-256 cycles of ExecuTorch's quantization of the KWS conv1d
net, and 108 k of 131 k of tosaic's own.

The sum itself, over H or W of an NHWC int8 tensor that a RESCALE by exactly 1 widened to
int32 (the quantized mean's form), becomes the window sum the pooling lowering uses: a
depthwise convolution with weights 1 and the input zero point, accumulating in int32
(`lowering.build.integer_window_sum`), the same integers. Vela 5.2.0 runs a REDUCE_SUM over H
or W by transposing the int32 tensor first: 108 k of the KWS net's 131 k U85 cycles.

Matched, walking up from an int32 `tosa.reduce_sum`: reshapes that only add or drop unit
dims, transposes, and at most one per-tensor `tosa.rescale`, each result used once; the
first other op's result is the tensor summed. The non-unit axes are followed through the
chain; the rewrite applies when the summed axis is one of them and the rest stay in order.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects.tosa_helpers import (constant_array, defining_op, has_single_use, make_reshape, ranked_shape,
                                         with_shape)
from tosaic.lowering.build import element_width, integer_window_sum
from tosaic.passes.base import PatternPass
from tosaic.quantization import qmath


def _non_unit(shape) -> list[int]:
    return [axis for axis, size in enumerate(shape) if size != 1]


def _chain(value: ir.Value):
    """(source, ops from the source down, or None): the layout ops and rescale above `value`."""
    ops = []
    rescales = 0
    while True:
        op = defining_op(value)
        if op is None or op.name not in ("tosa.reshape", "tosa.transpose", "tosa.rescale"):
            return value, list(reversed(ops))
        if op.name == "tosa.rescale":
            if rescales or ir.BoolAttr(op.attributes["per_channel"]).value:
                return value, list(reversed(ops))
            rescales += 1
        if op.name == "tosa.reshape" and \
                [ranked_shape(op.operands[0])[a] for a in _non_unit(ranked_shape(op.operands[0]))] != \
                [ranked_shape(op.results[0])[a] for a in _non_unit(ranked_shape(op.results[0]))]:
            return value, list(reversed(ops))
        if not has_single_use(op.results[0]):
            return value, list(reversed(ops))
        ops.append(op)
        value = op.operands[0]


def _rewrite(op, rewriter) -> bool:
    op = op.operation
    result_type = ir.RankedTensorType(op.results[0].type)
    if not isinstance(result_type.element_type, ir.IntegerType):
        return True
    source, ops = _chain(op.operands[0])
    if not any(o.name == "tosa.transpose" for o in ops):
        return True
    # label the source's non-unit axes, and follow them down the chain
    labels = _non_unit(ranked_shape(source))
    for o in ops:
        if o.name == "tosa.transpose":
            perms = list(ir.DenseI32ArrayAttr(o.attributes["perms"]))
            in_shape = ranked_shape(o.operands[0])
            position = {axis: i for i, axis in enumerate(_non_unit(in_shape))}
            labels = [labels[position[perms[axis]]] for axis in range(len(perms)) if in_shape[perms[axis]] != 1]
    reduced_input = ranked_shape(op.operands[0])
    axis = ir.IntegerAttr(op.attributes["axis"]).value
    non_unit = _non_unit(reduced_input)
    if axis not in non_unit:
        return True
    summed = labels[non_unit.index(axis)]
    kept = [label for label in labels if label != summed]
    if kept != sorted(kept):
        return True
    rescale = next((o for o in ops if o.name == "tosa.rescale"), None)
    with rewriter.ip, op.location:
        value = source
        if rescale is not None:
            value = ir.Operation.create(
                "tosa.rescale", results=[with_shape(rescale.results[0].type, ranked_shape(source))],
                operands=[source, *list(rescale.operands)[1:]],
                attributes={name: rescale.attributes[name] for name in rescale.attributes}, loc=rescale.location).result
        shape = ranked_shape(value)
        shape[summed] = 1
        total = ir.Operation.create(
            "tosa.reduce_sum", results=[with_shape(result_type, shape)], operands=[value],
            attributes={"axis": ir.IntegerAttr.get(ir.IntegerType.get_signless(32), summed)}).result
        replacement = make_reshape(total, list(result_type.shape))
    rewriter.replace_op(op, [replacement])
    return False


def _unit_widening(rescale) -> int | None:
    """The input zero point of a per-tensor int8 -> int32 RESCALE by exactly 1 (multiplier
    * 2^-shift == 1, output zero point 0), else None."""
    if rescale is None or rescale.name != "tosa.rescale" or ir.BoolAttr(rescale.attributes["per_channel"]).value:
        return None
    if element_width(rescale.operands[0]) != 8 or element_width(rescale.results[0]) != 32:
        return None
    if ir.BoolAttr(rescale.attributes["input_unsigned"]).value:
        return None
    values = [constant_array(v) for v in list(rescale.operands)[1:5]]
    if any(v is None for v in values):
        return None
    multiplier, shift, input_zp, output_zp = (int(v.reshape(-1)[0]) for v in values)
    if output_zp != 0 or multiplier * 2.0 ** -shift != 1.0:
        return None
    return input_zp


def _as_window_sum(op, rewriter) -> bool:
    op = op.operation
    rescale = defining_op(op.operands[0])
    input_zp = _unit_widening(rescale)
    if input_zp is None or not has_single_use(rescale.results[0]):
        return True
    x = rescale.operands[0]
    shape = ranked_shape(x)
    axis = ir.IntegerAttr(op.attributes["axis"]).value
    if len(shape) != 4 or axis not in (1, 2) or shape[axis] > qmath.window_sum_limit(8):
        return True
    kernel = [shape[1], 1] if axis == 1 else [1, shape[2]]
    with rewriter.ip, op.location:
        total = integer_window_sum(x, kernel, [1, 1], input_zp, ranked_shape(op.results[0]))
    rewriter.replace_op(op, [total])
    return False


class ReduceWithoutTranspose(PatternPass):
    name = "tosaic-reduce-without-transpose"
    summary = ("Sum an integer tensor over its own axis instead of over a transposed copy when the other axes "
               "keep their order (drops the transpose before a mean over time)")

    def patterns(self):
        return [("tosa.reduce_sum", _rewrite, 2), ("tosa.reduce_sum", _as_window_sum, 1)]
