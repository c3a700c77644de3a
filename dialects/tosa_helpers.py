"""Small builders and queries for TOSA IR shared by the passes."""

from __future__ import annotations

import re

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa


def ranked_shape(value: ir.Value) -> list[int] | None:
    t = value.type
    if isinstance(t, ir.RankedTensorType):
        return list(ir.RankedTensorType(t).shape)
    return None


def with_shape(value_type: ir.Type, shape: list[int]) -> ir.RankedTensorType:
    t = ir.RankedTensorType(value_type)
    return ir.RankedTensorType.get(shape, t.element_type, t.encoding)


def permute(seq, perms):
    """`seq` permuted as tosa.transpose permutes dims: out[i] = seq[perms[i]]."""
    return [seq[p] for p in perms]


def invert_permutation(perms):
    inverse = [0] * len(perms)
    for i, p in enumerate(perms):
        inverse[p] = i
    return inverse


def transpose_perms(op) -> list[int]:
    return list(ir.DenseI32ArrayAttr(op.attributes["perms"]))


def make_transpose(value: ir.Value, perms, loc=None) -> ir.Value:
    out_type = with_shape(value.type, permute(ranked_shape(value), perms))
    return tosa.transpose(out_type, value, list(perms), loc=loc)


def make_const_shape(dims, loc=None) -> ir.Value:
    values = ir.DenseElementsAttr.get(np.asarray(dims, dtype=np.int64), type=ir.IndexType.get())
    shape_type = ir.Type.parse(f"!tosa.shape<{len(dims)}>")
    return ir.Operation.create(
        "tosa.const_shape", results=[shape_type], attributes={"values": values}, loc=loc
    ).result


def constant_shape(value: ir.Value) -> list[int] | None:
    """The dims of a `tosa.const_shape` (a slice's start and size, a reshape's shape), or None."""
    op = defining_op(value)
    if op is None or op.name != "tosa.const_shape":
        return None
    return [int(v) for v in ir.DenseIntElementsAttr(op.attributes["values"])]


def make_reshape(value: ir.Value, shape, loc=None) -> ir.Value:
    out_type = with_shape(value.type, list(shape))
    return tosa.reshape(value, make_const_shape(list(shape), loc=loc), results=[out_type], loc=loc)


def unit_insertion(small: list[int], large: list[int]) -> list[int] | None:
    """For `large` = `small` with 1s inserted: the axis of `large` that each axis of
    `small` became (matching non-unit dims first), else None."""
    if len(large) <= len(small):
        return None
    mapping, j = [], 0
    for dim in small:
        while j < len(large) and large[j] != dim:
            if large[j] != 1:
                return None
            j += 1
        if j == len(large):
            return None
        mapping.append(j)
        j += 1
    if any(large[k] != 1 for k in range(j, len(large))):
        return None
    return mapping


def defining_op(value: ir.Value):
    """The op that defines `value`, or None for a block argument."""
    owner = value.owner
    return owner if isinstance(owner, (ir.Operation, ir.OpView)) else None


def has_single_use(value: ir.Value) -> bool:
    uses = iter(value.uses)
    return next(uses, None) is not None and next(uses, None) is None


def int48_elements(values: np.ndarray) -> ir.Attribute:
    """A dense i48 attribute of `values` (which must fit int48), shape kept."""
    values = np.asarray(values).astype(np.int64)
    if values.size and (values.min() < -(1 << 47) or values.max() >= 1 << 47):
        raise ValueError("value does not fit int48")
    shape = "x".join(str(d) for d in values.shape)
    body = np.array2string(values, separator=", ", threshold=values.size + 1, max_line_width=1 << 30) \
        if values.ndim else str(int(values))
    return ir.Attribute.parse(f"dense<{body}> : tensor<{shape + 'x' if shape else ''}i48>")


def make_integer_const(values: np.ndarray, width: int, loc=None) -> ir.Value:
    """A `tosa.const` of signless `i<width>` holding `values` (shape kept); i4 values
    come in an int8 array."""
    values = np.asarray(values)
    element = ir.IntegerType.get_signless(width)
    if width == 48:  # no numpy buffer layout for i48 (int16 accumulators and bias): from text
        attr = int48_elements(values)
    else:
        numpy_type = {4: np.int8, 8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[width]
        attr = ir.DenseElementsAttr.get(values.astype(numpy_type), type=element)
    return ir.Operation.create(
        "tosa.const",
        results=[ir.RankedTensorType.get(list(values.shape), element)],
        attributes={"values": attr},
        loc=loc,
    ).result


def make_storage_const(values, element: ir.Type) -> ir.Value:
    """A `tosa.const` of integer type `element` holding `values` (shape kept); unsigned
    values in signless storage (a uint8 zero point 200 in i8) are written as their bits."""
    integer = ir.IntegerType(element)
    width = integer.width
    values = np.asarray(values, dtype=np.int64)
    if not integer.is_unsigned:
        values = np.where(values >= 1 << (width - 1), values - (1 << width), values)
        return make_integer_const(values, width)
    attr = ir.DenseElementsAttr.get(values.astype({8: np.uint8, 16: np.uint16}[width]), type=element)
    return ir.Operation.create(
        "tosa.const", results=[ir.RankedTensorType.get(list(values.shape), element)], attributes={"values": attr}
    ).result


def make_rescale(value: ir.Value, out_type: ir.Type, multipliers, shifts, input_zp: int = 0,
                 output_zp: int = 0, *, scale32: bool = True, per_channel: bool = False,
                 input_unsigned: bool = False, output_unsigned: bool = False,
                 rounding_mode: str = "SINGLE_ROUND", loc=None) -> ir.Value:
    """A `tosa.rescale` of `value` to `out_type`. Multipliers are i32 with `scale32`, else
    i16; shifts i8; the zero points are constants of the input's and output's storage
    type (an unsigned one in signless storage as its bits: see `make_storage_const`)."""
    return ir.Operation.create(
        "tosa.rescale",
        results=[out_type],
        operands=[
            value,
            make_integer_const(np.asarray(multipliers, np.int64).reshape(-1), 32 if scale32 else 16),
            make_integer_const(np.asarray(shifts, np.int64).reshape(-1), 8),
            make_storage_const([int(input_zp)], ir.RankedTensorType(value.type).element_type),
            make_storage_const([int(output_zp)], ir.RankedTensorType(out_type).element_type),
        ],
        attributes={
            "scale32": ir.BoolAttr.get(scale32),
            "rounding_mode": ir.Attribute.parse(f"#tosa.rounding_mode<{rounding_mode}>"),
            "per_channel": ir.BoolAttr.get(per_channel),
            "input_unsigned": ir.BoolAttr.get(input_unsigned),
            "output_unsigned": ir.BoolAttr.get(output_unsigned),
        },
        loc=loc,
    ).result


def constant_array(value: ir.Value) -> np.ndarray | None:
    op = defining_op(value)
    if op is None or op.name != "tosa.const":
        return None
    if str(ir.ShapedType(op.results[0].type).element_type) in ("i4", "i48"):
        return integer_values(op.attributes["values"])
    return np.array(op.attributes["values"])


def is_zero_constant(value: ir.Value) -> bool:
    """A non-empty `tosa.const` of zeros (e.g. a float op's shift or zero-point operand)."""
    values = constant_array(value)
    return values is not None and values.size > 0 and bool(np.all(values == 0))


_DENSE_HEX = re.compile(r'^dense<"0x([0-9A-Fa-f]*)">')
_DENSE_LIST = re.compile(r"^dense<(.*)> : ", re.S)


def integer_values(attr: ir.Attribute) -> np.ndarray:
    """The values of an integer DenseElementsAttr as an int64 array of its shape. The
    bindings expose no buffer for i4 and i48, so those are read back from the attribute's
    text (a hex blob of ceil(width / 8) bytes
    per value, whose high bits may or may not repeat the sign, a nested list, or a splat)."""
    shaped = ir.ShapedType(ir.DenseElementsAttr(attr).type)
    shape = list(shaped.shape)
    try:
        return np.array(attr, dtype=np.int64).reshape(shape)
    except (TypeError, ValueError):
        pass
    text = str(attr)
    hex_blob = _DENSE_HEX.match(text)
    if hex_blob:  # little-endian, ceil(width / 8) bytes per value
        width = ir.IntegerType(shaped.element_type).width
        step = (width + 7) // 8
        raw = bytes.fromhex(hex_blob.group(1))
        flat = [int.from_bytes(raw[i:i + step], "little") & ((1 << width) - 1) for i in range(0, len(raw), step)]
        flat = np.array([v - (1 << width) if v >= 1 << (width - 1) else v for v in flat], np.int64)
        return np.broadcast_to(flat, [int(np.prod(shape))]).reshape(shape).copy()
    body = _DENSE_LIST.match(text).group(1)
    flat = [int(v) for v in re.findall(r"-?\d+", body)]
    if len(flat) == 1:
        return np.full(shape, flat[0], np.int64)
    return np.asarray(flat, np.int64).reshape(shape)
