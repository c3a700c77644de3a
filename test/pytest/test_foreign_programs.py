"""Programs quantized by ExecuTorch's Arm quantizer compile and match their own
fake-quantized PyTorch execution (see data/README.md for how they were made)."""

import os

import pytest
import torch

import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  (registers the Q/DQ ops)
from quantized_check import check_quantized, user_input_shapes

DATA = os.path.join(os.path.dirname(__file__), "data")


def _checked(name: str):
    """The fixture `executorch_arm_<name>.pt2`, checked against its own fake-quantized program on
    three random inputs; the last check."""
    program = torch.export.load(os.path.join(DATA, f"executorch_arm_{name}.pt2"))
    shapes = user_input_shapes(program)
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        check = check_quantized(program, tuple(torch.randn(*s, generator=g) for s in shapes))
        check.assert_ok()
    return check


def _assert_on_both_npus(check, tmp_path):
    from tosaic.targets import vela

    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ("ethos-u55-128", "ethos-u85-256"):
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops > 0, (accelerator, placement.cpu_operators)


@pytest.mark.parametrize("name", ["residual", "conv_pool"])
def test_executorch_arm_quantized_program(name):
    check = _checked(name)
    assert "tosa.conv2d" in check.result.report["ops"]


@pytest.mark.lowering("quantized_constant", "add", "sub", "mul", "table")
def test_executorch_arm_batch_norm_alone(tmp_path):
    """ExecuTorch's batch norm alone (not folded into a conv): its `view_copy` of the
    statistics and its quantized eps (a `full`) lower; each step is quantized."""
    _assert_on_both_npus(_checked("batch_norm"), tmp_path)


@pytest.mark.lowering("softmax.max", "add", "sub", "mul", "mean", "table")
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "layer_norm"])
def test_executorch_arm_decomposed_softmax_and_norm(name, tmp_path):
    """ExecuTorch quantizes each step of its softmax decomposition (amax, sub, exp, sum,
    reciprocal, mul [, log]) and of layer norm: each step lowers on its own, bit-exact to
    the fake-quantized step, all on the NPU of both targets."""
    check = _checked(name)
    ops = check.result.report["ops"]
    assert not any(name in ops for name in ("tosa.exp", "tosa.reciprocal", "tosa.rsqrt", "tosa.log"))
    _assert_on_both_npus(check, tmp_path)


@pytest.mark.parametrize("name", ["cumsum", "cumsum_dim1", "div_constant", "tril", "prelu"])
def test_executorch_arm_composites(name, tmp_path):
    """ExecuTorch's cumsum (left whole: rewritten to a linear layer with an exactly quantized
    0/1 weight; along dim 1, that dim moved last and back), its tril (a comparison of quantized
    aranges: a condition of constants, evaluated at import), its prelu and its division by a constant (the reciprocal of a quantized constant: a
    region of constants, folded) compile, match the program, and run on both NPUs."""
    _assert_on_both_npus(_checked(name), tmp_path)


@pytest.mark.lowering("matmul")
def test_executorch_arm_bilinear_align_corners(tmp_path):
    """ExecuTorch's bilinear upsampling (left whole, input and output sharing qparams) as two
    linears with exact weight codes and an exact int16 intermediate: one rounding, as in the
    program; align_corners=True (weights in 15ths) has no ties: bit-exact, on both NPUs."""
    check = _checked("bilinear_align")
    assert (check.max_lsb, check.bit_exact) == (0, 1.0)
    assert "tosa.resize" not in check.result.report["ops"]
    _assert_on_both_npus(check, tmp_path)


def test_executorch_arm_bilinear_ties_only():
    """Scale 2 (weights 1/4, 3/4): the interpolated codes land on exact halves, which TOSA's
    RESCALE rounds up and PyTorch to even (ExecuTorch's own lowering differs the same way).
    Every differing element is such a tie, and by 1."""
    import numpy as np
    import torch.nn.functional as F

    program = torch.export.load(os.path.join(DATA, "executorch_arm_bilinear.pt2"))
    x = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    check = check_quantized(program, (x,))
    q = check.result.outputs[0].quantization
    dq = [n for n in program.graph.nodes if "dequantize_per_tensor" in str(n.target)][0]
    scale, zp = float(dq.args[1]), int(dq.args[2])
    codes = torch.clamp(torch.round(x / scale) + zp, -128, 127)
    assert (q["scale"], q["zero_point"]) == (scale, zp)  # shared: the output in input code units
    exact = F.interpolate((codes - zp).double(), scale_factor=2, mode="bilinear") + zp  # k/16: exact in float64
    want = np.clip(np.floor(exact.numpy() + 0.5), -128, 127)  # RESCALE: half up
    np.testing.assert_array_equal(check.outputs[0], want)
    ties = np.abs(exact.numpy() - np.floor(exact.numpy()) - 0.5) < 1e-6
    assert check.max_lsb == 1 and 0 < ties.mean() < 0.2 and check.bit_exact >= 1 - ties.mean()


def test_executorch_arm_attention_with_a_boolean_mask(tmp_path):
    """ExecuTorch's scaled_dot_product_attention with a constant boolean mask: its additive
    mask is where(mask, quantized 0, quantized -256) of a boolean buffer, which torch-mlir
    cannot import as it is (rewritten as an int32 constant > 0, folded by the where entry);
    then its decomposed softmax. Matches the program, all on both NPUs (ExecuTorch's own
    lowering leaves the where on the CPU)."""
    check = _checked("sdpa_bool_mask")
    assert "tosa.select" not in check.result.report["ops"]
    _assert_on_both_npus(check, tmp_path)
