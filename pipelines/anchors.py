"""The ops a pipeline nests passes under, checked before anything runs.

MLIR's pass manager takes any nesting (`func.func(func.func(...))`, `foo.bar(...)`) and
runs nothing where no op matches: a typo in an anchor silently skips its passes. tosaic-opt
refuses, naming the anchor: an anchor must be a registered op, and a function holds no
functions or modules.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.pipelines.textual import NestedPipeline, PipelineError

# Ops whose bodies never hold these ops (a function's body is its code).
_CANNOT_HOLD = {"func.func": ("func.func", "builtin.module")}


def check_anchors(pipeline: NestedPipeline, context: ir.Context) -> None:
    """Raise PipelineError for an anchor that is not a registered op or cannot be nested
    where it is."""
    def visit(node: NestedPipeline, parent: str | None):
        if parent is not None and not context.is_registered_operation(node.anchor):
            raise PipelineError(f"'{node.anchor}' in the pipeline is not a registered operation: "
                                "no pass nested under it would run")
        if node.anchor in _CANNOT_HOLD.get(parent, ()):
            raise PipelineError(f"'{node.anchor}' is nested in '{parent}', which holds no '{node.anchor}': "
                                "no pass nested there would run")
        for element in node.elements:
            if isinstance(element, NestedPipeline):
                visit(element, node.anchor)

    visit(pipeline, None)
