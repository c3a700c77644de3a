"""Quantized normalisation end to end (tosaic-lower-quantized-norm): layer norm and RMSNorm
quantized by tosaic's quantizer become int32 sums, an integer Newton rsqrt and a
per-channel affine. Each model is checked against the fake-quantized PyTorch program
(max 1 LSB, >= 99% bit-exact), constant and nearly constant rows included, and compiled
by Vela for Ethos-U55-128 and Ethos-U85-256 with every operator on the NPU."""

import pytest
import torch
import torch.nn as nn

from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from tosaic.targets import vela

pytestmark = pytest.mark.lowering("layer_norm")


class LayerNorm(nn.Module):
    def __init__(self, n, affine=True, bias=True):
        super().__init__()
        self.norm = nn.LayerNorm(n, elementwise_affine=affine, bias=bias)
        if affine:
            self.norm.weight.data = torch.randn(n) * 0.5 + 1.0
            if bias:
                self.norm.bias.data = torch.randn(n) * 0.3

    def forward(self, x):
        return self.norm(x)


class RMSNorm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.norm = nn.RMSNorm(n, eps=1e-6)
        self.norm.weight.data = torch.randn(n) * 0.5 + 1.0

    def forward(self, x):
        return self.norm(x)


class LinearLayerNorm(nn.Module):
    """A transformer's pre-norm projection: the norm's output feeds a quantized linear."""

    def __init__(self, n):
        super().__init__()
        self.norm = LayerNorm(n)
        self.fc = nn.Linear(n, 16)

    def forward(self, x):
        return self.fc(self.norm(x))


def _inputs(shape, seed, spread=1.0, offset=0.5):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * spread + offset


@pytest.mark.parametrize(
    "model, shape",
    [
        (lambda: LayerNorm(32), (1, 16, 32)),
        (lambda: LayerNorm(32, affine=False), (2, 8, 32)),
        (lambda: LayerNorm(192, bias=False), (1, 4, 192)),
        (lambda: LayerNorm(768), (1, 2, 768)),
        (lambda: RMSNorm(64), (1, 8, 64)),
        (lambda: LinearLayerNorm(32), (1, 8, 32)),
    ],
    ids=["layer_norm-32", "layer_norm-no-affine", "layer_norm-192-no-bias", "layer_norm-768", "rms_norm-64",
         "layer_norm-linear"],
)
def test_norm(model, shape, tmp_path):
    torch.manual_seed(0)
    module = model().eval()
    program = quantize_model(module, (_inputs(shape, 1),), "a8w8", [(_inputs(shape, s),) for s in range(2, 6)])
    x = _inputs(shape, 7)
    x[0, 0] = 0.25  # a constant row: the output is the bias
    x[0, 1] = 0.0
    x[0, 1, 3] = 0.1  # nearly constant: one code off the rest
    check = check_quantized(program, (x,))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert ops["tosa.clz"] == 1 and "tosa.rsqrt" not in ops and "tosa.cast" not in ops
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ("ethos-u55-128", "ethos-u85-256"):
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops > 0
