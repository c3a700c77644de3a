"""Quantized programs end to end: integer TOSA on the reference model vs the fake-quantized
program (max 1 LSB, >= 99% bit-exact)."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic.driver.errors import TosaicError
from tosaic.quantization import quantize_model


def _calibration(shape, n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(*shape, generator=g),) for _ in range(n)]


class ConvReluNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, dilation=1)
        self.c3 = nn.Conv2d(16, 8, 1)

    def forward(self, x):
        x = F.relu(self.bn(self.c1(x)))
        x = F.relu6(self.c2(x))
        return self.c3(x)


def test_conv_bn_relu_is_bit_exact():
    torch.manual_seed(0)
    model, shape = ConvReluNet().eval(), (1, 3, 16, 16)
    program = quantize_model(model, (torch.randn(*shape),), "a8w8", _calibration(shape))
    check = check_quantized(program, (torch.randn(*shape),))
    check.assert_ok()
    ops = check.result.report["ops"]
    assert ops["tosa.conv2d"] == 3 and "tosa.transpose" in ops
    assert all(s.dtype == "i8" for s in check.result.inputs + check.result.outputs)


def test_float_target_refuses_quantized_program():
    torch.manual_seed(0)
    shape = (1, 3, 8, 8)
    program = quantize_model(ConvReluNet().eval(), (torch.randn(*shape),), "a8w8")
    with pytest.raises(TosaicError, match="quantized"):
        check_quantized(program, (torch.randn(*shape),), target="tosa-fp")


def test_unlowered_float_op_is_refused_with_its_location():
    class Atan(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return torch.atan(self.conv(x))  # atan: quantized by nobody, no integer lowering

    torch.manual_seed(0)
    shape = (1, 3, 4, 4)
    program = quantize_model(Atan().eval(), (torch.randn(*shape),), "a8w8")
    with pytest.raises(TosaicError) as info:
        check_quantized(program, (torch.randn(*shape),))
    message = str(info.value)
    assert "floating point" in message
    assert "test_quantized_e2e.py" in message  # the user's source line
