"""Facts about TOSA ops that passes and lowerings reason with, in one table.

MLIR's C++ op traits (Elementwise, SameOperandsAndResultShape, ...) are not exposed to
the Python bindings, so this table stands in for them. Every pass reads these sets
instead of keeping its own op-name tuple.

    from tosaic.dialects import tosa_ops
    if op.name in tosa_ops.ELEMENTWISE: ...
    tosa_ops.facts("tosa.conv2d").weight_operand  # 1
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpFacts:
    name: str
    # result[i] depends only on operand element i (after broadcast): a transpose of
    # every same-rank operand commutes with the op.
    elementwise: bool = False
    # Result elements are copies of elements of operand 0 (other operands: shapes,
    # indices, attributes), so quantization commutes with the op.
    data_movement: bool = False
    # Moves a whole tensor's elements without dropping any (reshape, transpose): the
    # bytes are the same values in another order.
    byte_move: bool = False
    # A float operand may reach a quantized op through this op, which a lowering can
    # replay on the integers or on constant data (operand tracing).
    traced_layout: bool = False
    # One `axis` attribute that simply renames under a transpose.
    axis: bool = False
    # Convolution-like ops: the weight's operand index and the weight dims that make up
    # the output channel (flattened in order).
    weight_operand: int | None = None
    output_channel_dims: tuple[int, ...] | None = None
    # An integer convolution whose accumulator and bias follow the input width (i32 for
    # int8, i48 for int16), with operands (input, weight, bias, input_zp, weight_zp).
    convolution: bool = False


def _table(*entries: OpFacts) -> dict[str, OpFacts]:
    return {entry.name: entry for entry in entries}


_ELEMENTWISE_NAMES = (
    "abs add arithmetic_right_shift bitwise_and bitwise_not bitwise_or bitwise_xor cast "
    "ceil clamp cos equal erf exp floor greater greater_equal int_div log logical_and "
    "logical_left_shift logical_not logical_or logical_right_shift logical_xor maximum "
    "minimum mul negate pow reciprocal rescale rsqrt select sigmoid sin sub table tanh"
).split()

OPS: dict[str, OpFacts] = _table(
    *(OpFacts(f"tosa.{name}", elementwise=True) for name in _ELEMENTWISE_NAMES),
    OpFacts("tosa.reshape", data_movement=True, byte_move=True, traced_layout=True),
    OpFacts("tosa.transpose", data_movement=True, byte_move=True, traced_layout=True),
    OpFacts("tosa.slice", data_movement=True, traced_layout=True),
    *(OpFacts(f"tosa.{name}", data_movement=True) for name in "tile reverse identity gather resize".split()),
    OpFacts("tosa.pad"),
    OpFacts("tosa.concat", axis=True),
    *(OpFacts(f"tosa.reduce_{name}", axis=True) for name in "sum max min product all any".split()),
    # argmax drops its axis (the rank changes), so it does not rename under a transpose.
    OpFacts("tosa.argmax"),
    OpFacts("tosa.conv2d", weight_operand=1, output_channel_dims=(0,), convolution=True),
    OpFacts("tosa.depthwise_conv2d", weight_operand=1, output_channel_dims=(2, 3), convolution=True),
    OpFacts("tosa.conv3d", weight_operand=1, output_channel_dims=(0,), convolution=True),
    OpFacts("tosa.transpose_conv2d", weight_operand=1, output_channel_dims=(0,), convolution=True),
    OpFacts("tosa.matmul", weight_operand=1),
)

_NONE = OpFacts("")


def element_bits(value_type) -> int | None:
    """Bits per element of a ranked tensor type (i8 8, i32 32, f32 32), or None. A
    transpose costs its tensor's bytes, so passes that move transposes compare these:
    a transpose moved from an op's operand to its result must not land on a wider type
    (an int8 -> int32 rescale would make it move 4x the bytes)."""
    from torch_mlir import ir

    try:
        element = ir.RankedTensorType(value_type).element_type
    except ValueError:
        return None
    if isinstance(element, ir.IntegerType):
        return ir.IntegerType(element).width
    if isinstance(element, ir.FloatType):
        return ir.FloatType(element).width
    return None


def facts(name: str) -> OpFacts:
    """The facts of op `name` (all false for an op the table does not know)."""
    return OPS.get(name, _NONE)


def _names(predicate) -> frozenset[str]:
    return frozenset(name for name, entry in OPS.items() if predicate(entry))


ELEMENTWISE = _names(lambda f: f.elementwise)
# Unary data movement (a nearest-neighbour resize only: see the data movement lowering).
DATA_MOVEMENT = _names(lambda f: f.data_movement)
BYTE_MOVES = _names(lambda f: f.byte_move)
TRACED_LAYOUTS = _names(lambda f: f.traced_layout)
AXIS = _names(lambda f: f.axis)
# Integer convolutions whose accumulator and bias follow the input width (i32 / i48), in
# the table's order.
CONVOLUTIONS = tuple(name for name, entry in OPS.items() if entry.convolution)
WEIGHT_OPERAND = {name: entry.weight_operand for name, entry in OPS.items() if entry.weight_operand is not None}
OUTPUT_CHANNEL_DIMS = {name: entry.output_channel_dims for name, entry in OPS.items()
                       if entry.output_channel_dims is not None}
