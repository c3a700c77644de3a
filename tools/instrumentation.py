"""What tosaic-opt prints around a pass pipeline, in mlir-opt's forms.

- IR dumps come from MLIR's own instrumentation (`PassManager.enable_ir_printing`),
  written by C++ to file descriptor 2. The bindings can only print around every pass,
  so `--mlir-print-ir-before/after=NAME` captures that output for the run and keeps the
  dumps of the named passes (`filter_dumps`); the captured text also gets the input's
  real name in its locations.
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
