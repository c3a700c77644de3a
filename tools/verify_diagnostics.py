"""`tosaic-opt --verify-diagnostics`: check the diagnostics against `expected-*` comments.

The directives are mlir-opt's:

    %0 = tosa.transpose ...  // expected-error {{perms attribute}}
    // expected-error@+1 {{perms attribute}}       (the line N below; @-N above)
    // expected-warning@below {{...}}               (the next line without a directive)
    // expected-note@above {{...}}                  (the last line without a directive)
    // expected-remark@unknown {{...}}              (a diagnostic with no file location)
    // expected-error-re {{rank {{[0-9]+}}}}        (`{{...}}` inside is a regular expression)

A diagnostic matches an expected one of its severity on its line whose text is a
substring of its message (each expected diagnostic matches once). Problems are reported
one line each, as mlir-opt words them:

    FILE:LINE: error: expected error "..." was not produced
    FILE:LINE:COL: error: unexpected error: ...
    FILE:LINE: error: 'error' diagnostic emitted when expecting a 'warning'

Nothing here imports MLIR: the driver feeds (severity, line, column, message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("error", "warning", "note", "remark")

# One directive per line, its text running to the last `}}` at the end of the line.
_DIRECTIVE = re.compile(
    r"expected-(?P<kind>error|warning|note|remark)(?P<re>-re)?"
    r" *(?:@(?P<where>[+-][0-9]+|above|below|unknown))? *\{\{(?P<text>.*)\}\}\s*$"
)


@dataclass
class Expected:
    kind: str
    line: int | None  # 1-based line of the whole input the diagnostic is expected on; None: unknown location
    directive_line: int  # 1-based line of the directive itself
    text: str
    pattern: re.Pattern | None = None  # for expected-*-re
    matched: bool = False

    def matches(self, message: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(message) is not None
        return self.text in message


def _regex(text: str) -> re.Pattern:
    """`-re` text: literal except `{{...}}`, which is a regular expression."""
    parts, pos = [], 0
    for m in re.finditer(r"\{\{(.*?)\}\}", text):
        parts.append(re.escape(text[pos : m.start()]))
        parts.append(f"(?:{m.group(1)})")
        pos = m.end()
    parts.append(re.escape(text[pos:]))
    return re.compile("".join(parts))


def parse_expected(text: str, first_line: int = 0) -> list[Expected]:
    """The directives in `text`, a chunk whose first line is line `first_line` (0-based)
    of the whole input."""
    found: list[Expected] = []
    waiting_below: list[Expected] = []
    last_plain_line = None  # last line (1-based) without a directive
    for index, source_line in enumerate(text.splitlines()):
        line = first_line + index + 1
        m = _DIRECTIVE.search(source_line)
        if not m:
            for e in waiting_below:
                e.line = line
            waiting_below = []
            last_plain_line = line
            continue
        where = m.group("where")
        e = Expected(m.group("kind"), line, line, m.group("text"))
        if m.group("re"):
            try:
                e.pattern = _regex(e.text)
            except re.error as err:
                raise ValueError(f"line {line}: invalid regular expression in expected-{e.kind}-re: {err}") from None
        if where is None:
            pass
        elif where == "unknown":
            e.line = None
        elif where == "above":
            e.line = last_plain_line if last_plain_line is not None else line
        elif where == "below":
            waiting_below.append(e)
        else:
            e.line = line + int(where)
        found.append(e)
    for e in waiting_below:  # no line below: expected on the directive's own line
        e.line = e.directive_line
    return found


class DiagnosticVerifier:
    """Matches the diagnostics of one chunk against its expected ones.

    `only_expected` (mlir-opt's --verify-diagnostics=only-expected) checks only that the
    expected diagnostics appear, ignoring any others."""

    def __init__(self, expected: list[Expected], display_name: str, only_expected: bool = False):
        self.expected = expected
        self.display_name = display_name
        self.only_expected = only_expected
        self.problems: list[str] = []

    def process(self, kind: str, location: tuple[str, int, int] | None, message: str) -> None:
        """One diagnostic at `location`, (file, line, column) with file "-" for the input
        itself, or None for a diagnostic without a file location."""
        if location is not None and location[0] != "-":  # another file: never expected in this one
            self._unexpected(f"{location[0]}:{location[1]}:{location[2]}", kind, message)
            return
        line = None if location is None else location[1]
        candidates = [e for e in self.expected if not e.matched and e.line == line]
        for e in candidates:
            if e.kind == kind and e.matches(message):
                e.matched = True
                return
        near = next((e for e in candidates if e.kind != kind and e.matches(message)), None)
        if near is not None and not self.only_expected:
            self.problems.append(
                f"{self.display_name}:{near.directive_line}: error: '{kind}' diagnostic emitted "
                f"when expecting a '{near.kind}'"
            )
            return
        self._unexpected(self.display_name if location is None else f"{self.display_name}:{line}:{location[2]}",
                         kind, message)

    def _unexpected(self, where: str, kind: str, message: str) -> None:
        if not self.only_expected:
            self.problems.append(f"{where}: error: unexpected {kind}: {message}")

    def finish(self) -> list[str]:
        """Every problem of the chunk: the unexpected ones in order, then each expected
        diagnostic that was not produced, in file order."""
        missing = [
            f"{self.display_name}:{e.directive_line}: error: expected {e.kind} \"{e.text}\" was not produced"
            for e in sorted(self.expected, key=lambda e: e.directive_line)
            if not e.matched
        ]
        return self.problems + missing
