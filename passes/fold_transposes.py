"""Cancel the NCHW<->NHWC transposes that torch-mlir wraps around every convolution.

Two patterns, applied by MLIR's greedy driver until nothing changes:

- compose: transpose(transpose(x, p1), p2) becomes one transpose, or x itself when the
  two permutations are inverse.
- int4 constants: transpose(const i4) becomes the transposed constant. TOSA's constant
  folder (tosa-layerwise-constant-fold) leaves i4 alone, and TRANSPOSE has no int4 form,
  so an int4 weight's layout change must be done on its data.
- sink: an elementwise op (or concat, or a reduction) whose transposed operands all use
  the same permutation computes on the untransposed values instead, and one transpose
  follows it. Transposes move towards the next convolution's input transpose, where
  `compose` cancels them. Operands that are not transposed (broadcast constants such as
  a [1, C, 1, 1] bias) are reshaped when the permutation only moves unit dims, or
  transposed when they are constants (constant folding removes that transpose).

Sinking never adds a transpose: it fires only when at least one transposed operand has
no other user, so the transpose it creates replaces one it removes.

- hoist (option `hoist-off-wide`, the pipelines' last run, without sinking): a transpose of
  the only result of a widening unary op (an int8 -> int32 rescale in front of a residual
  add) moves back before it, onto the narrow tensor: a transpose costs its bytes (4x on
  int32). Sinking may carry a transpose onto the wide type on its way to a cancelling
  partner; what is left there afterwards is what hoisting takes back.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir, rewrite

from tosaic.dialects import tosa_ops
from tosaic.dialects.tosa_helpers import (
    defining_op,
    integer_values,
    invert_permutation,
    make_integer_const,
    make_reshape,
    make_transpose,
    permute,
    ranked_shape,
    transpose_perms,
    with_shape,
)
from tosaic.passes.base import Option, PatternPass



def _is_transpose(op) -> bool:
    return op is not None and op.name == "tosa.transpose"


def _only_used_by(value: ir.Value, user) -> bool:
    return all(use.owner == user for use in value.uses)


def compose_transposes(op, rewriter) -> bool:
    inner = defining_op(op.operands[0])
    if not _is_transpose(inner):
        return True
    composed = permute(transpose_perms(inner), transpose_perms(op))
    source = inner.operands[0]
    if composed == sorted(composed):
        rewriter.replace_op(op, [source])
    else:
        with rewriter.ip, op.location:
            rewriter.replace_op(op, [make_transpose(source, composed, loc=op.location)])
    return False


def fold_int4_constant_transpose(op, rewriter) -> bool:
    source = defining_op(op.operands[0])
    if source is None or source.name != "tosa.const":
        return True
    element = ir.RankedTensorType(source.results[0].type).element_type
    if not (isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == 4):
        return True
    values = np.transpose(integer_values(source.attributes["values"]), transpose_perms(op))
    with rewriter.ip, op.location:
        folded = make_integer_const(np.ascontiguousarray(values), 4, loc=op.location)
    rewriter.replace_op(op, [folded])
    return False


def _moves_only_unit_dims(shape: list[int], perms: list[int]) -> bool:
    kept = [axis for axis in perms if shape[axis] != 1]
    return kept == sorted(kept)


def sink_transpose(op, rewriter) -> bool:
    op = op.operation
    if len(op.results) != 1:
        return True
    if op.name not in tosa_ops.ELEMENTWISE and op.name not in tosa_ops.AXIS:
        return True
    if op.name == "tosa.rescale" and ir.BoolAttr(op.attributes["per_channel"]).value:
        return True  # per-channel scales index the last dim
    result_shape = ranked_shape(op.results[0])
    if result_shape is None or len(result_shape) < 2:
        return True
    data = [i for i, v in enumerate(op.operands) if len(ranked_shape(v) or []) == len(result_shape)]

    perms, sources = None, {}
    for i in data:
        producer = defining_op(op.operands[i])
        if _is_transpose(producer):
            if perms is not None and transpose_perms(producer) != perms:
                return True
            perms = transpose_perms(producer)
            sources[i] = producer
    if perms is None:
        return True
    if not any(_only_used_by(p.results[0], op) for p in sources.values()):
        return True  # sinking would add a transpose, not move one
    inverse = invert_permutation(perms)

    # Check every other data operand can follow before building anything.
    plans = {}
    for i in data:
        if i in sources:
            continue
        shape = ranked_shape(op.operands[i])
        if _moves_only_unit_dims(shape, inverse):
            plans[i] = "reshape"
        elif (defining_op(op.operands[i]) or op).name == "tosa.const":
            plans[i] = "transpose"
        else:
            return True

    with rewriter.ip, op.location:
        operands = list(op.operands)
        for i in data:
            if i in sources:
                operands[i] = sources[i].operands[0]
            elif plans[i] == "reshape":
                operands[i] = make_reshape(operands[i], permute(ranked_shape(operands[i]), inverse))
            else:
                operands[i] = make_transpose(operands[i], inverse)
        attributes = {name: op.attributes[name] for name in op.attributes}
        if "axis" in attributes and op.name in tosa_ops.AXIS:
            axis = ir.IntegerAttr(attributes["axis"]).value
            attributes["axis"] = ir.IntegerAttr.get(ir.IntegerAttr(attributes["axis"]).type, perms[axis])
        moved = ir.Operation.create(
            op.name,
            results=[with_shape(op.results[0].type, permute(result_shape, inverse))],
            operands=operands,
            attributes=attributes,
        )
        rewriter.replace_op(op, [make_transpose(moved.result, perms)])
    return False


def hoist_off_wide_type(op, rewriter) -> bool:
    producer = defining_op(op.operands[0])
    if producer is None or producer.name not in tosa_ops.ELEMENTWISE or len(producer.results) != 1:
        return True
    if producer.name == "tosa.rescale" and ir.BoolAttr(producer.attributes["per_channel"]).value:
        return True  # per-channel scales index the last dim
    if not _only_used_by(producer.results[0], op):
        return True
    rank = len(ranked_shape(producer.results[0]) or [])
    data = [i for i, v in enumerate(producer.operands) if len(ranked_shape(v) or []) == rank]
    if rank < 2 or len(data) != 1:
        return True
    narrow, wide = (tosa_ops.element_bits(producer.operands[data[0]].type),
                    tosa_ops.element_bits(producer.results[0].type))
    if narrow is None or wide is None or narrow >= wide:
        return True
    perms = transpose_perms(op)
    with rewriter.ip, op.location:
        operands = list(producer.operands)
        operands[data[0]] = make_transpose(operands[data[0]], perms)
        moved = ir.Operation.create(
            producer.name, results=[op.results[0].type], operands=operands,
            attributes={name: producer.attributes[name] for name in producer.attributes},
        )
    rewriter.replace_op(op, [moved.result])
    return False


class FoldTransposes(PatternPass):
    name = "tosaic-fold-transposes"
    summary = "Cancel inverse tosa.transpose pairs and sink transposes through elementwise ops"
    sink = Option(bool, True, "Move transposes through elementwise, concat and reduce ops")
    hoist_off_wide = Option(bool, False, "Move a transpose of a widening unary op's result before the op "
                            "(use with sink=false)")
    max_iterations = Option(int, 32, "Greedy rewrite iteration limit")

    def patterns(self):
        patterns = [("tosa.transpose", compose_transposes, 1), ("tosa.transpose", fold_int4_constant_transpose, 1)]
        if self.hoist_off_wide:
            patterns.append(("tosa.transpose", hoist_off_wide_type, 1))
        if self.sink:
            patterns += [(name, sink_transpose, 1) for name in sorted(tosa_ops.ELEMENTWISE | tosa_ops.AXIS)]
        return patterns

    def driver_config(self):
        config = rewrite.GreedyRewriteConfig()
        config.max_iterations = self.max_iterations
        return config
