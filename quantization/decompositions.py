"""Exact rewrites of composite aten ops into ops the quantizer annotates, before annotation.

- ``addmm(bias, a, b)`` (beta = alpha = 1) -> ``mm(a, b) + bias``: matmul and add entries.
- ``glu(x, dim)`` -> ``x[:half] * sigmoid(x[half:])`` along ``dim``: two slices (sharing x's
  quantization), a sigmoid TABLE and a quantized mul.

- ``cumsum(x, dim)`` -> ``linear(x, tril(ones(n, n)))`` along the last dim, else the same
  linear of ``x`` with ``dim`` moved last and flattened into rows (and back):
  y_j = sum_{i <= j} x_i as an int32 matmul accumulation. The 0/1 matrix quantizes exactly
  (a weight per channel: code 127 at scale 1/127; a matmul operand per tensor: codes -128 and
  127 at scale 1/255), so the sum is exact before the one rescale.

- ``upsample_bilinear2d`` -> ``linear(x, A_w)``, then the same along H (moved last and back):
  the interpolation along each axis as a constant [out, in] matrix
  (``frontend.decompositions.bilinear_matrix``, equal to PyTorch's to float rounding), two
  1x1 convolutions Ethos-U55 runs (it has no bilinear RESIZE).

- ``split`` / ``split_with_sizes`` / ``chunk`` / ``unbind``: each part the program reads
  (``getitem``) -> a ``slice`` (``select`` for unbind), which share x's quantization.

Each step computes what PyTorch computes (the cumsum's partial sums up to float rounding), so
the fake-quantized program of the rewritten graph is the quantized meaning of the original op.
"""

from __future__ import annotations

# The op table's note (docs/ops.md, tools/ops.py) on the ops that are decompositions, and why.
DECOMPOSITIONS_MARKDOWN = """## Decompositions

Ops with no entry of their own, or whose TOSA op Vela 5.2.0 does not run on Ethos-U55
(GATHER, SELECT, comparisons, ARGMAX), become ops both U55 and U85 run:

| op | what it becomes | why |
| --- | --- | --- |
| `eq`/`ne`/`gt`/`ge`/`lt`/`le` feeding `where`, `masked_fill`, `logical_and/or/not` | an int32 0/1 mask: a 0/1 TABLE for a function of one int8 input; for two tensors, both rescaled to a common unit, `d = A - B`, `min(max(d [+ 1], 0), 1)`; and/or/not as mul/max/`1 - m` (`where`, lowering/masks.py) | U55 runs no comparison or SELECT |
| `where(c, x, y)`, `where(c, x, scalar)`, `masked_fill` | `y + mask * (x - y)` in int32 output units (`where`) | U55 runs no SELECT |
| `tril` | `where` with a constant int32 0/1 mask (torch-mlir's iota comparison folded) | no SELECT |
| `scaled_dot_product_attention` (`is_causal=True` or a constant boolean mask) | matmul, mul, the integer softmax with the constant mask (masked codes -128 before the max, their exp times 0) | exact zero weights, no SELECT |
| `addmm` | `mm + bias` (`matmul`, `add`) | exact |
| `glu` | two slices, sigmoid TABLE, mul | exact |
| `cumsum` | `linear(x, tril(ones))` (another dim: moved last as rows of a 2-D matrix, and back); in another quantizer's program (cumsum left whole between a dequantize and a quantize; another dim than the last transposed there and back) the same linear with the 0/1 weight quantized exactly (code 127, scale 1/127), at import | exact int32 sums |
| `div` by a tensor | b's reciprocal as a 24-bit table (three byte TABLEs of b), `(a - zp) * R`, one rescale (`div.tensor`) | no float reciprocal; <= 0.004 LSB before rounding |
| `split`/`chunk`/`unbind` | slices / selects | annotated as data movement |
| `upsample_bilinear2d` (any size or scale, `align_corners` both ways) | `linear(x, A_w)` along W, then along H moved last (transposes) `linear(., A_h)`: constant matrices whose rows hold PyTorch's two interpolation weights (an identity axis is skipped); in another quantizer's program (left whole between a dequantize and a quantize) the weights as exact codes `w * D` at scale `1/D` (`D <= 127`: 4 for scale 2) and the W result held exactly in int16 (units `s / D_w`), so the one rounding is the output's | Vela 5.2.0 does not run RESIZE BILINEAR on U55; two int32-accumulating 1x1 convolutions it runs on both (own quantizer: weights quantized per row, e.g. 0.25 as 42/127 of 0.75: within 0.8%) |
| `argmax` (Ethos-U55) | the index from int32 keys `(x - qmin) * N + (N - 1 - i)`: REDUCE_MAX (in int16 when the keys fit, 8-bit argmax over <= 128 elements), minus the largest code's key, from N - 1 (`tosaic-decompose-argmax`); tosa-int and U85 keep ARGMAX; the index output is int32 | Vela has no ARGMAX on U55 |
| `where(c, a, b)` with `c` computed from constants alone, in another quantizer's program (ExecuTorch's additive attention mask, its tril's comparison of quantized aranges) | `c` evaluated, `where(int32 constant > 0, a, b)` at import; the where entry folds the condition to its 0/1 mask | torch-mlir makes a tosa.const of mismatched element types of a boolean tensor constant |
| `embedding` (Ethos-U) | token ids: an int64 graph input made int32 (`tosaic-narrow-index-inputs`); the int8 table's GATHER as a one-hot of `ids - k` (int32 SUB, RESCALE saturating to int8, a 0/1 TABLE) convolved 1x1 with the table's codes as weights, rescaled by 1 (`tosaic-decompose-gather`); tosa-int keeps the GATHER | Vela 5.2.0 runs no GATHER on U55 and a constant table's GATHER on the CPU on U85; bit-exact |
"""

import math

import torch
from torch.fx import GraphModule, Node

aten = torch.ops.aten


def _fake_mode(like: Node):
    """The fake mode of `like`'s value (the first of its results for a node with several:
    lstm_cell's (h, c))."""
    val = like.meta["val"]
    return (val[0] if isinstance(val, (tuple, list)) else val).fake_mode


def fx_call(gm: GraphModule, like: Node, op, *args) -> Node:
    """A call_function node of `op` at the insertion point, with `like`'s source location and
    module path, and the fake value the quantizer reads its dtype and shape from."""
    node = gm.graph.call_function(op, args)
    node.meta.update({k: v for k, v in like.meta.items() if k in ("stack_trace", "nn_module_stack")})
    with _fake_mode(like):
        node.meta["val"] = op(*torch.fx.node.map_arg(args, lambda a: a.meta["val"]))
    return node


def _addmm(gm: GraphModule, n: Node) -> Node | None:
    bias, a, b = n.args[:3]
    if n.kwargs.get("beta", 1) != 1 or n.kwargs.get("alpha", 1) != 1:
        return None
    return fx_call(gm, n, aten.add.Tensor, fx_call(gm, n, aten.mm.default, a, b), bias)


def _glu(gm: GraphModule, n: Node) -> Node | None:
    x = n.args[0]
    dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", -1)
    shape = x.meta["val"].shape
    dim = dim % len(shape)
    half = shape[dim] // 2
    first = fx_call(gm, n, aten.slice.Tensor, x, dim, 0, half)
    second = fx_call(gm, n, aten.slice.Tensor, x, dim, half, shape[dim])
    return fx_call(gm, n, aten.mul.Tensor, first, fx_call(gm, n, aten.sigmoid.default, second))


def _cumsum(gm: GraphModule, n: Node) -> Node | None:
    x = n.args[0]
    val = x.meta["val"]
    if not val.is_floating_point() or n.kwargs.get("dtype") is not None or len(n.args) > 2:
        return None
    dim = n.args[1] % val.dim()
    size = val.shape[dim]
    weight = fx_constant(gm, n, "_cumsum_weight_", torch.ones(size, size, dtype=val.dtype).tril())
    return _cumsum_as_linear(gm, n, x, dim, weight)


def _cumsum_as_linear(gm: GraphModule, n: Node, x: Node, dim: int, weight: Node) -> Node:
    """linear(x, tril(ones)) along `dim`: along the last dim directly; along another, with
    `dim` moved last and the rest flattened into rows (data movement, which the quantized
    values pass through), and back. (`tril @ x` would be a matmul with an activation operand,
    which Vela runs ~6x slower than this 1x1 convolution on Ethos-U55.)"""
    last = x.meta["val"].dim() - 1
    if dim == last:
        return fx_call(gm, n, aten.linear.default, x, weight)
    moved = fx_call(gm, n, aten.transpose.int, x, dim, last)
    return fx_call(gm, n, aten.transpose.int, linear_of_rows(gm, n, moved, weight), dim, last)


def linear_of_rows(gm: GraphModule, n: Node, x: Node, weight: Node) -> Node:
    """linear(x, weight) with `x` (a transposed tensor) flattened into rows [-1, in] and the
    result reshaped back: a linear of a non-contiguous N-D tensor would decompose to a batched
    matmul of a tiled weight, which the matmul entry does not take."""
    shape = [int(d) for d in x.meta["val"].shape]
    rows = fx_call(gm, n, aten.reshape.default, x, [-1, shape[-1]])
    out = fx_call(gm, n, aten.linear.default, rows, weight)
    return fx_call(gm, n, aten.reshape.default, out, shape[:-1] + [int(out.meta["val"].shape[-1])])


def fx_constant(gm: GraphModule, like: Node, prefix: str, value: torch.Tensor) -> Node:
    """`value` as a new buffer `<prefix><n>` of `gm`, read by a get_attr node with its fake value."""
    name = f"{prefix}{len([k for k, _ in gm.named_buffers() if k.startswith(prefix)])}"
    gm.register_buffer(name, value)
    node = gm.graph.get_attr(name)
    node.meta["val"] = _fake_mode(like).from_tensor(value)
    return node


def _bilinear_matrices(n: Node) -> tuple[torch.Tensor | None, torch.Tensor | None] | None:
    """(A_h, A_w) of an upsample_bilinear2d node of a 4-D float input: float64 [out, in]
    matrices whose rows hold PyTorch's two interpolation weights (frontend.decompositions
    .bilinear_matrix); None for an axis whose matrix is the identity. None if not 4-D float."""
    from tosaic.frontend.decompositions import bilinear_matrix, bilinear_sizes

    val = n.args[0].meta["val"]
    if not val.is_floating_point() or val.dim() != 4:
        return None
    if n.target == aten.upsample_bilinear2d.vec:
        output_size = n.args[1] if len(n.args) > 1 else n.kwargs.get("output_size")
        align_corners = n.args[2] if len(n.args) > 2 else n.kwargs.get("align_corners", False)
        factors = n.args[3] if len(n.args) > 3 else n.kwargs.get("scale_factors")
        sizes, scales = bilinear_sizes(val.shape, output_size, factors)
    else:
        sizes = [int(s) for s in n.args[1]]
        align_corners = n.args[2]
        scales = [n.args[3] if len(n.args) > 3 else n.kwargs.get("scales_h"),
                  n.args[4] if len(n.args) > 4 else n.kwargs.get("scales_w")]
    matrices = []
    for size, out, scale in zip(val.shape[2:], sizes, scales):
        matrix = bilinear_matrix(size, out, bool(align_corners), scale)
        identity = out == size and torch.equal(matrix, torch.eye(size, dtype=matrix.dtype))
        matrices.append(None if identity else matrix)
    return matrices[0], matrices[1]


def _upsample_bilinear(gm: GraphModule, n: Node) -> Node | None:
    """upsample_bilinear2d -> linear(x, A_w), then the same along H (moved last and back);
    an identity axis skipped."""
    matrices = _bilinear_matrices(n)
    if matrices is None:
        return None
    a_h, a_w = matrices
    dtype = n.args[0].meta["val"].dtype
    out = n.args[0]
    if a_w is not None:
        out = fx_call(gm, n, aten.linear.default, out, fx_constant(gm, n, "_bilinear_w_", a_w.to(dtype)))
    if a_h is not None:  # H moved last: a linear (a 1x1 convolution), not a matmul of an activation
        moved = fx_call(gm, n, aten.transpose.int, out, 2, 3)
        out = linear_of_rows(gm, n, moved, fx_constant(gm, n, "_bilinear_h_", a_h.to(dtype)))
        out = fx_call(gm, n, aten.transpose.int, out, 2, 3)
    return out


def _parts(gm: GraphModule, n: Node) -> bool:
    """split / split_with_sizes / chunk / unbind: every getitem user becomes a slice (select)."""
    import operator

    x = n.args[0]
    shape = x.meta["val"].shape
    users = list(n.users)
    if not all(u.op == "call_function" and u.target is operator.getitem for u in users):
        return False
    if n.target == aten.unbind.int:
        dim = (n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", 0)) % len(shape)
        bounds = None
    else:
        dim = (n.args[2] if len(n.args) > 2 else n.kwargs.get("dim", 0)) % len(shape)
        size = shape[dim]
        if n.target == aten.split_with_sizes.default:
            sizes = list(n.args[1])
        elif n.target == aten.chunk.default:
            step = -(-size // n.args[1])
            sizes = [min(step, size - i) for i in range(0, size, step)]
        else:
            step = n.args[1]
            sizes = [min(step, size - i) for i in range(0, size, step)]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        bounds = list(zip(starts, [a + b for a, b in zip(starts, sizes)]))
    for u in users:
        i = u.args[1]
        with gm.graph.inserting_before(u):
            part = fx_call(gm, u, aten.select.int, x, dim, i) if bounds is None \
                else fx_call(gm, u, aten.slice.Tensor, x, dim, bounds[i][0], bounds[i][1])
        u.replace_all_uses_with(part)
        gm.graph.erase_node(u)
    return True


_PART_OPS = (aten.split.Tensor, aten.split_with_sizes.default, aten.chunk.default, aten.unbind.int)

_REWRITES = {aten.addmm.default: _addmm, aten.glu.default: _glu, aten.cumsum.default: _cumsum,
             aten.upsample_bilinear2d.vec: _upsample_bilinear, aten.upsample_bilinear2d.default: _upsample_bilinear}


_QD = torch.ops.quantized_decomposed


def _quantized_cumsum(gm: GraphModule, n: Node) -> Node | None:
    """cumsum(dequantize(x), dim) in a program another quantizer made (its cumsum between
    a dequantize and a quantize): linear(dequantize(x), dequantize(tril codes)) with the 0/1
    weight quantized exactly (code 127 at scale 1/127 per output row), which the matmul
    entry lowers to one int32 accumulation and one rescale; another dim than the last is
    transposed to the last and back."""
    x = n.args[0]
    if not (isinstance(x, Node) and x.op == "call_function" and x.target == _QD.dequantize_per_tensor.default):
        return None
    val = x.meta["val"]
    dim = (n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")) % val.dim()
    if n.kwargs.get("dtype") is not None:
        return None
    size = val.shape[dim]
    codes = fx_constant(gm, n, "_cumsum_codes_", (torch.ones(size, size).tril() * 127).to(torch.int8))
    scales = fx_constant(gm, n, "_cumsum_scales_", torch.full((size,), 1.0 / 127, dtype=torch.float32))
    zero_points = fx_constant(gm, n, "_cumsum_zero_points_", torch.zeros(size, dtype=torch.int64))
    weight = fx_call(gm, n, _QD.dequantize_per_channel.default, codes, scales, zero_points, 0, -127, 127, torch.int8)
    return _cumsum_as_linear(gm, n, x, dim, weight)


# The widest denominator of exact interpolation weights (codes w * D in int8), and so of
# the int16 intermediate's unit s / D: |sum (q - zp) * code| <= 255 * D <= 32767.
_BILINEAR_MAX_DENOMINATOR = 127


def _common_denominator(matrix: torch.Tensor) -> int | None:
    """The least D <= 127 with every weight * D an integer (to 1e-6), or None."""
    from fractions import Fraction
    from math import lcm

    d = 1
    for weight in {float(w) for w in matrix.flatten()}:
        d = lcm(d, Fraction(weight).limit_denominator(_BILINEAR_MAX_DENOMINATOR).denominator)
        if d > _BILINEAR_MAX_DENOMINATOR:
            return None
    return d if torch.allclose(matrix * d, torch.round(matrix * d), atol=1e-6) else None


def _quantized_bilinear(gm: GraphModule, n: Node) -> Node | None:
    """upsample_bilinear2d(dequantize(x)) in a program another quantizer made (left whole
    between a dequantize and a quantize), exactly: along W, linear(x, A_w) with the weights as
    exact codes w * D_w at scale 1/D_w, whose result (in units s / D_w: an integer) is held
    exactly in int16; then along H (moved last and back) the same with A_h, so the one
    rounding is the requantization to the program's output, as in the program."""
    x = n.args[0]
    if not (isinstance(x, Node) and x.op == "call_function" and x.target == _QD.dequantize_per_tensor.default
            and x.args[5] == torch.int8):
        return None
    matrices = _bilinear_matrices(n)
    if matrices is None:
        return None
    a_h, a_w = matrices
    denominators = [None if m is None else _common_denominator(m) for m in (a_w, a_h)]
    if any(m is not None and d is None for m, d in zip((a_w, a_h), denominators)):
        return None
    unit = float(x.args[1])
    out = x
    for axis, (matrix, d) in enumerate(zip((a_w, a_h), denominators)):
        if matrix is None:
            continue
        codes = fx_constant(gm, n, "_bilinear_codes_", torch.round(matrix * d).to(torch.int8))
        weight = fx_call(gm, n, _QD.dequantize_per_tensor.default, codes, 1.0 / d, 0, -127, 127, torch.int8)
        out = fx_call(gm, n, aten.linear.default, out, weight) if axis == 0 else \
            linear_of_rows(gm, n, fx_call(gm, n, aten.transpose.int, out, 2, 3), weight)
        unit /= d
        if axis == 0 and a_h is not None:  # exact: integers in units s / D_w, within int16
            out = fx_call(gm, n, _QD.quantize_per_tensor.default, out, unit, 0, -32768, 32767, torch.int16)
            out = fx_call(gm, n, _QD.dequantize_per_tensor.default, out, unit, 0, -32768, 32767, torch.int16)
        if axis == 1:
            out = fx_call(gm, n, aten.transpose.int, out, 2, 3)
    return out


def _constant_value(gm: GraphModule, node, depth: int = 0):
    """The tensor a node computes from constants alone (get_attr buffers, arange, their
    quantize/dequantize, reshapes, comparisons...), evaluated as the program would; None
    when it reads a graph input."""
    if not isinstance(node, Node):
        return node
    if node.op == "get_attr":
        return getattr(gm, node.target)
    if node.op != "call_function" or depth > 32:
        return None
    values = {}
    for arg in node.all_input_nodes:
        value = _constant_value(gm, arg, depth + 1)
        if value is None:
            return None
        values[arg] = value
    args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), lambda a: values[a])
    return node.target(*args, **kwargs)


def _constant_mask_where(gm: GraphModule, n: Node) -> Node | None:
    """where(c, a, b) with c computed from constants alone (ExecuTorch's additive attention
    mask: a boolean buffer; its tril: a comparison of quantized aranges): c evaluated, as
    `int32 constant > 0`, which torch-mlir imports (its lowering of a boolean tensor constant
    makes a tosa.const of mismatched element types) and the where entry folds to the mask."""
    cond = n.args[0]
    if not (isinstance(cond, Node) and cond.meta["val"].dtype == torch.bool):
        return None
    value = _constant_value(gm, cond)
    if value is None:
        return None
    levels = fx_constant(gm, n, "_where_condition_", value.to(torch.int32))
    return fx_call(gm, n, aten.where.self, fx_call(gm, n, aten.gt.Scalar, levels, 0), *n.args[1:])


QUANTIZED_REWRITES = {aten.cumsum.default: _quantized_cumsum, aten.upsample_bilinear2d.vec: _quantized_bilinear,
                      aten.upsample_bilinear2d.default: _quantized_bilinear, aten.where.self: _constant_mask_where}


def decompose_quantized_composites(gm: GraphModule) -> int:
    """In a program already quantized: rewrite the composites above whose input is a
    dequantize (an op another quantizer left whole); returns the number rewritten."""
    return _rewrite_nodes(gm, QUANTIZED_REWRITES)


def _rewrite_nodes(gm: GraphModule, rewrites, only=None) -> int:
    """Each call_function node whose op has a rule in `rewrites` (and is in `only`, when
    given) replaced by what the rule builds before it (None: left); split-like nodes by
    their parts. The number rewritten; the graph recompiled when any was."""
    rewritten = 0
    for n in list(gm.graph.nodes):
        if n.op != "call_function" or (only is not None and n.target not in only):
            continue
        if rewrites is _REWRITES and n.target in _PART_OPS and n.args[0].meta["val"].is_floating_point():
            if _parts(gm, n):
                gm.graph.erase_node(n)
                rewritten += 1
            continue
        rewrite = rewrites.get(n.target)
        if rewrite is not None and _replaced(gm, n, rewrite):
            rewritten += 1
    return _finished(gm, rewritten)


def _replaced(gm: GraphModule, n: Node, build) -> bool:
    """`n` replaced by what `build(gm, n)` makes before it (None: left as it is)."""
    with gm.graph.inserting_before(n):
        out = build(gm, n)
    if out is None:
        return False
    n.replace_all_uses_with(out)
    gm.graph.erase_node(n)
    return True


def _finished(gm: GraphModule, rewritten: int) -> int:
    """The graph checked and recompiled when anything was rewritten; the count."""
    if rewritten:
        gm.graph.lint()
        gm.recompile()
    return rewritten


def has_boolean_constants(program) -> bool:
    """The ExportedProgram holds a boolean buffer or tensor constant (an attention mask)."""
    tensors = list(program.state_dict.values()) + list(program.constants.values())
    return any(isinstance(t, torch.Tensor) and t.dtype == torch.bool for t in tensors)


def boolean_constants_as_comparisons(gm: GraphModule, integer: bool) -> int:
    """Each boolean constant of `gm` read as a comparison of a constant: torch-mlir makes a
    tosa.const of mismatched element types of a boolean tensor constant. `integer`: `int32
    constant > 0`, which the where entry folds to its mask (a quantized program); else
    `float32 constant > 0.5 (a float32 constant)`, valid in the floating-point profile as it
    is. The number rewritten."""
    def comparison(gm: GraphModule, n: Node) -> Node:
        value = getattr(gm, n.target)
        if integer:
            return fx_call(gm, n, aten.gt.Scalar, fx_constant(gm, n, "_boolean_levels_", value.to(torch.int32)), 0)
        return fx_call(gm, n, aten.gt.Tensor, fx_constant(gm, n, "_boolean_levels_", value.to(torch.float32)),
                       fx_constant(gm, n, "_boolean_half_", torch.tensor(0.5)))

    booleans = [n for n in gm.graph.nodes
                if n.op == "get_attr" and getattr(n.meta.get("val"), "dtype", None) == torch.bool]
    return _finished(gm, sum(_replaced(gm, n, comparison) for n in booleans))


def _is_float(n) -> bool:
    val = n.meta.get("val") if isinstance(n, Node) else None
    return isinstance(val, torch.Tensor) and val.is_floating_point()


def _is_bool(n) -> bool:
    val = n.meta.get("val") if isinstance(n, Node) else None
    return isinstance(val, torch.Tensor) and val.dtype == torch.bool


def decompose_attention(gm: GraphModule, additive_masks: bool = False) -> int:
    """Rewrite each ``aten.scaled_dot_product_attention`` (no dropout; no mask, a float mask,
    causal or a constant boolean mask) as its math, ``softmax(q @ k^T * scale [+ mask]) @ v``,
    so that each step is annotated and lowered as the ops it is (matmul, mul, add, softmax);
    the fused op has no integer lowering. `additive_masks` (a float program): a causal or
    boolean mask as an added constant of 0 and -inf (torch's own decomposition leaves float64
    and int64 constants, which TOSA's floating-point profile has not). Returns the number
    rewritten."""
    rewritten = 0
    for n in list(gm.graph.nodes):
        if n.op != "call_function" or n.target != aten.scaled_dot_product_attention.default:
            continue
        names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
        bound = dict(zip(names, n.args))
        bound.update(n.kwargs)
        q, k, v = bound["query"], bound["key"], bound["value"]
        mask = bound.get("attn_mask")
        causal = bool(bound.get("is_causal", False))
        if bound.get("dropout_p", 0.0) or bound.get("enable_gqa", False) or (causal and mask is not None):
            continue
        boolean_mask = mask is not None and _is_bool(mask)
        if mask is not None and not _is_float(mask) and not boolean_mask:
            continue
        if boolean_mask and mask.op != "get_attr":
            continue  # a mask computed at run time: left fused (the lowering takes constant masks)
        shape = q.meta["val"].shape
        if k.meta["val"].shape[:-2] != shape[:-2] or v.meta["val"].shape[:-2] != shape[:-2]:
            continue  # broadcast batch dims: left fused
        scale = bound.get("scale")
        scale = 1.0 / math.sqrt(shape[-1]) if scale is None else float(scale)
        def call(op, *args):
            return fx_call(gm, n, op, *args)

        with gm.graph.inserting_before(n):
            scores = call(aten.matmul.default, q, call(aten.transpose.int, k, -2, -1))
            scores = call(aten.mul.Tensor, scores, scale)
            if (causal or boolean_mask) and additive_masks:
                keep = torch.ones(shape[-2], k.meta["val"].shape[-2], dtype=torch.bool).tril() if causal \
                    else getattr(gm, mask.target)
                bias = torch.zeros(keep.shape, dtype=q.meta["val"].dtype).masked_fill(~keep, -math.inf)
                scores = call(aten.add.Tensor, scores, fx_constant(gm, n, "_attention_bias_", bias))
            elif causal or boolean_mask:
                # PyTorch's causal mask is ones(L, S).tril(). Kept as int32 0/1 and compared
                # with 0: torch-mlir cannot import a boolean constant tensor.
                keep = torch.ones(shape[-2], k.meta["val"].shape[-2], dtype=torch.bool).tril() if causal \
                    else getattr(gm, mask.target)
                mask = call(aten.ne.Scalar, fx_constant(gm, n, "_attention_mask_", keep.to(torch.int32)), 0)
                # the masked positions are -inf (exp = 0); the softmax lowering takes the
                # constant mask (its input stays the unmasked scores' quantization)
                scores = call(aten.where.ScalarOther, mask, scores, -math.inf)
            elif mask is not None:
                scores = call(aten.add.Tensor, scores, mask)
            out = call(aten.matmul.default, call(aten.softmax.int, scores, -1), v)
        n.replace_all_uses_with(out)
        gm.graph.erase_node(n)
        rewritten += 1
    if rewritten:
        gm.graph.lint()
        gm.recompile()
    return rewritten


# The composites a float program needs rewritten too (torch's own decomposition of them
# computes int64 indices, which TOSA's floating-point profile has no CAST for).
FLOAT_REWRITES = (aten.upsample_bilinear2d.vec, aten.upsample_bilinear2d.default)


def _float_tril(gm: GraphModule, n: Node) -> Node | None:
    """tril(x, k) in a float program -> x * (a constant 0/1 triangle): torch-mlir's tril compares
    int64 index tensors, which TOSA's floating-point profile has not."""
    x = n.args[0]
    val = x.meta["val"]
    if not val.is_floating_point() or val.dim() < 2:
        return None
    diagonal = n.args[1] if len(n.args) > 1 else n.kwargs.get("diagonal", 0)
    triangle = torch.ones(val.shape[-2:], dtype=val.dtype).tril(diagonal)
    return fx_call(gm, n, aten.mul.Tensor, x, fx_constant(gm, n, "_tril_mask_", triangle))


def _float_index_select(gm: GraphModule, n: Node) -> Node | None:
    """index_select(x, dim, constant indices) in a float program -> the runs of consecutive
    indices as slices, concatenated: torch-mlir's GATHER computes int64 indices, which TOSA's
    floating-point profile has not."""
    x, dim, index = n.args[:3]
    values = _constant_value(gm, index) if x.meta["val"].is_floating_point() else None
    if values is None:
        return None
    indices = [int(i) for i in values.reshape(-1)]
    dim %= x.meta["val"].dim()
    runs = []
    for i in indices:
        if runs and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    parts = [fx_call(gm, n, aten.slice.Tensor, x, dim, start, end) for start, end in runs]
    return parts[0] if len(parts) == 1 else fx_call(gm, n, aten.cat.default, parts, dim)


def decompose_float_composites(gm: GraphModule) -> int:
    """A float program's rewrites: bilinear upsampling as constant-matrix linears, attention
    as its math with additive masks, tril as a constant mask, index_select of constant
    indices as slices (the number rewritten)."""
    count = decompose_attention(gm, additive_masks=True)
    count += _rewrite_nodes(gm, {**{op: _REWRITES[op] for op in FLOAT_REWRITES}, aten.tril.default: _float_tril,
                                 aten.index_select.default: _float_index_select})
    return count


# The ops whose presence makes a float program go through decompose_float_composites.
FLOAT_REWRITE_ROOTS = FLOAT_REWRITES + (aten.scaled_dot_product_attention.default, aten.tril.default,
                                        aten.index_select.default)


def decompose_composites(gm: GraphModule, only=None) -> int:
    """Rewrite each composite above (or those of `only`, a collection of aten ops); returns
    the number rewritten."""
    return _rewrite_nodes(gm, _REWRITES, only)
