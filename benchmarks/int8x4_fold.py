"""How many int8x4 conversions tosaic-fold-int8x4 removes on the example models.

Each example model (tosaic.examples.models) is quantized a8w8 and compiled through the
tosa-int pipeline; then tosaic-assign-int8x4-layouts (defaults: conv inputs 4W4C, matmul
inputs 4H4W, conv/matmul results packed) inserts its conversions and tosaic-fold-int8x4
removes those that cancel:

    .venv/bin/python benchmarks/int8x4_fold.py
"""

from __future__ import annotations

import sys

from tosaic.dialects import int8x4, new_context
from tosaic.frontend import importer


def _conversions(module) -> int:
    text = str(module)
    return text.count(f'"{int8x4.PACK}"') + text.count(f'"{int8x4.UNPACK}"')


def fold_counts(name: str) -> dict:
    """Conversions inserted into example `name`'s lowered tosa-int graph, removed, remaining."""
    from tosaic.examples.models import example
    from tosaic.pipelines import target_pipeline
    from tosaic.quantization import quantize_model

    model, inputs = example(name)
    exported = quantize_model(model, inputs, scheme="a8w8")
    with new_context() as context:
        module = importer.import_torch(exported, context)
        importer.lower_to_tosa(module, quantized=True)
        importer.run_pipeline(module, target_pipeline("tosa-int"), "tosa-int")
        importer.run_pipeline(module, "builtin.module(func.func(tosaic-assign-int8x4-layouts))", "assign")
        inserted = _conversions(module)
        importer.run_pipeline(module, "builtin.module(func.func(tosaic-fold-int8x4))", "fold")
        remaining = _conversions(module)
        removed = int(str(module).split("tosaic.int8x4_removed = ")[1].split(" ")[0])
    return {"inserted": inserted, "removed": removed, "remaining": remaining}


def main() -> int:
    from tosaic.examples.models import EXAMPLES

    for name in EXAMPLES:
        c = fold_counts(name)
        print(f"{name:10s} inserted {c['inserted']:3d}  removed {c['removed']:3d}  remaining {c['remaining']:3d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
