"""ExecuTorch's `dim_order_ops` in a program its quantizer made, without ExecuTorch.

ExecuTorch's Arm quantizer casts an int64 graph input (an embedding's token ids) to int32
with `dim_order_ops::_to_dim_order_copy`, ExecuTorch's form of `aten._to_copy` that also
names the memory order. A saved program then fails to load where ExecuTorch is not
installed ("failed to resolve torch.ops.dim_order_ops._to_dim_order_copy"). tosaic defines
the op's schema (the same as ExecuTorch's) so the archive loads, and rewrites each such
node to the aten op it stands for: every program tosaic compiles has contiguous tensors,
so the dim order says nothing more.
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

aten = torch.ops.aten

_SCHEMAS = {
    "_to_dim_order_copy": "(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
                          "bool? pin_memory=None, bool non_blocking=False, int[]? dim_order=None) -> Tensor",
    "_clone_dim_order": "(Tensor self, *, bool non_blocking=False, int[]? dim_order=None) -> Tensor",
}
_library = None

_FAKE = {
    "_to_dim_order_copy": lambda x, dtype=None, layout=None, device=None, pin_memory=None, non_blocking=False,
                          dim_order=None: torch.empty_like(x, dtype=dtype if dtype is not None else x.dtype),
    "_clone_dim_order": lambda x, non_blocking=False, dim_order=None: torch.empty_like(x),
}


def _defined() -> bool:
    try:
        torch.ops.dim_order_ops._to_dim_order_copy.default  # noqa: B018 - a lookup
        return True
    except (AttributeError, RuntimeError):
        return False


def register() -> None:
    """Define the ops (unless ExecuTorch has): their kernels are the aten ops'."""
    global _library
    if _library is not None or _defined():
        return
    _library = torch.library.Library("dim_order_ops", "DEF")
    for name, schema in _SCHEMAS.items():
        _library.define(name + schema)
    _library.impl("_to_dim_order_copy", lambda x, dtype=None, layout=None, device=None, pin_memory=None,
                  non_blocking=False, dim_order=None: aten._to_copy.default(x, dtype=dtype),
                  "CompositeExplicitAutograd")
    _library.impl("_clone_dim_order", lambda x, non_blocking=False, dim_order=None: aten.clone.default(x),
                  "CompositeExplicitAutograd")
    # Shapes and dtypes for fake tensors.
    for name, fake in _FAKE.items():
        torch.library.register_fake(f"dim_order_ops::{name}", fake, lib=_library)


def rewrite(program: ExportedProgram) -> ExportedProgram:
    """Each dim_order_ops node as its aten op, in place."""
    if not _defined():
        return program
    replacements = {
        torch.ops.dim_order_ops._to_dim_order_copy.default: (aten._to_copy.default, ("dtype",)),
        torch.ops.dim_order_ops._clone_dim_order.default: (aten.clone.default, ()),
    }
    changed = False
    for node in program.graph.nodes:
        if node.op == "call_function" and node.target in replacements:
            target, kept = replacements[node.target]
            node.target = target
            node.kwargs = {k: v for k, v in node.kwargs.items() if k in kept}
            changed = True
    if changed:
        program.graph_module.recompile()
    return program
