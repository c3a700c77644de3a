"""Named pass pipelines, per scheme and target, as text `tosaic-opt` can replay.

    tosaic-opt model.mlir --pass-pipeline="$(tosaic pipeline tosa-fp)"
"""

from __future__ import annotations

# Cleanup that every TOSA graph gets after torch-mlir's lowering: cancel layout
# transposes, fold constant subgraphs (batchnorm statistics, transposed weights), tidy up.
_CLEANUP = (
    "func.func(tosaic-fold-transposes),"
    "func.func(tosa-layerwise-constant-fold),"
    "canonicalize,cse"
)

PIPELINES: dict[str, str] = {
    "tosa-fp": f"builtin.module({_CLEANUP})",
}


def pipeline_text(name: str) -> str:
    try:
        return PIPELINES[name]
    except KeyError:
        raise KeyError(f"no pipeline named '{name}'; known: {', '.join(sorted(PIPELINES))}") from None
