"""Make the graph's rank-4 inputs and outputs NHWC instead of PyTorch's NCHW.

Runtimes that feed NHWC (camera pipelines, TFLite-style runtimes) otherwise pay an input
and an output transpose on the NPU. Each rank-4 argument gets the NHWC type and a
transpose back to NCHW in front of its old uses; each rank-4 result a transpose to NHWC
before the return. `tosaic-fold-transposes` afterwards cancels these against the
NCHW<->NHWC transposes torch-mlir put around the first and last convolutions, so a
convolutional graph keeps no boundary transpose at all. Where the graph really computes
in NCHW (a flatten of the input), the transpose stays: the numerics never change.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects.tosa_helpers import make_transpose, permute, ranked_shape, with_shape
from tosaic.passes.base import Pass

TO_NHWC = [0, 2, 3, 1]
TO_NCHW = [0, 3, 1, 2]


class NhwcIO(Pass):
    name = "tosaic-nhwc-io"
    summary = "Make rank-4 graph inputs and outputs NHWC (transposes that fold-transposes cancels)"
    anchor = "func.func"

    def run(self, func: ir.Operation) -> None:
        with func.location:
            self._rewrite(func)

    def _rewrite(self, func: ir.Operation) -> None:
        block = func.regions[0].blocks[0]
        fn_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        inputs, results = list(fn_type.inputs), list(fn_type.results)
        first = block.operations[0]
        for index, arg in enumerate(block.arguments):
            shape = ranked_shape(arg)
            if shape is None or len(shape) != 4:
                continue
            uses = [(use.owner, use.operand_number) for use in arg.uses]
            arg.set_type(with_shape(arg.type, permute(shape, TO_NHWC)))
            with ir.InsertionPoint(first), func.location:
                nchw = make_transpose(arg, TO_NCHW, loc=func.location)
            for owner, operand_number in uses:
                owner.operands[operand_number] = nchw
            inputs[index] = arg.type

        terminator = block.operations[len(block.operations) - 1]
        for index, value in enumerate(list(terminator.operands)):
            shape = ranked_shape(value)
            if shape is None or len(shape) != 4:
                continue
            with ir.InsertionPoint(terminator), func.location:
                nhwc = make_transpose(value, TO_NHWC, loc=func.location)
            terminator.operands[index] = nhwc
            results[index] = nhwc.type
        func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))
