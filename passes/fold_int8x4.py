"""Remove the int8x4 conversions that cancel, and report how many.

Three rewrites, repeated until none applies; each one is exact:

- cancel: `pack(unpack(%p))` of the same packed type is `%p` (unpack -> pack of one
  layout; the words' padding bytes hold the padding value by construction).
- propagate: `unpack(pack(%y))` whose every user is a layout-neutral op (elementwise,
  e.g. rescale, clamp, table, with constants as its other operands) leading only to packs
  of the same layout is dropped: the neutral ops read `%y` and stay inside the layout
  region, so the region is packed once after them. For example conv -> rescale ->
  pack -> unpack -> clamp -> pack -> unpack -> conv becomes conv -> rescale -> clamp ->
  pack -> unpack -> conv (two conversions fewer).
- merge: two packs (or unpacks) of one value to one type are one.

The function gets `tosaic.int8x4_removed = N` (the conversions removed), and
`FoldInt8x4.removed` holds the total of the last run.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects import attributes, int8x4, tosa_ops
from tosaic.dialects.tosa_helpers import defining_op
from tosaic.passes.base import Pass


def _users(value: ir.Value) -> list:
    return [use.owner.operation for use in value.uses]


def _is_constant(value: ir.Value) -> bool:
    producer = defining_op(value)
    return producer is not None and producer.name in ("tosa.const", "tosa.const_shape")


def _is_layout_neutral(op, operand: ir.Value) -> bool:
    """An elementwise op of one activation (`operand`) to an int8 result of its shape."""
    if op.name not in tosa_ops.ELEMENTWISE or len(op.results) != 1:
        return False
    if str(ir.RankedTensorType(op.results[0].type).shape) != str(ir.RankedTensorType(operand.type).shape):
        return False
    element = ir.RankedTensorType(op.results[0].type).element_type
    if not (isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 8):
        return False
    return all(v == operand or _is_constant(v) for v in op.operands)


def _ends_in_packs(value: ir.Value, layout: str) -> bool:
    users = _users(value)
    if not users:
        return False
    for user in users:
        if int8x4.is_pack(user):
            if int8x4.packed_type(user.results[0].type).layout != layout:
                return False
        elif not (_is_layout_neutral(user, value) and _ends_in_packs(user.results[0], layout)):
            return False
    return True


def _conversions(func) -> list:
    found = []

    def visit(op):
        if op.operation.name in (int8x4.PACK, int8x4.UNPACK):
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    func.walk(visit)
    return found


class FoldInt8x4(Pass):
    name = "tosaic-fold-int8x4"
    summary = "Cancel int8x4 unpack->pack pairs, propagate layouts through layout-neutral ops, " \
              "merge duplicates; record the number removed"
    anchor = "func.func"
    removed = 0

    def run(self, func: ir.Operation) -> None:
        with func.location:  # the types built below take it for their diagnostics
            self._run(func)

    def _run(self, func: ir.Operation) -> None:
        int8x4.verify(func, Pass.error)
        before = len(_conversions(func))
        changed = True
        while changed:
            changed = False
            for op in _conversions(func):
                if self._rewrite(op):
                    changed = True
                    break  # the op list is stale
        removed = before - len(_conversions(func))
        FoldInt8x4.removed = removed
        func.attributes[attributes.INT8X4_REMOVED] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), removed)

    def _rewrite(self, op) -> bool:
        op = op.operation
        source = op.operands[0]
        producer = defining_op(source)
        producer = producer.operation if producer is not None else None
        if int8x4.is_pack(op) and int8x4.is_unpack(producer) \
                and str(producer.operands[0].type) == str(op.results[0].type):
            op.results[0].replace_all_uses_with(producer.operands[0])
            op.erase()
            self._erase_if_unused(producer)
            return True
        if int8x4.is_unpack(op) and int8x4.is_pack(producer) \
                and _ends_in_packs(op.results[0], int8x4.packed_type(source.type).layout):
            op.results[0].replace_all_uses_with(producer.operands[0])
            op.erase()
            self._erase_if_unused(producer)
            return True
        for other in _users(source):
            if other != op.operation and other.name == op.name and str(other.results[0].type) == str(op.results[0].type):
                # Keep the first in the block, so it dominates the other's users.
                first, second = (op, other) if op.is_before_in_block(other) else (other, op)
                second.results[0].replace_all_uses_with(first.results[0])
                second.erase()
                return True
        return False

    @staticmethod
    def _erase_if_unused(op) -> None:
        if not _users(op.results[0]):
            op.erase()
