"""The user's names in the IR: every op's location says which PyTorch module made it.

The FX import gives each op the location

    loc("features.3.conv"("convolution"(callsite("model.py":12:0 at ...))))

an outer name (the module path from the FX node's `nn_module_stack`; for an op of the root
module's own forward, its FX node), an inner name (the FX node), and torch-mlir's call-site stack of the source lines.
Passes keep the root op's location on the ops they create and MLIR fuses locations where ops
merge (CSE, canonicalization), so the first (module, node) pair of a location names the
layer. Everything here reads locations as text: it works for fused and call-site forms alike.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from torch_mlir import ir

# "module"("node"...: the two names the importer nests (a file location has `:line` after
# its quoted name, a call site starts with `callsite(`, so neither matches).
_NAMES = re.compile(r'"((?:[^"\\]|\\.)*)"\("((?:[^"\\]|\\.)*)"')
_FILE = re.compile(r'"((?:[^"\\]|\\.)*)":(\d+):(\d+)')


@dataclass(frozen=True)
class Layer:
    """Where an op came from: the layer (module path; the FX node of a root-level op), the
    FX node, the source."""

    module: str
    node: str
    source: str | None  # "file:line" of the innermost frame outside torch

    @property
    def label(self) -> str:
        """The module path, or the FX node for an op of the root module's own forward."""
        return self.module or self.node or "model"


def module_path(node, _depth: int = 0) -> str:
    """The innermost module's path of an FX node ("" for the root module's own ops). PT2E's
    quantize/dequantize nodes carry the root module's stack: theirs is their producer's (the layer
    whose output they quantize)."""
    stack = node.meta.get("nn_module_stack") or {}
    path = (list(stack.values())[-1][0] or "").removeprefix("L['self'].") if stack else ""
    if path:
        return path
    producer = node.args[0] if node.op == "call_function" and node.args else None
    if "quantized_decomposed" in str(node.target) and hasattr(producer, "meta") and _depth < 8:
        return module_path(producer, _depth + 1)
    return ""


def layer_name(node) -> str:
    """The layer an FX node belongs to: its module path, or for an op of the root module's
    own forward (`torch.relu(...)`, `x + y`) its FX node, a quantize/dequantize's producer's."""
    path = module_path(node)
    if path:
        return path
    while "quantized_decomposed" in str(node.target) and node.args and hasattr(node.args[0], "meta") \
            and node.args[0].op in ("call_function", "placeholder"):
        node = node.args[0]  # a graph input's quantize is named after the input
    return node.name


def attach_module_paths(fx_importer) -> None:
    """Make torch-mlir's FX importer wrap each node's location in the module path and node
    name. A node without a stack trace keeps the previous source location (as the importer
    does), under its own names."""
    from torch_mlir.extras.fx_importer import ContextCache

    class LocatedCache(ContextCache):
        __slots__ = ("_last_location",)

        def get_node_location(self, node):
            location = super().get_node_location(node)
            if location is None:
                location = getattr(self, "_last_location", None) or ir.Location.unknown(context=self._c)
            else:
                self._last_location = location
            inner = ir.Location.name(node.name, childLoc=location, context=self._c)
            return ir.Location.name(layer_name(node), childLoc=inner, context=self._c)

    old = fx_importer._cc
    fx_importer._cc = LocatedCache(old._c, py_attr_tracker=old._py_attr_tracker)


def layer_of(location) -> Layer | None:
    """The (first) layer a location names, or None for a location without our names."""
    text = str(location)
    match = _NAMES.search(text)
    if not match:
        return None
    following = _NAMES.search(text, match.end())
    frames = _FILE.findall(text[match.end():following.start() if following else len(text)])
    # Call sites print innermost first: the first frame outside torch is the user's line.
    user = [f for f in frames if f"{os.sep}torch{os.sep}" not in f[0]] or frames
    source = f"{user[0][0]}:{user[0][1]}" if user else None
    return Layer(match.group(1), match.group(2), source)


def layers_of(location) -> list[Layer]:
    """Every layer a (fused) location names, in order, without repeats."""
    return list(dict.fromkeys(Layer(m, n, None) for m, n in _NAMES.findall(str(location))))
