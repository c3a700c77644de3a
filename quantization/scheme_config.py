"""Per-module quantization schemes from a file: `tosaic compile --scheme-config FILE`.

A scheme config maps module names, glob patterns over module names, and module types to a
scheme ("a8w8", "a8w4", "a16w8", or "none" to leave the module float), with a default for
everything else. JSON::

    {"default": "a8w8",
     "modules": {"features.0": "a16w8", "classifier.*": "a8w4"},
     "types": {"Linear": "a8w4"}}

or the same in TOML::

    default = "a8w8"
    [modules]
    "features.0" = "a16w8"
    "classifier.*" = "a8w4"
    [types]
    Linear = "a8w4"

A key of `modules` holding `*`, `?` or `[` is a glob (fnmatch, matched against the whole
dotted module path); any other key is an exact module name. A type is the class name
(`Conv2d`) or its full dotted name (`torch.nn.modules.conv.Conv2d`); subclasses do not match.

Precedence for each op (its module stack, outermost to innermost, from torch.export's
`nn_module_stack`):

1. name: the longest exact module name in the stack;
2. glob: the innermost module whose path a pattern matches (the longest such pattern);
3. type: the innermost module whose type is listed;
4. the default.

The search (`tosaic compile --scheme auto`) writes this format (`scheme_config.json`), one
exact name per quantizable layer, so its choice can be reviewed, edited and replayed.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from tosaic.driver.errors import TosaicError

#: The scheme names a config may use; "none" leaves a module float.
CONFIG_SCHEMES = ("a8w8", "a8w4", "a16w8", "none")
_TOP_LEVEL_KEYS = ("default", "modules", "types")
_GLOB_CHARS = "*?["


def is_glob(key: str) -> bool:
    return any(c in key for c in _GLOB_CHARS)


@dataclass
class SchemeConfig:
    """A parsed, scheme-checked config (see the module docstring)."""

    default: str = "a8w8"
    names: dict[str, str] = field(default_factory=dict)  # exact module path -> scheme
    globs: dict[str, str] = field(default_factory=dict)  # pattern -> scheme, in file order
    types: dict[str, str] = field(default_factory=dict)  # class name or dotted name -> scheme
    source: str = "api"  # the file it came from, for messages and the report

    # -- resolution -----------------------------------------------------------------

    def rule_for(self, stack: list[tuple[str, str]]) -> tuple[str, str]:
        """(scheme, rule) for an op whose module stack (outermost first) is `stack`:
        rule is "name:P", "glob:P", "type:T" or "default"."""
        paths = [p for p, _ in stack]
        best = max((n for n in self.names if n in paths), key=len, default=None)
        if best is not None:
            return self.names[best], f"name:{best}"
        for path in reversed(paths):
            matching = [g for g in self.globs if fnmatch.fnmatchcase(path, g)]
            if matching:
                pattern = max(matching, key=len)
                return self.globs[pattern], f"glob:{pattern}"
        for _, type_name in reversed(stack):
            for key in (type_name, type_name.rsplit(".", 1)[-1]):
                if key in self.types:
                    return self.types[key], f"type:{key}"
        return self.default, "default"

    def scheme_for(self, stack: list[tuple[str, str]]) -> Optional[str]:
        scheme, _ = self.rule_for(stack)
        return None if scheme == "none" else scheme

    # -- serialization --------------------------------------------------------------

    def as_dict(self) -> dict:
        modules = dict(self.names)
        modules.update(self.globs)
        out: dict[str, Any] = {"default": self.default}
        if modules:
            out["modules"] = modules
        if self.types:
            out["types"] = dict(self.types)
        return out

    def write(self, path: str) -> None:
        """Write as JSON, or TOML when `path` ends with .toml."""
        data = self.as_dict()
        with open(path, "w") as f:
            if path.endswith(".toml"):
                f.write(_to_toml(data))
            else:
                json.dump(data, f, indent=2)
                f.write("\n")

    def uses(self) -> set[str]:
        return {self.default, *self.names.values(), *self.globs.values(), *self.types.values()}


def _toml_key(key: str) -> str:
    return json.dumps(key)  # a TOML basic string is a JSON string for these keys


def _to_toml(data: dict) -> str:
    lines = [f"default = {json.dumps(data['default'])}"]
    for table in ("modules", "types"):
        if data.get(table):
            lines += ["", f"[{table}]"]
            lines += [f"{_toml_key(k)} = {json.dumps(v)}" for k, v in data[table].items()]
    return "\n".join(lines) + "\n"


def _check_scheme(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or value.lower() not in CONFIG_SCHEMES:
        raise TosaicError(f"{source}: {where}: unknown scheme {value!r}; known: {', '.join(CONFIG_SCHEMES)}")
    return value.lower()


def parse(data: Any, source: str = "api") -> SchemeConfig:
    """A SchemeConfig from the file's content (a dict), with clear errors."""
    if not isinstance(data, dict):
        raise TosaicError(f"{source}: a scheme config is a table with 'default', 'modules', 'types'")
    unknown = [k for k in data if k not in _TOP_LEVEL_KEYS]
    if unknown:
        raise TosaicError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; "
                          f"known: {', '.join(_TOP_LEVEL_KEYS)}")
    config = SchemeConfig(default=_check_scheme(data.get("default", "a8w8"), "default", source), source=source)
    for table in ("modules", "types"):
        entries = data.get(table, {})
        if not isinstance(entries, dict):
            raise TosaicError(f"{source}: '{table}' must be a table of name = scheme")
        for key, value in entries.items():
            scheme = _check_scheme(value, f"{table}.{key}", source)
            if table == "types":
                config.types[key] = scheme
            elif is_glob(key):
                config.globs[key] = scheme
            else:
                config.names[key] = scheme
    return config


def load(path: str) -> SchemeConfig:
    """Read a .json or .toml scheme config."""
    if not os.path.isfile(path):
        raise TosaicError(f"--scheme-config: no such file: {path}")
    try:
        if path.endswith(".toml"):
            import tomllib

            with open(path, "rb") as f:
                data = tomllib.load(f)
        else:
            with open(path) as f:
                data = json.load(f)
    except (OSError, ValueError) as e:  # tomllib.TOMLDecodeError and JSONDecodeError are ValueErrors
        raise TosaicError(f"--scheme-config: cannot read {path}: {e}") from None
    return parse(data, source=path)


def as_config(config: Any) -> SchemeConfig:
    """A SchemeConfig from a path, a dict or a SchemeConfig."""
    if isinstance(config, SchemeConfig):
        return config
    if isinstance(config, (str, os.PathLike)):
        return load(os.fspath(config))
    return parse(config)


# --------------------------------------------------------------------------- graph side


def module_stack(node) -> list[tuple[str, str]]:
    from tosaic.quantization.quantizer import _module_stack

    return _module_stack(node)


def module_table(graph) -> dict[str, str]:
    """Every module path that owns an op in `graph` -> its type's dotted name."""
    table: dict[str, str] = {}
    for node in graph.nodes:
        if node.op == "call_function":
            for path, type_name in module_stack(node):
                if path:
                    table.setdefault(path, type_name)
    return table


def weighted_nodes(graph) -> list:
    """The ops with a weight the quantizer annotates (conv, linear, ...), in graph order."""
    from tosaic.lowering import registry
    from tosaic.quantization.quantizer import _ANNOTATION

    kinds = (registry.WEIGHTED, registry.WEIGHTED_TRANSPOSED)
    return [n for n in graph.nodes if n.op == "call_function" and _ANNOTATION.get(n.target) in kinds]


def layer_name(node) -> str:
    """A weighted op's layer: its innermost module's path ("" for the root module)."""
    stack = module_stack(node)
    return stack[-1][0] if stack else ""


def validate(config: SchemeConfig, graph) -> None:
    """Every exact name, glob and type of `config` must name something in `graph`."""
    modules = module_table(graph)
    types = {t for t in modules.values()} | {t.rsplit(".", 1)[-1] for t in modules.values()}
    problems = []
    for name in config.names:
        if name not in modules:
            close = difflib.get_close_matches(name, modules, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(f"unknown module name '{name}'{hint}")
    for pattern in config.globs:
        if not any(fnmatch.fnmatchcase(p, pattern) for p in modules):
            problems.append(f"pattern '{pattern}' matches no module")
    for type_name in config.types:
        if type_name not in types:
            problems.append(f"no module of type '{type_name}'")
    if problems:
        known = ", ".join(sorted(modules)[:20]) + (", ..." if len(modules) > 20 else "")
        raise TosaicError(f"{config.source}: " + "; ".join(problems) + f". The model's modules: {known}")


def assignment(config: SchemeConfig, graph) -> list[dict]:
    """report.json's per-layer table: one entry per weighted op."""
    layers = []
    for node in weighted_nodes(graph):
        stack = module_stack(node)
        scheme, rule = config.rule_for(stack)
        layers.append({"layer": layer_name(node), "type": stack[-1][1].rsplit(".", 1)[-1] if stack else "",
                       "op": str(node.target), "scheme": scheme, "rule": rule})
    return layers


def _check_no_float(config: SchemeConfig, graph, target: str) -> None:
    from tosaic.quantization.quantizer import _ANNOTATION

    left_float = {}
    for node in graph.nodes:
        if node.op == "call_function" and node.target in _ANNOTATION:
            stack = module_stack(node)
            scheme, rule = config.rule_for(stack)
            if scheme == "none":
                left_float.setdefault(stack[-1][0] if stack else "<root>", rule)
    if left_float:
        where = ", ".join(f"'{m}' ({rule})" for m, rule in list(left_float.items())[:5])
        raise TosaicError(f"{config.source}: scheme 'none' leaves module(s) {where} float, and {target} is "
                          "an integer target: TOSA's integer profile cannot run float ops. Give them a scheme "
                          "(a8w8, a8w4, a16w8), or compile for tosa-fp")


class ConfigQuantizer:
    """Builds tosaic's quantizer for a config (the class is made lazily: torchao is heavy)."""

    def __new__(cls, config: SchemeConfig, io_dtype: Optional[str] = None):
        from tosaic.quantization.quantizer import TosaicQuantizer, get_scheme, with_io_dtype

        class _Quantizer(TosaicQuantizer):
            def config_for_node(self, n):
                name = config.scheme_for(module_stack(n))
                return None if name is None else schemes[name]

        schemes = {}
        for name in config.uses() - {"none"}:
            scheme = get_scheme(name)
            schemes[name] = with_io_dtype(scheme, io_dtype) if io_dtype is not None else scheme
        return _Quantizer()


def quantize_with_config(config: SchemeConfig, exported, program, example_inputs, calibration_data,
                         io_dtype: Optional[str], target: str):
    """Validate `config` against the float program, quantize with it; (program, report section)."""
    import torch

    from tosaic.quantization.quantizer import quantize_model

    validate(config, exported.graph)
    _check_no_float(config, exported.graph, target)
    model = program if isinstance(program, torch.nn.Module) else exported.module()
    if example_inputs is None:
        from tosaic.driver.compiler import _example_inputs_of

        example_inputs = _example_inputs_of(exported)
    quantizer = ConfigQuantizer(config, io_dtype)
    quantized = quantize_model(model, tuple(example_inputs), calibration_data=calibration_data, quantizer=quantizer)
    section = {"source": config.source, "config": config.as_dict(), "layers": assignment(config, exported.graph)}
    return quantized, section


def compile_hook(exported, program, example_inputs, target, scheme, config, budget, objective,
                 calibration_data, io_dtype, output_dir, vela_options):
    """`tosaic.compile` with `scheme_config=` or `scheme="auto"`: (quantized program, report section)."""
    from tosaic import targets

    if not targets.target(target).family.integer:
        what = "--scheme auto" if scheme == "auto" else "--scheme-config"
        raise TosaicError(f"{what} quantizes the program; it needs an integer target (tosa-int or an Ethos-U "
                          f"accelerator), not {target}")
    if scheme == "auto":
        if config is not None:
            raise TosaicError("give --scheme auto or --scheme-config, not both (the search writes "
                              "OUTDIR/scheme_config.json, which --scheme-config replays)")
        from tosaic.quantization.auto_scheme import auto_compile_config

        config, search = auto_compile_config(exported, program, example_inputs, target, budget, objective,
                                             calibration_data, output_dir, vela_options)
    else:
        if scheme is not None:
            raise TosaicError(f"give --scheme {scheme} or --scheme-config, not both (a config's 'default' is "
                              "the scheme of every module it does not name)")
        if budget is not None:
            raise TosaicError("--budget applies to --scheme auto")
        config, search = as_config(config), None
    quantized, section = quantize_with_config(config, exported, program, example_inputs, calibration_data,
                                              io_dtype, target)
    if search is not None:
        section["search"] = search
    return quantized, section


def summary_lines(report: dict) -> list[str]:
    """The per-layer assignment for `tosaic compile`'s summary."""
    section = report["scheme_config"]
    counts: dict[str, int] = {}
    for layer in section["layers"]:
        counts[layer["scheme"]] = counts.get(layer["scheme"], 0) + 1
    lines = [f"  schemes ({section['source']}): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
             + " layer(s); per layer in report.json's scheme_config"]
    search = section.get("search")
    if search:
        m = search["measured"]
        lines.append(f"  auto: budget {search['budget_db']} dB, objective {search['objective']}: held-out SQNR "
                     f"{m['sqnr_holdout_db']:.2f} dB, weights {m['weight_bytes']} B; searched in "
                     f"{search['seconds']:.1f} s; wrote {search.get('config_file', '')}")
    return lines
