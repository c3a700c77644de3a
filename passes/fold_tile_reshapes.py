"""Tile the tensor itself instead of a higher-rank view of it.

The front end's repeat becomes reshape (a unit dim in front of each repeated dim) ->
tile of those unit dims -> reshape back: for x [1, 8, 8, 8] repeated (1, 2, 2, 1), a
rank-6 TILE. Repeating a block `a` times in front of a dim is tiling that dim `a` times,
so this is `tile(x, (1, 2, 2, 1))`, which Vela 5.2.0 runs far faster (the repeat above:
U55-128 7872 -> 5568 cycles, U85-256 31584 -> 7142, ExecuTorch's TILE).
"""

from __future__ import annotations

import math

from torch_mlir import ir

from tosaic.dialects.tosa_helpers import constant_shape, defining_op, has_single_use, make_const_shape, ranked_shape
from tosaic.passes.base import PatternPass
from tosaic.passes.squeeze_transposes import unit_insertion


def _fold(op, rewriter) -> bool:
    op = op.operation
    tile = defining_op(op.operands[0])
    if tile is None or tile.name != "tosa.tile" or not has_single_use(tile.results[0]):
        return True
    expand = defining_op(tile.operands[0])
    if expand is None or expand.name != "tosa.reshape" or not has_single_use(expand.results[0]):
        return True
    small, large = ranked_shape(expand.operands[0]), ranked_shape(expand.results[0])
    multiples, final = constant_shape(tile.operands[1]), ranked_shape(op.results[0])
    mapping = unit_insertion(small or [], large or [])
    if mapping is None or multiples is None or final is None or len(final) != len(small):
        return True
    # Each inserted unit dim belongs to the next kept axis; one after the last must not repeat.
    groups, start = [], 0
    for axis in mapping:
        groups.append(math.prod(multiples[start:axis + 1]))
        start = axis + 1
    if any(m != 1 for m in multiples[start:]):
        return True
    if final != [d * m for d, m in zip(small, groups)]:
        return True
    with rewriter.ip, op.location:
        result = ir.Operation.create(
            "tosa.tile", results=[op.results[0].type],
            operands=[expand.operands[0], make_const_shape(groups)],
        ).result
    rewriter.replace_op(op, [result])
    return False


class FoldTileReshapes(PatternPass):
    name = "tosaic-fold-tile-reshapes"
    summary = "Rewrite reshape -> tile -> reshape (a repeat) into one tile of the original tensor"

    def patterns(self):
        return [("tosa.reshape", _fold, 1)]
