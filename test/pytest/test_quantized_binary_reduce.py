"""Binary, selection and reduction ops end to end, int8 and int16: maximum, minimum,
amax, amin, rsub, div by a constant, pow by 2, sum, where / masked_fill on comparisons,
and int16 add/sub/mul. Each
single-op model (its inputs are the graph's) is checked against the fake-quantized
PyTorch program (max 1 LSB, >= 99% bit-exact) and compiled by Vela for Ethos-U55-128 and
Ethos-U85-256 with every operator on the NPU."""

import pytest
import torch
import torch.nn as nn

from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from tosaic.targets import vela

pytestmark = pytest.mark.lowering("maximum", "minimum", "amax", "amin", "sub", "mul", "add", "mean", "table",
                                  "pow.square", "where")

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")
SHAPE = (1, 8, 8, 8)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def _check(fn, arity: int, scheme: str):
    """Quantize `fn` of `arity` inputs (each its own spread, so the scales differ) and
    compare it on fresh inputs."""
    g = torch.Generator().manual_seed(1)

    def batch():
        return tuple(torch.randn(*SHAPE, generator=g) * (1.0 + i) + 0.25 * i for i in range(arity))

    calibration = [batch() for _ in range(8)]
    program = quantize_model(Fn(fn).eval(), calibration[0], scheme, calibration)
    # Within the calibrated range: beyond it the check feeds int16 code -32768, which the
    # program's symmetric quantization ([-32767, 32767]) never produces.
    lo = [min(float(b[i].min()) for b in calibration) for i in range(arity)]
    hi = [max(float(b[i].max()) for b in calibration) for i in range(arity)]
    return check_quantized(program, tuple(x.clamp(lo[i], hi[i]) for i, x in enumerate(batch())))


def _assert_all_on_npu(check, tmp_path):
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ACCELERATORS:
        result = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.cpu_operators)


# name -> (function, inputs, the TOSA op the lowering leaves)
CASES = {
    "maximum": (torch.maximum, 2, "tosa.maximum"),
    "minimum": (torch.minimum, 2, "tosa.minimum"),
    "amax-channels": (lambda x: torch.amax(x, dim=1), 1, "tosa.reduce_max"),
    "amax-hw-keepdim": (lambda x: torch.amax(x, dim=(2, 3), keepdim=True), 1, "tosa.reduce_max"),
    "amin-last": (lambda x: torch.amin(x, dim=-1), 1, "tosa.reduce_min"),
    "amin-all-but-batch": (lambda x: torch.amin(x, dim=(1, 2, 3)), 1, "tosa.reduce_min"),
    "rsub": (lambda x: 1.0 - x, 1, "tosa.sub"),
    "div-by-constant": (lambda x: x / 3.0, 1, "tosa.rescale"),
    "sum-channels": (lambda x: x.sum(dim=1), 1, "tosa.reduce_sum"),
    "sum-hw": (lambda x: x.sum(dim=(2, 3)), 1, "tosa.reduce_sum"),
    "pow-2": (lambda x: x ** 2, 1, None),  # int8: a TABLE; int16: an int32 mul
    "add": (torch.add, 2, "tosa.add"),
    "sub": (torch.sub, 2, "tosa.sub"),
    "mul": (torch.mul, 2, "tosa.mul"),
}
INT8 = [name for name in CASES if name not in ("add", "sub", "mul")]  # int8 add/sub/mul: test_quantized_elementwise_pool
INT16 = ["maximum", "minimum", "amax-channels", "amin-last", "sum-channels", "pow-2", "add", "sub", "mul"]


def _run(name, scheme, tmp_path):
    fn, arity, tosa_op = CASES[name]
    check = _check(fn, arity, scheme)
    check.assert_ok()
    ops = check.result.report["ops"]
    if tosa_op:
        assert tosa_op in ops, ops
    if name == "pow-2":
        assert ("tosa.table" in ops) == (scheme == "a8w8") and ("tosa.mul" in ops) == (scheme == "a16w8"), ops
    _assert_all_on_npu(check, tmp_path)
    return check


@pytest.mark.parametrize("name", INT8)
def test_int8(name, tmp_path):
    check = _run(name, "a8w8", tmp_path)
    assert {s.dtype for s in check.result.inputs + check.result.outputs} == {"i8"}


@pytest.mark.parametrize("name", INT16)
def test_int16(name, tmp_path):
    check = _run(name, "a16w8", tmp_path)
    assert {s.dtype for s in check.result.inputs + check.result.outputs} == {"i16"}


def test_amax_shares_the_input_quantization():
    """max commutes with quantization: the reduce_max chain runs on the int8 values with
    no rescale at all (our quantizer shares the input's qparams)."""
    check = _check(CASES["amax-hw-keepdim"][0], 1, "a8w8")
    ops = check.result.report["ops"]
    assert ops["tosa.reduce_max"] == 2 and "tosa.rescale" not in ops, ops
    assert check.max_lsb == 0 and check.bit_exact == 1.0


@pytest.mark.lowering("div.tensor")
def test_div_by_a_tensor_int16_is_refused():
    """a16w8: b's reciprocal is a table of its int8 codes (int8: test_op_table.py's div-tensor)."""
    with pytest.raises(Exception, match="division by a tensor needs a per-tensor int8"):
        _check(torch.div, 2, "a16w8")


class ConvSelect(nn.Module):
    """Two convolutions (their outputs quantized, so the comparisons see dequantized
    values: tosaic's quantizer leaves boolean ops unannotated) into a selection."""

    def __init__(self, fn):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 1), nn.Conv2d(3, 8, 3, padding=1)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.a(x), self.b(x))


SELECTIONS = {
    # two inputs: a 0/1 TABLE mask and b + mask * (a - b) in int32
    "where-gt": (lambda a, b: torch.where(a > 0, a, b), "tosa.mul"),
    "where-and-of-comparisons": (lambda a, b: torch.where((a < 0.5) & (a > -0.5), b, a), "tosa.mul"),
    "masked-fill-by-other": (lambda a, b: b.masked_fill(a > 0.2, -0.5), "tosa.mul"),
    # one input: the whole selection is one TABLE
    "masked-fill-one-input": (lambda a, b: a.masked_fill(a < 0, 0.5), None),
}


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_selection_on_comparisons(name, tmp_path):
    fn, tosa_op = SELECTIONS[name]
    torch.manual_seed(0)
    shape = (1, 3, 8, 8)
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(8)]
    program = quantize_model(ConvSelect(fn).eval(), calibration[0], "a8w8", calibration)
    check = check_quantized(program, (torch.randn(*shape, generator=g),))
    check.assert_ok()  # measured: 0 LSB, 100% bit-exact
    ops = check.result.report["ops"]
    assert ops["tosa.table"] == 1 and not any(n in ops for n in ("tosa.select", "tosa.greater", "tosa.equal")), ops
    assert (tosa_op in ops) if tosa_op else not any(n in ops for n in ("tosa.mul", "tosa.add", "tosa.sub")), ops
    _assert_all_on_npu(check, tmp_path)
