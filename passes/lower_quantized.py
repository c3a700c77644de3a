"""tosaic-lower-quantized: the quantized lowering, from the registry in `tosaic.lowering`.

Every registered lowering entry becomes one rewrite pattern rooted at its float TOSA op;
the families run in the registry's written-down phase order (`lowering.registry.PHASES`),
one greedy pattern run each. After a phase in which an entry refused an op (each refusal
an error at the op, with the reason), the pass fails.

The per-family passes `tosaic-lower-quantized-<family>` are filtered views of this one
(`tosaic-lower-quantized{only=<family>}`) with that family's options, so a lit test can
lower one family at a time.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.lowering import registry
from tosaic.passes.base import Option, Pass, PassFailure
from tosaic.quantization import table16

_OPTIONS = {
    "expand_depth_multiplier": Option(
        bool, True,
        "Run a depthwise conv with channel multiplier > 1 as a channel-repeating 1x1 conv2d and a "
        "multiplier-1 depthwise conv (Vela splits multiplier > 1 into one op per kernel tap)"),
    "int4_weights": Option(
        bool, True,
        "Store a constant weight whose quantization range fits int4 (quant_min >= -8, "
        "quant_max <= 7 in an int8 container, e.g. a8w4's [-7, 7]) as an i4 tensor when "
        "its values are TOSA int4 values; otherwise int8, marked `tosaic.int8_weight`"),
    "int16_form": Option(
        str, "auto",
        "int16 table form: one-table (2 ops), two-table (5), quadratic (7, or 8 with an input zoom), "
        "or auto: the cheapest meeting int16-min-exact"),
    "int16_min_exact": Option(
        float, 0.995,
        "auto: the fraction of input codes at which an int16 form must equal the quantized function "
        "(and be within 1 LSB at all)"),
}
# The options each family's entries read.
_FAMILY_OPTIONS = {
    "conv": ("expand_depth_multiplier", "int4_weights"),
    "matmul": ("int4_weights",),
    "table": ("int16_form", "int16_min_exact"),
}


def _copy(option: Option) -> Option:
    return Option(option.type, option.default, option.help)


class LowerQuantized(Pass):
    name = "tosaic-lower-quantized"
    summary = ("Lower every quantized op (dequantize -> float TOSA op -> quantize) to integer TOSA, by the "
               "lowering registry, phase by phase")
    anchor = "func.func"
    families: tuple[str, ...] = ()  # a view's fixed family; () = all, or the `only` option

    only = Option(str, "", "Comma-separated families to run (" + ", ".join(registry.PHASES) + "); all if empty")
    expand_depth_multiplier = _copy(_OPTIONS["expand_depth_multiplier"])
    int4_weights = _copy(_OPTIONS["int4_weights"])
    int16_form = _copy(_OPTIONS["int16_form"])
    int16_min_exact = _copy(_OPTIONS["int16_min_exact"])

    def _chosen(self, op) -> list[str]:
        if self.families:
            return list(self.families)
        chosen = [name.strip() for name in self.only.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in registry.PHASES]
        if unknown:
            raise self.error(op, f"{self.name}: unknown famil{'ies' if len(unknown) > 1 else 'y'} "
                                 f"{', '.join(unknown)} (known: {', '.join(registry.PHASES)})")
        return [name for name in registry.PHASES if not chosen or name in chosen]

    def run(self, op: ir.Operation) -> None:
        chosen = self._chosen(op)
        declared = {option.attr for option in self.options.values()}
        options = {attr: getattr(self, attr) if attr in declared else option.default
                   for attr, option in _OPTIONS.items()}
        if "table" in chosen:
            if options["int16_form"] not in table16.FORMS:
                raise self.error(op, f"{self.name}: unknown int16-form '{options['int16_form']}' "
                                     f"({', '.join(table16.FORMS)})")
            if not 0.0 <= options["int16_min_exact"] <= 1.0:
                raise self.error(op, f"{self.name}: int16-min-exact must be within [0, 1], "
                                     f"got {options['int16_min_exact']}")
        run = registry.LoweringRun(options)
        for family in registry.families():
            if family.name in chosen and not registry.apply_phase(op, run, family.name):
                raise PassFailure(family.failure)
        _results_typed_as_returned(op)


def _results_typed_as_returned(func) -> None:
    """A lowering may return a graph output in another type than the float program's (an
    argmax index: int32 for PyTorch's int64); the function's result types follow."""
    if func.name != "func.func" or not func.regions[0].blocks:
        return
    block = func.regions[0].blocks[0]
    terminator = block.operations[len(block.operations) - 1]
    if terminator.name != "func.return":
        return
    fn_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    returned = [value.type for value in terminator.operands]
    if list(fn_type.results) != returned:
        func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(list(fn_type.inputs), returned))


def _family_view(family_name: str) -> type[LowerQuantized]:
    """`tosaic-lower-quantized-<family>`: the lowering of one family, with its options."""
    family = next(f for f in registry.families() if f.name == family_name)
    namespace = {
        "name": f"tosaic-lower-quantized-{family_name}",
        "summary": family.summary,
        "description": f"The `{family_name}` family of `tosaic-lower-quantized` "
                       f"(`tosaic-lower-quantized{{only={family_name}}}`).\n\n" + registry.family_doc(family_name),
        "families": (family_name,),
        "options": {},
        "__module__": __name__,
    }
    namespace.update({attr: _copy(_OPTIONS[attr]) for attr in _FAMILY_OPTIONS.get(family_name, ())})
    view = type(f"LowerQuantized_{family_name.replace('-', '_')}", (LowerQuantized,), namespace)
    view.options = {option.flag: option for option in (namespace[a] for a in _FAMILY_OPTIONS.get(family_name, ()))}
    return view


FAMILY_VIEWS = {name: _family_view(name) for name in registry.PHASES}
