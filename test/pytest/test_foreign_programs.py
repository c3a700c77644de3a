"""Programs quantized by ExecuTorch's Arm quantizer compile and match their own
fake-quantized PyTorch execution (see data/README.md for how they were made)."""

import os

import pytest
import torch

import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  (registers the Q/DQ ops)
from quantized_check import check_quantized, user_input_shapes

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.mark.parametrize("name", ["residual", "conv_pool"])
def test_executorch_arm_quantized_program(name):
    program = torch.export.load(os.path.join(DATA, f"executorch_arm_{name}.pt2"))
    shapes = user_input_shapes(program)
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        check = check_quantized(program, tuple(torch.randn(*s, generator=g) for s in shapes))
        check.assert_ok()
    assert "tosa.conv2d" in check.result.report["ops"]
