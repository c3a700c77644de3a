"""Exact rewrites of composite aten ops into ops the quantizer annotates, before annotation.

- ``addmm(bias, a, b)`` (beta = alpha = 1) -> ``mm(a, b) + bias``: matmul and add entries.
- ``glu(x, dim)`` -> ``x[:half] * sigmoid(x[half:])`` along ``dim``: two slices (sharing x's
  quantization), a sigmoid TABLE and a quantized mul.

Each step is what PyTorch computes (no reassociation), so the fake-quantized program of the
rewritten graph is the quantized meaning of the original op.
"""

from __future__ import annotations

import torch
from torch.fx import GraphModule, Node

aten = torch.ops.aten


def _call(gm: GraphModule, like: Node, op, *args) -> Node:
    node = gm.graph.call_function(op, args)
    node.meta.update({k: v for k, v in like.meta.items() if k in ("stack_trace", "nn_module_stack")})
    fake_mode = like.meta["val"].fake_mode
    with fake_mode:
        node.meta["val"] = op(*(a.meta["val"] if isinstance(a, Node) else a for a in args))
    return node


def _addmm(gm: GraphModule, n: Node) -> Node | None:
    bias, a, b = n.args[:3]
    if n.kwargs.get("beta", 1) != 1 or n.kwargs.get("alpha", 1) != 1:
        return None
    return _call(gm, n, aten.add.Tensor, _call(gm, n, aten.mm.default, a, b), bias)


def _glu(gm: GraphModule, n: Node) -> Node | None:
    x = n.args[0]
    dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", -1)
    shape = x.meta["val"].shape
    dim = dim % len(shape)
    half = shape[dim] // 2
    first = _call(gm, n, aten.slice.Tensor, x, dim, 0, half)
    second = _call(gm, n, aten.slice.Tensor, x, dim, half, shape[dim])
    return _call(gm, n, aten.mul.Tensor, first, _call(gm, n, aten.sigmoid.default, second))


_REWRITES = {aten.addmm.default: _addmm, aten.glu.default: _glu}


def decompose_composites(gm: GraphModule) -> int:
    """Rewrite each addmm and glu as above; returns the number rewritten."""
    rewritten = 0
    for n in list(gm.graph.nodes):
        rewrite = _REWRITES.get(n.target) if n.op == "call_function" else None
        if rewrite is None:
            continue
        with gm.graph.inserting_before(n):
            out = rewrite(gm, n)
        if out is None:
            continue
        n.replace_all_uses_with(out)
        gm.graph.erase_node(n)
        rewritten += 1
    if rewritten:
        gm.graph.lint()
        gm.recompile()
    return rewritten
