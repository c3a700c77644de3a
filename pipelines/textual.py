"""Textual pass pipelines that mix tosaic's Python passes with upstream MLIR passes.

The syntax is mlir-opt's: `builtin.module(func.func(a{opt=v}),b,canonicalize)`.
Everything runs in one MLIR `PassManager`:

- Upstream passes go in as textual elements, so MLIR parses their options and nests them.
- A tosaic pass goes in as a Python pass nested in the pass manager of its anchor, through
  MLIR's C API (`tosaic.pipelines.nesting`): MLIR schedules it on each anchored op, in
  pipeline order with the upstream passes around it, and its IR dumps, timing and
  failures are those of a pass at that place.
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

from tosaic.passes.base import Pass, PassFailure, PassOptionError, pass_lookup, registered_passes
from tosaic.pipelines.nesting import add_python_pass


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
class BuiltPipeline:
    pass_manager: passmanager.PassManager
    # The pipeline as it runs, in `--pass-pipeline` syntax: every option of every pass
    # spelled out, adjacent nests on one op merged (as MLIR merges them when it runs).
    text: str
    # Our Python pass instances, in pipeline order.
    python_passes: list[Pass] = field(default_factory=list)


def build_pass_manager(pipeline: NestedPipeline | str, context: ir.Context) -> BuiltPipeline:
    """Turn a parsed pipeline into one PassManager; raises PipelineError with suggestions.

    Upstream passes go in as textual elements; a tosaic pass goes in as a Python pass
    nested under its anchor (`tosaic.pipelines.nesting`). With a Python pass in it, the
    context runs single-threaded."""
    if isinstance(pipeline, str):
        pipeline = parse_pipeline(pipeline)
    ours = pass_lookup()
    pm = passmanager.PassManager("builtin.module", context)
    instances: list[Pass] = []

    def visit(node: NestedPipeline, path: tuple[str, ...]):
        for element in node.elements:
            if isinstance(element, NestedPipeline):
                visit(element, path + (element.anchor,))
            elif element.name in ours:
                instance = _instantiate(ours[element.name], element)
                _check_anchor(instance, path)
                add_python_pass(
                    pm, path[1:], _runner(instance), name=type(instance).__name__,
                    argument=str(instance), description=instance.summary,
                    op_name="" if instance.anchor == "any" else instance.anchor,
                )
                instances.append(instance)
            else:
                _add_upstream(pm, path[1:], element.text())

    visit(pipeline, (pipeline.anchor,))
    if instances:
        context.enable_multithreading(False)
    return BuiltPipeline(pm, merge_nests(parse_pipeline(str(pm))).text(), instances)


def merge_nests(pipeline: NestedPipeline) -> NestedPipeline:
    """`a(b(x)),a(b(y))` -> `a(b(x,y))`: adjacent nests on the same op become one."""
    merged: list = []
    for element in pipeline.elements:
        if isinstance(element, NestedPipeline):
            element = merge_nests(element)
            last = merged[-1] if merged else None
            if isinstance(last, NestedPipeline) and last.anchor == element.anchor:
                merged[-1] = merge_nests(NestedPipeline(last.anchor, last.elements + element.elements))
                continue
        merged.append(element)
    return NestedPipeline(pipeline.anchor, merged)


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


def _add_upstream(pm: passmanager.PassManager, path: tuple[str, ...], element: str):
    text = element
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


def _runner(instance: Pass) -> Callable[[ir.Operation], bool]:
    """Run the pass on one anchored op; False (after an error diagnostic) fails it."""

    def run(op: ir.Operation) -> bool:
        try:
            instance.run(op)
            return True
        except PassFailure:
            return False
        except Exception as e:  # a bug in the pass, not in the input
            with op.location:
                op.location.emit_error(f"internal error in pass '{instance.name}': {type(e).__name__}: {e}")
            if os.environ.get("TOSAIC_DEBUG"):
                traceback.print_exc()
            return False

    return run


def relocate(asm: str, display_name: str) -> str:
    """Name the real input in locations of IR parsed from a string (MLIR calls it '-')."""
    if display_name == "-":
        return asm
    return asm.replace('loc("-":', f'loc("{display_name}":')
