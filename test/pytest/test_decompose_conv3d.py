"""tosaic-decompose-conv3d: the kernel-depth-1 rewrite of an integer conv3d computes the
same accumulator, bit for bit, on the TOSA reference model (compared with the conv3d it
replaces, across depth padding, stride, dilation, batch, i4/i8 weights and int16
activations); only the Ethos-U55/U65 targets run it."""

import subprocess
import sys
import os

import numpy as np
import pytest

import tosaic
from ir_programs import flatbuffer, return_accumulator
from tosaic import targets
from tosaic.pipelines import pipeline_for_target, pipeline_text, target_pipeline


def _conv3d_module(x_shape, weight, pad, stride, dilation, weight_type, activation_type, input_zp):
    """A function returning the raw conv3d accumulator (i32; i48 through an identity
    rescale to i32, which the reference model can return)."""
    n, d, h, w, c = x_shape
    out_c, kd, kh, kw, _ = weight.shape
    od, oh, ow = ((size + pad[2 * i] + pad[2 * i + 1] - (k - 1) * dilation[i] - 1) // stride[i] + 1
                  for i, (size, k) in enumerate(((d, kd), (h, kh), (w, kw))))
    acc, bias_type = ("i48", "i48") if activation_type == "i16" else ("i32", "i32")
    x_t, w_t = f"tensor<{n}x{d}x{h}x{w}x{c}x{activation_type}>", f"tensor<{'x'.join(map(str, weight.shape))}x{weight_type}>"
    out = f"{n}x{od}x{oh}x{ow}x{out_c}"
    values = ", ".join(str(int(v)) for v in weight.reshape(-1))
    bias = ", ".join(str(v * 37 - 50) for v in range(out_c))
    text = f"""
func.func @main(%x: {x_t}) -> tensor<{out}xi32> {{
  %flat = "tosa.const"() <{{values = dense<[{values}]> : tensor<{weight.size}x{weight_type}>}}> : () -> tensor<{weight.size}x{weight_type}>
  %shape = tosa.const_shape {{values = dense<[{', '.join(map(str, weight.shape))}]> : tensor<5xindex>}} : () -> !tosa.shape<5>
  %w = tosa.reshape %flat, %shape : (tensor<{weight.size}x{weight_type}>, !tosa.shape<5>) -> {w_t}
  %b = "tosa.const"() <{{values = dense<[{bias}]> : tensor<{out_c}x{bias_type}>}}> : () -> tensor<{out_c}x{bias_type}>
  %izp = "tosa.const"() <{{values = dense<{input_zp}> : tensor<1x{activation_type}>}}> : () -> tensor<1x{activation_type}>
  %wzp = "tosa.const"() <{{values = dense<0> : tensor<1x{weight_type}>}}> : () -> tensor<1x{weight_type}>
  %acc = tosa.conv3d %x, %w, %b, %izp, %wzp {{acc_type = {acc}, dilation = array<i64: {', '.join(map(str, dilation))}>, pad = array<i64: {', '.join(map(str, pad))}>, stride = array<i64: {', '.join(map(str, stride))}>}} : ({x_t}, {w_t}, tensor<{out_c}x{bias_type}>, tensor<1x{activation_type}>, tensor<1x{weight_type}>) -> tensor<{out}x{acc}>
"""
    return text + return_accumulator(acc, out)


CASES = {
    # x shape, weight shape, pad (d0 d1 h0 h1 w0 w1), stride, dilation, weight, activation
    "3x3x3_pad1_i4": ((1, 4, 8, 8, 4), (8, 3, 3, 3, 4), (1, 1, 1, 1, 1, 1), (1, 1, 1), (1, 1, 1), "i4", "i8"),
    "depth_stride2_i4": ((1, 7, 8, 8, 4), (8, 3, 3, 3, 4), (1, 1, 1, 1, 1, 1), (2, 1, 1), (1, 1, 1), "i4", "i8"),
    "depth_dilation2_hw_stride2_i8": ((1, 9, 7, 7, 3), (5, 3, 3, 3, 3), (2, 2, 1, 1, 1, 1), (1, 2, 2), (2, 1, 1), "i8", "i8"),
    "depth2_asymmetric_pad_i8": ((1, 6, 5, 5, 3), (4, 2, 1, 1, 3), (0, 1, 0, 0, 0, 0), (1, 1, 1), (1, 1, 1), "i8", "i8"),
    "depth5_stride3_i4": ((1, 7, 6, 6, 2), (4, 5, 3, 3, 2), (2, 2, 1, 1, 1, 1), (3, 1, 1), (1, 1, 1), "i4", "i8"),
    "batch2_i8": ((2, 5, 6, 6, 2), (4, 3, 3, 3, 2), (1, 1, 0, 0, 0, 0), (1, 1, 1), (1, 1, 1), "i8", "i8"),
    "int16_activations_i48": ((1, 4, 6, 6, 3), (4, 3, 3, 3, 3), (1, 1, 1, 1, 1, 1), (1, 1, 1), (1, 1, 1), "i8", "i16"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_accumulator_is_bit_identical(case):
    x_shape, w_shape, pad, stride, dilation, weight_type, activation_type = CASES[case]
    rng = np.random.default_rng(7)
    low, high = (-7, 8) if weight_type == "i4" else (-128, 128)
    weight = rng.integers(low, high, w_shape)
    dtype = np.int8 if activation_type == "i8" else np.int16
    input_zp = -3 if activation_type == "i8" else 0
    text = _conv3d_module(x_shape, weight, pad, stride, dilation, weight_type, activation_type, input_zp)
    original, original_ops = flatbuffer(text, "")
    decomposed, ops = flatbuffer(text, "func.func(tosaic-decompose-conv3d),")
    assert original_ops["tosa.conv3d"] == ops["tosa.conv3d"] == 1 and ops["tosa.concat"] == 1
    assert ops["tosa.slice"] == w_shape[1]
    info = np.iinfo(dtype)
    for trial in range(2):
        # extremes included: the padded planes must add nothing even next to -128 / 127
        x = rng.integers(info.min, info.max + 1, x_shape).astype(dtype)
        if trial:
            x[..., 0] = info.min
            x[:, -1] = info.max
        (want,), (got,) = tosaic.run(original, [x]), tosaic.run(decomposed, [x])
        assert want.dtype == np.int32 and np.ptp(want.astype(np.int64)) > 0
        assert np.array_equal(got, want)


def test_only_ethos_u55_u65_run_it():
    assert pipeline_for_target("ethos-u55-128") == pipeline_for_target("ethos-u65-256") == "tosa-int-ethos-u55"
    assert pipeline_for_target("ethos-u85-256") == "tosa-int-ethos-u85"
    assert pipeline_for_target("tosa-int") == "tosa-int"
    assert "tosaic-decompose-conv3d" in pipeline_text("tosa-int-ethos-u55")
    assert "tosaic-decompose-conv3d" not in pipeline_text("tosa-int")
    assert "tosaic-decompose-conv3d" not in pipeline_text("tosa-int-ethos-u85")
    # otherwise the same pipeline as the U85's (which alone has the NEGATE rewrite; the U55 alone
    # decomposes ARGMAX)
    assert pipeline_text("tosa-int-ethos-u55").replace("func.func(tosaic-decompose-conv3d,tosaic-decompose-argmax),",
                                                       "") == \
        pipeline_text("tosa-int-ethos-u85").replace("func.func(tosaic-table-to-negate),", "")


def test_cli_prints_the_pipeline_of_an_accelerator():
    tool = os.path.join(os.path.dirname(sys.executable), "tosaic")
    u55 = subprocess.run([tool, "pipeline", "ethos-u55-128"], capture_output=True, text=True, check=True)
    u85 = subprocess.run([tool, "pipeline", "ethos-u85-256"], capture_output=True, text=True, check=True)
    # What `tosaic compile --target` runs: the U55 variant, with its 40-bit native bias.
    assert u55.stdout.strip() == target_pipeline("ethos-u55-128")
    assert "tosaic-decompose-conv3d" in u55.stdout and "native-bias-bits=40" in u55.stdout
    assert u85.stdout.strip() == target_pipeline("ethos-u85-256") == pipeline_text("tosa-int-ethos-u85")
