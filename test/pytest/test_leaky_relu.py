"""leaky_relu (the `leaky_relu` lowering entry): tosaic's quantizer gives it its own output
qparams (a8w8, a16w8); int8 lowers to one exact TABLE, int16 to two RESCALEs + MAXIMUM.
End to end: float model -> quantize_model -> tosaic.compile for ethos-u55-128 and
ethos-u85-256 -> the TOSA reference model, within 1 LSB of the fake-quantized program and
>= 99% bit-exact, every operator on the NPU."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from quantized_check import check_quantized
from tosaic.quantization import qmath, quantize_model

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


class ConvLeaky(nn.Module):
    """A 3x3 conv and an in-place LeakyReLU(0.1) (aten.leaky_relu_)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.act = nn.LeakyReLU(0.1, inplace=True)

    def forward(self, x):
        return self.act(self.conv(x))


class Leaky(nn.Module):
    """leaky_relu of the graph input, with the default slope 0.01."""

    def forward(self, x):
        return F.leaky_relu(x)


MODELS = {"conv-leaky": (ConvLeaky, (1, 3, 16, 16)), "leaky": (Leaky, (1, 16, 16, 16))}


def _program(name, scheme):
    cls, shape = MODELS[name]
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g) * 2,) for _ in range(4)]
    return quantize_model(cls().eval(), calibration[0], scheme, calibration), (torch.randn(*shape, generator=g) * 2,)


@pytest.mark.parametrize("scheme, dtype", [("a8w8", torch.int8), ("a16w8", torch.int16)])
def test_quantizer_annotates_leaky_relu(scheme, dtype):
    program, _ = _program("conv-leaky", scheme)
    nodes = [n for n in program.graph.nodes if n.op == "call_function"]
    (leaky,) = [n for n in nodes if "leaky_relu" in str(n.target)]
    source = leaky.args[0]
    assert "dequantize_per_tensor" in str(source.target) and source.args[-1] == dtype
    (user,) = leaky.users
    assert "quantize_per_tensor" in str(user.target) and user.args[-1] == dtype
    # its own output qparams: not the conv's
    assert user.args[1] != source.args[1]


_CHECKS: dict = {}


def _checked(name, scheme, accelerator):
    if (name, scheme, accelerator) not in _CHECKS:
        program, inputs = _program(name, scheme)
        _CHECKS[name, scheme, accelerator] = check_quantized(program, inputs, target=accelerator)
    return _CHECKS[name, scheme, accelerator]


@pytest.mark.lowering("leaky_relu")
@pytest.mark.parametrize("accelerator", ACCELERATORS)
@pytest.mark.parametrize("scheme", ["a8w8", "a16w8"])
@pytest.mark.parametrize("name", list(MODELS))
def test_leaky_relu_end_to_end(name, scheme, accelerator):
    check = _checked(name, scheme, accelerator)
    check.assert_ok(max_lsb=1, bit_exact=0.99)
    ops = check.result.report["ops"]
    if scheme == "a8w8":  # the 256-entry table is the quantized function itself
        assert check.max_lsb == 0 and ops["tosa.table"] == 1 and "tosa.maximum" not in ops
    else:
        assert ops["tosa.maximum"] == 1 and "tosa.table" not in ops
    assert not any(name in ops for name in ("tosa.mul", "tosa.add", "tosa.minimum"))
    vela = check.result.vela
    assert vela.npu_ops > 0 and vela.cpu_ops == 0, (vela.npu_ops, vela.cpu_ops)


class _Q:
    def __init__(self, scale, zero_point, qmin, qmax):
        self.scale, self.zero_point, self.qmin, self.qmax = [scale], [zero_point], qmin, qmax


@pytest.mark.parametrize("seed", range(6))
def test_two_branch_form_against_the_float_program(seed):
    """qmath.leaky_relu_plan over every int16 (and int8, with zero points) input code vs the
    fake-quantized program's float32 leaky_relu, requantized: within 1 LSB, >= 99.5% equal."""
    rng = np.random.default_rng(seed)
    slope = np.float32(rng.choice([0.01, 0.1, 0.2, 0.3, 2.0]))
    for bits, zp_range in ((16, 0), (8, 20)):
        lo, hi = (-32767, 32767) if bits == 16 else (-128, 127)
        in_q = _Q(float(rng.uniform(1e-4, 1e-2)), int(rng.integers(-zp_range, zp_range + 1)), lo, hi)
        out_q = _Q(in_q.scale[0] * float(rng.uniform(0.3, 3.0)), int(rng.integers(-zp_range, zp_range + 1)), lo, hi)
        plan = qmath.leaky_relu_plan(in_q, out_q, float(slope), bits)
        assert plan.combine == ("maximum" if slope < 1 else "minimum")
        codes = np.arange(lo, hi + 1)
        x = (torch.tensor(codes, dtype=torch.float32) - in_q.zero_point[0]) * in_q.scale[0]
        want = qmath.quantize(F.leaky_relu(x, float(slope)).numpy(), out_q.scale[0], out_q.zero_point[0], lo, hi,
                              np.int64)
        got = plan.reference(codes, in_q.zero_point[0], out_q.zero_point[0], bits)
        errors = np.abs(got - want)
        assert errors.max() <= 1 and np.mean(errors == 0) >= 0.995, (bits, errors.max(), np.mean(errors == 0))


def test_plan_refuses_slopes_without_two_branches():
    q = _Q(1e-3, 0, -32767, 32767)
    for slope in (-0.5, 0.0, 1.0):
        with pytest.raises(ValueError):
            qmath.leaky_relu_plan(q, q, slope, 16)

