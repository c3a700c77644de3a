"""The quantized-lowering registry: one table from op to lowering.

Each quantized lowering is one `Lowering` entry, registered once with the float TOSA op
its pattern is rooted at, its benefit, the dtypes it handles and the aten ops the
quantizer must annotate for it (and how). `apply_phase()` turns the entries of a phase
into one MLIR pattern set, so MLIR's greedy driver picks a lowering by root op and benefit;
nothing dispatches on op names by hand.

    @lowering("max_pool2d", family="pool", root="tosa.max_pool2d",
              activations=("int8", "int16"), annotates={"aten.max_pool2d.default": SHARED_ALWAYS})
    def lower_max_pool(pool, run: LoweringRun) -> Result: ...

An entry's function gets the root op and the run, and returns `Replace` (ops and the
integer values that replace them, built before the op being replaced), `Refuse` (op
and reason: the run reports it once, and the pass fails after the phase), or None (no
match).

Order: the families run one after another, in `PHASES`, each as one greedy pattern run.
Within a phase, MLIR orders the patterns of one root by benefit.
"""

from __future__ import annotations

import importlib
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, Union

from torch_mlir import ir, rewrite

from tosaic.quantization.qmath import QuantizationError

# The order of the lowering phases, and why it matters:
# - conv first: a grouped convolution is a concat of per-group convolutions, which the
#   data movement phase would otherwise lower as a quantized concat.
# - data movement next: requantizes, layout ops and concats of dequantized values become
#   integer ops, so the later phases see `dequantize` right at their operands (a mean's
#   reshape, a linear layer's reshaped input).
# - elementwise (add/sub/mul/clamp) before matmul: a linear layer's bias add has a
#   matmul operand, which the elementwise patterns leave alone, so the order between the
#   two only decides which runs first; it is fixed so outputs are reproducible.
# - reduce (amax/amin) after pool: its chains start at a dequantize and end at a
#   quantize, which no other family matches; before softmax, so a reduce_max whose result
#   a quantizer quantized (ExecuTorch's decomposed softmax) is integer when softmax runs.
# - pool, then softmax, then table last: softmax and table match whole float regions
#   (exp, sums, reciprocal ... up to a quantize), so every op a dedicated lowering can
#   take must be integer by then; table is the catch-all for elementwise functions.
# - norm (layer norm, RMSNorm) with softmax, for the same reason: it matches a whole float
#   region (sums, rsqrt, the affine) up to a quantize, whose ops no earlier phase takes (none
#   of them has a quantize right after it), and it must run before table, whose elementwise
#   regions would otherwise stop at its reductions.
PHASES = ("conv", "data-movement", "elementwise", "matmul", "pool", "reduce", "softmax", "norm", "table")

# The modules that register entries, one per family (imported by `entries()`).
_FAMILY_MODULES = {
    "conv": "conv",
    "data-movement": "data_movement",
    "elementwise": "elementwise",
    "matmul": "matmul",
    "pool": "pool",
    "reduce": "reduce",
    "softmax": "softmax",
    "norm": "norm",
    "table": "table",
}

# How the quantizer annotates an aten op for a lowering (see quantization/quantizer.py).
WEIGHTED = "weighted"  # input + per-channel weight (axis 0) + bias; own output; fuses a clamp
WEIGHTED_TRANSPOSED = "weighted-transposed"  # as WEIGHTED, output channels on weight axis 1
BINARY = "binary"  # both tensor inputs; own output; fuses a following clamp
PRODUCT = "product"  # both tensor inputs; own output; no clamp fusion (matmul, bmm)
OWN_OUTPUT = "own-output"  # one input; its own output qparams (functions, averages)
SHARED = "shared"  # output shares the input's qparams, when the input is quantized
SHARED_ALWAYS = "shared-always"  # output shares the input's qparams, input always quantized
CONCAT = "concat"  # every input and the output share one quantization
FUSED_ACTIVATION = "fused-activation"  # a clamp the producer's output qparams move onto
SELECT = "select"  # where(cond, a, b): the tensor inputs a, b (not the boolean cond); own output
COMPARE = "compare"  # a comparison: its tensor inputs quantized, its boolean output left alone
ANNOTATIONS = (WEIGHTED, WEIGHTED_TRANSPOSED, BINARY, PRODUCT, OWN_OUTPUT, SHARED, SHARED_ALWAYS, CONCAT,
               FUSED_ACTIVATION, SELECT, COMPARE)


@dataclass(frozen=True)
class Replace:
    """The lowering's result: each op in `ops` is replaced by the value at the same index."""

    ops: Sequence
    values: Sequence[ir.Value]

    @staticmethod
    def one(op, value: ir.Value) -> "Replace":
        return Replace([op], [value])


@dataclass(frozen=True)
class Refuse:
    """The op matched but cannot be lowered, and why (reported as an error at `op`)."""

    op: object
    reason: str


Result = Union[Replace, Refuse, None]


def lower_each(q_ops, lower) -> Result:
    """`lower(q_op)` for each quantize an entry's root reaches: every replacement
    together, or the first refusal, or None when none matched."""
    replaced, values = [], []
    for q_op in q_ops:
        result = lower(q_op)
        if isinstance(result, Refuse):
            return result
        if result is not None:
            replaced += result.ops
            values += result.values
    return Replace(replaced, values) if replaced else None


@dataclass(frozen=True)
class Lowering:
    name: str
    family: str
    root: str
    rewrite: Callable[..., Result] = field(compare=False)
    benefit: int = 1
    activations: tuple[str, ...] = ("int8",)
    weights: tuple[str, ...] = ()
    annotates: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class Family:
    """A group of entries that lowers in one phase, and is a filtered view of the
    lowering in `tosaic-opt` (`tosaic-lower-quantized{only=<name>}`)."""

    name: str
    summary: str
    failure: str  # the pass's error when an entry of this family refused an op
    # Extra patterns the phase runs next to its entries: (root, function(op, rewriter), benefit).
    cleanup: tuple = ()


_ENTRIES: dict[str, Lowering] = {}
_FAMILIES: dict[str, Family] = {}


def family(name: str, summary: str, failure: str, cleanup: tuple = ()) -> Family:
    if name not in PHASES:
        raise ValueError(f"family '{name}' has no phase in PHASES")
    _FAMILIES[name] = Family(name, summary, failure, cleanup)
    return _FAMILIES[name]


def lowering(name: str, *, family: str, root: str, benefit: int = 1, activations=("int8",), weights=(),
             annotates: Mapping[str, str] | None = None, summary: str = "", **bound):
    """Register the decorated function as lowering `name`. Keyword arguments in `bound`
    are passed to the function on every call (parametrised instances of one pattern)."""

    def register(fn):
        if name in _ENTRIES:
            raise ValueError(f"lowering '{name}' is registered twice")
        for how in (annotates or {}).values():
            if how not in ANNOTATIONS:
                raise ValueError(f"lowering '{name}': unknown annotation '{how}'")
        call = (lambda op, run: fn(op, run, **bound)) if bound else fn
        _ENTRIES[name] = Lowering(name, family, root, call, benefit, tuple(activations), tuple(weights),
                                  dict(annotates or {}), summary or (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return register


def _load() -> None:
    for module in _FAMILY_MODULES.values():
        importlib.import_module(f"tosaic.lowering.{module}")


def entries(family_name: str | None = None) -> list[Lowering]:
    """Every registered lowering (of one family), in phase order, then by name."""
    _load()
    order = {name: i for i, name in enumerate(PHASES)}
    chosen = [e for e in _ENTRIES.values() if family_name in (None, e.family)]
    return sorted(chosen, key=lambda e: (order[e.family], e.name))


def families() -> list[Family]:
    _load()
    return [_FAMILIES[name] for name in PHASES]


def family_doc(family_name: str) -> str:
    """The docstring of the module that registers a family's entries."""
    import inspect

    _load()
    return inspect.getdoc(importlib.import_module(f"tosaic.lowering.{_FAMILY_MODULES[family_name]}")) or ""


def annotations() -> dict[str, tuple[str, str]]:
    """aten op -> (annotation, lowering name), for the quantizer. An aten op two entries
    annotate the same way appears once; two different ways is an error."""
    table: dict[str, tuple[str, str]] = {}
    for entry in entries():
        for aten_op, how in entry.annotates.items():
            known = table.get(aten_op)
            if known is not None and known[0] != how:
                raise ValueError(f"{aten_op}: annotated '{known[0]}' by {known[1]} and '{how}' by {entry.name}")
            table.setdefault(aten_op, (how, entry.name))
    return table


class LoweringRun:
    """One run of the lowering over a function: the options and the refusals."""

    def __init__(self, options: Mapping[str, object] | None = None):
        self.options = dict(options or {})
        self.refused: list = []
        self._refused_roots: list = []
        self.applied: Counter = Counter()  # entry name -> rewrites

    def record(self, entry: "Lowering") -> None:
        """Count a rewrite by `entry`; with TOSAIC_TRACE_LOWERINGS=FILE also append its
        name to FILE (how the tests' coverage marks were checked)."""
        self.applied[entry.name] += 1
        trace = os.environ.get("TOSAIC_TRACE_LOWERINGS")
        if trace:
            with open(trace, "a") as f:
                f.write(entry.name + "\n")

    def option(self, name: str):
        return self.options[name]

    def refuse(self, op, reason: str) -> None:
        """Report, once (the greedy driver may revisit an op), why `op` cannot be lowered."""
        from tosaic.passes.base import Pass

        op = op.operation if hasattr(op, "operation") else op
        if not any(op == seen for seen in self.refused):
            Pass.error(op, reason)
            self.refused.append(op)

    def pattern(self, entry: Lowering):
        """`entry` as a rewrite pattern function for MLIR's driver."""

        def apply(op, rewriter) -> bool:
            root = op.operation
            if any(root == seen for seen in self._refused_roots):
                return True  # refused once: the greedy driver's next sweep must not retry it
            try:
                result = entry.rewrite(root, self)
            except QuantizationError as e:
                # A number TOSA cannot encode, found while building: the ops built so far
                # are unused (pure, so the driver erases them) and the op is refused.
                result = Refuse(root, f"cannot be lowered: {e}")
            if result is None:
                return True
            if isinstance(result, Refuse):
                self.refuse(result.op, result.reason)
                self._refused_roots.append(root)
                return True
            for replaced, value in zip(result.ops, result.values):
                rewriter.replace_op(replaced, [value])
            self.record(entry)
            return False

        return apply


def apply_phase(func_op: ir.Operation, run: LoweringRun, family_name: str) -> bool:
    """One greedy run of a family's patterns over `func_op`; False if any op was refused."""
    patterns = rewrite.RewritePatternSet()
    for entry in entries(family_name):
        patterns.add(entry.root, run.pattern(entry), benefit=entry.benefit)
    for root, fn, benefit in _FAMILIES[family_name].cleanup:
        patterns.add(root, fn, benefit=benefit)
    run.refused.clear()
    run._refused_roots.clear()
    rewrite.apply_patterns_and_fold_greedily(func_op, patterns.freeze())
    return not run.refused
