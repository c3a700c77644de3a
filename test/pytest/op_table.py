"""The single-op models of issue 11's op rows that tosaic lowers, one table shared by
test_op_table.py (numerics + Vela placement) and benchmarks/op_coverage.py (tosaic's and
ExecuTorch's quantizers side by side).

Each row: name -> Op(group, fn, shapes, ...). `fn(module, *xs)` is the model's forward
(`module` holds any layers the row's `init` made); `shapes` are the inputs' shapes (the lowering
entries each row exercises are test_op_table.py's MARKS, checked against the entries that ran);
`inputs(generator)` overrides the default random inputs (each input its own spread, so the
scales differ). torch only: ExecuTorch's venv imports it too (benchmarks/op_coverage.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class Op:
    group: str
    fn: Callable
    shapes: tuple
    init: Callable | None = None  # module -> None: adds the row's layers/weights
    inputs: Callable | None = None  # generator -> tuple of inputs
    positive: bool = False  # inputs > 0 (log, sqrt, rsqrt, reciprocal)
    per_target: bool = False  # its Ethos-U pipelines differ (a target pass): compiled for each


class OpModule(nn.Module):
    def __init__(self, op: Op):
        super().__init__()
        self._fn = op.fn
        if op.init is not None:
            op.init(self)

    def forward(self, *xs):
        return self._fn(self, *xs)


def build(name: str) -> OpModule:
    """The row's model, its layers' weights seeded (the same in every venv)."""
    torch.manual_seed(0)
    return OpModule(OPS[name]).eval()


def samples(name: str, count: int = 9) -> list[tuple]:
    """`count` input batches: the first count - 1 calibrate, the last is the test input."""
    g = torch.Generator().manual_seed(1)
    return [make_inputs(OPS[name], g) for _ in range(count)]


def make_inputs(op: Op, g: torch.Generator) -> tuple:
    if op.inputs is not None:
        return op.inputs(g)
    xs = []
    for i, shape in enumerate(op.shapes):
        x = torch.randn(*shape, generator=g) * (1.0 + 0.5 * i) + 0.25 * i
        xs.append(x.abs() + 0.1 if op.positive else x)
    return tuple(xs)


def _equal_half(g: torch.Generator) -> tuple:
    """a and b equal at half the positions (same spread, so the same qparams)."""
    a = torch.randn(1, 4, 8, 8, generator=g)
    b = torch.where(torch.rand(1, 4, 8, 8, generator=g) < 0.5, a, torch.randn(1, 4, 8, 8, generator=g))
    return a, b


S = (1, 4, 8, 8)


def _conv(c_in, c_out, k, **kw):
    return lambda m: setattr(m, "layer", nn.Conv2d(c_in, c_out, k, **kw))


def _linear(m):
    m.layer = nn.Linear(16, 8)


def _mha(m):
    m.layer = nn.MultiheadAttention(16, 2, batch_first=True)


def _prelu(slopes):
    def init(m):
        m.layer = nn.PReLU(len(slopes))
        with torch.no_grad():
            m.layer.weight.copy_(torch.tensor(slopes))
    return init


def _embedding(m):
    m.layer = nn.Embedding(50, 16)


def _token_ids(g: torch.Generator) -> tuple:
    return (torch.randint(0, 50, (2, 7), generator=g),)


def _proj(m):
    m.q, m.k, m.v = nn.Linear(16, 16), nn.Linear(16, 16), nn.Linear(16, 16)


def _proj_masked(m):
    _proj(m)
    keep = torch.rand(8, 8, generator=torch.Generator().manual_seed(3)) > 0.4
    keep[:, 0] = True  # no row masked everywhere (PyTorch: NaN)
    m.register_buffer("keep", keep)


OPS: dict[str, Op] = {
    # -- elementwise unary: one TABLE each (clamp family: a rescale)
    **{name: Op("unary", (lambda f: lambda m, x: f(x))(f), (S,)) for name, f in {
        "neg": torch.neg, "exp": torch.exp, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "silu": F.silu, "gelu": F.gelu, "gelu-tanh": lambda x: F.gelu(x, approximate="tanh"),
        "elu": F.elu, "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid, "softplus": F.softplus,
        "erf": torch.erf, "floor": torch.floor, "ceil": torch.ceil, "round": torch.round, "sign": torch.sign,
    }.items()},
    **{name: Op("unary", (lambda f: lambda m, x: f(x))(f), (S,), positive=True) for name, f in {
        "log": torch.log, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt, "reciprocal": torch.reciprocal,
    }.items()},
    "abs": Op("unary", lambda m, x: torch.abs(x), (S,)),
    # a slope per channel: two RESCALEs + MAXIMUM (MINIMUM when all slopes >= 1); one slope: the table
    "prelu": Op("unary", lambda m, x: m.layer(x), (S,), init=_prelu([-0.5, 0.0, 0.25, 0.9])),
    "prelu-steep": Op("unary", lambda m, x: m.layer(x), (S,), init=_prelu([1.0, 1.5, 2.0, 3.0])),
    "prelu-single": Op("unary", lambda m, x: m.layer(x), (S,), init=_prelu([0.2])),
    "leaky_relu": Op("unary", lambda m, x: F.leaky_relu(x, 0.1), (S,)),
    **{name: Op("unary", (lambda f: lambda m, x: f(x))(f), (S,)) for name, f in {
        "relu": F.relu, "relu6": F.relu6, "hardtanh": F.hardtanh, "clamp": lambda x: x.clamp(-0.5, 1.0),
    }.items()},
    # -- binary and selection
    "add": Op("binary", lambda m, a, b: a + b, (S, S)),
    "sub": Op("binary", lambda m, a, b: a - b, (S, S)),
    "rsub": Op("binary", lambda m, a: 1.0 - a, (S,)),
    "mul": Op("binary", lambda m, a, b: a * b, (S, S)),
    "div-constant": Op("binary", lambda m, a: a / 3.0, (S,)),
    "div-tensor": Op("binary", lambda m, a, b: a / b, (S, S)),  # b crosses 0: exact-zero codes saturate
    "div-tensor-positive": Op("binary", lambda m, a, b: a / (b.abs() + 0.5), (S, S)),
    "pow-2": Op("binary", lambda m, a: a ** 2, (S,)),
    "maximum": Op("binary", lambda m, a, b: torch.maximum(a, b), (S, S)),
    "minimum": Op("binary", lambda m, a, b: torch.minimum(a, b), (S, S)),
    "where-gt": Op("binary", lambda m, a, b: torch.where(a > b, a, b), (S, S)),
    "where-ge": Op("binary", lambda m, a, b: torch.where(a >= b, a, b), (S, S)),
    "where-lt": Op("binary", lambda m, a, b: torch.where(a < b, a, b), (S, S)),
    "where-le": Op("binary", lambda m, a, b: torch.where(a <= b, a, b), (S, S)),
    "where-eq": Op("binary", lambda m, a, b: torch.where(a == b, a, -b), (S, S), inputs=_equal_half),
    "where-ne": Op("binary", lambda m, a, b: torch.where(a != b, a, -b), (S, S), inputs=_equal_half),
    "where-scalar": Op("binary", lambda m, a, b: torch.where(a > b, a, 0.5), (S, S)),
    "where-constant": Op("binary", lambda m, a: torch.where(a > 0, a, -1.0), (S,)),
    "masked_fill": Op("binary", lambda m, a, b: b.masked_fill(a > b, -0.5), (S, S)),
    "logical_and": Op("binary", lambda m, a, b: torch.where((a > b) & (a > 0), a, b), (S, S)),
    "logical_or": Op("binary", lambda m, a, b: torch.where((a > b) | (b < -1), a, b), (S, S)),
    "logical_not": Op("binary", lambda m, a, b: torch.where(~(a > b), a, b), (S, S)),
    # -- reductions
    "sum": Op("reduction", lambda m, x: x.sum(dim=-1, keepdim=True), (S,)),
    "mean": Op("reduction", lambda m, x: x.mean(dim=(2, 3)), (S,)),
    "amax": Op("reduction", lambda m, x: x.amax(dim=1), (S,)),
    # the U55 pipeline decomposes ARGMAX (tosaic-decompose-argmax)
    "argmax": Op("reduction", lambda m, x: torch.argmax(x, dim=1), (S,), per_target=True),
    "argmax-last": Op("reduction", lambda m, x: torch.argmax(x, dim=-1), (S,), per_target=True),
    "cumsum": Op("reduction", lambda m, x: torch.cumsum(x, dim=-1), (S,)),
    "cumsum-dim1": Op("reduction", lambda m, x: torch.cumsum(x, dim=1), (S,)),
    "amin": Op("reduction", lambda m, x: x.amin(dim=-1, keepdim=True), (S,)),
    # -- normalisation
    "layer_norm": Op("norm", lambda m, x: F.layer_norm(x, (16,)), ((1, 8, 16),)),
    "rms_norm": Op("norm", lambda m, x: m.layer(x), ((1, 8, 16),),
                   init=lambda m: setattr(m, "layer", nn.RMSNorm(16, eps=1e-6))),
    # -- softmax family
    "softmax": Op("softmax", lambda m, x: torch.softmax(x, dim=-1), (S,)),
    "log_softmax": Op("softmax", lambda m, x: torch.log_softmax(x, dim=1), (S,)),
    "sdpa": Op("softmax", lambda m, x: F.scaled_dot_product_attention(m.q(x), m.k(x), m.v(x)), ((1, 8, 16),), init=_proj),
    "sdpa-causal": Op("softmax", lambda m, x: F.scaled_dot_product_attention(m.q(x), m.k(x), m.v(x), is_causal=True),
                      ((1, 8, 16),),
                      init=_proj),
    "sdpa-bool-mask": Op("softmax", lambda m, x: F.scaled_dot_product_attention(m.q(x), m.k(x), m.v(x),
                                                                                 attn_mask=m.keep),
                         ((1, 8, 16),),
                         init=_proj_masked),
    "multihead_attention": Op("softmax", lambda m, x: m.layer(x, x, x, need_weights=False)[0], ((1, 8, 16),), init=_mha),
    # -- convolution and matmul
    "conv1d": Op("conv", lambda m, x: m.layer(x), ((1, 4, 16),),
                 init=lambda m: setattr(m, "layer", nn.Conv1d(4, 8, 3, padding=1))),
    "conv2d": Op("conv", lambda m, x: m.layer(x), (S,), init=_conv(4, 8, 3, padding=1)),
    "conv2d-stride-dilation": Op("conv", lambda m, x: m.layer(x), (S,),
                                 init=_conv(4, 8, 3, stride=2, dilation=2, padding=2)),
    "depthwise_conv2d": Op("conv", lambda m, x: m.layer(x), (S,),
                           init=_conv(4, 4, 3, padding=1, groups=4)),
    "grouped_conv2d": Op("conv", lambda m, x: m.layer(x), (S,),
                         init=_conv(4, 8, 3, padding=1, groups=2)),
    "transpose_conv2d": Op("conv", lambda m, x: m.layer(x), (S,),
                           init=lambda m: setattr(m, "layer", nn.ConvTranspose2d(4, 4, 2, stride=2))),
    "linear": Op("conv", lambda m, x: m.layer(x), ((1, 8, 16),), init=_linear),
    "addmm": Op("conv", lambda m, a, b, c: torch.addmm(a, b, c), ((8, 8), (8, 8), (8, 8))),
    "mm": Op("conv", lambda m, a, b: a @ b, ((8, 16), (16, 8))),
    "bmm": Op("conv", lambda m, a, b: torch.bmm(a, b), ((2, 8, 16), (2, 16, 8))),
    "matmul-4d": Op("conv", lambda m, a, b: a @ b, ((1, 2, 8, 16), (1, 2, 16, 8))),
    "glu": Op("conv", lambda m, x: F.glu(x, dim=1), (S,)),
    # -- pooling and resize
    "max_pool1d": Op("pool", lambda m, x: F.max_pool1d(x, 2), ((1, 4, 16),)),
    "max_pool2d": Op("pool", lambda m, x: F.max_pool2d(x, 3, 2, padding=1), (S,)),
    "avg_pool2d": Op("pool", lambda m, x: F.avg_pool2d(x, 2), (S,)),
    "upsample_nearest2d": Op("pool", lambda m, x: F.interpolate(x, scale_factor=2, mode="nearest"), (S,)),
    "upsample_bilinear2d": Op("pool", lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear"), (S,)),
    "upsample_bilinear2d-align": Op("pool", lambda m, x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                                         align_corners=True), (S,)),
    "upsample_bilinear2d-size": Op("pool", lambda m, x: F.interpolate(x, size=(13, 11), mode="bilinear"), (S,)),
    "pixel_shuffle": Op("pool", lambda m, x: F.pixel_shuffle(x, 2), (S,)),
    "pixel_unshuffle": Op("pool", lambda m, x: F.pixel_unshuffle(x, 2), (S,)),
    # -- data movement
    "cat": Op("data", lambda m, a, b: torch.cat([a, b], dim=1), (S, S)),
    "stack": Op("data", lambda m, a, b: torch.stack([a, b], dim=1), (S, S)),
    "split": Op("data", lambda m, x: torch.split(x, 2, dim=1)[1], (S,)),
    "chunk": Op("data", lambda m, x: torch.chunk(x, 2, dim=-1)[0], (S,)),
    "unbind": Op("data", lambda m, x: torch.unbind(x, dim=1)[2], (S,)),
    "slice": Op("data", lambda m, x: x[:, 1:3, 2:], (S,)),
    "select": Op("data", lambda m, x: x[:, 1], (S,)),
    "index_select": Op("data", lambda m, x: torch.index_select(x, 1, torch.tensor([3, 0, 2])), (S,)),
    # token ids as an int64 graph input (int32 in the flatbuffer); Ethos-U: tosaic-decompose-gather
    "embedding": Op("data", lambda m, ids: m.layer(ids), ((2, 7),), init=_embedding, inputs=_token_ids,
                    per_target=True),
    "permute": Op("data", lambda m, x: x.permute(0, 2, 3, 1), (S,)),
    "transpose": Op("data", lambda m, x: x.transpose(1, 2), (S,)),
    "view": Op("data", lambda m, x: x.view(1, 16, 16), (S,)),
    "flatten": Op("data", lambda m, x: x.flatten(1), (S,)),
    "unflatten": Op("data", lambda m, x: x.unflatten(1, (2, 2)), (S,)),
    "squeeze": Op("data", lambda m, x: x.squeeze(0), (S,)),
    "unsqueeze": Op("data", lambda m, x: x.unsqueeze(1), (S,)),
    "expand": Op("data", lambda m, x: x.expand(2, 4, 8, 8), ((1, 4, 8, 1),)),
    "repeat": Op("data", lambda m, x: x.repeat(1, 2, 1, 1), (S,)),
    "flip": Op("data", lambda m, x: x.flip(-1), (S,)),
    "constant_pad_nd": Op("data", lambda m, x: F.pad(x, (1, 1, 2, 0)), (S,)),
    "tril": Op("data", lambda m, x: torch.tril(x), ((1, 8, 8),)),
}
