"""Lower int8x4 pack/unpack to plain TOSA integer ops, so the graph runs on the reference model.

pack (int8 logical -> int32 words), following tosaic.dialects.int8x4's definition:

    tosa.pad          to multiples of 4 along the block and word dims, with the padding value
    tosa.reshape      split each of the two dims into (blocks, 4)
    tosa.transpose    to (physical dims..., j, k): a block's 16 bytes innermost
    tosa.cast         i8 -> i32 (sign-extending)
    the byte's bits only (0 .. 255): tosa.arithmetic_right_shift by 7, logical_left_shift
                      by 8, tosa.sub (b - 256 * (b < 0)); with bitwise=true tosa.bitwise_and 255
    tosa.logical_left_shift  by [0, 8, 16, 24] along k: byte k to bits 8k .. 8k+7
    tosa.slice x4, tosa.add x3 (bitwise=true: tosa.bitwise_or x3)   the four bytes into one word
    tosa.reshape      to the physical shape

unpack is the inverse: reshape to (..., j, 1), tosa.tile to (..., j, 4), logical_left_shift
by [24, 16, 8, 0] then arithmetic_right_shift by 24 (byte k, sign-extended), tosa.cast
i32 -> i8 (exact: the values are in [-128, 127]), transpose back, reshape, and tosa.slice
off the padding.

Vela 5.2.0 places every op of both lowerings on the NPU for Ethos-U85; for Ethos-U55 it
places all but bitwise AND/OR (and logical right shift, not used), which it rejects, so
the default (bitwise=false) form is the one that compiles for U55: see
benchmarks/int8x4_vela.py for the per-op table.

Packed graph inputs and outputs become plain i32 tensors of the physical shape; their
argument/result attributes get `tosaic.int8x4` (layout, logical shape, padding) for the report.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tosa

from tosaic.dialects import attributes, int8x4
from tosaic.dialects.tosa_helpers import (
    invert_permutation,
    make_const_shape,
    make_integer_const,
    make_reshape,
    make_transpose,
)
from tosaic.passes.base import Option, Pass

_BYTE_SHIFTS = np.array([0, 8, 16, 24])


def _i32(shape) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), ir.IntegerType.get_signless(32))


def _i8(shape) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), ir.IntegerType.get_signless(8))


def _along_last(values, rank: int, width: int) -> ir.Value:
    """A constant broadcasting `values` along the last of `rank` dims."""
    return make_integer_const(np.asarray(values).reshape([1] * (rank - 1) + [len(values)]), width)


def _splat(value: int, rank: int, width: int) -> ir.Value:
    return make_integer_const(np.full([1] * rank, value), width)


def lower_pack(x: ir.Value, packed: int8x4.PackedType, bitwise: bool = False) -> ir.Value:
    shape, layout = list(packed.logical_shape), packed.layout
    rank = len(shape)
    padded = int8x4.padded_shape(shape, layout)
    if padded != shape:
        pads = []
        for size, target in zip(shape, padded):
            pads += [0, target - size]
        x = tosa.pad(_i8(padded), x, make_const_shape(pads), make_integer_const(np.array([packed.padding]), 8))
    blocks = make_transpose(make_reshape(x, int8x4.split_shape(shape, layout)),
                            int8x4.block_permutation(rank, layout))
    block_shape = packed.physical_shape + [int8x4.BLOCK]  # (..., j, k)
    r = len(block_shape)
    t, lane_t = _i32(block_shape), _i32(block_shape[:-1] + [1])
    signed = tosa.cast(t, blocks)
    if bitwise:
        unsigned = tosa.bitwise_and(t, signed, _splat(255, r, 32))
    else:  # b + 256 for a negative b: b - ((b >> 7) << 8), as Ethos-U55 has no AND
        minus_one_if_negative = tosa.arithmetic_right_shift(t, signed, _splat(7, r, 32), False)
        unsigned = tosa.sub(t, signed, tosa.logical_left_shift(t, minus_one_if_negative, _splat(8, r, 32)))
    # Byte k to bits 8k .. 8k+7 (byte 3's shift wraps into the sign bit, as intended).
    shifted = tosa.logical_left_shift(t, unsigned, _along_last(_BYTE_SHIFTS, r, 32))
    lanes = [tosa.slice(lane_t, shifted, make_const_shape([0] * (r - 1) + [k]),
                        make_const_shape(block_shape[:-1] + [1])) for k in range(int8x4.BLOCK)]
    word = lanes[0]
    for lane in lanes[1:]:
        # Disjoint bit fields: OR, or ADD, which cannot overflow (bytes 0-2 sum below 2^24).
        word = tosa.bitwise_or(lane_t, word, lane) if bitwise else tosa.add(lane_t, word, lane)
    return make_reshape(word, packed.physical_shape)


def lower_unpack(p: ir.Value, packed: int8x4.PackedType) -> ir.Value:
    shape, layout = list(packed.logical_shape), packed.layout
    rank = len(shape)
    block_shape = packed.physical_shape + [int8x4.BLOCK]
    r = len(block_shape)
    # Not make_reshape: it would keep the packed encoding on the plain words.
    words = tosa.reshape(p, make_const_shape(packed.physical_shape + [1]), results=[_i32(packed.physical_shape + [1])])
    words = tosa.tile(_i32(block_shape), words, make_const_shape([1] * (r - 1) + [int8x4.BLOCK]))
    words = tosa.logical_left_shift(_i32(block_shape), words, _along_last(24 - _BYTE_SHIFTS, r, 32))
    words = tosa.arithmetic_right_shift(_i32(block_shape), words, _splat(24, r, 32), False)
    blocks = tosa.cast(_i8(block_shape), words)
    split = make_transpose(blocks, invert_permutation(int8x4.block_permutation(rank, layout)))
    padded = int8x4.padded_shape(shape, layout)
    x = make_reshape(split, padded)
    if padded != shape:
        x = tosa.slice(_i8(shape), x, make_const_shape([0] * rank), make_const_shape(shape))
    return x


def _packing_attribute(t: ir.Type) -> ir.DictAttr:
    """The packed type in builtin attributes (the flatbuffer tools do not load tosaic's dialect)."""
    p = int8x4.packed_type(t)
    return ir.DictAttr.get({
        "layout": ir.StringAttr.get(p.layout),
        "logical_shape": ir.DenseI64ArrayAttr.get(list(p.logical_shape)),
        "padding": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), p.padding),
    })


def _with_packing(array_attr, index: int, count: int, packed_attr: ir.Attribute) -> ir.ArrayAttr:
    dicts = [ir.DictAttr(array_attr[i]) for i in range(count)] if array_attr else [ir.DictAttr.get({})] * count
    entries = []
    for i, d in enumerate(dicts):
        items = {d[j].name: d[j].attr for j in range(len(d))}
        if i == index:
            items[attributes.INT8X4] = packed_attr
        entries.append(ir.DictAttr.get(items))
    return ir.ArrayAttr.get(entries)


class MaterializeInt8x4(Pass):
    name = "tosaic-materialize-int8x4"
    summary = "Lower int8x4 pack/unpack to TOSA integer ops (pad/reshape/transpose, cast/shift/bitwise)"
    anchor = "func.func"
    bitwise = Option(bool, False, "Assemble the bytes with bitwise AND/OR (Vela 5.2.0 rejects both on Ethos-U55) "
                     "instead of shifts and SUB/ADD (every op on the NPU on U55 and U85)")

    def run(self, func: ir.Operation) -> None:
        with func.location:  # the types built below take it for their diagnostics
            self._run(func)

    def _run(self, func: ir.Operation) -> None:
        int8x4.verify(func, Pass.error)
        ops = []

        def collect(op):
            if op.operation.name in (int8x4.PACK, int8x4.UNPACK):
                ops.append(op.operation)
            return ir.WalkResult.ADVANCE

        func.walk(collect)
        # Read every packed type first: lowering a pack makes its users' operands plain i32.
        typed = [(op, int8x4.packed_type((op.results if op.name == int8x4.PACK else op.operands)[0].type))
                 for op in ops]
        for op, packed in typed:
            with ir.InsertionPoint(op), op.location:
                value = lower_pack(op.operands[0], packed, self.bitwise) if op.name == int8x4.PACK \
                    else lower_unpack(op.operands[0], packed)
            op.results[0].replace_all_uses_with(value)
            op.erase()
        self._plain_signature(func)

    @staticmethod
    def _plain_signature(func) -> None:
        block = func.regions[0].blocks[0]
        fn_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        inputs, results = list(fn_type.inputs), list(fn_type.results)
        arg_attrs = func.attributes["arg_attrs"] if "arg_attrs" in func.attributes else None
        res_attrs = func.attributes["res_attrs"] if "res_attrs" in func.attributes else None
        changed = False
        for index, arg in enumerate(block.arguments):
            if int8x4.encoding(arg.type) is None:
                continue
            packing = _packing_attribute(arg.type)
            arg.set_type(_i32(ir.RankedTensorType(arg.type).shape))
            inputs[index] = arg.type
            arg_attrs = _with_packing(arg_attrs, index, len(inputs), packing)
            changed = True
        for index, t in enumerate(results):
            if int8x4.encoding(t) is None:
                continue
            results[index] = _i32(ir.RankedTensorType(t).shape)
            res_attrs = _with_packing(res_attrs, index, len(results), _packing_attribute(t))
            changed = True
        if not changed:
            return
        func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))
        if arg_attrs is not None:
            func.attributes["arg_attrs"] = arg_attrs
        if res_attrs is not None:
            func.attributes["res_attrs"] = res_attrs
