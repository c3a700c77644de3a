"""What tosaic-opt prints around a pass pipeline, in mlir-opt's forms.

- IR dumps come from MLIR's own instrumentation (`PassManager.enable_ir_printing`),
  written by C++ to file descriptor 2. The bindings can only print around every pass,
  so `--mlir-print-ir-before/after=NAME` captures that output for the run and keeps the
  dumps of the named passes (`filter_dumps`); the captured text also gets the input's
  real name in its locations.
- Pass statistics: upstream passes keep none in this LLVM build (LLVM_ENABLE_STATS is
  off, so MLIR's report is empty); tosaic's Python passes declare theirs with
  `passes.base.Statistic`, and `statistics_report` prints them in MLIR's table form.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from typing import Callable, Iterator

# A line tosaic-opt itself writes while MLIR's output is captured starts with this
# character, so the filter knows where a dump ends; the filter removes it.
MARK = "\x1e"

_DUMP_HEADER = re.compile(r"^// -----// IR Dump (Before|After) .*?: ([^\s{]+)")


class MarkedStream:
    """A text stream whose every line is prefixed with MARK (see filter_dumps)."""

    def __init__(self, stream):
        self.stream = stream
        self._at_line_start = True

    def write(self, text: str) -> int:
        pieces = []
        for line in text.splitlines(keepends=True):
            pieces.append((MARK if self._at_line_start else "") + line)
            self._at_line_start = line.endswith("\n")
        self.stream.write("".join(pieces))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def filter_dumps(text: str, keep: Callable[[str, str], bool]) -> str:
    """Keep the IR dumps for which `keep(when, pass_argument)` holds ("Before"/"After",
    e.g. "cse"), and every line tosaic-opt wrote itself (MARK removed)."""
    out, keeping = [], True
    for line in text.splitlines(keepends=True):
        if line.startswith(MARK):
            keeping = True  # our own output ends a dump
            out.append(line[len(MARK):])
            continue
        header = _DUMP_HEADER.match(line)
        if header:
            keeping = keep(header.group(1), header.group(2))
        if keeping:
            out.append(line)
    return "".join(out)


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Collect what is written to file descriptor 2 (C++ and Python alike) while the
    block runs; the text is in the yielded list afterwards. Python's own sys.stderr
    writes are marked (MARK) on the way."""
    sys.stderr.flush()
    saved_fd = os.dup(2)
    saved_stream = sys.stderr
    result: list[str] = []
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        sys.stderr = MarkedStream(saved_stream)
        try:
            yield result
        finally:
            sys.stderr = saved_stream
            saved_stream.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            tmp.seek(0)
            result.append(tmp.read().decode("utf-8", errors="replace"))


def _entry(indent: int, name: str, stats: list[tuple[str, str, int]]) -> list[str]:
    lines = [" " * indent + name]
    stats = sorted(stats)
    name_width = max((len(s[0]) for s in stats), default=0)
    value_width = max((len(str(s[2])) for s in stats), default=0)
    for stat_name, description, value in stats:
        lines.append(" " * (indent + 2) + f"(S) {value:>{value_width}} {stat_name:<{name_width}} - {description}")
    return lines


def statistics_report(pipeline, passes: list, display: str = "pipeline") -> str:
    """MLIR's pass statistics report for `pipeline` (a parsed, nest-merged
    NestedPipeline) whose Python passes, in order, are `passes`. `display` is
    "pipeline" (the pass manager's structure, mlir-opt's default) or "list" (per pass
    name, summed and sorted). Only passes that keep statistics are listed."""
    from tosaic.pipelines.textual import NestedPipeline
    from tosaic.passes.base import pass_lookup

    ours = pass_lookup()
    instances = iter(passes)
    lines: list[str] = []
    merged: dict[str, dict[tuple[str, str], int]] = {}

    def visit(node, indent: int) -> list[str]:
        body: list[str] = []
        for element in node.elements:
            if isinstance(element, NestedPipeline):
                inner = visit(element, indent + 2)
                if inner:
                    body += [" " * indent + f"'{element.anchor}' Pipeline"] + inner
            elif element.name in ours:
                instance = next(instances)
                stats = instance.statistic_values()
                if stats:
                    body += _entry(indent, type(instance).__name__, stats)
                    entry = merged.setdefault(type(instance).__name__, {})
                    for name, description, value in stats:
                        entry[(name, description)] = entry.get((name, description), 0) + value
        return body

    body = visit(pipeline, 0)
    if display == "list":
        body = []
        for pass_name in sorted(merged):
            body += _entry(2, pass_name, [(n, d, v) for (n, d), v in merged[pass_name].items()])
    title = "... Pass statistics report ..."
    rule = "===" + "-" * 73 + "==="
    lines = [rule, " " * ((80 - len(title)) // 2) + title, rule] + body
    return "\n".join(lines) + "\n\n"
