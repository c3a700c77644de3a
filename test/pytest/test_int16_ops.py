"""int16 activations (a16w8) through the non-convolution lowerings, end to end: the
reference model against the fake-quantized PyTorch program in int16 LSB, and Vela for an
Ethos-U55 and an Ethos-U85 with every operator on the NPU.

Residual adds, muls, clamps, pools, means, cat/pad are bit-exact but for RESCALE's
round-half-up ties. sigmoid/tanh go through TOSA's interpolated int16 TABLE, whose
linear interpolation between knots 128 input codes apart cannot follow the curve exactly:
their bit-exactness is measured (see tosaic.quantization.table16) and asserted at what
the interpolation allows, below the 99% of the other ops."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic import vela
from tosaic.quantization import quantize_model

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


def _check(make_model, shape, input_scale: float = 1.0):
    """Quantize `make_model()` (built after seeding, so its weights do not depend on the
    test order) with a16w8 and compare it on a fresh input."""
    torch.manual_seed(0)
    model = make_model()
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g) * input_scale,) for _ in range(8)]
    program = quantize_model(model.eval(), calibration[0], "a16w8", calibration)
    return check_quantized(program, (torch.randn(*shape, generator=g) * input_scale,))


def _assert_all_on_npu(check, tmp_path):
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    results = {}
    for accelerator in ACCELERATORS:
        result = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.npu_ops, result.cpu_ops)
        assert result.cycles_total > 0
        results[accelerator] = result
    return results


def _ops(check):
    return check.result.report["ops"]


def _io_dtypes(check):
    return {s.dtype for s in check.result.inputs + check.result.outputs}


class ConvFreeResidual(nn.Module):
    """Two branches of elementwise ops and a pool, added: add, mul, relu, relu6, max pool."""

    def forward(self, x):
        a = F.relu6(x * 0.75 + 0.5)
        b = F.max_pool2d(F.relu(x), 3, stride=1, padding=1) * x
        return F.relu(a + b)


class ConvResidual(nn.Module):
    """conv + relu, conv, add, relu (the ResNet basic block's tail) on int16."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        y = F.relu(self.c1(x))
        return F.relu(y + self.c2(y))


@pytest.mark.parametrize("model", [ConvFreeResidual, ConvResidual])
def test_residual_add(model, tmp_path):
    check = _check(model, (1, 4, 8, 8))
    check.assert_ok()  # measured: 0 LSB / 100% (conv-free), 1 LSB / 99.4% (with convs)
    assert _io_dtypes(check) == {"i16"}
    assert "tosa.add" in _ops(check)
    _assert_all_on_npu(check, tmp_path)


class Pools(nn.Module):
    """max pool (shared qparams), 2x2 average pool and a global mean with their own
    output qparams (int48 window sums), then a broadcast add of the two."""

    def forward(self, x):
        pooled = F.avg_pool2d(F.max_pool2d(x, 2), 2)
        return pooled + x.mean((2, 3), keepdim=True)


def test_pools_and_mean(tmp_path):
    check = _check(Pools, (1, 4, 8, 8))
    check.assert_ok()  # measured: 0 LSB, 100% bit-exact
    ops = _ops(check)
    assert ops["tosa.max_pool2d"] == 1 and ops["tosa.depthwise_conv2d"] == 2  # two window sums
    assert "i48" in check.result.mlir
    _assert_all_on_npu(check, tmp_path)


class CatPad(nn.Module):
    def forward(self, x):
        padded = F.pad(x, (1, 1, 1, 1))
        return torch.cat([padded, F.relu(padded) * 2.0], dim=1)[:, :, 1:, :].transpose(2, 3)


def test_cat_pad_data_movement(tmp_path):
    check = _check(CatPad, (1, 4, 6, 6))
    check.assert_ok()
    ops = _ops(check)
    assert ops["tosa.concat"] == 1 and ops["tosa.pad"] >= 1
    _assert_all_on_npu(check, tmp_path)


class Activation(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 1)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.conv(x))


# Measured with these seeds: sigmoid 1 LSB, 98.8% bit-exact; tanh 1 LSB, 96.3% (the two-
# table form; one table: ~82%). The interpolation error grows with the square of the
# input range the table spans (table16's docstring).
@pytest.mark.parametrize("fn, min_exact", [(torch.sigmoid, 0.985), (torch.tanh, 0.95)])
def test_sigmoid_tanh_int16_table(fn, min_exact, tmp_path):
    check = _check(lambda: Activation(fn), (1, 4, 8, 8))
    assert check.max_lsb <= 1, check.max_lsb
    assert check.bit_exact >= min_exact, check.bit_exact
    ops = _ops(check)
    assert ops["tosa.table"] in (1, 2) and "tosa.sigmoid" not in ops and "tosa.tanh" not in ops
    assert "513xi16" in check.result.mlir
    _assert_all_on_npu(check, tmp_path)
