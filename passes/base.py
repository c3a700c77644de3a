"""The pass declaration: one class per pass, name, summary and typed options declared once.

A pass is a subclass of `Pass` in its own module under `tosaic/passes/`. The class
attributes `name`, `summary` and `anchor`, plus its `Option` fields, are the single
source for `tosaic-opt --list-passes`, the pipeline parser and the generated docs; its
`Statistic` fields are what `tosaic-opt --mlir-pass-statistics` reports.

    class CancelTransposes(Pass):
        name = "tosaic-cancel-transposes"
        summary = "Cancel inverse tosa.transpose pairs"
        anchor = "func.func"
        max_iterations = Option(int, 10, "Greedy driver iteration limit")

        def run(self, op):
            ...

Passes run inside one MLIR PassManager next to upstream passes (see
`tosaic.pipelines.textual`), so MLIR's verifier, timing and IR printing apply to them.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir


class PassOptionError(ValueError):
    """An option string that does not fit a pass's declared options."""


_BOOL_WORDS = {"true": True, "1": True, "false": False, "0": False}


@dataclass
class Option:
    """A typed pass option. Its command-line name is the attribute name in kebab-case."""

    type: type
    default: Any
    help: str = ""
    attr: str = ""  # set by Pass.__init_subclass__

    @property
    def flag(self) -> str:
        return self.attr.replace("_", "-")

    @property
    def type_name(self) -> str:
        return {bool: "bool", int: "int", float: "float", str: "string"}.get(
            self.type, self.type.__name__
        )

    def parse(self, text: str) -> Any:
        if self.type is bool:
            if text == "":
                return True
            if text.lower() not in _BOOL_WORDS:
                raise PassOptionError(f"option '{self.flag}' expects a bool, got '{text}'")
            return _BOOL_WORDS[text.lower()]
        try:
            return self.type(text)
        except ValueError:
            raise PassOptionError(
                f"option '{self.flag}' expects {self.type_name}, got '{text}'"
            ) from None

    def format(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        # Quoted where the pipeline parser would otherwise read it differently (empty, spaces).
        return f'"{text}"' if self.type is str and (not text or any(c.isspace() for c in text)) else text


class Statistic:
    """A counter a pass reports under `tosaic-opt --mlir-pass-statistics`, as MLIR's
    `Pass::Statistic`. Declare it on the class, count on the instance:

        class FoldThings(Pass):
            folded = Statistic("Number of things folded")   # reported as 'folded'

            def run(self, op):
                ...
                self.folded += 1

    Its name is the attribute name in kebab-case unless `name` is given. The value sums
    over every op the pass runs on in one pipeline.
    """

    def __init__(self, description: str = "", name: str = ""):
        self.description = description
        self.name = name
        self.attr = ""

    def __set_name__(self, owner, attr: str) -> None:
        self.attr = attr
        self.name = self.name or attr.replace("_", "-")

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance.__dict__.get(self.attr, 0)

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.attr] = int(value)


class PassFailure(Exception):
    """Raised inside `Pass.run` after an error diagnostic was emitted at an op's location."""


class Pass:
    """Base class of every tosaic pass."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    description: ClassVar[str] = ""
    # The op kind this pass runs on; the pipeline nests it like an upstream pass.
    anchor: ClassVar[str] = "builtin.module"
    options: ClassVar[dict[str, Option]] = {}
    statistics: ClassVar[dict[str, Statistic]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared, counters = {}, {}
        for base in reversed(cls.__mro__[1:]):
            declared.update(getattr(base, "options", {}))
            counters.update(getattr(base, "statistics", {}))
        for attr, value in list(vars(cls).items()):
            if isinstance(value, Option):
                value.attr = attr
                declared[value.flag] = value
            elif isinstance(value, Statistic):
                counters[value.name] = value
        cls.options = declared
        cls.statistics = counters
        if cls.name:
            _REGISTRY[cls.name] = cls

    def __init__(self, **values: Any):
        for opt in self.options.values():
            setattr(self, opt.attr, values.pop(opt.attr, opt.default))
        if values:
            raise PassOptionError(f"pass '{self.name}' has no option(s) {sorted(values)}")

    @classmethod
    def from_option_string(cls, text: str) -> "Pass":
        """Build from mlir-opt option syntax: `a=1 b=true c`."""
        values = {}
        for key, value in _split_options(text):
            opt = cls.options.get(key)
            if opt is None:
                raise PassOptionError(
                    f"pass '{cls.name}' has no option '{key}'"
                    + _suggest(key, list(cls.options))
                )
            values[opt.attr] = opt.parse(value)
        return cls(**values)

    def option_string(self) -> str:
        return " ".join(
            f"{o.flag}={o.format(getattr(self, o.attr))}" for o in self.options.values()
        )

    def __str__(self) -> str:
        opts = self.option_string()
        return f"{self.name}{{{opts}}}" if opts else self.name

    def run(self, op: ir.Operation) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def statistic_values(self) -> list[tuple[str, str, int]]:
        """(name, description, value) of each declared Statistic."""
        return [(s.name, s.description, s.__get__(self)) for s in self.statistics.values()]

    # Diagnostics ---------------------------------------------------------
    @staticmethod
    def error(op: ir.Operation | ir.OpView, message: str) -> PassFailure:
        """Emit `message` as an error at `op`'s location; raise the result to fail the pass."""
        op = op.operation if hasattr(op, "operation") else op
        with op.location:
            op.location.emit_error(f"'{op.name}' op {message}")
        return PassFailure(message)


_REGISTRY: dict[str, type[Pass]] = {}


def registered_passes() -> dict[str, type[Pass]]:
    """All tosaic passes, found by importing every module of `tosaic.passes`."""
    import tosaic.passes as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name != "base":
            importlib.import_module(f"tosaic.passes.{info.name}")
    return dict(sorted(_REGISTRY.items()))


# A pass class's `name = "..."` line, as every pass module spells it.
_PASS_NAME_LINE = re.compile(r'^    name = "([A-Za-z0-9_.-]+)"', re.M)


@functools.lru_cache(maxsize=1)
def pass_index() -> dict[str, str]:
    """Pass name -> the module of `tosaic.passes` that declares it, read from the modules'
    sources without importing them (a tool naming one pass imports that one only)."""
    import tosaic.passes as pkg

    index: dict[str, str] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        path = os.path.join(getattr(info.module_finder, "path", ""), info.name + ".py")
        if info.name == "base" or not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for name in _PASS_NAME_LINE.findall(f.read()):
                index.setdefault(name, f"tosaic.passes.{info.name}")
    return index


class _PassLookup(Mapping):
    """tosaic's passes by name, each pass's module imported when it is first asked for;
    iterating imports them all. Plugins' passes (already registered) are found too."""

    def __contains__(self, name) -> bool:
        # Passes declared without a `name = "..."` line (made in a loop) need the full import.
        return name in _REGISTRY or name in pass_index() or name in registered_passes()

    def __getitem__(self, name: str) -> type[Pass]:
        if name not in _REGISTRY and name in pass_index():
            importlib.import_module(pass_index()[name])
        if name not in _REGISTRY:  # not in the index (or wrong there): import everything
            registered_passes()
        return _REGISTRY[name]

    def __iter__(self):
        return iter(registered_passes())

    def __len__(self) -> int:
        return len(registered_passes())


def pass_lookup() -> Mapping[str, type[Pass]]:
    """`registered_passes()` without importing the passes that are not asked for."""
    return _PassLookup()


_OPTION_RE = re.compile(r"\s*([A-Za-z0-9_.-]+)(?:=(\"[^\"]*\"|'[^']*'|\{[^}]*\}|[^\s]*))?")


def _split_options(text: str) -> list[tuple[str, str]]:
    pairs, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _OPTION_RE.match(text, pos)
        if not m or m.end() == pos:
            raise PassOptionError(f"cannot parse options '{text}'")
        value = m.group(2) or ""
        if value[:1] in "\"'{" and len(value) >= 2:
            value = value[1:-1]
        pairs.append((m.group(1), value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return pairs


def _suggest(word: str, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, candidates, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


class PatternPass(Pass):
    """A pass that only applies rewrite patterns: it declares them in `patterns()` as
    (root op name, function(op, rewriter) -> bool, benefit), and the base runs MLIR's
    greedy driver over the anchor op. A pattern function returns False when it rewrote
    (MLIR's `success`), True when it did not match."""

    anchor = "func.func"

    def patterns(self) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def driver_config(self):
        """A `rewrite.GreedyRewriteConfig`, or None for MLIR's defaults."""
        return None

    def run(self, op: ir.Operation) -> None:
        from torch_mlir import rewrite

        patterns = rewrite.RewritePatternSet()
        for root, fn, benefit in self.patterns():
            patterns.add(root, fn, benefit=benefit)
        config = self.driver_config()
        if config is None:
            rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze())
        else:
            rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze(), config)
