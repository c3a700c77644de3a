"""Make an int64 graph input int32 when the program only reads it as int32 indices.

PyTorch's index tensors are int64 (an embedding's token ids); TOSA 1.0's profiles have no
int64, so torch-mlir's lowering casts them to int32 right away (`reshape` of the i64
argument, then `tosa.cast` to i32, then GATHER). This pass retypes the argument to i32,
the layout ops between it and the cast with it, and removes the cast:

    @main(%ids: tensor<2x7xi64>) { %r = reshape %ids; %c = cast %r : i64 -> i32; gather(.., %c) }
    @main(%ids: tensor<2x7xi32>) { %r = reshape %ids; gather(.., %r) }

An argmax returned as int64 (a float program's; TOSA's ARGMAX makes int32) is retyped too.
An int64 input read any other way (arithmetic in int64, returned as it is) stays, and the
profile check then reports it. The caller feeds int32 ids (`tosaic run` narrows int64
arrays whose values fit); report.json's input dtype says so.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.passes.base import Pass, PassFailure

# Ops that only move elements: an i64 value through them is retyped to i32 with its source.
_LAYOUT_OPS = frozenset({"tosa.reshape", "tosa.transpose", "tosa.slice", "tosa.tile", "tosa.reverse",
                         "tosa.identity"})


def _is_integer(value: ir.Value, width: int) -> bool:
    if not isinstance(value.type, ir.RankedTensorType):
        return False
    element = value.type.element_type
    return isinstance(element, ir.IntegerType) and ir.IntegerType(element).width == width


def _narrowed_uses(value: ir.Value, layout: list, casts: list) -> bool:
    """Collect the layout ops and int32 casts that `value`'s uses reach; False if any use
    reads it otherwise."""
    for use in value.uses:
        owner = use.owner
        name = owner.name
        if name == "tosa.cast" and _is_integer(owner.results[0], 32):
            casts.append(owner)
        elif name in _LAYOUT_OPS and use.operand_number == 0:
            layout.append(owner)
            if not _narrowed_uses(owner.results[0], layout, casts):
                return False
        else:
            return False
    return True


def _as_i32(t: ir.Type) -> ir.Type:
    return ir.RankedTensorType.get(ir.RankedTensorType(t).shape, ir.IntegerType.get_signless(32))


class NarrowIndexInputs(Pass):
    name = "tosaic-narrow-index-inputs"
    summary = ("Retype int64 graph inputs that the program only casts to int32 (index inputs), and int64 "
               "argmax results returned, as int32")
    anchor = "builtin.module"

    def run(self, module: ir.Operation) -> None:
        for op in module.regions[0].blocks[0].operations:
            if op.operation.name == "func.func" and op.operation.regions[0].blocks:
                self._narrow(op.operation)

    def _narrow(self, func: ir.Operation) -> None:
        block = func.regions[0].blocks[0]
        fn_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        inputs = list(fn_type.inputs)
        changed = False
        for index, arg in enumerate(block.arguments):
            if not _is_integer(arg, 64) or not ir.RankedTensorType(arg.type).has_static_shape:
                continue
            layout, casts = [], []
            if not _narrowed_uses(arg, layout, casts) or not casts:
                continue
            with func.location:
                self._retype(arg, layout, casts, index)
            inputs[index] = arg.type
            changed = True
        # An index returned as int64 (a float program's argmax): its ARGMAX makes int32.
        results = list(fn_type.results)
        terminator = block.operations[len(block.operations) - 1]
        for index, value in enumerate(terminator.operands):
            producer = value.owner if isinstance(value.owner, ir.Operation) or hasattr(value.owner, "name") else None
            if producer is None or getattr(producer, "name", None) != "tosa.argmax" or not _is_integer(value, 64):
                continue
            with func.location:
                value.set_type(_as_i32(value.type))
            results[index] = value.type
            changed = True
        if changed:
            func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))

    def _retype(self, arg: ir.Value, layout: list, casts: list, index: int) -> None:
        arg.set_type(_as_i32(arg.type))
        for op in layout:
            op.results[0].set_type(_as_i32(op.results[0].type))
        for cast in casts:
            if cast.operands[0].type != cast.results[0].type:
                raise PassFailure(f"{self.name}: a cast of input {index} does not end in its own shape")
            cast.results[0].replace_all_uses_with(cast.operands[0])
            cast.erase()
