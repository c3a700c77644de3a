"""Textual pass pipelines that mix tosaic's Python passes with upstream MLIR passes.

The syntax is mlir-opt's: `builtin.module(func.func(a{opt=v}),b,canonicalize)`.
Everything runs in one MLIR `PassManager`:

- Upstream passes go in as textual elements, so MLIR parses their options and nests them.
- A tosaic pass goes in as a Python-defined pass (`PassManager.add(callable)`). The
  bindings cannot nest a Python pass under an op-anchored pass manager, so it is added at
  module level and runs itself on every op its nesting path names (for
  `builtin.module(func.func(p))`: each `func.func` directly inside the module), exactly
  the ops MLIR would have scheduled it on.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from typing import Callable

from torch_mlir import ir, passmanager

from tosaic.passes.base import Pass, PassFailure, PassOptionError, registered_passes


class PipelineError(ValueError):
    """A pipeline that cannot be parsed or built; the message says where and why."""


@dataclass
class PassElement:
    name: str
    options: str = ""  # raw text between the braces

    def text(self) -> str:
        return f"{self.name}{{{self.options}}}" if self.options else self.name


@dataclass
class NestedPipeline:
    anchor: str
    elements: list = field(default_factory=list)

    def text(self) -> str:
        return f"{self.anchor}({','.join(e.text() for e in self.elements)})"


# Parsing ----------------------------------------------------------------------------


def parse_pipeline(text: str) -> NestedPipeline:
    """Parse an mlir-opt pipeline string. A bare list is anchored on builtin.module."""
    parser = _Parser(text)
    elements = parser.elements()
    parser.expect_end()
    if len(elements) == 1 and isinstance(elements[0], NestedPipeline):
        top = elements[0]
        if top.anchor != "builtin.module":
            raise PipelineError(
                f"pipeline is anchored on '{top.anchor}', but the input is a module; "
                f"write 'builtin.module({top.anchor}(...))'"
            )
        return top
    return NestedPipeline("builtin.module", elements)


class _Parser:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def fail(self, message: str):
        pointer = " " * self.pos + "^"
        raise PipelineError(f"{message} at column {self.pos + 1}\n  {self.text}\n  {pointer}")

    def skip_space(self):
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect_end(self):
        if self.peek():
            self.fail(f"unexpected '{self.peek()}'")

    def elements(self) -> list:
        items = []
        if self.peek() in ("", ")"):
            return items
        while True:
            items.append(self.element())
            if self.peek() != ",":
                return items
            self.pos += 1

    def element(self):
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_-.$"
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            self.fail("expected a pass or op name")
        if self.peek() == "(":
            self.pos += 1
            nested = NestedPipeline(name, self.elements())
            if self.peek() != ")":
                self.fail("expected ')'")
            self.pos += 1
            return nested
        if self.peek() == "{":
            depth, begin = 0, self.pos
            while self.pos < len(self.text):
                ch = self.text[self.pos]
                depth += ch == "{"
                depth -= ch == "}"
                self.pos += 1
                if depth == 0:
                    return PassElement(name, self.text[begin + 1 : self.pos - 1].strip())
            self.pos = begin
            self.fail("unbalanced '{'")
        return PassElement(name)


# Building ---------------------------------------------------------------------------


@dataclass
class IRPrinting:
    """Which pass names to print the IR before/after (mlir-opt's --mlir-print-ir-*)."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    debug_info: bool = False
    display_name: str = "-"


@dataclass
class BuiltPipeline:
    pass_manager: passmanager.PassManager
    text: str  # the pipeline as MLIR prints it


def build_pass_manager(
    pipeline: NestedPipeline | str,
    context: ir.Context,
    printing: IRPrinting | None = None,
) -> BuiltPipeline:
    """Turn a parsed pipeline into one PassManager; raises PipelineError with suggestions."""
    if isinstance(pipeline, str):
        pipeline = parse_pipeline(pipeline)
    printing = printing or IRPrinting()
    ours = registered_passes()
    pm = passmanager.PassManager("builtin.module", context)
    pending: list[tuple[tuple[str, ...], str]] = []  # upstream text elements to batch

    def flush():
        # Consecutive upstream passes with one nesting path go in as one nested pipeline,
        # keeping MLIR's own per-op interleaving.
        while pending:
            path = pending[0][0]
            run = []
            while pending and pending[0][0] == path:
                run.append(pending.pop(0)[1])
            _add_upstream(pm, path, ",".join(run))

    def visit(node: NestedPipeline, path: tuple[str, ...]):
        for element in node.elements:
            if isinstance(element, NestedPipeline):
                visit(element, path + (element.anchor,))
                continue
            wanted = _matches(element.name, printing.before)
            if wanted:
                flush()
                pm.add(_printer("Before", element.name, printing), name=f"print-before-{element.name}")
            if element.name in ours:
                flush()
                instance = _instantiate(ours[element.name], element)
                _check_anchor(instance, path)
                pm.add(_runner(instance, path), name=element.name, argument=element.name)
            else:
                pending.append((path[1:], element.text()))
            if _matches(element.name, printing.after):
                flush()
                pm.add(_printer("After", element.name, printing), name=f"print-after-{element.name}")
        flush()

    try:
        visit(pipeline, (pipeline.anchor,))
    except PipelineError:
        raise
    return BuiltPipeline(pm, str(pm))


def _matches(name: str, names: tuple[str, ...]) -> bool:
    return name in names


def _instantiate(cls: type[Pass], element: PassElement) -> Pass:
    try:
        return cls.from_option_string(element.options)
    except PassOptionError as e:
        raise PipelineError(str(e)) from None


def _check_anchor(instance: Pass, path: tuple[str, ...]):
    if instance.anchor not in ("any", path[-1]):
        raise PipelineError(
            f"pass '{instance.name}' runs on '{instance.anchor}' but is nested under "
            f"'{path[-1]}'; did you intend to nest it as '{instance.anchor}({instance.name})'?"
        )


def _add_upstream(pm: passmanager.PassManager, path: tuple[str, ...], elements: str):
    text = elements
    for anchor in reversed(path):
        text = f"{anchor}({text})"
    try:
        pm.add(text)
    except ValueError as e:
        raise PipelineError(_explain_upstream_error(str(e))) from None


def _explain_upstream_error(message: str) -> str:
    lines = [l for l in message.strip().splitlines() if l.strip()]
    for line in lines:
        if "does not refer to a registered pass" in line:
            name = line.split("'")[1]
            return f"unknown pass '{name}'" + suggest_pass(name)
        if "no such option" in line:
            pass_name = next((l.split("`")[1] for l in lines if "failed to add `" in l), "?")
            option = line.split("no such option")[-1].strip()
            return f"pass '{pass_name}' has no option '{option}'"
        if "restricted to" in line:
            return line + " (nest it, e.g. 'func.func(NAME)')"
    return lines[0] if lines else message


def suggest_pass(name: str) -> str:
    names = list(registered_passes()) + upstream_pass_names()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


@functools.lru_cache(maxsize=1)
def upstream_pass_names() -> list[str]:
    """Upstream pass names for suggestions, read from the bundled opt tools' --help."""
    names: set[str] = set()
    for tool in ("torch-mlir-opt", "tosa-opt"):
        exe = os.path.join(os.path.dirname(sys.executable), tool)
        exe = exe if os.path.exists(exe) else shutil.which(tool)
        if not exe:
            continue
        try:
            out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        # Passes are listed as '      --name   -   summary', their options one indent deeper.
        names.update(re.findall(r"^      --([a-z0-9-]+)", out, flags=re.M))
    # The TOSA transforms live in the bindings but in neither tool's --help.
    names.update(_UPSTREAM_TOSA_PASSES)
    return sorted(n for n in names if _is_upstream_pass(n))


_UPSTREAM_TOSA_PASSES = (
    "tosa-attach-target", "tosa-convert-integer-type-to-signless", "tosa-infer-shapes",
    "tosa-layerwise-constant-fold", "tosa-make-broadcastable", "tosa-narrow-i64-to-i32",
    "tosa-optional-decompositions", "tosa-reduce-transposes", "tosa-validate",
    "tosa-to-arith", "tosa-to-linalg", "tosa-to-linalg-named", "tosa-to-scf", "tosa-to-tensor",
)


def _is_upstream_pass(name: str) -> bool:
    from tosaic.dialects import new_context

    with new_context():
        try:
            passmanager.PassManager("any").add(name)
        except ValueError as e:
            return "does not refer to a registered pass" not in str(e)
    return True


# Python pass plumbing ---------------------------------------------------------------


def _anchored_ops(root: ir.Operation, path: tuple[str, ...]) -> list[ir.Operation]:
    """The ops MLIR's nesting would schedule a pass on: follow `path` below the module."""
    ops = [root]
    for anchor in path[1:]:
        ops = [
            child.operation
            for op in ops
            for region in op.regions
            for block in region.blocks
            for child in block.operations
            if child.operation.name == anchor
        ]
    return ops


def _runner(instance: Pass, path: tuple[str, ...]) -> Callable:
    def run(module_op, external_pass):
        for op in _anchored_ops(module_op, path):
            try:
                instance.run(op)
            except PassFailure:
                external_pass.signal_pass_failure()
                return
            except Exception as e:  # a bug in the pass, not in the input
                with op.location:
                    op.location.emit_error(
                        f"internal error in pass '{instance.name}': {type(e).__name__}: {e}"
                    )
                if os.environ.get("TOSAIC_DEBUG"):
                    traceback.print_exc()
                external_pass.signal_pass_failure()
                return

    run.__name__ = instance.name
    return run


def _printer(when: str, pass_name: str, printing: IRPrinting) -> Callable:
    def print_ir(module_op, _external_pass):
        sys.stderr.write(f"// -----// IR Dump {when} {pass_name} //----- //\n")
        sys.stderr.write(
            relocate(module_op.get_asm(enable_debug_info=printing.debug_info), printing.display_name)
        )
        sys.stderr.write("\n")
        sys.stderr.flush()

    return print_ir


def relocate(asm: str, display_name: str) -> str:
    """Name the real input in locations of IR parsed from a string (MLIR calls it '-')."""
    if display_name == "-":
        return asm
    return asm.replace('loc("-":', f'loc("{display_name}":')
