"""Packed int8x4: int8 tensors stored four values per int32 word, in 4x4 blocks.

ExecuTorch's Vulkan backend stores statically quantized activations this way so that a
kernel loads and stores 16 values (one block, four 32-bit words) at a time. tosaic
expresses that storage in IR, reasons about it (which edges convert) and makes it
executable on plain TOSA.

The packed form of an int8 tensor is an i32 tensor of the *physical* shape whose
encoding is the packed type, which carries the logical shape, the element type (i8),
the layout and the padding value:

    tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>

Layouts. Each one names a block dim B (the block's four words) and a word dim W (a
word's four bytes):

- `4W4C` (convolution inputs), rank-4 NHWC only: B = W (dim 2), W = C (dim 3). One word
  is four consecutive channels of one pixel; a block is four pixels along the width.
- `4H4W` (matmul inputs), rank 2 or 3 [.., H, W] (B = dim -2, W = dim -1), or rank-4 NHWC
  (B = H, dim 1; W = W, dim 2): one word is four consecutive width positions of one row;
  a block is four rows.

Physical shape: the logical shape with dims B and W each replaced by ceil(size / 4),
then one trailing dim of 4 (the word's position in its block). Exactly:

    word[p] with p = (..., b at dim B, ..., w at dim W, ..., j)   (j in 0..3)
    byte k of word[p] (bits 8k .. 8k+7; little-endian: k = 0 is the least significant)
      = logical[..., 4b + j at dim B, ..., 4w + k at dim W, ...]

so in memory (row-major physical order, little-endian words) the 16 bytes of a block are
contiguous, `j` (the block dim) outer and `k` (the word dim) inner, and blocks follow in
the row-major order of the other physical dims. A position beyond the logical size along
B or W holds the padding value (by default the tensor's zero point, so a padded lane
reads as real zero).

Ops: `tosaic.pack_int8x4` (i8 tensor of the logical shape -> packed) and
`tosaic.unpack_int8x4` (packed -> i8 tensor of the logical shape); unpack(pack(x)) = x,
and pack(unpack(p)) = p for any p whose padding bytes hold the padding value.

IRDL checks the layout name and the element type when IR is parsed; what IRDL cannot
express (the container is i32, the physical shape matches the logical one, the layout
fits the rank, the ops' shapes) `verify` checks, which every int8x4 pass runs first.
The numpy reference of both ops is `pack` / `unpack` here (public as `tosaic.int8x4`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from torch_mlir import ir

LAYOUTS = ("4W4C", "4H4W")
PACK = "tosaic.pack_int8x4"
UNPACK = "tosaic.unpack_int8x4"
ATTRIBUTE = "tosaic.int8x4"
BLOCK = 4  # values per word, and words per block

_LAYOUT_CONSTRAINT = "".join(f'    %l{i} = irdl.is "{name}"\n' for i, name in enumerate(LAYOUTS)) \
    + f"    %layout = irdl.any_of({', '.join(f'%l{i}' for i in range(len(LAYOUTS)))})"
# Goes inside `irdl.dialect @tosaic { ... }` (see tosaic.dialects.quant).
IRDL_BODY = f"""
  irdl.attribute @int8x4 {{
{_LAYOUT_CONSTRAINT}
    %shape = irdl.base "#builtin.dense_array"
    %element = irdl.is i8
    %padding = irdl.base "#builtin.integer"
    irdl.parameters(layout: %layout, logical_shape: %shape, element: %element, padding: %padding)
  }}
  irdl.operation @pack_int8x4 {{
    %in = irdl.any
    %out = irdl.any
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }}
  irdl.operation @unpack_int8x4 {{
    %in = irdl.any
    %out = irdl.any
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }}"""


def block_dims(layout: str, rank: int) -> tuple[int, int] | None:
    """(block dim, word dim) of `layout` on a tensor of `rank`, or None where it does not apply."""
    if layout == "4W4C":
        return (2, 3) if rank == 4 else None
    if layout == "4H4W":
        if rank == 4:
            return (1, 2)
        return (rank - 2, rank - 1) if rank in (2, 3) else None
    return None


def physical_shape(shape, layout: str) -> list[int]:
    dims = block_dims(layout, len(shape))
    if dims is None:
        raise ValueError(f"layout {layout} does not apply to a rank-{len(shape)} tensor")
    physical = list(shape)
    for d in dims:
        physical[d] = math.ceil(shape[d] / BLOCK)
    return physical + [BLOCK]


def padded_shape(shape, layout: str) -> list[int]:
    padded = list(shape)
    for d in block_dims(layout, len(shape)):
        padded[d] = BLOCK * math.ceil(shape[d] / BLOCK)
    return padded


def split_shape(shape, layout: str) -> list[int]:
    """The padded shape with dims B and W each split into (blocks, 4)."""
    b, w = block_dims(layout, len(shape))
    out = []
    for d, size in enumerate(padded_shape(shape, layout)):
        out += [size // BLOCK, BLOCK] if d in (b, w) else [size]
    return out


def block_permutation(rank: int, layout: str) -> list[int]:
    """The transpose from `split_shape` to (physical dims..., j, k)."""
    b, w = block_dims(layout, rank)
    outer, index, inner = [], 0, {}
    for d in range(rank):
        outer.append(index)
        if d in (b, w):
            inner[d] = index + 1
            index += 2
        else:
            index += 1
    return outer + [inner[b], inner[w]]


# The numpy reference ----------------------------------------------------------


def pack(array, layout: str, padding: int = 0) -> np.ndarray:
    """The int32 words of int8 `array` packed in `layout` (the physical shape, see above),
    positions beyond the logical shape holding `padding`."""
    array = np.asarray(array)
    if array.dtype != np.int8:
        raise TypeError(f"pack takes an int8 array, not {array.dtype}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout '{layout}'; layouts: {', '.join(LAYOUTS)}")
    if not -128 <= padding <= 127:
        raise ValueError(f"padding {padding} is not an int8 value")
    shape = list(array.shape)
    physical_shape(shape, layout)  # raises where the layout does not apply to the rank
    padded = np.full(padded_shape(shape, layout), padding, np.int8)
    padded[tuple(slice(0, s) for s in shape)] = array
    blocks = padded.reshape(split_shape(shape, layout)).transpose(block_permutation(len(shape), layout))
    # Four bytes, k = 0 first, read as one little-endian int32.
    return np.ascontiguousarray(blocks).view("<i4").reshape(physical_shape(shape, layout)).astype(np.int32)


def unpack(packed, layout: str, shape) -> np.ndarray:
    """The int8 tensor of logical `shape` that the int32 words `packed` hold in `layout`."""
    shape = [int(s) for s in shape]
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout '{layout}'; layouts: {', '.join(LAYOUTS)}")
    expected = physical_shape(shape, layout)
    packed = np.asarray(packed)
    if list(packed.shape) != expected:
        raise ValueError(f"packed shape {list(packed.shape)} is not {expected}, the {layout} "
                         f"shape of logical shape {shape}")
    rank = len(shape)
    blocks = np.ascontiguousarray(packed.astype("<i4")).view(np.int8).reshape(expected[:-1] + [BLOCK, BLOCK])
    inverse = np.argsort(block_permutation(rank, layout))
    padded = blocks.transpose(inverse).reshape(padded_shape(shape, layout))
    return np.ascontiguousarray(padded[tuple(slice(0, s) for s in shape)])


# The IR type ---------------------------------------------------------------


@dataclass(frozen=True)
class PackedType:
    layout: str
    logical_shape: tuple[int, ...]
    padding: int = 0

    @property
    def physical_shape(self) -> list[int]:
        return physical_shape(list(self.logical_shape), self.layout)

    def attribute(self) -> ir.Attribute:
        shape = ", ".join(str(d) for d in self.logical_shape)
        return ir.Attribute.parse(
            f'#{ATTRIBUTE}<"{self.layout}", array<i64{": " + shape if shape else ""}>, i8, {self.padding} : i64>')

    def tensor_type(self) -> ir.RankedTensorType:
        return ir.RankedTensorType.get(self.physical_shape, ir.IntegerType.get_signless(32), self.attribute())

    def logical_type(self) -> ir.RankedTensorType:
        return ir.RankedTensorType.get(list(self.logical_shape), ir.IntegerType.get_signless(8))

    def describe(self) -> dict:
        """What a runtime needs to produce or read the words (report.json)."""
        return {"format": "int8x4", "layout": self.layout, "logical_shape": list(self.logical_shape),
                "physical_shape": self.physical_shape, "element": "int8", "word": "int32 little-endian",
                "padding": self.padding}


def encoding(t: ir.Type) -> ir.Attribute | None:
    """The int8x4 attribute on tensor type `t`, or None."""
    if not isinstance(t, ir.RankedTensorType):
        try:
            t = ir.RankedTensorType(t)
        except ValueError:
            return None
    enc = t.encoding
    if enc is None:
        return None
    try:
        dyn = ir.DynamicAttr(enc)
    except ValueError:
        return None
    return dyn if dyn.attr_name == ATTRIBUTE else None


def packed_type(t: ir.Type) -> PackedType | None:
    """The packed type an i32 tensor type encodes (None for any other type)."""
    enc = encoding(t)
    if enc is None:
        return None
    layout, shape, _element, padding = enc.params
    return PackedType(ir.StringAttr(layout).value, tuple(ir.DenseI64ArrayAttr(shape)), ir.IntegerAttr(padding).value)


def is_packed(t: ir.Type) -> bool:
    return encoding(t) is not None


def type_problem(t: ir.Type) -> str | None:
    """Why packed tensor type `t` is malformed, or None."""
    try:
        p = packed_type(t)
    except ValueError:  # IRDL checks only that it is some dense array
        return f"the logical shape of {t} must be an array<i64: ...>"
    t = ir.RankedTensorType(t)
    if not (isinstance(t.element_type, ir.IntegerType) and ir.IntegerType(t.element_type).width == 32):
        return f"holds packed int8x4 words in {t.element_type}; the container must be i32"
    if block_dims(p.layout, len(p.logical_shape)) is None:
        return f"layout {p.layout} does not apply to the rank-{len(p.logical_shape)} logical shape " \
               f"{list(p.logical_shape)}"
    if not -128 <= p.padding <= 127:
        return f"padding {p.padding} is not an int8 value"
    if list(t.shape) != p.physical_shape:
        return f"physical shape {list(t.shape)} does not match logical shape {list(p.logical_shape)} " \
               f"in layout {p.layout} (expected {p.physical_shape})"
    return None


def op_problem(op) -> str | None:
    """Why a pack/unpack op is malformed, or None."""
    name = op.operation.name
    if len(op.operands) != 1 or len(op.results) != 1:
        return "takes one operand and makes one result"
    packed_value, plain_value = (op.results[0], op.operands[0]) if name == PACK else (op.operands[0], op.results[0])
    if not is_packed(packed_value.type):
        return f"{'result' if name == PACK else 'operand'} must be a packed int8x4 tensor, not {packed_value.type}"
    problem = type_problem(packed_value.type)
    if problem:
        return problem
    p = packed_type(packed_value.type)
    logical = "tensor<" + "".join(f"{d}x" for d in p.logical_shape) + "i8>"
    if str(plain_value.type) != logical:
        return f"{'operand' if name == PACK else 'result'} type {plain_value.type} is not the logical type " \
               f"{logical} of {packed_value.type}"
    return None


def is_pack(op) -> bool:
    return op is not None and hasattr(op, "operation") and op.operation.name == PACK


def is_unpack(op) -> bool:
    return op is not None and hasattr(op, "operation") and op.operation.name == UNPACK


def create_pack(value: ir.Value, packed: PackedType, loc=None) -> ir.Value:
    return ir.Operation.create(PACK, results=[packed.tensor_type()], operands=[value], loc=loc).result


def create_unpack(value: ir.Value, loc=None) -> ir.Value:
    p = packed_type(value.type)
    return ir.Operation.create(UNPACK, results=[p.logical_type()], operands=[value], loc=loc).result


def verify(func, fail) -> None:
    """Check every packed type and pack/unpack op in `func`; `fail(op, message)` returns
    the exception to raise (Pass.error)."""
    problems = []
    block = func.regions[0].blocks[0]
    for arg in block.arguments:
        if is_packed(arg.type) and type_problem(arg.type):
            problems.append((func, f"argument #{arg.arg_number}: {type_problem(arg.type)}"))

    def visit(op):
        name = op.operation.name
        if name in (PACK, UNPACK):
            problem = op_problem(op)
            if problem:
                problems.append((op, problem))
        else:
            for result in op.operation.results:
                if is_packed(result.type) and type_problem(result.type):
                    problems.append((op, type_problem(result.type)))
        return ir.WalkResult.ADVANCE

    func.walk(visit)
    if problems:
        first = None
        for op, message in problems:
            error = fail(op, message)
            first = first or error
        raise first
