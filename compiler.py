"""The compile driver behind `tosaic compile` and `tosaic.compile`."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from torch_mlir import ir

from tosaic import emit, importer
from tosaic.dialects import new_context
from tosaic.errors import TosaicError
from tosaic.pipelines import pipeline_text


@dataclass
class TensorSignature:
    shape: list[int]
    dtype: str

    def as_dict(self) -> dict:
        return {"shape": self.shape, "dtype": self.dtype}


@dataclass
class CompileResult:
    target: str
    mlir: str  # final TOSA IR, target attached
    flatbuffer: bytes
    inputs: list[TensorSignature]
    outputs: list[TensorSignature]
    report: dict[str, Any] = field(default_factory=dict)
    output_dir: str | None = None

    def run_reference(self, inputs):
        from tosaic.reference import run_reference

        return run_reference(self.flatbuffer, inputs)


def op_counts(module: ir.Module) -> Counter:
    counts: Counter = Counter()

    def visit(op):
        name = op.operation.name
        if name.startswith("tosa."):
            counts[name] += 1
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return counts


def _signature(module: ir.Module) -> tuple[list[TensorSignature], list[TensorSignature]]:
    main = next(
        op for op in module.body.operations
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == "main"
    )
    fn_type = ir.FunctionType(ir.TypeAttr(main.attributes["function_type"]).value)

    def describe(t):
        t = ir.RankedTensorType(t)
        return TensorSignature(list(t.shape), str(t.element_type))

    return [describe(t) for t in fn_type.inputs], [describe(t) for t in fn_type.results]


def compile(
    program,
    example_inputs: Sequence[Any] | None = None,
    target: str = "tosa-fp",
    output_dir: str | None = None,
) -> CompileResult:
    """Compile an nn.Module (with example inputs), an ExportedProgram or a `.pt2` path."""
    if target not in emit.TOSA_TARGETS:
        raise TosaicError(
            f"unknown target '{target}'; available: {', '.join(sorted(emit.TOSA_TARGETS))}"
        )
    timings: dict[str, float] = {}
    start = time.perf_counter()

    def lap(stage: str):
        nonlocal start
        now = time.perf_counter()
        timings[stage] = round(now - start, 4)
        start = now

    exported = importer.export_program(program, example_inputs)
    lap("export")
    context = new_context()
    module = importer.import_torch(exported, context)
    lap("import")
    importer.lower_to_tosa(module)
    lap("torch_to_tosa")
    ops_before = op_counts(module)
    pipeline = pipeline_text(target if target in ("tosa-fp",) else "tosa-fp")
    importer.run_pipeline(module, pipeline, f"the {target} pipeline")
    ops_after = op_counts(module)
    lap("passes")
    emit.attach_and_validate(module, emit.TOSA_TARGETS[target])
    lap("validate")
    flatbuffer = emit.serialize(module, emit.TOSA_TARGETS[target])
    lap("serialize")
    inputs, outputs = _signature(module)
    mlir_text = module.operation.get_asm()
    report = {
        "target": target,
        "pipeline": pipeline,
        "inputs": [s.as_dict() for s in inputs],
        "outputs": [s.as_dict() for s in outputs],
        "ops": dict(sorted(ops_after.items())),
        "transposes": {
            "after_torch_mlir": ops_before.get("tosa.transpose", 0),
            "final": ops_after.get("tosa.transpose", 0),
        },
        "flatbuffer_bytes": len(flatbuffer),
        "seconds": timings,
    }
    result = CompileResult(target, mlir_text, flatbuffer, inputs, outputs, report)
    if output_dir:
        write_outputs(result, output_dir)
    return result


def write_outputs(result: CompileResult, output_dir: str) -> None:
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "model.mlir"), "w") as f:
        f.write(result.mlir)
    with open(os.path.join(output_dir, "model.tosa"), "wb") as f:
        f.write(result.flatbuffer)
    with open(os.path.join(output_dir, "report.json"), "w") as f:
        json.dump(result.report, f, indent=2, sort_keys=True)
        f.write("\n")
    result.output_dir = output_dir
