"""conv_transpose2d (the `transpose_conv2d` lowering entry): tosaic's quantizer quantizes its
weight per output channel (torch axis 1) and its bias to int32 (a8w8, a8w4, a16w8); the
lowering makes an integer tosa.transpose_conv2d (i32 or i48 accumulator, torch's padding
folded into out_pad), which the Ethos-U pipelines rewrite into a conv2d over the
zero-inserted input (tosaic-decompose-transpose-conv2d). End to end: float model ->
quantize_model -> tosaic.compile for tosa-int, ethos-u55-128 and ethos-u85-256 -> the TOSA
reference model, within 1 LSB of the fake-quantized program and >= 99% bit-exact, every
operator on the NPU, and the rewrite bit-identical to the transpose_conv2d."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import tosaic
from ir_programs import flatbuffer, return_accumulator
from quantized_check import check_quantized
from tosaic import targets
from tosaic.pipelines import pipeline_text
from tosaic.quantization import quantize_model

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


class Upsample(nn.Module):
    """A decoder's 2x upsampling: ConvTranspose2d(8 -> 16, 3, stride 2, padding 1,
    output_padding 1) + relu."""

    def __init__(self, kernel=3, stride=2, padding=1, output_padding=1, relu=True):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 16, kernel, stride=stride, padding=padding, output_padding=output_padding)
        self.relu = relu

    def forward(self, x):
        y = self.up(x)
        return F.relu(y) if self.relu else y


CONFIGS = {
    "k3s2-pad1-outpad1-relu": dict(),
    "k4s2-pad1": dict(kernel=4, padding=1, output_padding=0, relu=False),
    "k3s1-pad1": dict(stride=1, output_padding=0),
    # stride 3: Vela 5.2.0's own TRANSPOSE_CONV2D takes strides 1 and 2 only on the U55
    "k3s3": dict(stride=3, padding=0, output_padding=0, relu=False),
}
CASES = [("k3s2-pad1-outpad1-relu", "a8w8"), ("k3s2-pad1-outpad1-relu", "a16w8"), ("k3s2-pad1-outpad1-relu", "a8w4"),
         ("k4s2-pad1", "a8w8"), ("k4s2-pad1", "a16w8"), ("k3s1-pad1", "a8w8"), ("k3s1-pad1", "a16w8"),
         ("k3s3", "a8w8"), ("k3s3", "a16w8")]
SHAPE = (1, 8, 8, 8)

_PROGRAMS: dict = {}
_CHECKS: dict = {}


def _program(config, scheme):
    if (config, scheme) not in _PROGRAMS:
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(1)
        calibration = [(torch.randn(*SHAPE, generator=g),) for _ in range(4)]
        program = quantize_model(Upsample(**CONFIGS[config]).eval(), calibration[0], scheme, calibration)
        _PROGRAMS[config, scheme] = program, (torch.randn(*SHAPE, generator=g),)
    return _PROGRAMS[config, scheme]


def _checked(config, scheme, target, **options):
    key = (config, scheme, target, tuple(sorted(options.items())))
    if key not in _CHECKS:
        program, inputs = _program(config, scheme)
        _CHECKS[key] = check_quantized(program, inputs, target=target, **options)
    return _CHECKS[key]


@pytest.mark.parametrize("scheme, dtype", [("a8w8", torch.int8), ("a16w8", torch.int16)])
def test_quantizer_annotates_conv_transpose2d(scheme, dtype):
    program, _ = _program("k3s2-pad1-outpad1-relu", scheme)
    (conv,) = [n for n in program.graph.nodes if n.op == "call_function" and "conv_transpose2d" in str(n.target)]
    x, weight, bias = conv.args[:3]
    assert "dequantize_per_tensor" in str(x.target) and x.args[-1] == dtype
    # weight [C_in, C_out, kh, kw]: one int8 scale per output channel, on axis 1
    assert "dequantize_per_channel" in str(weight.target)
    assert weight.args[3] == 1 and weight.args[-1] == torch.int8
    assert "dequantize_per_channel" in str(bias.target) and bias.args[-1] == torch.int32


@pytest.mark.lowering("transpose_conv2d")
@pytest.mark.parametrize("config, scheme", CASES, ids=[f"{c}-{s}" for c, s in CASES])
def test_transpose_conv2d_end_to_end(config, scheme):
    reference = _checked(config, scheme, "tosa-int")
    reference.assert_ok(max_lsb=1, bit_exact=0.99)
    ops = reference.result.report["ops"]
    assert ops["tosa.transpose_conv2d"] == 1 and "tosa.slice" not in ops
    accumulator = "i48" if scheme == "a16w8" else "i32"
    assert f"acc_type = {accumulator}" in reference.result.mlir
    if scheme == "a8w4":
        assert reference.result.report["weights"]["by_dtype"] == {"i4": 16 * 8 * 9 // 2}
    expected = tosaic.run(reference.result.flatbuffer, reference.feeds)
    for accelerator in ACCELERATORS:
        check = _checked(config, scheme, accelerator)
        check.assert_ok(max_lsb=1, bit_exact=0.99)
        ops = check.result.report["ops"]
        assert "tosa.transpose_conv2d" not in ops and ops["tosa.conv2d"] == 1, (accelerator, ops)
        assert check.result.report["weights"]["layers"][0]["op"] == "tosa.conv2d"
        vela = check.result.vela
        assert vela.npu_ops > 0 and vela.cpu_ops == 0, (accelerator, vela.npu_ops, vela.cpu_ops)
        # the rewrite computes the same integers as the transpose_conv2d
        for want, got in zip(expected, tosaic.run(check.result.flatbuffer, check.feeds)):
            np.testing.assert_array_equal(want, got)


@pytest.mark.lowering("transpose_conv2d")
def test_int16_split_bias():
    """tosaic-int48-bias's split form on the transpose conv: bias out of the i48
    accumulator, added in int32; the same integers as the native form."""
    native = _checked("k3s2-pad1-outpad1-relu", "a16w8", "tosa-int")
    split = _checked("k3s2-pad1-outpad1-relu", "a16w8", "tosa-int", int48_bias="split")
    split.assert_ok(max_lsb=1, bit_exact=0.99)
    assert split.result.report["ops"]["tosa.add"] == 1 and "tosa.add" not in native.result.report["ops"]
    for want, got in zip(tosaic.run(native.result.flatbuffer, native.feeds),
                         tosaic.run(split.result.flatbuffer, split.feeds)):
        np.testing.assert_array_equal(want, got)


def test_only_ethos_u_pipelines_rewrite_it():
    assert "tosaic-decompose-transpose-conv2d" not in pipeline_text("tosa-int")
    for name in ("tosa-int-ethos-u55", "tosa-int-ethos-u85"):
        assert "func.func(tosaic-decompose-transpose-conv2d,tosaic-decompose-gather)," in pipeline_text(name)
        ethos_u_only = ("func.func(tosaic-decompose-transpose-conv2d,tosaic-decompose-gather),",
                        "func.func(tosaic-decompose-conv3d,tosaic-decompose-argmax),",
                        "func.func(tosaic-squeeze-transposes,tosaic-fold-tile-reshapes,tosaic-reduce-without-transpose),",
                        "func.func(tosaic-table-to-negate),")
        text = pipeline_text(name)
        for passes in ethos_u_only:
            text = text.replace(passes, "")
        assert text == pipeline_text("tosa-int")


# The rewrite alone, on raw accumulators ------------------------------------------------


def _transpose_conv_module(x_shape, weight, stride, out_pad, weight_type, activation_type, input_zp):
    """A function returning a transpose_conv2d's raw accumulator (i48 through an exact
    identity rescale to i32, which the reference model can return)."""
    n, h, w, c = x_shape
    out_c, kh, kw, _ = weight.shape
    oh = (h - 1) * stride[0] + out_pad[0] + out_pad[1] + kh
    ow = (w - 1) * stride[1] + out_pad[2] + out_pad[3] + kw
    acc = "i48" if activation_type == "i16" else "i32"
    x_t, w_t = f"tensor<{n}x{h}x{w}x{c}x{activation_type}>", f"tensor<{out_c}x{kh}x{kw}x{c}x{weight_type}>"
    out = f"{n}x{oh}x{ow}x{out_c}"
    values = ", ".join(str(int(v)) for v in weight.reshape(-1))
    bias = ", ".join(str(v * 37 - 50) for v in range(out_c))
    text = f"""
func.func @main(%x: {x_t}) -> tensor<{out}xi32> {{
  %flat = "tosa.const"() <{{values = dense<[{values}]> : tensor<{weight.size}x{weight_type}>}}> : () -> tensor<{weight.size}x{weight_type}>
  %shape = tosa.const_shape {{values = dense<[{out_c}, {kh}, {kw}, {c}]> : tensor<4xindex>}} : () -> !tosa.shape<4>
  %w = tosa.reshape %flat, %shape : (tensor<{weight.size}x{weight_type}>, !tosa.shape<4>) -> {w_t}
  %b = "tosa.const"() <{{values = dense<[{bias}]> : tensor<{out_c}x{acc}>}}> : () -> tensor<{out_c}x{acc}>
  %izp = "tosa.const"() <{{values = dense<{input_zp}> : tensor<1x{activation_type}>}}> : () -> tensor<1x{activation_type}>
  %wzp = "tosa.const"() <{{values = dense<0> : tensor<1x{weight_type}>}}> : () -> tensor<1x{weight_type}>
  %acc = tosa.transpose_conv2d %x, %w, %b, %izp, %wzp {{acc_type = {acc}, out_pad = array<i64: {', '.join(map(str, out_pad))}>, stride = array<i64: {stride[0]}, {stride[1]}>}} : ({x_t}, {w_t}, tensor<{out_c}x{acc}>, tensor<1x{activation_type}>, tensor<1x{weight_type}>) -> tensor<{out}x{acc}>
"""
    return text + return_accumulator(acc, out)


REWRITES = {
    # x shape, weight shape (OHWI), stride, out_pad (top, bottom, left, right), weight, activation
    "k3s2_crop_i8": ((1, 5, 5, 3), (4, 3, 3, 3), (2, 2), (-1, 0, -1, 0), "i8", "i8"),
    "k3s1_i4": ((1, 6, 6, 2), (3, 3, 3, 2), (1, 1), (0, 0, 0, 0), "i4", "i8"),
    "k2s3_negative_bottom_i8": ((1, 4, 3, 2), (2, 2, 2, 2), (3, 3), (0, 0, 0, 0), "i8", "i8"),
    "k4s2_asymmetric_i4": ((1, 4, 5, 3), (2, 4, 4, 3), (2, 2), (-2, 1, 0, -3), "i4", "i8"),
    "k1x3_s1x2_i8": ((1, 3, 4, 2), (3, 1, 3, 2), (1, 2), (0, 0, -1, 0), "i8", "i8"),
    "k5s4_batch2_i8": ((2, 3, 3, 2), (2, 5, 5, 2), (4, 4), (-2, -1, 0, 3), "i8", "i8"),
    "k3s2_int16_i48": ((1, 4, 4, 3), (4, 3, 3, 3), (2, 2), (-1, 0, -1, 0), "i8", "i16"),
}


@pytest.mark.parametrize("case", REWRITES, ids=list(REWRITES))
def test_rewrite_is_bit_identical(case):
    x_shape, w_shape, stride, out_pad, weight_type, activation_type = REWRITES[case]
    rng = np.random.default_rng(11)
    low, high = (-7, 8) if weight_type == "i4" else (-128, 128)
    weight = rng.integers(low, high, w_shape)
    dtype = np.int8 if activation_type == "i8" else np.int16
    input_zp = -3 if activation_type == "i8" else 0
    text = _transpose_conv_module(x_shape, weight, stride, out_pad, weight_type, activation_type, input_zp)
    original, original_ops = flatbuffer(text, "")
    rewritten, ops = flatbuffer(text, "func.func(tosaic-decompose-transpose-conv2d),")
    assert original_ops["tosa.transpose_conv2d"] == 1
    assert "tosa.transpose_conv2d" not in ops and ops["tosa.conv2d"] == 1
    assert ops.get("tosa.pad", 0) == (stride != (1, 1))
    info = np.iinfo(dtype)
    for trial in range(2):
        x = rng.integers(info.min, info.max + 1, x_shape).astype(dtype)
        if trial:  # extremes: the inserted zero points must add nothing next to them
            x[..., 0] = info.min
            x[:, -1] = info.max
        (want,), (got,) = tosaic.run(original, [x]), tosaic.run(rewritten, [x])
        assert want.dtype == np.int32 and np.ptp(want.astype(np.int64)) > 0
        np.testing.assert_array_equal(got, want)
