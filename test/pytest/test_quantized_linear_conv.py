"""Quantized linear layers, depthwise / grouped / dilated convolutions and matmuls of
activations end to end: integer TOSA on the reference model vs the fake-quantized program
(max 1 LSB, >= 99% bit-exact), and for the MLP and the depthwise block all on the NPU
after Vela, for an Ethos-U55 and an Ethos-U85."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic.targets import vela
from tosaic.quantization import quantize_model
from nets import MLP

pytestmark = pytest.mark.lowering("conv2d", "depthwise_conv2d", "grouped_conv2d", "matmul")

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


def _check(model: nn.Module, *shapes):
    """Quantize `model` (a8w8, calibrated on random batches) and compare it on a fresh input."""
    torch.manual_seed(0)
    model = model.eval()
    g = torch.Generator().manual_seed(1)
    calibration = [tuple(torch.randn(*s, generator=g) for s in shapes) for _ in range(8)]
    example = tuple(torch.randn(*s, generator=g) for s in shapes)
    program = quantize_model(model, example, "a8w8", calibration)
    check = check_quantized(program, tuple(torch.randn(*s, generator=g) for s in shapes))
    check.assert_ok()
    return check


def _assert_all_on_npu(check, tmp_path):
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ACCELERATORS:
        result = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.npu_ops, result.cpu_ops)
        assert result.cycles_total > 0


def _ops(check):
    return check.result.report["ops"]


def test_mlp_lowers_to_1x1_convolutions(tmp_path):
    check = _check(MLP(), (1, 64))
    ops = _ops(check)
    assert ops["tosa.conv2d"] == 2 and "tosa.matmul" not in ops
    # the program's own I/O shapes, int8
    assert [s.shape for s in check.result.inputs] == [[1, 64]]
    assert [s.shape for s in check.result.outputs] == [[1, 10]]
    assert all(s.dtype == "i8" for s in check.result.inputs + check.result.outputs)
    _assert_all_on_npu(check, tmp_path)


class DepthwiseSeparable(nn.Module):
    """dw 3x3 + relu6, pw 1x1 + relu, then a strided dw with channel multiplier 2."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 16, 1)
        self.dw2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=16)

    def forward(self, x):
        return self.dw2(F.relu(self.pw(F.relu6(self.dw(x)))))


def test_depthwise_separable_block(tmp_path):
    check = _check(DepthwiseSeparable(), (1, 8, 12, 12))
    ops = _ops(check)
    # pw, plus the 1x1 conv that repeats dw2's channels for its multiplier 2
    assert ops["tosa.depthwise_conv2d"] == 2 and ops["tosa.conv2d"] == 2
    assert check.result.outputs[0].shape == [1, 32, 6, 6]
    _assert_all_on_npu(check, tmp_path)


class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 12, 3, padding=1, groups=2)

    def forward(self, x):
        return F.relu(self.conv(x))


def test_grouped_conv():
    check = _check(Grouped(), (1, 8, 8, 8))
    ops = _ops(check)
    assert ops["tosa.conv2d"] == 2 and ops["tosa.slice"] == 2 and ops["tosa.concat"] == 1


class Dilated(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=2, dilation=2)
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)

    def forward(self, x):
        return self.dw(self.conv(x))


def test_dilated_conv_and_depthwise():
    check = _check(Dilated(), (1, 4, 10, 10))
    ops = _ops(check)
    assert ops["tosa.conv2d"] == 1 and ops["tosa.depthwise_conv2d"] == 1
    assert "dilation = array<i64: 2, 2>" in check.result.mlir


class Conv1dRelu(nn.Module):
    """conv1d, then a depthwise conv1d with multiplier 2, each with relu: torch-mlir puts the
    layout ops back to NCL between the convolution and the relu."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 16, 3, padding=1)
        self.dw = nn.Conv1d(16, 32, 3, stride=2, padding=1, groups=16)

    def forward(self, x):
        return F.relu(self.dw(F.relu(self.conv(x))))


def test_conv1d_relu():
    check = _check(Conv1dRelu(), (1, 8, 20))
    ops = _ops(check)
    assert ops["tosa.depthwise_conv2d"] == 1 and ops["tosa.conv2d"] == 2
    assert check.result.outputs[0].shape == [1, 32, 10]


class Scores(nn.Module):
    def forward(self, q, k):
        return q @ k.transpose(-1, -2)


class AttentionScores(nn.Module):
    """Linear projections of a sequence, then q @ k^T."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(16, 16)
        self.k = nn.Linear(16, 16)

    def forward(self, x):
        return self.q(x) @ self.k(x).transpose(-1, -2)


@pytest.mark.parametrize(
    "model, shapes, convs",
    [(Scores(), [(1, 2, 4, 8), (1, 2, 6, 8)], 0), (AttentionScores(), [(1, 8, 16)], 2)],
    ids=["q_kT", "linear_q_kT"],
)
def test_matmul_of_activations(model, shapes, convs):
    check = _check(model, *shapes)
    ops = _ops(check)
    assert ops["tosa.matmul"] == 1 and ops.get("tosa.conv2d", 0) == convs
