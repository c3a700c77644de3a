"""Matching for the quantized lowerings: what a float TOSA op's operands and result are
in quantized terms.

A quantized operand reaches its op as `layouts(dequantize(x))` (torch-mlir leaves
reshapes, transposes and slices in between): `trace_quantized` finds the dequantize and
carries its scale and zero point through the layouts to every element
(`QuantizedOperand`). A result leaves as `quantize(layouts(clamp?(layouts(op))))`:
`peel_output` walks that up from the quantize, `quantizes_below` down from the op.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch_mlir import ir

from tosaic.dialects import quant, tosa_ops
from tosaic.dialects.tosa_helpers import (
    constant_array,
    constant_shape,
    defining_op,
    integer_values,
    make_integer_const,
    ranked_shape,
    transpose_perms,
)
from tosaic.lowering.build import emit_layouts
from tosaic.quantization import qmath


def follow_layouts(value: ir.Value) -> tuple[ir.Value, list]:
    """The value under a chain of reshape/transpose/slice ops, and those ops in program
    order (first applied first)."""
    layouts = []
    op = defining_op(value)
    while op is not None and op.name in tosa_ops.TRACED_LAYOUTS:
        layouts.append(op)
        value = op.operands[0]
        op = defining_op(value)
    layouts.reverse()
    return value, layouts


def _shape_values(value: ir.Value) -> list[int]:
    return [int(v) for v in ir.DenseIntElementsAttr(defining_op(value).attributes["values"])]


def apply_layouts(array: np.ndarray, layouts) -> np.ndarray:
    """What `layouts` do to `array` (of their first input's shape), in numpy."""
    for op in layouts:
        out_shape = ranked_shape(op.results[0])
        if op.name == "tosa.reshape":
            array = array.reshape(out_shape)
        elif op.name == "tosa.transpose":
            array = np.transpose(array, transpose_perms(op))
        else:  # tosa.slice
            start = _shape_values(op.operands[1])
            array = array[tuple(slice(s, s + n) for s, n in zip(start, out_shape))]
    return array


def _per_element(values, axis: int, shape) -> np.ndarray:
    """Per-tensor or per-channel (along `axis`) parameters, broadcast to `shape`."""
    values = np.asarray(values)
    if axis < 0 or values.size == 1:
        return np.broadcast_to(values.reshape(-1)[0], shape)
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return np.broadcast_to(values.reshape(view), shape)


class PerTensorOperand:
    """An operand that is `dequantize(value)`, per tensor (the elementwise and mask lowerings' inputs)."""

    def __init__(self, dq):
        self.value = dq.operands[0]
        self.qparams = quant.QParams.of(dq)
        self.shape = ranked_shape(self.value)
        element = ir.RankedTensorType(self.value.type).element_type
        self.width = ir.IntegerType(element).width if isinstance(element, ir.IntegerType) else None

    @property
    def scale(self) -> float:
        return self.qparams.scale[0]

    @property
    def zero_point(self) -> int:
        return self.qparams.zero_point[0]

    def magnitude(self) -> int:
        """The largest |q - zero_point| the quantization range allows."""
        return max(self.qparams.qmax - self.zero_point, self.zero_point - self.qparams.qmin)


@dataclass
class QuantizedOperand:
    """A float operand that is `layouts(dequantize(source))`: its quantization per element."""

    dequantize: ir.Operation
    layouts: list
    scale: np.ndarray  # float64, the operand's shape
    zero_point: np.ndarray  # int64, the operand's shape
    qmin: int
    qmax: int

    @property
    def source(self) -> ir.Value:
        return self.dequantize.operands[0]

    @property
    def element_type(self) -> ir.Type:
        return ir.RankedTensorType(self.source.type).element_type

    @property
    def width(self) -> int:
        return ir.IntegerType(self.element_type).width

    @property
    def axis(self) -> int:
        return quant.QParams.of(self.dequantize).axis

    def per_tensor(self) -> tuple[float, int] | None:
        """(scale, zero point) when they are the same for every element."""
        s, z = self.scale.reshape(-1), self.zero_point.reshape(-1)
        if s.size == 0 or np.any(s != s[0]) or np.any(z != z[0]):
            return None
        return float(s[0]), int(z[0])

    def constant(self) -> np.ndarray | None:
        """The integer values, in the operand's shape, when the source is a constant."""
        values = constant_array(self.source)
        return None if values is None else apply_layouts(values, self.layouts)

    @property
    def int4_range(self) -> bool:
        """Quantized to an int4 range in an int8 container: how PT2E programs (which have
        no int4 dtype) state int4 weights, e.g. quant_min=-7, quant_max=7."""
        return self.width == 8 and qmath.is_int4_range(self.qmin, self.qmax)

    def weight_width(self, int4_weights: bool = True) -> tuple[int, str | None]:
        """The width to store this weight with: 4 for a constant with an int4 range whose
        values are all TOSA int4 values, else its container's; and why, when an int4 range
        stays int8 (the lowering records it: see `record_int8_weight`)."""
        if not self.int4_range:
            return self.width, None
        if not int4_weights:
            return 8, "int4 detection is off (int4-weights=false)"
        values = self.constant()
        if values is None:
            return 8, "the weight is not a constant"
        if not qmath.int4_values_fit(values):
            lo, hi = qmath.TOSA_INT4_RANGE
            return 8, f"weight values {int(values.min())}..{int(values.max())} exceed TOSA int4 [{lo}, {hi}]"
        return 4, None

    def integer(self, width: int | None = None) -> ir.Value:
        """The integer operand: a folded constant (of `width` bits, default the
        container's: the layouts are applied to the data, so an i4 weight needs no i4
        layout op), or integer layout ops on the source."""
        values = self.constant()
        if values is not None:
            return make_integer_const(np.ascontiguousarray(values), width or self.width)
        return emit_layouts(self.source, self.layouts)


def trace_quantized(value: ir.Value) -> QuantizedOperand | None:
    """`value` as layouts(dequantize(x)), or None."""
    root, layouts = follow_layouts(value)
    dq = defining_op(root)
    if not quant.is_dequantize(dq):
        return None
    q = quant.QParams.of(dq)
    shape = ranked_shape(dq.operands[0])
    if shape is None or any(ranked_shape(op.results[0]) is None for op in layouts):
        return None
    scale = apply_layouts(_per_element(np.asarray(q.scale, np.float64), q.axis, shape), layouts)
    zero_point = apply_layouts(_per_element(np.asarray(q.zero_point, np.int64), q.axis, shape), layouts)
    return QuantizedOperand(dq.operation, layouts, scale, zero_point, q.qmin, q.qmax)


def channel_vector(per_element: np.ndarray, channel_dims) -> np.ndarray | None:
    """The values per output channel (the flattened `channel_dims`), or None if they vary
    along any other dim."""
    others = [d for d in range(per_element.ndim) if d not in channel_dims]
    moved = np.transpose(per_element, list(channel_dims) + others)
    flat = moved.reshape(int(np.prod([per_element.shape[d] for d in channel_dims])), -1)
    if flat.shape[1] and np.any(flat != flat[:, :1]):
        return None
    return flat[:, 0] if flat.shape[1] else None


def integer_bias(bias: ir.Value | None, input_scale: float, weight_scales: np.ndarray,
                 bits: int = 32) -> np.ndarray | str:
    """The int32 bias at the accumulator's scale input_scale * weight_scale[c], one per
    output channel (the bias's last dim, or broadcast from one value); a reason if none.
    With `bits` = 48 (int16 activations) the int48 bias, as int64: the program's int32
    bias widened, or the float bias quantized to the int48 range."""
    channels = weight_scales.size
    wide = bits == 48
    if bias is None:
        return np.zeros(channels, np.int64 if wide else np.int32)
    shape = ranked_shape(bias)
    if shape is None or (shape and int(np.prod(shape[:-1])) != 1) or (shape and shape[-1] not in (1, channels)):
        return f"bias of shape {shape} is not one value per output channel"
    acc_scales = input_scale * weight_scales
    traced = trace_quantized(bias)
    if traced is not None:
        values = traced.constant()
        if values is None:
            return "bias values are not constant"
        values = np.broadcast_to(values.reshape(-1), (channels,)).astype(np.int64)
        scales = np.broadcast_to(traced.scale.reshape(-1), (channels,))
        zero_points = np.broadcast_to(traced.zero_point.reshape(-1), (channels,))
        if np.all(zero_points == 0) and np.allclose(scales, acc_scales, rtol=1e-6, atol=0):
            if np.any(values < -(1 << 31)) or np.any(values >= 1 << 31):
                return "bias does not fit int32"
            # the quantizer's bias, at the accumulator's scale
            return values.astype(np.int64) if wide else values.astype(np.int32)
        real = (values - zero_points) * scales
    else:
        real = float_constant(bias)
        if real is None:
            return "bias is neither constant nor dequantized"
        real = np.broadcast_to(real.reshape(-1), (channels,))
    try:
        return qmath.quantize_bias(real, input_scale, weight_scales, bits)
    except ValueError as e:
        return f"bias cannot be quantized to int{bits}: {e}"


def peel_output(q_op):
    """quantize(layouts(clamp?(layouts(producer)))) -> (clamp or None, the reshapes and
    transposes in program order, producer). A per-tensor quantize and a clamp commute with
    layout ops, so a lowering can apply them to its integer result (`build.emit_layouts`):
    torch-mlir leaves e.g. conv1d -> transpose -> reshape -> relu."""
    clamp, layouts = None, []
    op = defining_op(q_op.operands[0])
    while op is not None and (op.name in ("tosa.reshape", "tosa.transpose")
                              or (op.name == "tosa.clamp" and clamp is None)):
        if op.name == "tosa.clamp":
            clamp = op
        else:
            layouts.append(op)
        op = defining_op(op.operands[0])
    layouts.reverse()
    return clamp, layouts, op




def _users(value: ir.Value) -> list:
    users = []
    for use in value.uses:
        owner = use.owner
        owner = owner.operation if hasattr(owner, "operation") else owner
        if not any(owner == seen for seen in users):
            users.append(owner)
    return users


def quantizes_below(op, through=tosa_ops.BYTE_MOVES | {"tosa.clamp"}, depth: int = 8) -> list:
    """The quantize ops that `op`'s result reaches through ops named in `through` (at most
    `depth` of them): where a lowering rooted at `op` finds the output quantization, to
    then match the whole chain upwards from each (`peel_output`)."""
    found, frontier = [], [(op, 0)]
    while frontier:
        current, level = frontier.pop(0)
        for user in _users(current.results[0]):
            if quant.is_quantize(user):
                if not any(user == seen for seen in found):
                    found.append(user)
            elif user.name in through and level < depth and len(user.results) == 1:
                frontier.append((user, level + 1))
    return found


_FLOAT_CONSTANT_FUNCTIONS = {
    "tosa.reciprocal": lambda a: 1.0 / a,
    "tosa.rsqrt": lambda a: 1.0 / np.sqrt(a),
    "tosa.negate": np.negative,
    "tosa.abs": np.abs,
    "tosa.exp": np.exp,
    "tosa.log": np.log,
}
_FLOAT_CONSTANT_BINARY = {
    "tosa.add": np.add,
    "tosa.sub": np.subtract,
    "tosa.mul": np.multiply,
    "tosa.pow": np.power,
    "tosa.maximum": np.maximum,
    "tosa.minimum": np.minimum,
}


def float_constant(value: ir.Value, depth: int = 16) -> np.ndarray | None:
    """The float64 values of a float tensor computed from constants only (tosa.const,
    arith.constant splats, concat, reshape, transpose, cast, elementwise arithmetic), as
    torch-mlir leaves a batch norm's rsqrt(var + eps) or a decomposition's factors; None
    for anything else."""
    op = defining_op(value)
    if op is None or depth == 0:
        return None
    shape = ranked_shape(value)
    if shape is None or not isinstance(ir.ShapedType(value.type).element_type, ir.FloatType):
        return None
    if op.name in ("tosa.const", "arith.constant"):
        array = np.array(op.attributes["values" if op.name == "tosa.const" else "value"])
        if not np.issubdtype(array.dtype, np.floating):
            return None
        array = array.astype(np.float64)
        return np.broadcast_to(array, shape) if list(array.shape) != list(shape) else array
    if op.name == "tosa.concat":
        parts = [float_constant(operand, depth - 1) for operand in op.operands]
        if any(part is None for part in parts):
            return None
        return np.concatenate(parts, axis=ir.IntegerAttr(op.attributes["axis"]).value)
    if op.name in ("tosa.reshape", "tosa.cast", "tosa.transpose") or op.name in _FLOAT_CONSTANT_FUNCTIONS:
        first = float_constant(op.operands[0], depth - 1)
        if first is None:
            return None
        if op.name == "tosa.transpose":
            return np.transpose(first, transpose_perms(op))
        if op.name in _FLOAT_CONSTANT_FUNCTIONS:
            with np.errstate(all="ignore"):
                return _FLOAT_CONSTANT_FUNCTIONS[op.name](first)
        return first.reshape(shape)
    if op.name == "tosa.slice":  # a grouped convolution's bias, per group
        first = float_constant(op.operands[0], depth - 1)
        start, size = constant_shape(op.operands[1]), constant_shape(op.operands[2])
        if first is None or start is None or size is None:
            return None
        return first[tuple(slice(b, b + n) for b, n in zip(start, size))]
    if op.name in _FLOAT_CONSTANT_BINARY:
        if op.name == "tosa.mul" and len(op.operands) > 2:
            shift = constant_array(op.operands[2])
            if shift is None or np.any(shift != 0):
                return None
        a, b = (float_constant(operand, depth - 1) for operand in op.operands[:2])
        if a is None or b is None:
            return None
        with np.errstate(all="ignore"):
            return np.broadcast_to(_FLOAT_CONSTANT_BINARY[op.name](a, b), shape)
    return None


def integer_constant(value: ir.Value, depth: int = 16) -> np.ndarray | None:
    """The int64 values of an integer tensor computed from constants only, as torch-mlir
    builds a gather's indices (cast, reshape, tile, concat, mul, reduce_sum, add of
    `tosa.const`s); None for anything else."""
    op = defining_op(value)
    if op is None or depth == 0 or not isinstance(ir.ShapedType(value.type).element_type, ir.IntegerType):
        return None
    if op.name == "tosa.const":
        return integer_values(op.attributes["values"])
    if op.name == "tosa.concat":
        parts = [integer_constant(operand, depth - 1) for operand in op.operands]
        if any(part is None for part in parts):
            return None
        return np.concatenate(parts, axis=ir.IntegerAttr(op.attributes["axis"]).value)
    first = integer_constant(op.operands[0], depth - 1)
    if first is None:
        return None
    out_shape = ranked_shape(op.results[0])
    if op.name in ("tosa.cast", "tosa.reshape"):
        return first.reshape(out_shape)
    if op.name == "tosa.transpose":
        return np.transpose(first, transpose_perms(op))
    if op.name == "tosa.tile":
        return np.tile(first, [o // i for o, i in zip(out_shape, first.shape)])
    if op.name == "tosa.reduce_sum":
        return first.sum(axis=ir.IntegerAttr(op.attributes["axis"]).value, keepdims=True)
    if op.name in ("tosa.add", "tosa.sub", "tosa.mul"):
        second = integer_constant(op.operands[1], depth - 1)
        if second is None or (op.name == "tosa.mul" and not np.all(constant_array(op.operands[2]) == 0)):
            return None
        combine = {"tosa.add": np.add, "tosa.sub": np.subtract, "tosa.mul": np.multiply}[op.name]
        return combine(first, second)
    return None


def uses_stay_inside(ops, quantize_op) -> bool:
    """Every value a region's `ops` make is used only by the region and its quantize, so
    lowering the region replaces all of them."""
    inside = [op.operation for op in ops] + [quantize_op.operation]
    for op in ops:
        for use in op.results[0].uses:
            if not any(use.owner.operation == member for member in inside):
                return False
    return True


def is_int8_per_tensor(qparams: quant.QParams, element: ir.Type) -> bool:
    """Per-tensor quantization to int8 storage within the int8 range."""
    lo, hi = qmath.qrange("int8")
    return (
        not qparams.per_channel
        and isinstance(element, ir.IntegerType)
        and ir.IntegerType(element).width == 8
        and lo <= qparams.qmin <= qparams.qmax <= hi
    )
