"""The int16 (a16w8) math of the non-convolution lowerings: the int32 headroom of a
quantized add (qmath.add_headroom_shift) and TOSA's 513-entry int16 TABLE
(tosaic.quantization.table16), checked against independent definitions: a per-element
transcription of the spec's apply_lookup_s, the TOSA reference model, and the exact
quantized function."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
import torch

from tosaic.quantization import qmath, table16
from tosaic.quantization.qmath import TosaRequireError, add_headroom_shift


# --------------------------------------------------------------------------- add headroom


@pytest.mark.parametrize(
    "magnitudes, scales, max_shift, expected",
    [
        ([128, 128], [0.1, 0.1], 20, 20),  # int8 + int8: 2**27 of int32, TFLite's 20
        ([32767, 32767], [0.1, 0.1], 15, 15),  # int16 + int16 (qmin -32767): 2**30 - 2**15
        ([32768, 32768], [0.1, 0.1], 15, 14),  # qmin -32768 would reach 2**30 exactly
        ([32767, 32767], [0.1, 0.1], 20, 15),  # 16 would reach 2**31
        ([32768, 128], [0.001, 0.1], 15, 15),  # mixed: the int8 input is the larger scale
        ([32768, 32768], [0.1, 0.1 / 3], 15, 15),
    ],
)
def test_add_headroom_shift(magnitudes, scales, max_shift, expected):
    assert add_headroom_shift(magnitudes, scales, 0.0, max_shift) == expected


@pytest.mark.parametrize("scales", [(1.0, 1.0), (0.5, 0.123), (3e-4, 7e-5)])
def test_add_headroom_int16_worst_case_fits_int32(scales):
    """With the chosen shift, the worst-case int16 inputs RESCALEd (TOSA's own rounding)
    and added stay inside int32 and inside the output rescale's apply_scale_32 bound."""
    shift = add_headroom_shift([32768, 32768], scales, 0.0, 15)
    unit = 2 * max(scales) / (1 << shift)
    extremes = np.asarray([-32768, 32767], np.int16)
    rescaled = []
    for scale in scales:
        m, s = qmath.compute_multiplier_and_shift(scale / unit, True)
        rescaled.append(qmath.rescale_reference(extremes, 0, 0, m, s, out_dtype="int32").astype(np.int64))
    worst = max(abs(int(a) + int(b)) for a in rescaled[0] for b in rescaled[1])
    assert worst < 1 << 30
    # and one more bit of headroom would not have been safe
    assert (32768 * sum(scales)) / (2 * max(scales) / (1 << (shift + 1))) >= 1 << 30


def test_add_headroom_large_constant_lowers_shift():
    assert add_headroom_shift([128], [0.01], 1000.0, 20) < 20
    with pytest.raises(ValueError):
        add_headroom_shift([128], [1e-9], 1e30, 20)


# --------------------------------------------------------------------------- TABLE


def apply_lookup_s(table, value: int) -> int:
    """The spec's int16 TABLE for one value, transcribed literally."""
    clipped = min(max(int(value), -32768), 32767)
    index = (clipped + 32768) >> 7
    fraction = clipped & 0x7F
    base, following = int(table[index]), int(table[index + 1])
    slope = following - base
    if not -32768 <= slope <= 32767:
        raise TosaRequireError("slope")
    return (base << 7) + slope * fraction


def _smooth_table(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.cumsum(rng.integers(-3000, 3000, 513)), -32768, 32767).astype(np.int16)


def test_table16_reference_matches_the_spec():
    table = _smooth_table(0)
    rng = np.random.default_rng(1)
    values = np.concatenate([[-32768, -32767, -1, 0, 1, 127, 128, 32767], rng.integers(-32768, 32768, 2000)])
    got = table16.table16_reference(values, table)
    assert got.dtype == np.int32
    assert [int(v) for v in got] == [apply_lookup_s(table, v) for v in values]


def test_table16_reference_requires_int16_slopes():
    table = np.zeros(513, np.int64)
    table[5] = 20000
    table[6] = -20000
    with pytest.raises(TosaRequireError):
        table16.table16_reference(np.asarray([5 * 128 - 32768 + 3]), table)


def test_table16_matches_the_reference_model(tmp_path, bin_dir):
    """table16_reference is what the TOSA reference model computes, for all 65536 codes."""
    import tosaic
    from tosaic import emit

    table = _smooth_table(2)
    hexs = table.tobytes().hex().upper()
    mlir = f'''module {{
  func.func @main(%x: tensor<65536xi16>) -> tensor<65536xi32> {{
    %t = "tosa.const"() <{{values = dense<"0x{hexs}"> : tensor<513xi16>}}> : () -> tensor<513xi16>
    %y = tosa.table %x, %t : (tensor<65536xi16>, tensor<513xi16>) -> tensor<65536xi32>
    return %y : tensor<65536xi32>
  }}
}}
'''
    path = tmp_path / "table.tosa"
    result = subprocess.run(
        [emit.tosa_opt_executable(), "-", "--tosa-attach-target=profiles=pro_int extensions=int16",
         "--tosa-validate=strict-op-spec-alignment", f"--tosa-serialize=tosa-flatbuffer-filename={path}",
         "-o", os.devnull],
        input=mlir, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    got = tosaic.run(path.read_bytes(), [table16.CODES.astype(np.int16)])[0]
    assert np.array_equal(got.astype(np.int64), table16.table16_reference(table16.CODES, table))


def test_two_table_split_is_exact():
    """TABLE(high) * 2^k + TABLE(low) is the interpolation of the wide entries, exactly."""
    rng = np.random.default_rng(3)
    entries = np.cumsum(rng.integers(-100000, 100000, 513)).astype(np.int64)
    entries = np.clip(entries, -(32767 << 6), 32767 << 6)
    fit = table16.Table16(entries, 1 << 30, 30 + 7 + 6, extra_bits=6)
    assert fit.low.min() >= -32 and fit.low.max() < 32
    shifted = table16.CODES + 32768
    index, frac = shifted >> 7, shifted & 127
    exact = (entries[index] << 7) + (entries[index + 1] - entries[index]) * frac
    assert np.array_equal(fit.accumulator(), exact)


def _quantized_function(fn, input_range: float, extra_bits: int, output_range: float | None = None):
    s_in = input_range / 32767
    s_out = (output_range or float(fn(torch.tensor(input_range)))) / 32767
    x = torch.arange(-32768, 32769, dtype=torch.float32) * s_in
    values = fn(x).numpy()
    target = qmath.quantize(values[:-1], s_out, 0, -32767, 32767, np.int64)
    fit = table16.fit_table16(values.astype(np.float64) / s_out, target, -32767, 32767, extra_bits=extra_bits)
    diff = np.abs(fit.outputs(qmin=-32767, qmax=32767) - target)[1:]  # code -32768 is never input
    return int(diff.max()), float(np.mean(diff == 0))


@pytest.mark.parametrize("extra_bits, min_exact", [(0, 0.84), (6, 0.9999)])
def test_linear_function(extra_bits, min_exact):
    """A linear function is interpolated without error; y = 0.8 * code (output range 2.5
    for inputs in [-4, 4]) is never near a tie, so only the entries' rounding (units of
    ~0.8 LSB with one table, 1/64 of that with two) can miss: measured 84.6% / 100%."""
    max_lsb, exact = _quantized_function(lambda x: x * 0.5, 4.0, extra_bits, output_range=2.5)
    assert max_lsb <= 1 and exact >= min_exact


@pytest.mark.parametrize(
    "name, input_range, extra_bits, min_exact",
    [
        # measured: 0.8196 / 0.9899 / 0.9741 / 0.9773 of the 65535 codes, all within 1 LSB
        ("sigmoid", 4.0, 0, 0.81),
        ("sigmoid", 4.0, 6, 0.985),
        ("sigmoid", 8.0, 6, 0.97),
        ("tanh", 2.0, 6, 0.97),
    ],
)
def test_fitted_table_error(name, input_range, extra_bits, min_exact):
    """The fitted table against the exact quantized function at every int16 input code:
    at most 1 LSB. Bit-exactness is limited by the linear interpolation between knots
    128 input codes apart (and, with one table, by 1-LSB entries): see table16's docstring."""
    max_lsb, exact = _quantized_function(getattr(torch, name), input_range, extra_bits)
    assert max_lsb <= 1
    assert exact >= min_exact
