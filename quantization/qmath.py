"""Quantization math for tosaic: the single home of every integer/scale formula.

Everything here is pure Python + numpy so it can be unit-tested without
torch-mlir, and so the lowering and the tests share one definition of each
formula instead of re-deriving it in several places.

Facts taken from the TOSA 1.0 specification (arm/tosa-specification, v1.0.x):

* ``pseudocode/library/scale_helpers.tosac`` -- ``apply_scale_32`` and
  ``apply_scale_16``, including their ``REQUIRE`` checks:
  ``multiplier >= 0``, ``2 <= shift <= 62`` and, for ``apply_scale_32``,
  ``-(1 << (shift-1)) <= value < (1 << (shift-1))``; ``apply_scale_16``
  instead REQUIREs that its result fits int32.  Rounding adds
  ``1 << (shift-1)`` and arithmetic-shifts right, i.e. round half *up*
  (towards +inf).  DOUBLE_ROUND (scale32 only) additionally adds/subtracts
  ``1 << 30`` when ``shift > 31``, depending on the sign of ``value``.
* ``chapters/type_conversion.adoc`` (RESCALE): a scale ``m * 2**-n`` with
  ``1 <= m < 2`` is encoded as ``multiplier = (1<<30)*m, shift = 30+n``
  (scale32) or ``multiplier = (1<<14)*m, shift = 14+n`` (scale16); scale 1.0 is
  ``(1<<30, 30)`` / ``(1<<14, 14)``.  SINGLE_ROUND and DOUBLE_ROUND must be
  exact; INEXACT_ROUND only has to lie within an error bound of the fp64
  result, which the exact SINGLE_ROUND result always satisfies.
* ``pseudocode/operators/RESCALE.tosac`` -- the ERROR_IF rules on zero points
  (int8/uint8 anything in range, uint16 only 0 or 32768, everything else 0),
  the unsigned/type combinations, and the output step: add the output zero
  point (REQUIRE no int32 overflow) then saturate to the output type range.

Exceptions: a violated spec ``REQUIRE`` (the program's behaviour would be
UNPREDICTABLE) raises :class:`TosaRequireError`; an invalid configuration (a
spec ``ERROR_IF``, or bad arguments) raises a plain :class:`ValueError`.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "TosaRequireError",
    "SHIFT_MIN",
    "SHIFT_MAX",
    "ROUNDING_MODES",
    "compute_multiplier_and_shift",
    "compute_multiplier_and_shift_per_channel",
    "apply_scale_32",
    "apply_scale_16",
    "rescale_reference",
    "qrange",
    "validate_rescale_zero_point",
    "quantize",
    "quantize_bias",
    "is_int4_range",
    "TOSA_INT4_RANGE",
    "int4_values_fit",
    "packed_bytes",
]


class TosaRequireError(ValueError):
    """A TOSA ``REQUIRE`` condition failed: the spec makes the result UNPREDICTABLE."""


# TOSA 1.0 apply_scale_32/apply_scale_16: REQUIRE(2 <= shift && shift <= 62).
# 62 lets an implementation split the shift into two 31-bit right shifts.
SHIFT_MIN = 2
SHIFT_MAX = 62

ROUNDING_MODES = ("SINGLE_ROUND", "INEXACT_ROUND", "DOUBLE_ROUND")

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1

# (min, max) of every integer type we quantize to.  int48 is TOSA's
# accumulator type for int16 convolutions; int4 is only a value range (it is
# stored in int8 containers on Ethos-U).
_QRANGES = {
    "int4": (-8, 7),
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int16": (-(1 << 15), (1 << 15) - 1),
    "uint16": (0, (1 << 16) - 1),
    "int32": (_INT32_MIN, _INT32_MAX),
    "int48": (-(1 << 47), (1 << 47) - 1),
}

# The storage types RESCALE accepts (TOSA i8_t/i16_t/i32_t/i48_t); unsigned
# is an attribute of the op, not a separate type.
_RESCALE_BITS = {"int8": 8, "int16": 16, "int32": 32, "int48": 48}


def _dtype_name(dtype) -> str:
    """Canonical name ("int8", "uint8", ...) for a str, numpy or torch dtype."""
    if isinstance(dtype, str):
        name = dtype
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = str(dtype)  # e.g. torch.int8 -> "torch.int8"
    name = name.lower().removeprefix("torch.")
    if name not in _QRANGES:
        raise ValueError(f"unknown quantized dtype {dtype!r}; expected one of {sorted(_QRANGES)}")
    return name


# ---------------------------------------------------------------------------
# Scale -> (multiplier, shift)
# ---------------------------------------------------------------------------


def compute_multiplier_and_shift(scale: float, scale32: bool = True) -> tuple[int, int]:
    """Encode a positive real ``scale`` as a TOSA RESCALE ``(multiplier, shift)``.

    The result satisfies ``scale ~= multiplier * 2**-shift`` with
    ``SHIFT_MIN <= shift <= SHIFT_MAX``.  The multiplier is normalized, i.e. in
    ``[2**30, 2**31)`` for ``scale32`` (int32_t multiplier) or
    ``[2**14, 2**15)`` for scale16 (int16_t multiplier), which keeps the most
    precision.  Scales below the normalized range (``< 2**-32`` for scale32,
    ``< 2**-48`` for scale16) keep ``shift = 62`` and a smaller,
    denormalized multiplier.

    The multiplier is ``scale * 2**shift`` rounded half up, computed exactly
    from the float's binary value (so no double rounding); half up matches
    ``std::round`` in MLIR's TOSA quant utils for positive values.  If the
    rounding carries the multiplier to ``2**31`` (``2**15``) it is halved and
    the shift decremented.

    Raises ValueError for non-finite or non-positive scales, for scales too
    large to encode with ``shift >= 2`` (``>= 2**29`` for scale32,
    ``>= 2**13`` for scale16) and for scales so small the multiplier rounds to
    0.  Note that shifts below 32 restrict the values ``apply_scale_32`` may
    see at run time (``|value| < 2**(shift-1)``); see :func:`apply_scale_32`.
    """
    scale = float(scale)
    if not math.isfinite(scale) or scale <= 0.0:
        raise ValueError(f"RESCALE scale must be a finite positive number, got {scale!r}")
    bits = 31 if scale32 else 15  # multiplier is int32_t / int16_t
    kind = "scale32" if scale32 else "scale16"

    _, exponent = math.frexp(scale)  # scale = mantissa * 2**exponent, 0.5 <= mantissa < 1
    # With this shift, scale * 2**shift = mantissa * 2**bits lies in [2**(bits-1), 2**bits).
    shift = min(bits - exponent, SHIFT_MAX)  # past 62: denormalize rather than fail
    if shift < SHIFT_MIN:
        raise ValueError(
            f"RESCALE scale {scale!r} is too large for {kind}: it needs shift {shift} "
            f"but TOSA requires shift >= {SHIFT_MIN}"
        )

    # Exact round-half-up of scale * 2**shift: the float is num/den with den a power of 2.
    num, den = scale.as_integer_ratio()
    multiplier = ((num << (shift + 1)) + den) // (2 * den)
    if multiplier == 1 << bits:  # mantissa rounded up to 2**bits: renormalize
        multiplier >>= 1
        shift -= 1
        if shift < SHIFT_MIN:
            raise ValueError(
                f"RESCALE scale {scale!r} is too large for {kind}: after rounding it needs "
                f"shift {shift} but TOSA requires shift >= {SHIFT_MIN}"
            )
    if multiplier == 0:
        raise ValueError(
            f"RESCALE scale {scale!r} is too small for {kind}: the multiplier rounds to 0 "
            f"even at the maximum shift {SHIFT_MAX}"
        )
    return multiplier, shift


def compute_multiplier_and_shift_per_channel(
    scales: Iterable[float], scale32: bool = True
) -> tuple[list[int], list[int]]:
    """Per-channel :func:`compute_multiplier_and_shift`: returns ``(multipliers, shifts)``."""
    multipliers: list[int] = []
    shifts: list[int] = []
    for channel, scale in enumerate(np.asarray(scales, dtype=np.float64).reshape(-1)):
        try:
            multiplier, shift = compute_multiplier_and_shift(float(scale), scale32)
        except ValueError as err:
            raise ValueError(f"channel {channel}: {err}") from None
        multipliers.append(multiplier)
        shifts.append(shift)
    return multipliers, shifts


# ---------------------------------------------------------------------------
# Bit-exact TOSA 1.0 scaling helpers (scalar, Python ints)
# ---------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TosaRequireError(f"TOSA REQUIRE failed: {message}")


def apply_scale_32(value: int, multiplier: int, shift: int, double_round: bool = False) -> int:
    """TOSA 1.0 ``apply_scale_32`` (scale_helpers.tosac), bit-exact.

    Computes ``(value * multiplier + round) >> shift`` in 64 bits with
    ``round = 1 << (shift-1)`` (round half up).  With ``double_round`` and
    ``shift > 31`` the rounding constant is moved by ``+-(1 << 30)``,
    emulating frameworks that round twice (once at bit 31, once after).
    """
    value, multiplier, shift = int(value), int(multiplier), int(shift)
    # The argument types: int32_t value/multiplier, int8_t shift.
    _require(_INT32_MIN <= value <= _INT32_MAX, f"apply_scale_32 value {value} is not an int32")
    _require(0 <= multiplier <= _INT32_MAX, f"apply_scale_32 multiplier {multiplier} not in [0, 2**31)")
    _require(SHIFT_MIN <= shift <= SHIFT_MAX, f"apply_scale_32 shift {shift} not in [2, 62]")
    # Lets implementations pre-shift value left for shifts <= 32 without overflow.
    _require(
        -(1 << (shift - 1)) <= value < (1 << (shift - 1)),
        f"apply_scale_32 value {value} not in [-2**{shift - 1}, 2**{shift - 1}) for shift {shift}",
    )
    round_ = 1 << (shift - 1)
    if double_round and shift > 31:
        round_ += (1 << 30) if value >= 0 else -(1 << 30)
    # Python's >> on ints is an arithmetic (floor) shift, like the spec's.
    # The value REQUIRE above guarantees the result fits int32.
    return (value * multiplier + round_) >> shift


def apply_scale_16(value: int, multiplier: int, shift: int) -> int:
    """TOSA 1.0 ``apply_scale_16`` (scale_helpers.tosac), bit-exact.

    ``value`` is int48 (the int16 accumulator type); the multiplier is int16.
    Unlike ``apply_scale_32`` the value is not range-limited; instead the
    result must fit int32.
    """
    value, multiplier, shift = int(value), int(multiplier), int(shift)
    lo48, hi48 = _QRANGES["int48"]
    _require(lo48 <= value <= hi48, f"apply_scale_16 value {value} is not an int48")
    _require(0 <= multiplier < (1 << 15), f"apply_scale_16 multiplier {multiplier} not in [0, 2**15)")
    _require(SHIFT_MIN <= shift <= SHIFT_MAX, f"apply_scale_16 shift {shift} not in [2, 62]")
    result = (value * multiplier + (1 << (shift - 1))) >> shift
    _require(_INT32_MIN <= result <= _INT32_MAX, f"apply_scale_16 result {result} does not fit int32")
    return result


# ---------------------------------------------------------------------------
# Zero points and ranges
# ---------------------------------------------------------------------------


def qrange(dtype_name) -> tuple[int, int]:
    """``(min, max)`` of an integer type: int4, int8, uint8, int16, uint16, int32, int48.

    Also accepts numpy dtypes and torch dtypes (``torch.int8``)."""
    return _QRANGES[_dtype_name(dtype_name)]


def validate_rescale_zero_point(zp: int, dtype_name, unsigned: bool = False) -> int:
    """Check a RESCALE input/output zero point against the TOSA 1.0 ERROR_IF rules.

    ``dtype_name`` is the storage type (int8, int16, int32, int48); ``unsigned``
    is the op's ``input_unsigned``/``output_unsigned`` flag.  "uint8"/"uint16"
    are accepted as shorthand for int8/int16 with ``unsigned=True``.  ``zp`` is
    the mathematical zero point (e.g. 0..255 for uint8).  Rules:

    * int8: any value in [-128, 127]; uint8: any value in [0, 255]
    * int16: must be 0; uint16: must be 0 or 32768
    * int32, int48: must be 0 (and RESCALE has no unsigned form of them)

    Returns ``zp`` as an int, raises ValueError otherwise.
    """
    name = _dtype_name(dtype_name)
    if name.startswith("uint"):
        name, unsigned = name[1:], True
    if name not in _RESCALE_BITS:
        raise ValueError(f"RESCALE does not support {name} (only int8, int16, int32, int48)")
    if zp != int(zp):
        raise ValueError(f"zero point must be an integer, got {zp!r}")
    zp = int(zp)
    label = ("u" if unsigned else "") + name
    if unsigned and name in ("int32", "int48"):
        raise ValueError(f"RESCALE has no unsigned {name} (ERROR_IF u32/u48)")
    if name == "int8":
        lo, hi = qrange("uint8" if unsigned else "int8")
        if not lo <= zp <= hi:
            raise ValueError(f"RESCALE {label} zero point {zp} is outside [{lo}, {hi}]")
    elif name == "int16" and unsigned:
        if zp not in (0, 32768):
            raise ValueError(f"RESCALE uint16 zero point must be 0 or 32768, got {zp}")
    elif zp != 0:
        raise ValueError(f"RESCALE {label} zero point must be 0, got {zp}")
    return zp


# ---------------------------------------------------------------------------
# RESCALE reference model (vectorised numpy)
# ---------------------------------------------------------------------------


def _storage_to_value(values: np.ndarray, bits: int, unsigned: bool, what: str) -> np.ndarray:
    """Read raw ``bits``-wide integers as TOSA does: zero-extend if unsigned, else sign-extend.

    Accepts either numpy signedness for the same bit pattern (an int8 array
    holding -1 is uint8 255), but rejects values that fit neither."""
    v = values.astype(np.int64)
    lo, hi = -(1 << (bits - 1)), (1 << bits) - 1
    if v.size and (v.min() < lo or v.max() > hi):
        raise ValueError(f"{what} values do not fit {bits}-bit storage")
    mod = np.int64(1) << bits
    if unsigned:
        return v % mod
    half = np.int64(1) << (bits - 1)
    return (v + half) % mod - half


def rescale_reference(
    values: np.ndarray,
    input_zp: int,
    output_zp: int,
    multiplier,
    shift,
    scale32: bool = True,
    rounding_mode: str = "SINGLE_ROUND",
    per_channel: bool = False,
    input_unsigned: bool = False,
    output_unsigned: bool = False,
    out_dtype: str = "int8",
    *,
    in_dtype: str | None = None,
) -> np.ndarray:
    """Independent numpy model of the TOSA 1.0 RESCALE operator.

    ``values``: the input tensor.  Its TOSA type (``in_dtype``: int8, int16,
    int32 or int48) defaults from the numpy dtype (int8/uint8 -> int8,
    int16/uint16 -> int16, int32 -> int32); int48 must be given explicitly
    (pass int64 data).  ``out_dtype``: int8, int16 or int32.
    ``input_zp``/``output_zp``: mathematical zero points (0..255 for uint8).
    ``multiplier``/``shift``: scalars or length-1 sequences, or with
    ``per_channel`` one entry per element of the last axis.

    Returns an array of ``out_dtype`` (``uint8``/``uint16`` when
    ``output_unsigned``), holding the saturated result.  Raises ValueError for
    configurations the spec rejects (ERROR_IF) and TosaRequireError where it
    makes the result UNPREDICTABLE (REQUIRE).  INEXACT_ROUND is modelled by
    the exact SINGLE_ROUND result, which the spec's error bound always admits.
    """
    values = np.asarray(values)
    if in_dtype is None:
        inferred = {"int8": "int8", "uint8": "int8", "int16": "int16", "uint16": "int16", "int32": "int32"}
        if values.dtype.name not in inferred:
            raise ValueError(f"cannot infer RESCALE input type from {values.dtype}; pass in_dtype")
        in_dtype = inferred[values.dtype.name]
    in_name, out_name = _dtype_name(in_dtype), _dtype_name(out_dtype)
    if in_name not in _RESCALE_BITS:
        raise ValueError(f"RESCALE input type must be one of {list(_RESCALE_BITS)}, got {in_name}")
    if out_name not in ("int8", "int16", "int32"):
        raise ValueError(f"RESCALE output type must be int8, int16 or int32, got {out_name}")
    if rounding_mode not in ROUNDING_MODES:
        raise ValueError(f"rounding_mode must be one of {ROUNDING_MODES}, got {rounding_mode!r}")

    # ERROR_IF rules of RESCALE.tosac.
    if scale32 and in_name == "int48":
        raise ValueError("RESCALE: scale32 cannot be used with int48 input (80-bit product)")
    if not scale32 and rounding_mode == "DOUBLE_ROUND":
        raise ValueError("RESCALE: DOUBLE_ROUND requires scale32")
    if input_unsigned and output_unsigned:
        raise ValueError("RESCALE: input_unsigned and output_unsigned cannot both be set")
    if input_unsigned and (out_name == "int32" or in_name in ("int32", "int48")):
        raise ValueError(f"RESCALE: input_unsigned is not allowed for {in_name} -> {out_name}")
    if output_unsigned and (in_name in ("int32", "int48") or out_name == "int32"):
        raise ValueError(f"RESCALE: output_unsigned is not allowed for {in_name} -> {out_name}")
    if per_channel and values.ndim < 1:
        raise ValueError("RESCALE: per_channel needs an input of rank >= 1")
    in_zp = validate_rescale_zero_point(input_zp, in_name, input_unsigned)
    out_zp = validate_rescale_zero_point(output_zp, out_name, output_unsigned)

    nc = values.shape[-1] if per_channel else 1
    mults = np.asarray(multiplier, dtype=np.int64).reshape(-1)
    shifts = np.asarray(shift, dtype=np.int64).reshape(-1)
    if mults.size != nc or shifts.size != nc:
        raise ValueError(f"RESCALE expects {nc} multiplier(s)/shift(s), got {mults.size}/{shifts.size}")

    # REQUIRE checks of apply_scale_32/16 on the per-channel parameters.
    mult_limit = 1 << (31 if scale32 else 15)
    if np.any(mults < 0) or np.any(mults >= mult_limit):
        raise TosaRequireError(f"TOSA REQUIRE failed: multiplier not in [0, {mult_limit}): {mults.tolist()}")
    if np.any(shifts < SHIFT_MIN) or np.any(shifts > SHIFT_MAX):
        raise TosaRequireError(f"TOSA REQUIRE failed: shift not in [2, 62]: {shifts.tolist()}")

    # value = extend(in) - extend(input_zp), as int48 (int64 here).
    value = _storage_to_value(values, _RESCALE_BITS[in_name], input_unsigned, "input") - in_zp

    # Broadcast per-channel parameters along the last axis (or a single one).
    m = mults if per_channel else mults[0]
    s = shifts if per_channel else shifts[0]
    half = np.left_shift(np.int64(1), s - 1)
    round_ = np.broadcast_to(half, value.shape).astype(np.int64)
    if scale32:
        if np.any(value < -half) or np.any(value >= half):
            raise TosaRequireError(
                "TOSA REQUIRE failed: apply_scale_32 value outside [-2**(shift-1), 2**(shift-1))"
            )
        if rounding_mode == "DOUBLE_ROUND":
            adjust = np.where(value >= 0, np.int64(1 << 30), np.int64(-(1 << 30)))
            round_ = round_ + np.where(np.broadcast_to(s, value.shape) > 31, adjust, np.int64(0))
    # No int64 overflow: |value| < 2**31 with multiplier < 2**31 (scale32), or
    # |value| <= 2**47 with multiplier < 2**15 (scale16), so |product| < 2**62.
    result = (value * m + round_) >> s  # numpy >> on int64 is arithmetic
    if not scale32 and (np.any(result < _INT32_MIN) or np.any(result > _INT32_MAX)):
        raise TosaRequireError("TOSA REQUIRE failed: apply_scale_16 result does not fit int32")

    # apply_add_s<int32_t>: REQUIRE the zero-point addition does not overflow int32.
    result = result + out_zp
    if np.any(result < _INT32_MIN) or np.any(result > _INT32_MAX):
        raise TosaRequireError("TOSA REQUIRE failed: result + output_zp overflows int32")
    lo, hi = qrange(("u" + out_name) if output_unsigned else out_name)
    out_np = {"int8": np.int8, "int16": np.int16, "int32": np.int32}[out_name]
    if output_unsigned:
        out_np = {"int8": np.uint8, "int16": np.uint16}[out_name]
    return np.clip(result, lo, hi).astype(out_np)


# ---------------------------------------------------------------------------
# Float -> integer quantization (what PT2E's quantize ops compute)
# ---------------------------------------------------------------------------


def _smallest_int_dtype(qmin: int, qmax: int) -> np.dtype:
    for candidate in (np.int8, np.uint8, np.int16, np.uint16, np.int32):
        info = np.iinfo(candidate)
        if info.min <= qmin and qmax <= info.max:
            return np.dtype(candidate)
    raise ValueError(f"quant range [{qmin}, {qmax}] does not fit int32")


def quantize(x: np.ndarray, scale: float, zero_point: int, qmin: int, qmax: int, dtype=None) -> np.ndarray:
    """Bit-exact numpy copy of ``quantized_decomposed.quantize_per_tensor``.

    torch computes ``clamp(round(x * (1.0 / scale)) + zero_point, qmin, qmax)``
    where ``1.0 / scale`` is a Python (float64) division, but the multiply
    happens in float32: the CPU kernel casts the scalar to the tensor's
    float32 type first.  ``torch.round`` rounds half to even, like ``np.rint``.
    Multiplying by the reciprocal is not the same as dividing by ``scale``, so
    both details matter for bit-exactness.

    ``x`` must be float32 (float16 is upcast, as torch does).  ``dtype`` is the
    result's numpy dtype; by default the smallest of int8/uint8/int16/uint16/
    int32 that holds ``[qmin, qmax]``.  NaN inputs raise ValueError (torch's
    result for them is unspecified).
    """
    x = np.asarray(x)
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    if x.dtype != np.float32:
        raise TypeError(f"quantize expects float32 input (as torch does), got {x.dtype}")
    if np.isnan(x).any():
        raise ValueError("quantize: input contains NaN")
    if qmin > qmax:
        raise ValueError(f"quantize: qmin {qmin} > qmax {qmax}")
    out_dtype = np.dtype(dtype) if dtype is not None else _smallest_int_dtype(qmin, qmax)
    inv_scale = np.float32(1.0 / float(scale))
    q = np.rint(x * inv_scale) + np.float32(zero_point)  # float32 throughout, like torch
    q = np.clip(q, np.float32(qmin), np.float32(qmax))
    return q.astype(out_dtype)


def quantize_bias(bias_float, input_scale: float, weight_scales) -> np.ndarray:
    """Quantize a conv/linear bias to int32 at scale ``input_scale * weight_scale``.

    The int32 accumulator of ``sum(q_in * q_w)`` has real scale
    ``input_scale * weight_scale[c]`` (zero point 0), so the bias must be
    expressed in that unit: ``round(bias / (input_scale * weight_scale))``,
    computed in float64 and rounded half to even (as ``torch.round``).
    ``weight_scales`` is a scalar (per-tensor) or one scale per output
    channel (matching ``bias``'s length).  Raises ValueError if any scale is
    not positive/finite, on NaN/inf bias, or if a value leaves int32 range
    (silently clamping would change the model's output).
    """
    bias = np.asarray(bias_float, dtype=np.float64)
    if bias.ndim != 1:
        raise ValueError(f"bias must be 1-D, got shape {bias.shape}")
    w_scales = np.asarray(weight_scales, dtype=np.float64)
    if w_scales.ndim > 1 or (w_scales.ndim == 1 and w_scales.size not in (1, bias.size)):
        raise ValueError(f"weight_scales shape {w_scales.shape} does not match bias length {bias.size}")
    scales = float(input_scale) * w_scales
    if not (np.all(np.isfinite(scales)) and np.all(scales > 0)):
        raise ValueError(
            f"bias scales must be finite and positive: input_scale={input_scale}, "
            f"weight_scales={weight_scales}"
        )
    if not np.all(np.isfinite(bias)):
        raise ValueError("bias contains NaN or inf")
    q = np.rint(bias / scales)
    bad = (q < _INT32_MIN) | (q > _INT32_MAX)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        scale_i = np.broadcast_to(scales, bias.shape)[i]
        raise ValueError(
            f"quantized bias[{i}] = {q[i]:.0f} (bias {bias[i]!r} / scale {scale_i!r}) does not fit int32"
        )
    return q.astype(np.int32)


def is_int4_range(qmin: int, qmax: int) -> bool:
    """True if the quantization range ``[qmin, qmax]`` fits int4 ([-8, 7]), e.g. a8w4 weights."""
    return qmin >= -8 and qmax <= 7


# The values a TOSA int4 tensor holds: -7..7, not -8 (tosa-tools' serializer refuses -8
# when it packs int4 data). A weight quantized to [-8, 7] is int4 only if -8 never occurs.
TOSA_INT4_RANGE = (-7, 7)


def int4_values_fit(values) -> bool:
    """True if every value is a TOSA int4 value (``TOSA_INT4_RANGE``)."""
    values = np.asarray(values)
    lo, hi = TOSA_INT4_RANGE
    return values.size == 0 or bool(np.all((values >= lo) & (values <= hi)))


def packed_bytes(elements: int, bits: int) -> int:
    """Bytes of ``elements`` values of ``bits`` each, packed (int4: two per byte, rounded up)."""
    return (int(elements) * int(bits) + 7) // 8
