"""adaptive_avg_pool2d with output sizes that do not divide the input's, end to end behind a
conv: tosaic's quantizer (a8w8), the integer TOSA on the reference model vs the
fake-quantized PyTorch program (max 1 LSB, >= 99% bit-exact), every operator on the NPU of
Ethos-U55-128 and Ethos-U85-256 (Vela), and the float TOSA (`tosa-fp`) vs PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import tosaic
from quantized_check import check_quantized
from tosaic.frontend.decompositions import adaptive_windows
from tosaic.quantization import quantize_model
from tosaic.targets import vela

pytestmark = pytest.mark.lowering("adaptive_avg_pool2d", "avg_pool2d")


class AdaptiveAfterConv(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.size = size

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.conv(x), self.size)


def test_windows_are_pytorchs():
    x = torch.arange(7.0 * 5).reshape(1, 1, 7, 5)
    want = F.adaptive_avg_pool2d(x, (3, 2))
    rows, cols = adaptive_windows(7, 3), adaptive_windows(5, 2)
    got = torch.tensor([[x[0, 0, a:b, c:d].mean() for c, d in cols] for a, b in rows])
    assert torch.equal(want[0, 0], got)


@pytest.mark.parametrize(
    "shape, size, counts_vary",
    [
        ((1, 3, 5, 10), (3, 4), True),  # windows of 2 and 3 along both axes
        ((1, 3, 7, 7), (3, 3), False),  # overlapping windows of one length: a plain avg_pool2d
        ((1, 3, 5, 9), (3, 2), True),  # counts vary along H (5 -> 3: 2, 3, 2), not W (9 -> 2: 5, 5)
        ((1, 3, 8, 5), (4, 3), True),  # H divides, W does not (5 -> 3)
        ((1, 3, 9, 9), (2, 2), False),  # windows of 5 side by side: stride 5, summed by REDUCE_SUMs (U55)
    ],
    ids=["5x10-to-3x4", "7x7-to-3x3", "5x9-to-3x2", "8x5-to-4x3", "9x9-to-2x2"],
)
def test_adaptive_avg_pool2d(shape, size, counts_vary, tmp_path):
    torch.manual_seed(0)
    model = AdaptiveAfterConv(size).eval()
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(4)]
    program = quantize_model(model, (torch.randn(*shape),), "a8w8", calibration)
    check = check_quantized(program, (torch.randn(*shape, generator=g) * 1.5,))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert "tosa.gather" not in ops and "tosa.avg_pool2d" not in ops
    assert ("tosa.mul" in ops) == counts_vary
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ("ethos-u55-128", "ethos-u85-256"):
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops > 0, accelerator

    x = torch.randn(*shape, generator=g)
    result = tosaic.compile(model, (x,), target="tosa-fp")
    (got,) = tosaic.run(result.flatbuffer, [x.numpy()])
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-5)
