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
    from tosaic.targets import tosa_flatbuffer

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
        [tosa_flatbuffer.tosa_opt_executable(), "-", "--tosa-attach-target=profiles=pro_int extensions=int16",
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
        # measured: 0.8196 / 0.9897 / 0.9742 / 0.9773 of the 65535 codes, all within 1 LSB
        ("sigmoid", 4.0, 0, 0.81),
        ("sigmoid", 4.0, 6, 0.985),
        ("sigmoid", 8.0, 6, 0.97),
        ("tanh", 2.0, 6, 0.97),
    ],
)
def test_fitted_table_error(name, input_range, extra_bits, min_exact):
    """The fitted linear table against the exact quantized function at every int16 input
    code: at most 1 LSB. Bit-exactness is limited by the linear interpolation between knots
    128 input codes apart (and, with one table, by 1-LSB entries): see table16's docstring."""
    max_lsb, exact = _quantized_function(getattr(torch, name), input_range, extra_bits)
    assert max_lsb <= 1
    assert exact >= min_exact


def test_linear_fit_does_not_clip_an_overshooting_peak():
    """sigmoid over +-4.3 (output range its own maximum): the least-squares knots overshoot
    32767 output LSBs near the top; clipping them there cost 3 LSB at codes ~29700."""
    fn = torch.sigmoid
    s_in = 4.3 / 32767
    s_out = float(fn(torch.tensor(4.3))) / 32767
    x = torch.arange(-32768, 32769, dtype=torch.float32) * s_in
    values = fn(x).numpy()
    target = qmath.quantize(values[:-1], s_out, 0, -32767, 32767, np.int64)
    fit = table16.fit_table16(values.astype(np.float64) / s_out, target, -32767, 32767, extra_bits=6)
    assert np.abs(fit.outputs(qmin=-32767, qmax=32767) - target)[1:].max() <= 1


# --------------------------------------------------------------------------- quadratic form


def apply_mul_shift(a: int, b: int, shift: int) -> int:
    """The spec's MUL for int32 inputs with shift > 0, transcribed literally."""
    product = int(a) * int(b)
    product = (product + (1 << (shift - 1))) >> shift
    if not -(1 << 31) <= product <= (1 << 31) - 1:
        raise TosaRequireError("MUL result")
    return product


def test_mul_reference_matches_the_spec():
    rng = np.random.default_rng(4)
    a = rng.integers(-(1 << 21), 1 << 21, 3000)
    b = rng.integers(-(1 << 21), 1 << 21, 3000)
    for shift in (13, 21, 24):
        got = table16.mul_reference(a, b, shift)
        assert [int(v) for v in got] == [apply_mul_shift(x, y, shift) for x, y in zip(a, b)]
    # ties round up: -1.5 -> -1, -0.5 -> 0, 0.5 -> 1, 2.5 -> 3
    assert list(table16.mul_reference(np.asarray([-3, -1, 1, 5]), np.asarray([1, 1, 1, 1]), 1)) == [-1, 0, 1, 3]
    with pytest.raises(TosaRequireError):
        table16.mul_reference(np.asarray([1 << 30]), np.asarray([1 << 10]), 8)


@pytest.mark.parametrize("zoom", [2, 5, 18, 4095])
def test_zoom_rescale_is_an_exact_saturating_multiply(zoom):
    """The zoom's RESCALE (through qmath's independent model of the operator) is exactly
    clamp(zoom * x) for every int16 x."""
    multiplier, shift = table16.zoom_rescale(zoom)
    got = qmath.rescale_reference(table16.CODES.astype(np.int16), 0, 0, multiplier, shift, out_dtype="int16")
    assert np.array_equal(got.astype(np.int64), np.clip(table16.CODES * zoom, -32768, 32767))
    assert np.array_equal(table16.zoom_reference(table16.CODES, zoom), got)


def test_least_squares_quadratic_recovers_a_piecewise_quadratic():
    """A continuous piecewise quadratic with knots every 128 codes is its own fit."""
    rng = np.random.default_rng(5)
    knots = rng.normal(0, 1000, 513)
    bends = rng.normal(0, 50, 512)  # t^2 coefficients
    shifted = np.arange(65537)
    index = np.minimum(shifted >> 7, 511)
    t = (shifted - index * 128) / 128.0
    values = knots[index] * (1 - t) + knots[index + 1] * t - bends[index] * t * (1 - t)
    got_knots, got_bends = table16._least_squares_quadratic(values)
    assert np.allclose(got_knots, knots, atol=1e-6) and np.allclose(got_bends, bends, atol=1e-6)


def _sigmoid_quadratic(input_range=8.0, fine_bits=1):
    s_in, s_out = input_range / 32767, float(torch.sigmoid(torch.tensor(input_range))) / 32767
    x = torch.arange(-32768, 32769, dtype=torch.float32) * s_in
    values = torch.sigmoid(x).numpy()
    target = qmath.quantize(values[:-1], s_out, 0, -32767, 32767, np.int64)
    return table16.fit_quadratic_table16(values.astype(np.float64) / s_out, fine_bits), target


def test_quadratic_accumulator_matches_the_spec_ops():
    """QuadraticTable16's arithmetic is the spec's: apply_lookup_s for the three tables,
    << 8, MUL with its rounding shift, ADD, then apply_scale_32 (per element, literally)."""
    fit, _ = _sigmoid_quadratic()
    assert fit is not None and fit.product_shift == 22
    rng = np.random.default_rng(6)
    values = np.concatenate([[-32768, -32767, -1, 0, 1, 32767], rng.integers(-32768, 32768, 1500)])
    expected = []
    for v in values:
        high = apply_lookup_s(fit.high, v) << 8
        product = apply_mul_shift(apply_lookup_s(fit.low, v), apply_lookup_s(fit.scale, v), fit.product_shift)
        acc = high + product
        assert -(1 << 31) <= acc < 1 << 31
        expected.append(min(max(qmath.apply_scale_32(acc, fit.multiplier, fit.shift), -32767), 32767))
    assert [int(v) for v in fit.outputs(values, -32767, 32767)] == expected
    for entries in (fit.high, fit.low, fit.scale):
        assert entries.min() >= -32768 and entries.max() <= 32767


def _quadratic_mlir(fit, n=65536) -> str:
    """The quadratic form as TOSA text, written out here independently of the pass."""
    def table(entries):
        return np.asarray(entries, np.int16).tobytes().hex().upper()
    t = f"tensor<{n}xi16>"
    i32 = f"tensor<{n}xi32>"
    return f'''module {{
  func.func @main(%x: {t}) -> {t} {{
    %th = "tosa.const"() <{{values = dense<"0x{table(fit.high)}"> : tensor<513xi16>}}> : () -> tensor<513xi16>
    %tl = "tosa.const"() <{{values = dense<"0x{table(fit.low)}"> : tensor<513xi16>}}> : () -> tensor<513xi16>
    %ts = "tosa.const"() <{{values = dense<"0x{table(fit.scale)}"> : tensor<513xi16>}}> : () -> tensor<513xi16>
    %eight = "tosa.const"() <{{values = dense<8> : tensor<1xi32>}}> : () -> tensor<1xi32>
    %pshift = "tosa.const"() <{{values = dense<{fit.product_shift}> : tensor<1xi8>}}> : () -> tensor<1xi8>
    %m = "tosa.const"() <{{values = dense<{fit.multiplier}> : tensor<1xi32>}}> : () -> tensor<1xi32>
    %s = "tosa.const"() <{{values = dense<{fit.shift}> : tensor<1xi8>}}> : () -> tensor<1xi8>
    %z32 = "tosa.const"() <{{values = dense<0> : tensor<1xi32>}}> : () -> tensor<1xi32>
    %z16 = "tosa.const"() <{{values = dense<0> : tensor<1xi16>}}> : () -> tensor<1xi16>
    %h = tosa.table %x, %th : ({t}, tensor<513xi16>) -> {i32}
    %hs = tosa.logical_left_shift %h, %eight : ({i32}, tensor<1xi32>) -> {i32}
    %l = tosa.table %x, %tl : ({t}, tensor<513xi16>) -> {i32}
    %c = tosa.table %x, %ts : ({t}, tensor<513xi16>) -> {i32}
    %p = tosa.mul %l, %c, %pshift : ({i32}, {i32}, tensor<1xi8>) -> {i32}
    %a = tosa.add %hs, %p : ({i32}, {i32}) -> {i32}
    %y = tosa.rescale %a, %m, %s, %z32, %z16 {{input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true}} : ({i32}, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi16>) -> {t}
    return %y : {t}
  }}
}}
'''


def _run_on_reference_model(mlir: str, tmp_path, inputs):
    import tosaic
    from tosaic.targets import tosa_flatbuffer

    path = tmp_path / "model.tosa"
    result = subprocess.run(
        [tosa_flatbuffer.tosa_opt_executable(), "-", "--tosa-attach-target=profiles=pro_int extensions=int16",
         "--tosa-validate=strict-op-spec-alignment", f"--tosa-serialize=tosa-flatbuffer-filename={path}",
         "-o", os.devnull],
        input=mlir, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return tosaic.run(path.read_bytes(), inputs)[0]


def test_quadratic_form_on_the_reference_model(tmp_path, bin_dir):
    """The TOSA reference model computes exactly QuadraticTable16.outputs, all 65536 codes."""
    fit, _ = _sigmoid_quadratic()
    got = _run_on_reference_model(_quadratic_mlir(fit), tmp_path, [table16.CODES.astype(np.int16)])
    assert np.array_equal(got.astype(np.int64), fit.outputs())


@pytest.mark.parametrize(
    "name, input_range, min_exact",
    [
        # measured (fine bits 0..3, the best): sigmoid 0.9988 / 0.9993 / 0.9976 (active codes),
        # tanh 0.9994 / 0.9984 / 0.9982; all within 1 LSB
        ("sigmoid", 4.0, 0.998),
        ("sigmoid", 8.0, 0.998),
        ("sigmoid", 16.0, 0.997),
        ("tanh", 2.0, 0.998),
        ("tanh", 4.0, 0.998),
        ("tanh", 8.0, 0.997),
    ],
)
def test_quadratic_form_error(name, input_range, min_exact):
    """The quadratic form against the exact quantized function (torch's float32, quantized)
    at every int16 input code: within 1 LSB, and bit-exact but for ~0.1-0.3% of the codes,
    about where torch's float32 function itself rounds differently from the exact one."""
    choice = _choose(getattr(torch, name), input_range, form="quadratic")
    assert choice.name == "quadratic"
    assert choice.max_lsb <= 1
    assert choice.exact >= min_exact


def _choose(fn, input_range, form="auto", min_exact=0.995):
    s_in, s_out = input_range / 32767, float(fn(torch.tensor(input_range))) / 32767

    def function(positions):
        x = torch.from_numpy(np.clip(positions, -32767, 32767).astype(np.float32)) * s_in
        return fn(x).numpy().astype(np.float64) / s_out

    target = qmath.quantize(fn(torch.from_numpy(table16.CODES.astype(np.float32)) * s_in).numpy(),
                            s_out, 0, -32767, 32767, np.int64)
    return table16.choose_table16(function, target, table16.CODES >= -32767, -32767, 32767, min_exact, form)


@pytest.mark.parametrize(
    "name, input_range, form, zoom",
    [
        ("sigmoid", 1.0, "two-table", 1),  # the straight lines suffice: 99.8%
        ("sigmoid", 8.0, "quadratic", 1),
        ("tanh", 1.0, "quadratic", 1),  # two tables: 99.2%
        ("sigmoid", 32.0, "quadratic, zoom 2", 2),  # |x| > 16: the quantized sigmoid is 0 or 1
        ("tanh", 100.0, "quadratic, zoom 16", 16),
    ],
)
def test_choose_the_cheapest_form(name, input_range, form, zoom):
    choice = _choose(getattr(torch, name), input_range)
    assert choice.name == form
    assert choice.max_lsb <= 1 and choice.exact >= 0.995
    assert getattr(choice.fit, "zoom", 1) == zoom
    costs = [ops for _, ops, _, _ in choice.tried]
    assert costs == sorted(costs)  # cheapest first, stopping at the first that suffices
    assert all(exact < 0.995 or max_lsb > 1 for _, _, max_lsb, exact in choice.tried[:-1])


def test_saturating_zoom_keeps_every_varying_code():
    """A zoom m may saturate only codes inside the constant tails of the exact output."""
    target = np.clip(table16.CODES // 100, -50, 70)  # varies on [-5000, 7099]
    valid = np.ones(table16.CODES.size, bool)
    m = table16.saturating_zoom(target, valid)
    assert -(-32767 // m) >= 7000 and (-32768 // m) <= -4901  # the tails hold the saturated codes
    assert not (-(-32767 // (m + 1)) >= 7000 and (-32768 // (m + 1)) <= -4901)
    assert m == 4
    assert table16.saturating_zoom(table16.CODES // 100, valid) == 1  # nothing constant


def test_kinked_function_is_beyond_the_table():
    """hardswish over +-5: its kinks at +-3 fall mid-segment; no form gets within 1 LSB
    (the lowering refuses it)."""
    choice = _choose(torch.nn.functional.hardswish, 5.0)
    assert choice.max_lsb > 1
