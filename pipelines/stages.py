"""`tosaic compile --dump-stages DIR`: the IR at every stage of a compile, replayable.

The stages are the IR after the FX import (torch-backend IR, the torch dialect), after
the TorchToTosa lowering (float TOSA with tosaic.quantize/dequantize for a quantized
program), and after each phase of the target's pipeline (each top-level element of
`tosaic pipeline <target>`: a `func.func(...)` nest or a module pass). Each file is the
IR as `tosaic-opt --mlir-print-debuginfo` prints it, headed by comment lines; each
`// next:` line is the exact command that turns the file into the next stage (run in
DIR): it writes the next stage's IR, byte for byte (the header comment aside). The
last stage's two commands make the final IR (`model.mlir`) and the flatbuffer
(`model.tosa`), byte for byte as the compile wrote them. `replay.sh` runs every
command in order, from 00-import.mlir (overwriting the stages after it with the same
IR).

    tosaic compile model.pt2 --target tosa-int -o out/ --dump-stages out/stages
    cd out/stages && sh replay.sh        # or run one stage's `next:` command
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Callable

from torch_mlir import ir

from tosaic.pipelines.textual import NestedPipeline, parse_pipeline
from tosaic.targets import tosa_flatbuffer

NEXT = "// next: "


def phases(pipeline: str) -> list[tuple[str, str]]:
    """(name, pipeline text) of each top-level element of a module pipeline, in order.
    The name is the element's first pass without the `tosaic-` prefix, and `+N` for the
    N passes after it in the same nest."""
    out = []
    for element in parse_pipeline(pipeline).elements:
        names = _pass_names(element)
        name = re.sub(r"^tosaic-", "", names[0]) if names else "empty"
        if len(names) > 1:
            name += f"+{len(names) - 1}"
        out.append((name, f"builtin.module({element.text()})"))
    return out


def _pass_names(element) -> list[str]:
    if isinstance(element, NestedPipeline):
        return [n for e in element.elements for n in _pass_names(e)]
    return [element.name]


def read_stage(path: str) -> tuple[list[str], str]:
    """(the `next:` commands, the IR) of a stage file."""
    with open(path) as f:
        text = f.read()
    header, _, body = text.partition("\n\n")
    return [line[len(NEXT):] for line in header.splitlines() if line.startswith(NEXT)], body


class StageDump:
    """Collects the stages of one compile into a directory. `run_pipeline(module,
    pipeline, what)` runs a pipeline as the compile driver does (importer.run_pipeline)."""

    def __init__(self, directory: str, run_pipeline: Callable[[ir.Module, str, str], None]):
        self.directory = directory
        self._run = run_pipeline
        self._pending: tuple[str, str, str] | None = None  # file name, description, IR
        self._count = 0
        self._commands: list[str] = []
        os.makedirs(directory, exist_ok=True)

    def add(self, module: ir.Module, name: str, description: str, made_by: str | None = None) -> None:
        """The module's IR is the next stage; `made_by` is the pipeline that turned the
        previous stage into it."""
        file = f"{self._count:02d}-{name}.mlir"
        self._count += 1
        if self._pending is not None:
            self._flush([self._tosaic_opt(self._pending[0], made_by, file, debug_info=True)])
        # As `tosaic-opt --mlir-print-debuginfo -o FILE` writes it: the IR, a blank line.
        self._pending = (file, description, module.operation.get_asm(enable_debug_info=True) + "\n")

    def run_pipeline(self, module: ir.Module, pipeline: str, what: str) -> None:
        """Run `pipeline` one phase at a time, each phase's result a stage."""
        for index, (name, phase) in enumerate(phases(pipeline)):
            self._run(module, phase, f"{what} (phase {index + 1}: {name})")
            self.add(module, name, f"after {what}, phase {index + 1}: {phase}", made_by=phase)

    def finish(self, target) -> None:
        """The last stage's commands: the final IR (the TOSA target attached, validated),
        and the flatbuffer, made by tosa-tools' tosa-opt as `targets.tosa_flatbuffer.serialize` makes it
        (from the IR before the target is attached: tosa-opt cannot read the attribute
        as the bindings print it with no extensions).
        `target` is the targets.TosaTarget the compile attached."""
        file = self._pending[0]
        serialize = [
            f"--tosa-attach-target=profiles={target.profile} extensions={','.join(target.extensions)} "
            f"level={target.level}",
            "--tosa-validate=strict-op-spec-alignment",
            "--tosa-serialize=tosa-flatbuffer-filename=model.tosa",
        ]
        # tosa-tools names the flatbuffer's tensors after their ops' locations, so, as
        # targets.tosa_flatbuffer.serialize does, it reads the IR without debug info, from stdin.
        self._flush([
            self._tosaic_opt(file, tosa_flatbuffer.attach_and_validate_pipeline(target), "model.mlir", debug_info=False),
            f"tosaic-opt {shlex.quote(file)} | " + shlex.join(["tosa-opt", "-", *serialize, "-o", os.devnull]),
        ])
        script = ["#!/bin/sh", "# Replays the compile stage by stage (see each file's `next:` lines).",
                  "set -e", 'cd "$(dirname "$0")"', *self._commands]
        with open(os.path.join(self.directory, "replay.sh"), "w") as f:
            f.write("\n".join(script) + "\n")

    @staticmethod
    def _tosaic_opt(source: str, pipeline: str, target: str, debug_info: bool) -> str:
        args = ["tosaic-opt", source, f"--pass-pipeline={pipeline}"]
        args += ["--mlir-print-debuginfo"] if debug_info else []
        return shlex.join(args + ["-o", target])

    def _flush(self, commands: list[str]) -> None:
        file, description, body = self._pending
        header = [f"// tosaic compile stage {file[:2]}: {description}"]
        header += [NEXT + c for c in commands]
        with open(os.path.join(self.directory, file), "w") as f:
            f.write("\n".join(header) + "\n\n" + body)
        self._commands += commands
        self._pending = None
