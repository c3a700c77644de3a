"""Quantized activations end to end: elementwise functions become one int8 TABLE
(tosaic-lower-quantized-table) and softmax an integer decomposition
(tosaic-lower-quantized-softmax). Each model is checked against the fake-quantized
PyTorch program (max 1 LSB, >= 99% bit-exact) and compiled by Vela for Ethos-U55-128
with every operator on the NPU."""

import subprocess

import pytest
import torch
import torch.nn as nn

from quantized_check import check_quantized
from tosaic.targets import vela
from tosaic.quantization import quantize_model

pytestmark = pytest.mark.lowering("table", "softmax")


def _calibration(shape, n=4, seed=1, spread=1.0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(*shape, generator=g) * spread,) for _ in range(n)]


def _compile_for_u55(check, tmp_path):
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    return vela.run_vela(str(path), "ethos-u55-128", str(tmp_path / "vela"))


class ConvActivation(nn.Module):
    def __init__(self, activation):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.activation = activation

    def forward(self, x):
        return self.activation(self.conv(x))


@pytest.mark.parametrize("activation", [nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid])
def test_conv_activation_is_one_table(activation, tmp_path):
    torch.manual_seed(0)
    shape = (1, 3, 8, 8)
    model = ConvActivation(activation()).eval()
    program = quantize_model(model, (torch.randn(*shape),), "a8w8", _calibration(shape, spread=2.0))
    check = check_quantized(program, (torch.randn(*shape) * 2.0,))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert ops["tosa.table"] == 1 and ops["tosa.conv2d"] == 1
    assert not any(name in ops for name in ("tosa.sigmoid", "tosa.tanh", "tosa.clamp", "tosa.mul"))
    placement = _compile_for_u55(check, tmp_path)
    assert placement.cpu_ops == 0 and placement.npu_ops >= 2


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


class ConvSoftmaxHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return torch.softmax(torch.flatten(self.conv(x), 1), dim=-1)


@pytest.mark.parametrize(
    "model, shape, spread",
    [(Softmax, (1, 16, 32), 1.0), (Softmax, (1, 4, 64), 4.0), (ConvSoftmaxHead, (1, 3, 4, 4), 2.0)],
    ids=["softmax-16x32", "softmax-wide-input", "conv-flatten-softmax"],
)
def test_softmax(model, shape, spread, tmp_path):
    torch.manual_seed(0)
    program = quantize_model(model().eval(), (torch.randn(*shape),), "a8w8", _calibration(shape, spread=spread))
    check = check_quantized(program, (torch.randn(*shape) * spread,))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert ops["tosa.table"] == 3 and ops["tosa.reduce_sum"] == 1 and ops["tosa.clz"] == 1
    assert "tosa.exp" not in ops and "tosa.reciprocal" not in ops
    placement = _compile_for_u55(check, tmp_path)
    assert placement.cpu_ops == 0 and placement.npu_ops > 0


def test_nan_in_table_is_refused(bin_dir):
    """log of a negative input has no quantized value: a diagnostic, not a silent table."""
    mlir = """
func.func @log(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %l = tosa.log %x : (tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%l) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}
"""
    proc = subprocess.run(
        [f"{bin_dir}/tosaic-opt", "-", "--pass-pipeline=builtin.module(func.func(tosaic-lower-quantized-table))"],
        input=mlir, capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert "'tosaic.quantize' op cannot be a lookup table: the function is NaN for input code -128" in proc.stderr
    assert "Traceback" not in proc.stderr


class LogSoftmax(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return torch.log_softmax(x, dim=self.dim)


@pytest.mark.lowering("log_softmax")
@pytest.mark.parametrize("dim, shape, spread", [(-1, (1, 16, 32), 1.0), (1, (2, 10, 6), 3.0), (-1, (1, 4, 100), 0.5)],
                         ids=["log_softmax-16x32", "log_softmax-dim1", "log_softmax-100"])
def test_log_softmax(dim, shape, spread, tmp_path):
    """s d - ln(sum exp): the exp tables and sum of softmax, the log of the sum from an
    int16 TABLE on its mantissa; on the NPU of both targets."""
    program = quantize_model(LogSoftmax(dim).eval(), (torch.randn(*shape),), "a8w8",
                             _calibration(shape, spread=spread))
    for seed in range(3):
        g = torch.Generator().manual_seed(10 + seed)
        check = check_quantized(program, (torch.randn(*shape, generator=g) * spread,))
        check.assert_ok()
    ops = check.result.report["ops"]
    assert ops["tosa.table"] == 4 and "tosa.log" not in ops and "tosa.exp" not in ops
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ("ethos-u55-128", "ethos-u85-256"):
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops > 0
