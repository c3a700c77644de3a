"""Elementwise unary functions from a float model through tosaic's own quantizer: each is
annotated by the quantizer (`annotates` of its registry entry) and lowered to one int8
TABLE (the table entry; abs of a graph input to RESCALE + ABS + RESCALE, the abs entry),
or an int16 table form / ABS with a16w8. Each model is checked against the fake-quantized
PyTorch program (max 1 LSB, >= 99% bit-exact) and compiled by Vela with every operator
on the NPU of ethos-u55-128 and ethos-u85-256."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from tosaic.targets import vela

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


def _positive(x):
    return x.abs() + 0.05


# name -> (function, input domain or None for any real input)
FUNCTIONS = {
    "abs": (torch.abs, None),
    "neg": (torch.neg, None),
    "exp": (torch.exp, None),
    "log": (torch.log, _positive),
    "sqrt": (torch.sqrt, _positive),
    "rsqrt": (torch.rsqrt, _positive),
    "reciprocal": (torch.reciprocal, _positive),
    "sin": (torch.sin, None),
    "cos": (torch.cos, None),
    "tanh": (torch.tanh, None),
    "sigmoid": (torch.sigmoid, None),
    "silu": (F.silu, None),
    "gelu": (F.gelu, None),
    "gelu-tanh": (lambda x: F.gelu(x, approximate="tanh"), None),
    "elu": (F.elu, None),
    "softplus": (F.softplus, None),
    "erf": (torch.erf, None),
    "floor": (torch.floor, None),
    "ceil": (torch.ceil, None),
    "round": (torch.round, None),
    "sign": (torch.sign, None),
    "relu": (torch.relu, None),
    "relu6": (F.relu6, None),
    "hardtanh": (F.hardtanh, None),
    "clamp": (lambda x: torch.clamp(x, -0.5, 0.7), None),
}
# The entry that lowers each function alone on a graph input (the table unless named).
ALONE_ENTRY = {"abs": "abs", "relu": "clamp", "relu6": "clamp", "hardtanh": "clamp", "clamp": "clamp"}


class Alone(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


class ConvFunctionConv(nn.Module):
    def __init__(self, function, channels=8):
        super().__init__()
        self.before = nn.Conv2d(channels, channels, 1)
        self.function = function
        self.after = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        return self.after(self.function(self.before(x)))


def _inputs(domain, shape, n, seed=1, spread=3.0):
    g = torch.Generator().manual_seed(seed)
    return [((domain or (lambda x: x))(torch.randn(*shape, generator=g) * spread),) for _ in range(n)]


def _check(model, name, scheme, shape, tmp_path):
    """Quantize with tosaic's quantizer, check the numerics and Vela's placement on both NPUs;
    return the check and the cycles per accelerator."""
    torch.manual_seed(0)
    domain = FUNCTIONS[name][1]
    calibration = _inputs(domain, shape, 4)
    program = quantize_model(model.eval(), calibration[0], scheme, calibration)
    check = check_quantized(program, _inputs(domain, shape, 1, seed=2)[0])
    check.assert_ok()
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ACCELERATORS:
        placement = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert placement.cpu_ops == 0 and placement.npu_ops >= 1, (accelerator, placement.cpu_operators)
    return check


def _param(name):
    return pytest.param(name, id=name, marks=pytest.mark.lowering(ALONE_ENTRY.get(name, "table")))


@pytest.mark.parametrize("name", [_param(name) for name in FUNCTIONS])
def test_int8_function_alone(name, tmp_path):
    check = _check(Alone(FUNCTIONS[name][0]), name, "a8w8", (1, 4, 8, 8), tmp_path)
    ops = check.result.report["ops"]
    if name == "abs":
        assert ops.get("tosa.abs") == 1 and "tosa.table" not in ops
    elif name not in ALONE_ENTRY:
        assert ops.get("tosa.table") == 1


@pytest.mark.lowering("table")
@pytest.mark.parametrize("name", ["abs", "neg", "gelu", "silu", "elu"])
def test_int8_function_between_convs(name, tmp_path):
    """After a convolution the function is one TABLE, which Vela fuses into the conv."""
    check = _check(ConvFunctionConv(FUNCTIONS[name][0]), name, "a8w8", (1, 8, 8, 8), tmp_path)
    ops = check.result.report["ops"]
    assert ops.get("tosa.table") == 1 and ops.get("tosa.conv2d") == 2


@pytest.mark.lowering("table")
@pytest.mark.parametrize("module", [nn.SiLU, nn.Hardswish, nn.ELU, nn.Sigmoid], ids=lambda m: m.__name__)
def test_int8_in_place_function(module, tmp_path):
    """nn.SiLU(inplace=True) exports as aten.silu_: annotated like aten.silu."""
    model = nn.Sequential(module(inplace=True)) if module is not nn.Sigmoid else ConvFunctionConv(torch.sigmoid_, 4)
    check = _check(model, "silu", "a8w8", (1, 4, 8, 8), tmp_path)
    assert check.result.report["ops"].get("tosa.table") == 1


@pytest.mark.lowering("abs")
def test_int16_in_place_abs_is_abs(tmp_path):
    check = _check(ConvFunctionConv(torch.abs_, 4), "abs", "a16w8", (1, 4, 8, 8), tmp_path)
    assert check.result.report["ops"].get("tosa.abs") == 1


INT16 = ["tanh", "sigmoid", "silu", "gelu", "gelu-tanh", "exp"]


@pytest.mark.lowering("table")
@pytest.mark.parametrize("name", INT16)
def test_int16_function_alone(name, tmp_path):
    check = _check(Alone(FUNCTIONS[name][0]), name, "a16w8", (1, 4, 8, 8), tmp_path)
    assert check.result.report["activation_types"] == ["int16"]
    assert "tosa.table" in check.result.report["ops"]


@pytest.mark.lowering("abs")
def test_int16_abs_between_convs_is_abs(tmp_path):
    """int16 abs is RESCALE + ABS + RESCALE wherever it is (3x faster than an int16 table on U55)."""
    check = _check(ConvFunctionConv(torch.abs), "abs", "a16w8", (1, 8, 8, 8), tmp_path)
    ops = check.result.report["ops"]
    assert ops.get("tosa.abs") == 1 and "tosa.table" not in ops


class Atan(nn.Module):
    def forward(self, x):
        return torch.atan(x)


class ConvAtan(nn.Module):
    """atan (no quantizer annotation) at the graph output, where nothing quantizes it."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 1), Atan())

    def forward(self, x):
        return self.features(x)


def test_op_the_quantizer_does_not_annotate_is_one_error():
    """With --scheme, a float op left over is named as unsupported by tosaic's quantizer, once,
    with its aten op and module, not as a question of whether the program is quantized."""
    import tosaic
    from tosaic.driver.errors import TosaicError

    with pytest.raises(TosaicError) as raised:
        tosaic.compile(ConvAtan().eval(), (torch.randn(1, 3, 4, 4),), target="tosa-int", scheme="a8w8")
    errors = [line for line in str(raised.value).splitlines() if ": error: " in line]
    assert len(errors) == 1, errors
    assert ("aten.atan.default (in features.1) is not supported by tosaic's quantizer (--scheme a8w8)"
            in errors[0])
    assert "`tosaic ops`" in errors[0] and "is it quantized" not in errors[0]
    assert errors[0].startswith(__file__)
