"""int16 activations (a16w8) end to end: conv2d, depthwise, linear and a mixed a8w8/a16w8
model, each with the int48 bias in the convolution (native) and split off into an int32 add
(split): the reference model vs the fake-quantized program (max 1 int16 LSB, >= 99%
bit-exact), all on the NPU after Vela for an Ethos-U55 and an Ethos-U85, and the flatbuffer
keeping the i48 bias and accumulator."""

import re

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic.driver import compiler
from tosaic.pipelines import int48_bias_options
from tosaic.quantization import TosaicQuantizer, quantize_model
from tosaic.targets import tosa_flatbuffer, vela
from nets import MLP

pytestmark = pytest.mark.lowering(
    "conv2d",
    "conv3d",
    "depthwise_conv2d",
    "matmul",
    "add",
    "table",
    "requantize",
)

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")
FORMS = ("native", "split")


class ConvRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv(x))


class Depthwise(nn.Module):
    """Depthwise 3x3 (multiplier 1), then one with channel multiplier 2, strided."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.dw2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=8)

    def forward(self, x):
        return self.dw2(F.relu6(self.dw(x)))


class Mixed(nn.Module):
    """stem and head in a8w8, body and dw in a16w8 (see `mixed_quantizer`)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.body = nn.Conv2d(8, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.relu(self.body(x))
        return self.head(self.dw(x))


def mixed_quantizer():
    return TosaicQuantizer().set_global("a8w8").set_module_name("body", "a16w8").set_module_name("dw", "a16w8")


MODELS = {
    "conv2d": (ConvRelu, (1, 3, 12, 12), None),
    "depthwise": (Depthwise, (1, 8, 12, 12), None),
    "linear": (MLP, (1, 64), None),
    "mixed": (Mixed, (1, 3, 12, 12), mixed_quantizer),
}


def _program(name: str, scheme="a16w8"):
    cls, shape, quantizer = MODELS[name]
    torch.manual_seed(0)
    model = cls().eval()
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(8)]
    q = quantizer() if quantizer else None
    program = quantize_model(model, calibration[0], scheme, calibration, quantizer=q)
    return program, (torch.randn(*shape, generator=g),)


_CHECKS: dict = {}


def _checked(name: str, form: str):
    if (name, form) not in _CHECKS:
        program, inputs = _program(name)
        _CHECKS[name, form] = check_quantized(program, inputs, int48_bias=form)
    return _CHECKS[name, form]


def _i48_biases(mlir: str) -> list[str]:
    return re.findall(r"values = (dense<[^>]*>) : tensor<\d+xi48>", mlir)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", list(MODELS))
def test_int16_numerics_and_form(name, form):
    check = _checked(name, form)
    check.assert_ok()
    report = check.result.report
    assert "int16" in report["activation_types"] and "int16" in report["tosa"]["extensions"]
    assert report["int48_bias"]["form"] == form
    mlir = check.result.mlir
    assert "acc_type = i48" in mlir
    # i48 -> i32 always with a 16-bit multiplier (48-bit input forbids scale32).
    for line in mlir.splitlines():
        if "tosa.rescale" in line and "xi48>, tensor<" in line:
            assert "scale32 = false" in line, line
    nonzero_i48_bias = [b for b in _i48_biases(mlir) if b != "dense<0>"]
    if form == "native":
        assert nonzero_i48_bias and "tosa.add" not in report["ops"]
    else:
        assert not nonzero_i48_bias and report["ops"]["tosa.add"] >= 1


@pytest.mark.parametrize("name", list(MODELS))
def test_native_and_split_agree(name):
    """Both forms compute the same integers here (every bias fits int32 at step 2^0)."""
    native, split = _checked(name, "native"), _checked(name, "split")
    from tosaic import run

    (a,) = run(native.result.flatbuffer, native.feeds)
    (b,) = run(split.result.flatbuffer, split.feeds)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", list(MODELS))
def test_int16_all_on_npu(name, form, tmp_path):
    path = tmp_path / "model.tosa"
    path.write_bytes(_checked(name, form).result.flatbuffer)
    for accelerator in ACCELERATORS:
        result = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.npu_ops, result.cpu_ops)
        assert result.cycles_total > 0


def test_flatbuffer_round_trip_keeps_i48():
    check = _checked("conv2d", "native")
    text = tosa_flatbuffer.deserialize(check.result.flatbuffer)
    assert re.search(r"tosa.conv2d .*\{acc_type = i48", text)
    assert _i48_biases(text) == [b for b in _i48_biases(check.result.mlir)]
    assert any(b != "dense<0>" for b in _i48_biases(text))
    assert re.search(r"tosa.rescale .*scale32 = false.*\(tensor<[0-9x]*xi48>", text)
    # The same module serializes to the same bytes.
    program, inputs = _program("conv2d")
    assert check_quantized(program, inputs, int48_bias="native").result.flatbuffer == check.result.flatbuffer


def test_int48_bias_forms_by_target():
    # auto: native, except that Ethos-U55/U65 (40-bit bias in Vela 5.2.0) split wide biases.
    assert int48_bias_options("auto", "ethos-u55-128") == ("native", 40)
    assert int48_bias_options("auto", "ethos-u65-256") == ("native", 40)
    assert int48_bias_options("auto", "ethos-u85-256") == ("native", 48)
    assert int48_bias_options("auto", "tosa-int") == ("native", 48)
    assert int48_bias_options("split", "ethos-u85-256") == ("split", 48)
    assert int48_bias_options("native", "ethos-u55-128") == ("native", 48)
    program, _ = _program("conv2d")
    with pytest.raises(Exception, match="unknown int48 bias form 'wide'"):
        compiler.compile(program, target="tosa-int", int48_bias="wide")


def test_int16_error_vs_float_beats_int8():
    """a16w8 is closer to the float model than a8w8 on the same model and input (mean error
    less than half)."""
    errors = {}
    for scheme in ("a8w8", "a16w8"):
        program, inputs = _program("conv2d", scheme)
        check = check_quantized(program, inputs)
        check.assert_ok()
        (got,) = __import__("tosaic").run(check.result.flatbuffer, check.feeds)
        q = check.result.outputs[0].quantization
        torch.manual_seed(0)
        model = MODELS["conv2d"][0]().eval()
        with torch.no_grad():
            want = model(*inputs).numpy()
        dequantized = (got.astype(np.float64) - q["zero_point"]) * q["scale"]
        assert dequantized.shape == want.shape
        errors[scheme] = (np.abs(dequantized - want).max(), np.abs(dequantized - want).mean())
    # The weights stay int8 in both, so their rounding bounds the gain.
    assert errors["a16w8"][0] < errors["a8w8"][0] and errors["a16w8"][1] < errors["a8w8"][1] / 2, errors


def _ops_model(name):
    from test_int16_ops import Activation, ConvResidual

    return {"residual": (ConvResidual, 0.99), "sigmoid": (lambda: Activation(torch.sigmoid), 0.99)}[name]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ["residual", "sigmoid"])
def test_residual_and_sigmoid_in_both_forms(name, form, tmp_path):
    """test_int16_ops' residual block and conv + sigmoid (int16 TABLE, whose interpolation
    sets its bit-exact floor) with the convolutions' bias in either form."""
    make, min_exact = _ops_model(name)
    torch.manual_seed(0)
    model = make().eval()
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(1, 4, 8, 8, generator=g),) for _ in range(8)]
    program = quantize_model(model, calibration[0], "a16w8", calibration)
    check = check_quantized(program, (torch.randn(1, 4, 8, 8, generator=g),), int48_bias=form)
    check.assert_ok(bit_exact=min_exact)
    nonzero_i48_bias = [b for b in _i48_biases(check.result.mlir) if b != "dense<0>"]
    assert bool(nonzero_i48_bias) == (form == "native")
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ACCELERATORS:
        result = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.npu_ops, result.cpu_ops)


class Conv3d(nn.Module):
    def __init__(self, kernel_depth):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, (kernel_depth, 3, 3), padding=(0, 1, 1))

    def forward(self, x):
        return F.relu(self.conv(x))


@pytest.mark.parametrize("scheme, form", [("a8w8", "native"), ("a16w8", "native"), ("a16w8", "split")])
def test_conv3d(scheme, form, tmp_path):
    """conv3d in the same plan as conv2d: int8 (i32 acc) and int16 (i48 acc and bias, either
    form). Vela 5.2.0 takes a conv3d on Ethos-U55 only with kernel depth 1, on U85 any."""
    for kernel_depth, accelerators in ((2, ("ethos-u85-256",)), (1, ACCELERATORS)):
        torch.manual_seed(0)
        model = Conv3d(kernel_depth).eval()
        g = torch.Generator().manual_seed(1)
        calibration = [(torch.randn(1, 3, 4, 6, 6, generator=g),) for _ in range(8)]
        program = quantize_model(model, calibration[0], scheme, calibration)
        check = check_quantized(program, (torch.randn(1, 3, 4, 6, 6, generator=g),), int48_bias=form)
        check.assert_ok()
        assert check.result.report["ops"]["tosa.conv3d"] == 1
        assert ("acc_type = i48" in check.result.mlir) == (scheme == "a16w8")
        path = tmp_path / f"k{kernel_depth}.tosa"
        path.write_bytes(check.result.flatbuffer)
        for accelerator in accelerators:
            result = vela.run_vela(str(path), accelerator, str(tmp_path / f"{accelerator}-{kernel_depth}"))
            assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.npu_ops, result.cpu_ops)
