"""TOSA out: attach the target, validate strictly, serialize to a flatbuffer with tosa-tools.

Serialization and deserialization run tosa-tools' `tosa-opt`, which carries the TOSA
flatbuffer translator; attaching and validating run in our own PassManager.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import replace

from torch_mlir import ir

from tosaic.driver.errors import EmitError
from tosaic.frontend.importer import format_mlir_error
from tosaic.pipelines.textual import PipelineError, build_pass_manager
from tosaic.targets.registry import TosaTarget


# Element types that only a TOSA extension allows in the integer profile: int4 weights
# (EXT-INT4), int16 activations with their 48-bit accumulators and bias (EXT-INT16).
_EXTENSION_OF_ELEMENT = {"i4": "int4", "i16": "int16", "i48": "int16"}


def required_extensions(module: ir.Module) -> tuple[str, ...]:
    """The extensions the module's element types need, sorted (so output is stable)."""
    found: set[str] = set()

    def visit(op):
        for value in list(op.operands) + list(op.results):
            if isinstance(value.type, ir.ShapedType):
                element = str(ir.ShapedType(value.type).element_type)
                if element in _EXTENSION_OF_ELEMENT:
                    found.add(_EXTENSION_OF_ELEMENT[element])
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return tuple(sorted(found))


def _has_integer_inputs(module: ir.Module) -> bool:
    """A float program with int32 graph inputs (an embedding's token ids, reshaped before the
    GATHER): TOSA 1.0 allows moving int32 values only with the integer profile too."""
    for op in module.body.operations:
        if op.operation.name == "func.func":
            fn_type = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
            if any(isinstance(ir.ShapedType(t).element_type, ir.IntegerType) for t in fn_type.inputs):
                return True
    return False


def target_for(module: ir.Module, base: TosaTarget) -> TosaTarget:
    """`base` with the extensions the module needs (integer profile only); a float
    program that moves int32 indices gets the integer profile too."""
    if not base.integer:
        return replace(base, profile="pro_fp,pro_int") if _has_integer_inputs(module) else base
    return replace(base, extensions=tuple(sorted(set(base.extensions) | set(required_extensions(module)))))


def attach_and_validate_pipeline(target: TosaTarget) -> str:
    extensions = ",".join(target.extensions)
    return (
        f"builtin.module(tosa-attach-target{{profiles={target.profile} "
        f"extensions={extensions} level={target.level}}},"
        "tosa-validate{strict-op-spec-alignment})"
    )


def attach_and_validate(module: ir.Module, target: TosaTarget) -> None:
    with module.context:
        try:
            pm = build_pass_manager(attach_and_validate_pipeline(target), module.context).pass_manager
            pm.run(module.operation)
        except (ir.MLIRError, PipelineError) as e:
            raise EmitError(
                f"the TOSA IR is not valid for profile {target.profile}:\n{format_mlir_error(e)}"
            ) from None


def tosa_opt_executable() -> str:
    candidate = os.path.join(os.path.dirname(sys.executable), "tosa-opt")
    return candidate if os.path.exists(candidate) else "tosa-opt"


def _tosa_opt(args: list[str], stdin_text: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tosa_opt_executable(), *args], input=stdin_text, capture_output=True, text=True
    )


def serialize(module: ir.Module, target: TosaTarget) -> bytes:
    """The module's TOSA flatbuffer. The same module always gives the same bytes."""
    # tosa-opt re-attaches the target itself: its parser and our bindings' printer
    # disagree on the spelling of an empty extension list.
    text = module.operation.get_asm()
    text = re.sub(r"^module attributes \{tosa\.target_env = [^\n]*?>\} \{", "module {", text, count=1)
    with tempfile.TemporaryDirectory(prefix="tosaic-") as tmp:
        path = os.path.join(tmp, "model.tosa")
        extensions = ",".join(target.extensions)
        result = _tosa_opt(
            [
                "-",
                f"--tosa-attach-target=profiles={target.profile} extensions={extensions} level={target.level}",
                "--tosa-validate=strict-op-spec-alignment",
                f"--tosa-serialize=tosa-flatbuffer-filename={path}",
                "-o",
                os.devnull,
            ],
            text,
        )
        # tosa-tools reports data it cannot pack (an int4 value of -8) on stdout and still
        # exits 0, leaving a flatbuffer without that tensor's data.
        packing_errors = [line for line in result.stdout.splitlines() if "TosaSerializationHandler" in line]
        if result.returncode != 0 or not os.path.exists(path) or packing_errors:
            detail = "\n".join(packing_errors) or result.stderr.strip()
            raise EmitError(f"tosa-tools could not serialize the module:\n{detail}")
        with open(path, "rb") as f:
            return f.read()


def deserialize(flatbuffer: bytes) -> str:
    """The flatbuffer as TOSA MLIR text, read back by tosa-tools."""
    with tempfile.TemporaryDirectory(prefix="tosaic-") as tmp:
        path = os.path.join(tmp, "model.tosa")
        with open(path, "wb") as f:
            f.write(flatbuffer)
        mlir_path = os.path.join(tmp, "model.mlir")
        # tosa-opt prints version notices on stdout, so the IR goes to a file.
        result = _tosa_opt(
            [f"--tosa-deserialize=tosa-flatbuffer-filename={path}", "-", "-o", mlir_path], ""
        )
        if result.returncode != 0:
            raise EmitError(f"tosa-tools could not read the flatbuffer:\n{result.stderr.strip()}")
        with open(mlir_path) as f:
            return f.read()
