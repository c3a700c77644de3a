"""Attention quantized by tosaic's quantizer end to end: `scaled_dot_product_attention`
(which the quantizer rewrites as its math, see `decompose_attention`) and
`nn.MultiheadAttention` become linear layers, batched matmuls and the integer softmax.
Checked against the fake-quantized PyTorch program (max 1 LSB, >= 99% bit-exact) and
compiled by Vela for Ethos-U55-128 and Ethos-U85-256 with every operator on the NPU."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from tosaic.quantization.quantizer import decompose_attention
from tosaic.targets import vela

pytestmark = pytest.mark.lowering("matmul", "softmax", "mul")


class Attention(nn.Module):
    def __init__(self, d=16, tokens=8, mask=False):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        # an additive float mask (a padding mask: the last two keys hidden)
        self.register_buffer("mask", torch.where(torch.arange(tokens) < tokens - 2, 0.0, -10.0) if mask else None)

    def forward(self, x):
        return F.scaled_dot_product_attention(self.q(x), self.k(x), self.v(x), attn_mask=self.mask)


class MultiheadAttention(nn.Module):
    def __init__(self, d=16, heads=2):
        super().__init__()
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]


def _inputs(shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("model", [Attention, lambda: Attention(mask=True), MultiheadAttention],
                         ids=["sdpa", "sdpa-float-mask", "multihead-attention"])
def test_attention(model, tmp_path):
    torch.manual_seed(0)
    shape = (1, 8, 16)
    program = quantize_model(model().eval(), (_inputs(shape, 1),), "a8w8", [(_inputs(shape, s),) for s in range(2, 6)])
    check = check_quantized(program, (_inputs(shape, 7),))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert ops["tosa.matmul"] == 2 and ops["tosa.clz"] == 1 and "tosa.exp" not in ops
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ("ethos-u55-128", "ethos-u85-256"):
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops > 0


def test_decompose_attention_leaves_what_it_cannot_rewrite():
    """A causal attention is rewritten (its mask a constant where(keep, scores, -inf) before the
    softmax); a boolean mask computed at run time (a graph input) stays fused."""

    class Causal(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    class InputMask(nn.Module):
        def forward(self, q, k, v, mask):
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    x = torch.randn(1, 2, 4, 8)
    gm = torch.export.export(Causal(), (x, x, x)).module(check_guards=False)
    assert decompose_attention(gm) == 1
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert torch.ops.aten.where.ScalarOther in targets and torch.ops.aten.softmax.int in targets
    mask = torch.ones(4, 4, dtype=torch.bool)
    gm = torch.export.export(InputMask(), (x, x, x, mask)).module(check_guards=False)
    assert decompose_attention(gm) == 0
    gm = torch.export.export(Attention().eval(), (torch.randn(1, 8, 16),)).module(check_guards=False)
    assert decompose_attention(gm) == 1
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert torch.ops.aten.scaled_dot_product_attention.default not in targets
    assert torch.ops.aten.softmax.int in targets
