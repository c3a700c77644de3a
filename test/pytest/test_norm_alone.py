"""Normalisations beyond layer norm end to end, quantized by tosaic's own quantizer (a8w8):
group_norm (a layer norm over the groups, then the per-channel affine), batch_norm alone
(not folded into a convolution: one integer affine per channel) and the hand-written
RMSNorm `x * rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w` (pow by 2 as an int8
TABLE). Each against the fake-quantized program (max 1 LSB, >= 99% bit-exact), every
operator on the NPU of Ethos-U55-128 and Ethos-U85-256 (Vela)."""

import pytest
import torch
import torch.nn as nn

from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from tosaic.targets import vela

pytestmark = pytest.mark.lowering("layer_norm", "batch_norm", "var", "linalg_vector_norm")


def _group_norm(groups, channels, affine=True):
    norm = nn.GroupNorm(groups, channels, affine=affine)
    if affine:
        norm.weight.data = torch.randn(channels) * 0.5 + 1.0
        norm.bias.data = torch.randn(channels) * 0.3
    return norm


def _batch_norm(channels):
    bn = nn.BatchNorm2d(channels)
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.2, 2.0)
    bn.weight.data.uniform_(-1.5, 1.5)
    bn.bias.data.uniform_(-0.3, 0.3)
    return bn


class HandRMSNorm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n) * 0.5 + 1.0)

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class AfterConv(nn.Module):
    def __init__(self, fn, channels=8):
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 1)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.conv(x))


CASES = {
    "group_norm-4": (lambda: AfterConv(_group_norm(4, 8)), (1, 3, 8, 8), "tosa.clz"),
    "group_norm-instance": (lambda: AfterConv(_group_norm(8, 8)), (1, 3, 8, 8), "tosa.clz"),
    # a relu between conv and batch norm: the quantizer cannot fold the batch norm into the conv
    "batch_norm-after-relu": (lambda: AfterConv(nn.Sequential(nn.ReLU(), _batch_norm(8))), (1, 3, 8, 8), None),
    "batch_norm-input": (lambda: _batch_norm(3), (1, 3, 8, 8), None),
    "rms_norm-hand-written": (lambda: AfterConv(HandRMSNorm(8)), (1, 3, 8, 8), "tosa.table"),
    # var: the exact int32 N^2 var of the codes, one rescale
    "var-channels": (lambda: AfterConv(Fn(lambda y: torch.var(y, dim=1, keepdim=True))), (1, 3, 8, 8), "tosa.reduce_sum"),
    "var-spatial-correction0": (lambda: AfterConv(Fn(lambda y: torch.var(y, dim=(2, 3), correction=0))), (1, 3, 8, 8),
                                "tosa.reduce_sum"),
    # linalg_vector_norm (ord 2): sum of squares, integer sqrt (Newton), one rescale
    "vector_norm-last": (lambda: AfterConv(Fn(lambda y: torch.linalg.vector_norm(y, dim=-1, keepdim=True))),
                         (1, 3, 8, 8), "tosa.clz"),
    "vector_norm-channels": (lambda: AfterConv(Fn(lambda y: torch.linalg.vector_norm(y, dim=1))), (1, 3, 8, 8),
                             "tosa.clz"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_norm_alone(name, tmp_path):
    make, shape, marker = CASES[name]
    torch.manual_seed(0)
    model = make().eval()
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(4)]
    program = quantize_model(model, (torch.randn(*shape),), "a8w8", calibration)
    check = check_quantized(program, (torch.randn(*shape, generator=g),))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert "tosa.rsqrt" not in ops and "tosa.gather" not in ops and "tosa.cast" not in ops
    if marker:
        assert marker in ops
    else:  # batch norm: one int32 multiply per element, no table, no normalisation
        assert ops.get("tosa.mul") == 1 and "tosa.table" not in ops and "tosa.clz" not in ops
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ("ethos-u55-128", "ethos-u85-256"):
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops > 0, accelerator
