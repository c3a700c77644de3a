"""Fold each transpose/reshape of a shared integer constant into a constant of its own.

A weight used by several calls of one module (an nn.Linear applied at every step of an
unrolled recurrent cell, a layer applied twice) is one `tosa.const` with a
`tosa.transpose` / `tosa.reshape` per call. TOSA's constant folder
(tosa-layerwise-constant-fold) folds a layout op only into a constant it is the sole
user of (and its greedy driver merges identical constants back, so copying them does not
help), so those layout ops stay and the quantized lowerings, which read weights and
biases as constants, refuse the operator. This pass folds them on the data (a chain of
them whole, before the folder can merge the intermediate constants); the folded
constants are what each operator needs of its own anyway. Integer constants only (the
quantized program's weights and biases; int4 is tosaic-fold-transposes').
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects.tosa_helpers import defining_op, integer_values, make_integer_const, transpose_perms
from tosaic.passes.base import Pass, Statistic

_WIDTHS = (8, 16, 32)


class FoldSharedConstants(Pass):
    name = "tosaic-fold-shared-constants"
    summary = "Fold transpose/reshape of an integer tosa.const with several users into its own constant"
    anchor = "func.func"
    folded = Statistic("layout ops folded into a constant of their own")

    def run(self, func: ir.Operation) -> None:
        layout_ops = []

        def visit(op):
            op = op.operation
            if op.name in ("tosa.transpose", "tosa.reshape"):
                source = defining_op(op.operands[0])
                # whether the constant is shared is decided before anything is folded
                shared = source is not None and source.name == "tosa.const" and len(list(source.results[0].uses)) > 1
                layout_ops.append((op, shared))
            return ir.WalkResult.ADVANCE

        func.walk(visit)
        created: list[ir.Value] = []  # a chain (transpose then reshape) folds whole
        for op, shared in layout_ops:
            source = defining_op(op.operands[0])
            if source is None or source.name != "tosa.const":
                continue
            if not shared and not any(v == op.operands[0] for v in created):
                continue
            element = ir.RankedTensorType(source.results[0].type).element_type
            if not isinstance(element, ir.IntegerType) or ir.IntegerType(element).is_unsigned:
                continue
            width = ir.IntegerType(element).width
            if width not in _WIDTHS:
                continue
            values = integer_values(source.attributes["values"])
            if op.name == "tosa.transpose":
                values = np.transpose(values, transpose_perms(op))
            else:
                values = values.reshape(list(ir.RankedTensorType(op.results[0].type).shape))
            with ir.InsertionPoint(op), op.location:
                folded = make_integer_const(np.ascontiguousarray(values), width, loc=op.location)
            op.results[0].replace_all_uses_with(folded)
            op.erase()
            created.append(folded)
            self.folded += 1
