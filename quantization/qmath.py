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
from dataclasses import dataclass, replace
from typing import Iterable

import numpy as np

__all__ = [
    "QuantizationError",
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
    "io_range",
    "quantize_io",
    "validate_rescale_zero_point",
    "validate_rescale_flags",
    "storage_range",
    "RescaleParams",
    "compose_rescales",
    "quantize",
    "quantize_bias",
    "is_int4_range",
    "accumulator_bound",
    "rescale16_error",
    "int48_intermediate_shifts",
    "shift_round_half_up",
    "TOSA_INT4_RANGE",
    "int4_values_fit",
    "packed_bytes",
    "LeakyReluPlan",
    "leaky_relu_plan",
]


class QuantizationError(ValueError):
    """A quantization TOSA cannot express (a scale no RESCALE encodes, a zero point outside
    its storage, a bias that overflows, ...): the lowerings refuse the op with this reason."""


class TosaRequireError(QuantizationError):
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
        raise QuantizationError(f"unknown quantized dtype {dtype!r}; expected one of {sorted(_QRANGES)}")
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
        raise QuantizationError(f"RESCALE scale must be a finite positive number, got {scale!r}")
    bits = 31 if scale32 else 15  # multiplier is int32_t / int16_t
    kind = "scale32" if scale32 else "scale16"

    _, exponent = math.frexp(scale)  # scale = mantissa * 2**exponent, 0.5 <= mantissa < 1
    # With this shift, scale * 2**shift = mantissa * 2**bits lies in [2**(bits-1), 2**bits).
    shift = min(bits - exponent, SHIFT_MAX)  # past 62: denormalize rather than fail
    if shift < SHIFT_MIN:
        raise QuantizationError(
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
            raise QuantizationError(
                f"RESCALE scale {scale!r} is too large for {kind}: after rounding it needs "
                f"shift {shift} but TOSA requires shift >= {SHIFT_MIN}"
            )
    if multiplier == 0:
        raise QuantizationError(
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
            raise QuantizationError(f"channel {channel}: {err}") from None
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
        raise QuantizationError(f"RESCALE does not support {name} (only int8, int16, int32, int48)")
    if zp != int(zp):
        raise QuantizationError(f"zero point must be an integer, got {zp!r}")
    zp = int(zp)
    label = ("u" if unsigned else "") + name
    if unsigned and name in ("int32", "int48"):
        raise QuantizationError(f"RESCALE has no unsigned {name} (ERROR_IF u32/u48)")
    if name == "int8":
        lo, hi = qrange("uint8" if unsigned else "int8")
        if not lo <= zp <= hi:
            raise QuantizationError(f"RESCALE {label} zero point {zp} is outside [{lo}, {hi}]")
    elif name == "int16" and unsigned:
        if zp not in (0, 32768):
            raise QuantizationError(f"RESCALE uint16 zero point must be 0 or 32768, got {zp}")
    elif zp != 0:
        raise QuantizationError(f"RESCALE {label} zero point must be 0, got {zp}")
    return zp


def validate_rescale_flags(in_dtype, out_dtype, input_unsigned: bool = False, output_unsigned: bool = False,
                          scale32: bool = True, rounding_mode: str = "SINGLE_ROUND") -> None:
    """The ERROR_IF rules of RESCALE.tosac on types and flags (zero points aside):
    no scale32 with int48 input, DOUBLE_ROUND only with scale32, at most one unsigned
    flag, and no unsigned side next to an int32/int48 one (so an int32 accumulator can
    never be rescaled straight to uint8). Raises ValueError."""
    in_name, out_name = _dtype_name(in_dtype), _dtype_name(out_dtype)
    if scale32 and in_name == "int48":
        raise QuantizationError("RESCALE: scale32 cannot be used with int48 input (80-bit product)")
    if not scale32 and rounding_mode == "DOUBLE_ROUND":
        raise QuantizationError("RESCALE: DOUBLE_ROUND requires scale32")
    if input_unsigned and output_unsigned:
        raise QuantizationError("RESCALE: input_unsigned and output_unsigned cannot both be set")
    if input_unsigned and (out_name == "int32" or in_name in ("int32", "int48")):
        raise QuantizationError(f"RESCALE: input_unsigned is not allowed for {in_name} -> {out_name}")
    if output_unsigned and (in_name in ("int32", "int48") or out_name == "int32"):
        raise QuantizationError(f"RESCALE: output_unsigned is not allowed for {in_name} -> {out_name}")


def storage_range(dtype, unsigned: bool = False) -> tuple[int, int]:
    """The values a RESCALE reads from or writes to ``dtype`` storage (int8/int16/
    int32/int48), zero-extended when ``unsigned``."""
    name = _dtype_name(dtype)
    return qrange(("u" + name) if unsigned else name)


@dataclass(frozen=True)
class RescaleParams:
    """One TOSA 1.0 RESCALE: its constants, storage types and attributes.

    ``in_dtype``/``out_dtype`` are the storage types (int8, int16, int32, int48); the
    unsigned flags give 8/16-bit storage its uint meaning. Zero points are the
    mathematical ones (0..255 for uint8)."""

    multiplier: tuple[int, ...]
    shift: tuple[int, ...]
    input_zp: int
    output_zp: int
    in_dtype: str
    out_dtype: str
    input_unsigned: bool = False
    output_unsigned: bool = False
    scale32: bool = True
    rounding_mode: str = "SINGLE_ROUND"
    per_channel: bool = False

    def validate(self) -> "RescaleParams":
        """Raise ValueError if TOSA 1.0 rejects this RESCALE (ERROR_IF); else self."""
        validate_rescale_flags(self.in_dtype, self.out_dtype, self.input_unsigned, self.output_unsigned,
                               self.scale32, self.rounding_mode)
        validate_rescale_zero_point(self.input_zp, self.in_dtype, self.input_unsigned)
        validate_rescale_zero_point(self.output_zp, self.out_dtype, self.output_unsigned)
        return self

    @property
    def is_unit_scale(self) -> bool:
        """Every channel multiplies by exactly 1: apply_scale(v, 2**s, s) == v for all v."""
        return all(s <= 30 and m == 1 << s for m, s in zip(self.multiplier, self.shift))

    @property
    def is_identity(self) -> bool:
        """Returns its input unchanged: unit scale, same storage, signedness and zero point."""
        return (self.is_unit_scale and self.in_dtype == self.out_dtype and self.input_zp == self.output_zp
                and self.input_unsigned == self.output_unsigned)

    def reference(self, values: np.ndarray) -> np.ndarray:
        """:func:`rescale_reference` of ``values`` with these parameters."""
        return rescale_reference(
            values, self.input_zp, self.output_zp, list(self.multiplier), list(self.shift), self.scale32,
            self.rounding_mode, self.per_channel, self.input_unsigned, self.output_unsigned,
            self.out_dtype, in_dtype=self.in_dtype)


def compose_rescales(first: RescaleParams, second: RescaleParams) -> RescaleParams | None:
    """One RESCALE computing exactly ``second(first(x))`` for every input, or None.

    Exact cases only, where one of the two multiplies by exactly 1 (a zero-point shift,
    like uint8 <-> int8 at the graph IO):

    * ``first`` has unit scale and never saturates (its input range, shifted by
      ``output_zp - input_zp``, fits its output storage): ``second`` reads
      ``x - first.input_zp + first.output_zp - second.input_zp``, so the fused op is
      ``second`` reading ``first``'s input with input zero point
      ``first.input_zp + second.input_zp - first.output_zp`` and ``first``'s
      ``input_unsigned``.
    * ``second`` has unit scale and ``first``'s saturation never cuts a value that
      ``second``'s would keep (its storage range shifted by ``second.output_zp -
      second.input_zp`` covers ``second``'s output range): the fused op is ``first``
      writing ``second``'s storage with output zero point ``first.output_zp +
      second.output_zp - second.input_zp`` and ``second``'s ``output_unsigned``.

    The intermediate must be read as it was written (same storage and signedness).
    The result may be an identity (``is_identity``: e.g. uint8 -> int8 and back around a
    reshape), which a caller drops rather than emits (TOSA forbids a RESCALE with both
    unsigned flags). None also when the fused op would break a TOSA rule (e.g. an unsigned flag next to
    int32: an accumulator's rescale cannot write uint8) or a per-channel unit-scale op
    would have to move."""
    if first.out_dtype != second.in_dtype or first.output_unsigned != second.input_unsigned:
        return None
    mid_lo, mid_hi = storage_range(first.out_dtype, first.output_unsigned)
    fused = None
    if first.is_unit_scale and not first.per_channel:
        in_lo, in_hi = storage_range(first.in_dtype, first.input_unsigned)
        shift = first.output_zp - first.input_zp
        if mid_lo <= in_lo + shift and in_hi + shift <= mid_hi:
            fused = replace(second, in_dtype=first.in_dtype, input_unsigned=first.input_unsigned,
                            input_zp=first.input_zp + second.input_zp - first.output_zp)
    if fused is None and second.is_unit_scale and not second.per_channel:
        out_lo, out_hi = storage_range(second.out_dtype, second.output_unsigned)
        shift = second.output_zp - second.input_zp
        if mid_lo + shift <= out_lo and out_hi <= mid_hi + shift:
            fused = replace(first, out_dtype=second.out_dtype, output_unsigned=second.output_unsigned,
                            output_zp=first.output_zp + shift)
    if fused is None:
        return None
    if fused.is_identity:
        return fused
    try:
        return fused.validate()
    except ValueError:
        return None


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
        raise QuantizationError(f"{what} values do not fit {bits}-bit storage")
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
            raise QuantizationError(f"cannot infer RESCALE input type from {values.dtype}; pass in_dtype")
        in_dtype = inferred[values.dtype.name]
    in_name, out_name = _dtype_name(in_dtype), _dtype_name(out_dtype)
    if in_name not in _RESCALE_BITS:
        raise QuantizationError(f"RESCALE input type must be one of {list(_RESCALE_BITS)}, got {in_name}")
    if out_name not in ("int8", "int16", "int32"):
        raise QuantizationError(f"RESCALE output type must be int8, int16 or int32, got {out_name}")
    if rounding_mode not in ROUNDING_MODES:
        raise QuantizationError(f"rounding_mode must be one of {ROUNDING_MODES}, got {rounding_mode!r}")

    validate_rescale_flags(in_name, out_name, input_unsigned, output_unsigned, scale32, rounding_mode)
    if per_channel and values.ndim < 1:
        raise QuantizationError("RESCALE: per_channel needs an input of rank >= 1")
    in_zp = validate_rescale_zero_point(input_zp, in_name, input_unsigned)
    out_zp = validate_rescale_zero_point(output_zp, out_name, output_unsigned)

    nc = values.shape[-1] if per_channel else 1
    mults = np.asarray(multiplier, dtype=np.int64).reshape(-1)
    shifts = np.asarray(shift, dtype=np.int64).reshape(-1)
    if mults.size != nc or shifts.size != nc:
        raise QuantizationError(f"RESCALE expects {nc} multiplier(s)/shift(s), got {mults.size}/{shifts.size}")

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
    raise QuantizationError(f"quant range [{qmin}, {qmax}] does not fit int32")


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
        raise QuantizationError("quantize: input contains NaN")
    if qmin > qmax:
        raise QuantizationError(f"quantize: qmin {qmin} > qmax {qmax}")
    out_dtype = np.dtype(dtype) if dtype is not None else _smallest_int_dtype(qmin, qmax)
    inv_scale = np.float32(1.0 / float(scale))
    q = np.rint(x * inv_scale) + np.float32(zero_point)  # float32 throughout, like torch
    q = np.clip(q, np.float32(qmin), np.float32(qmax))
    return q.astype(out_dtype)


_IO_DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16}


def io_range(quantization: dict) -> tuple[int, int]:
    """(qmin, qmax) of a graph input or output described by its `tosaic.io` quantization
    ({"dtype", "scale", "zero_point"[, "qmin", "qmax"]}): the program's own range where
    narrower than the dtype's (a16w8's symmetric [-32767, 32767]), else the dtype's."""
    lo, hi = qrange(quantization["dtype"])
    return quantization.get("qmin", lo), quantization.get("qmax", hi)


def quantize_io(x: np.ndarray, quantization: dict) -> np.ndarray:
    """Float values quantized for a graph input (or an output compared with one), exactly as
    the program's quantize_per_tensor does (`quantize`), into the IO's numpy dtype."""
    lo, hi = io_range(quantization)
    return quantize(np.asarray(x, np.float32), quantization["scale"], quantization["zero_point"], lo, hi,
                    dtype=_IO_DTYPES[quantization["dtype"]])


def quantize_bias(bias_float, input_scale: float, weight_scales, bits: int = 32) -> np.ndarray:
    """Quantize a conv/linear bias to int32 at scale ``input_scale * weight_scale``.

    The int32 accumulator of ``sum(q_in * q_w)`` has real scale
    ``input_scale * weight_scale[c]`` (zero point 0), so the bias must be
    expressed in that unit: ``round(bias / (input_scale * weight_scale))``,
    computed in float64 and rounded half to even (as ``torch.round``).
    ``weight_scales`` is a scalar (per-tensor) or one scale per output
    channel (matching ``bias``'s length).  Raises ValueError if any scale is
    not positive/finite, on NaN/inf bias, or if a value leaves the ``bits``-wide
    range (silently clamping would change the model's output).  ``bits`` is 32
    for int8 activations and 48 for int16 ones (TOSA's i48 bias); the values
    are returned as int32 or int64 accordingly.
    """
    bias = np.asarray(bias_float, dtype=np.float64)
    if bias.ndim != 1:
        raise QuantizationError(f"bias must be 1-D, got shape {bias.shape}")
    w_scales = np.asarray(weight_scales, dtype=np.float64)
    if w_scales.ndim > 1 or (w_scales.ndim == 1 and w_scales.size not in (1, bias.size)):
        raise QuantizationError(f"weight_scales shape {w_scales.shape} does not match bias length {bias.size}")
    scales = float(input_scale) * w_scales
    if not (np.all(np.isfinite(scales)) and np.all(scales > 0)):
        raise QuantizationError(
            f"bias scales must be finite and positive: input_scale={input_scale}, "
            f"weight_scales={weight_scales}"
        )
    if not np.all(np.isfinite(bias)):
        raise QuantizationError("bias contains NaN or inf")
    if bits not in (32, 48):
        raise QuantizationError(f"bias must be int32 or int48, not {bits} bits")
    lo, hi = qrange(f"int{bits}")
    q = np.rint(bias / scales)
    bad = (q < lo) | (q > hi)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        scale_i = np.broadcast_to(scales, bias.shape)[i]
        raise QuantizationError(
            f"quantized bias[{i}] = {q[i]:.0f} (bias {bias[i]!r} / scale {scale_i!r}) does not fit int{bits}"
        )
    return q.astype(np.int32 if bits == 32 else np.int64)


def add_headroom_shift(magnitudes, scales, constant_bound: float = 0.0, max_shift: int = 20) -> int:
    """The left shift k of the int32 domain of a quantized ADD/SUB (TFLite's left_shift).

    Each input ``i`` (integer magnitude ``|q - zp| <= magnitudes[i]``, real scale
    ``scales[i]``) is RESCALEd to the common unit ``u = 2 * max(scales) / 2**k``, i.e.
    by ``scales[i] / u <= 2**(k-1)``, so ``|a_i| <= magnitudes[i] * scales[i] / u``
    (plus 1/2 from rounding); a float constant operand, at most ``constant_bound`` in
    magnitude, is ``round(c / u)``. The sum must stay inside int32, and the rescale of
    the sum REQUIREs ``|sum| < 2**(shift - 1)``, so this returns the largest
    ``k <= max_shift`` with ``(sum_i magnitudes[i] * scales[i] + constant_bound) / u
    < 2**30``. That is ``max_shift`` = 20 for two int8 inputs (2 * 128 * 2**19 = 2**27)
    and 15 for two int16 ones: 2 * 32768 * 2**14 = 2**31 would overflow at k = 16, while
    k = 15 gives at most 2**30 - 2**15 (TFLite's int16 ADD also shifts by 15). Raises
    ValueError when even k = 0 does not fit."""
    magnitudes = np.asarray(magnitudes, np.float64).reshape(-1)
    scales = np.asarray(scales, np.float64).reshape(-1)
    if magnitudes.size != scales.size or magnitudes.size == 0 or np.any(scales <= 0):
        raise QuantizationError("add_headroom_shift needs one positive scale per input")
    real_bound = float(magnitudes @ scales) + float(constant_bound)
    max_scale = float(scales.max())
    for shift in range(max_shift, -1, -1):
        if real_bound / (2 * max_scale / (1 << shift)) < (1 << 30):
            return shift
    raise QuantizationError("the operands are too large for an int32 sum at the inputs' scale")


def is_int4_range(qmin: int, qmax: int) -> bool:
    """True if the quantization range ``[qmin, qmax]`` fits int4 ([-8, 7]), e.g. a8w4 weights."""
    return qmin >= -8 and qmax <= 7


# ---------------------------------------------------------------------------
# int16 activations: the 48-bit accumulator and its way down to int16
# ---------------------------------------------------------------------------


def accumulator_bound(weight_abs_sums, input_dtype="int16", input_zero_point: int = 0) -> np.ndarray:
    """Per output channel, the largest ``|sum(w * (x - zp))|`` any input can produce.

    ``weight_abs_sums`` is ``sum |w|`` over each channel's kernel (constant weights);
    the input may take any value of ``input_dtype``, so ``|x - zp|`` is at most
    ``max(zp - qmin, qmax - zp)`` (32768 for int16 with zero point 0). Python ints
    (as an object array): the bound of an int16 layer can exceed int64 only in theory,
    but int48 arithmetic is easier to reason about unbounded."""
    lo, hi = qrange(input_dtype)
    reach = max(input_zero_point - lo, hi - input_zero_point)
    sums = np.asarray(weight_abs_sums).reshape(-1)
    return np.array([int(s) * reach for s in sums], dtype=object)


def rescale16_error(scale: float) -> float:
    """Relative error of the best 16-bit RESCALE encoding of ``scale``:
    ``multiplier * 2**-shift / scale - 1`` for :func:`compute_multiplier_and_shift`
    with ``scale32=False``.

    The normalized multiplier in ``[2**14, 2**15)`` rounded to nearest is the closest
    any ``(multiplier < 2**15, 2 <= shift <= 62)`` pair gets (a larger shift would need
    a multiplier >= 2**15; a smaller one halves the resolution), so ``|error|`` is at
    most ``2**-15``. An int16 output near full scale (|y| ~ 2**15) can therefore be
    off by up to one LSB, and any output ``y`` rounds differently from the exact
    scaling with probability about ``|y * error|``: for activations spread over the
    int16 range that is several percent of the elements. Hence the two-step form
    (:func:`int48_intermediate_shifts`) for int16 outputs."""
    multiplier, shift = compute_multiplier_and_shift(scale, scale32=False)
    return multiplier * 2.0**-shift / float(scale) - 1.0


def shift_round_half_up(value: int, k: int) -> int:
    """What RESCALE by exactly ``2**-k`` (multiplier 2**14, shift 14 + k) makes of ``value``:
    ``value / 2**k`` rounded half up."""
    return (value * (1 << 14) + (1 << (13 + k))) >> (14 + k)


def _finest_int32_step(bound: int, bias: int, scale: float) -> int | None:
    for k in range(0, SHIFT_MAX - 14 + 1):  # the i48 -> i32 RESCALE's shift is 14 + k <= 62
        if k > 0 and scale * 2.0**k > 1.0:
            return None  # coarser than the output's LSB (k = 0, the accumulator itself, is always allowed)
        value_bound = shift_round_half_up(bound, k) + abs(shift_round_half_up(bias, k))
        if value_bound > _INT32_MAX:
            continue
        try:
            _, shift = compute_multiplier_and_shift(scale * 2.0**k, scale32=True)
        except ValueError:
            return None
        if value_bound < 1 << (shift - 1):
            return k
    return None


def int48_intermediate_shifts(acc_bounds, biases, scales) -> np.ndarray:
    """Per output channel, the power-of-two step ``2**k`` at which an int48 accumulator
    goes through int32 on its way to the output.

    The accumulator (without bias, ``|acc| <= acc_bounds[c]``) is RESCALEd i48 -> i32 by
    exactly ``2**-k`` (``scale32 = false``, multiplier ``2**14``, shift ``14 + k``: no
    multiplier error), the bias is added there as ``round(bias / 2**k)``, and an i32 ->
    output RESCALE with a 32-bit multiplier applies ``scales[c] * 2**k`` (``scales`` =
    accumulator scale / output scale). ``k`` is the smallest (finest step) for which

    * the rescaled accumulator plus the rescaled bias cannot overflow int32, and
    * the second RESCALE can take every such value (``apply_scale_32`` REQUIREs
      ``|value| < 2**(shift - 1)``);

    a step ``k > 0`` coarser than the output's LSB (``scales[c] * 2**k > 1``) is not
    allowed: the intermediate would be less precise than the result. Returns the ``k`` (int64 array);
    raises ValueError naming the channel when no allowed step exists. With the bias
    folded back into the accumulator the same ``k`` keeps ``acc + bias`` in int32 too, so
    the bias-split and native forms share their first RESCALE."""
    bounds = [int(b) for b in np.asarray(acc_bounds, dtype=object).reshape(-1)]
    bias_values = [int(b) for b in np.asarray(biases, dtype=object).reshape(-1)]
    scale_values = np.broadcast_to(np.asarray(scales, np.float64).reshape(-1), (len(bounds),))
    if len(bias_values) != len(bounds):
        raise QuantizationError(f"{len(bias_values)} biases for {len(bounds)} channels")
    shifts = []
    for channel, (bound, bias, scale) in enumerate(zip(bounds, bias_values, scale_values)):
        k = _finest_int32_step(bound, bias, float(scale))
        if k is None:
            raise QuantizationError(
                f"channel {channel}: accumulator bound {bound} plus bias {bias} does not fit int32 at any "
                f"power-of-two step no coarser than the output's LSB (accumulator/output scale {scale:.6g})"
            )
        shifts.append(k)
    return np.asarray(shifts, np.int64)


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


# ---------------------------------------------------------------------------
# Decisions the quantized lowerings make (one home for each)
# ---------------------------------------------------------------------------


def accumulator_width(input_width: int) -> int:
    """TOSA's accumulator (and bias) width for a convolution/matmul of ``input_width``-bit
    activations with int8 (or int4) weights: 32 for int8, 48 for int16."""
    try:
        return {8: 32, 16: 48}[input_width]
    except KeyError:
        raise QuantizationError(f"no TOSA accumulator for int{input_width} activations") from None


def window_sum_limit(input_width: int) -> int:
    """The most elements an int32 window sum of ``input_width``-bit values may add."""
    return (1 << 31) // (1 << (input_width - 1))


def window_counts(size: int, kernel: int, stride: int, pad_before: int, out_size: int) -> np.ndarray:
    """How many real (non-padding) elements each of `out_size` pooling windows covers
    along one axis of length `size`."""
    starts = np.arange(out_size) * stride - pad_before
    return np.minimum(starts + kernel, size) - np.maximum(starts, 0)


def count_weights(counts: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer weights w and a common multiple L of the window counts with w = L / count:
    an average sum / count is exactly sum * w / L, one integer product and one rescale."""
    common = int(np.lcm.reduce(np.asarray(counts, np.int64).reshape(-1)))
    return common // np.asarray(counts, np.int64), common


def average_widening(input_width: int, wide_width: int = 16) -> int:
    """The power of two that int``input_width`` values minus their zero point (at most
    2**input_width - 1 in magnitude) are multiplied by, exactly, to fit signed
    ``wide_width`` bits: an average of the widened values rounds at 1/factor of an input
    LSB, so the rescale after it rounds (almost) once."""
    return 1 << (wide_width - 1 - input_width)


def quantized_clamp_bounds(lo: float, hi: float, scale: float, zero_point: int, qmin: int,
                           qmax: int) -> tuple[int, int]:
    """A float clamp [lo, hi] in the quantized domain (round(bound / scale) + zero point),
    within [qmin, qmax]; a bound beyond +-1e30 is none."""
    q_lo = qmin if lo < -1e30 else max(qmin, int(np.round(lo / scale)) + zero_point)
    q_hi = qmax if hi > 1e30 else min(qmax, int(np.round(hi / scale)) + zero_point)
    return q_lo, q_hi


def rescale_fits(scale: float, bound: float) -> str | None:
    """Why a 32-bit RESCALE by ``scale`` cannot take values up to ``|bound|``, or None.

    Besides encoding the scale, apply_scale_32 REQUIREs |value| < 2**(shift - 1)."""
    try:
        _, shift = compute_multiplier_and_shift(scale, True)
    except ValueError as e:
        return f"scale cannot be expressed as a TOSA rescale: {e}"
    if bound >= (1 << (shift - 1)):
        return f"rescale by {scale:.6g} would overflow for values up to {bound:.6g}"
    return None


def holds_unsigned(qmin: int, qmax: int, width: int) -> bool:
    """A quantization range of a signless ``width``-bit storage that only an unsigned
    reading holds (uint8's [0, 255])."""
    return qmin >= 0 and qmax >= 1 << (width - 1)


@dataclass(frozen=True)
class RequantizePlan:
    """How to requantize: a per-tensor RESCALE (multiplier, shift) or none, and an
    integer clamp (lo, hi) after it or none."""

    rescale: tuple[int, int] | None
    clamp: tuple[int, int] | None
    input_unsigned: bool = False
    output_unsigned: bool = False


def requantize_plan(in_q, in_bits: int, in_unsigned: bool, out_q, out_bits: int, out_unsigned: bool,
                    same_storage: bool) -> RequantizePlan:
    """Values quantized with ``in_q`` (scale, zero_point, qmin, qmax: per tensor) in
    ``in_bits``-bit storage, quantized with ``out_q`` instead: nothing when the parameters
    and storage agree (a clamp when the output's range is narrower), else a RESCALE by
    in_scale / out_scale, with a clamp where its reach exceeds the output's range. Raises
    ValueError when TOSA cannot encode it."""
    in_name, out_name = f"int{in_bits}", f"int{out_bits}"
    same = (in_q.scale[0], in_q.zero_point[0]) == (out_q.scale[0], out_q.zero_point[0]) and same_storage
    if same:
        if in_q.qmin >= out_q.qmin and in_q.qmax <= out_q.qmax:
            return RequantizePlan(None, None)
        if out_unsigned:
            raise QuantizationError(f"no integer clamp to the unsigned range [{out_q.qmin}, {out_q.qmax}]")
        return RequantizePlan(None, (out_q.qmin, out_q.qmax))
    scale = in_q.scale[0] / out_q.scale[0]
    multiplier, shift = compute_multiplier_and_shift(scale, True)
    validate_rescale_zero_point(in_q.zero_point[0], in_name, in_unsigned)
    validate_rescale_zero_point(out_q.zero_point[0], out_name, out_unsigned)
    lo, hi = storage_range(in_name, in_unsigned)
    lo, hi = max(lo, in_q.qmin), min(hi, in_q.qmax)
    bound = max(abs(lo - in_q.zero_point[0]), abs(hi - in_q.zero_point[0]))
    if bound >= 1 << (shift - 1):
        raise QuantizationError(f"rescale by {scale!r} needs shift {shift}, too small for inputs up to {bound}")
    # The rescale is monotonic: the images of the input range's ends bound its results
    # (an int16 rescale by <= 1 never reaches -32768, so [-32767, 32767] needs no clamp).
    reached = rescale_reference(np.asarray([lo, hi], np.int64), in_q.zero_point[0], out_q.zero_point[0],
                                multiplier, shift, input_unsigned=in_unsigned, output_unsigned=out_unsigned,
                                in_dtype=in_name, out_dtype=out_name)
    clamp = None
    if out_q.qmin > int(reached.min()) or out_q.qmax < int(reached.max()):
        if out_unsigned:
            raise QuantizationError(f"no integer clamp to the unsigned range [{out_q.qmin}, {out_q.qmax}]")
        storage_lo, storage_hi = storage_range(out_name, out_unsigned)
        clamp = (max(out_q.qmin, storage_lo), min(out_q.qmax, storage_hi))
    return RequantizePlan((multiplier, shift), clamp, in_unsigned, out_unsigned)


@dataclass(frozen=True)
class LeakyReluPlan:
    """leaky_relu(x) = x >= 0 ? x : slope * x on quantized values: the input RESCALEd to int32
    twice, once per branch, their MAXIMUM (0 < slope < 1) or MINIMUM (slope > 1) in int32
    (TOSA 1.0's integer MAXIMUM/MINIMUM are int32 only), a unit RESCALE to the output
    storage adding its zero point, and a clamp when the result can leave the output's range."""

    positive: tuple[int, int]  # (multiplier, shift) of in_scale / out_scale
    negative: tuple[int, int]  # ... of slope * in_scale / out_scale
    combine: str  # "maximum" or "minimum"
    clamp: tuple[int, int] | None

    def reference(self, codes: np.ndarray, in_zp: int, out_zp: int, bits: int) -> np.ndarray:
        """What the integer form computes for input `codes` (numpy, int64 result)."""
        name = f"int{bits}"
        a, b = (rescale_reference(np.asarray(codes, np.int64), in_zp, 0, m, s, in_dtype=name,
                                  out_dtype="int32").astype(np.int64) for m, s in (self.positive, self.negative))
        combined = np.maximum(a, b) if self.combine == "maximum" else np.minimum(a, b)
        result = np.clip(combined + out_zp, *qrange(name))
        return result if self.clamp is None else np.clip(result, *self.clamp)


def leaky_relu_plan(in_q, out_q, slope: float, bits: int) -> LeakyReluPlan:
    """The integer form of leaky_relu from `in_q` to `out_q` (per tensor, `bits`-bit storage
    both). With s = in_scale / out_scale, a = rescale(x - zp, s) and b = rescale(x - zp,
    slope * s) are the two branches in output LSBs, each rounded once; rounding is monotonic,
    so where x >= zp, a >= b when slope < 1 (the maximum picks the right branch) and a <= b
    when slope > 1 (the minimum), and the other way round where x < zp. Raises ValueError
    for a slope <= 0 or of 1 (no such form; the table takes those) or a scale TOSA cannot
    encode for the input's range."""
    if not slope > 0 or slope == 1:
        raise ValueError(f"slope {slope} has no two-branch form (needs 0 < slope != 1)")
    name = f"int{bits}"
    in_zp, out_zp = in_q.zero_point[0], out_q.zero_point[0]
    validate_rescale_zero_point(in_zp, name)
    validate_rescale_zero_point(out_zp, name)
    lo, hi = max(in_q.qmin, qrange(name)[0]), min(in_q.qmax, qrange(name)[1])
    bound = max(abs(lo - in_zp), abs(hi - in_zp))
    branches = []
    for scale in (in_q.scale[0] / out_q.scale[0], slope * in_q.scale[0] / out_q.scale[0]):
        reason = rescale_fits(scale, bound)
        if reason:
            raise ValueError(reason)
        if bound * scale + 1 >= 1 << 29:  # the unit RESCALE (shift 30) REQUIREs |value| < 2**29
            raise ValueError(f"scale {scale:.6g} takes int32 values past the unit rescale's 2**29")
        branches.append(compute_multiplier_and_shift(scale, True))
    plan = LeakyReluPlan(branches[0], branches[1], "maximum" if slope < 1 else "minimum", None)
    # Monotonic in x: the ends of the input range bound the results.
    reached = plan.reference(np.asarray([lo, hi]), in_zp, out_zp, bits)
    if out_q.qmin > int(reached.min()) or out_q.qmax < int(reached.max()):
        storage_lo, storage_hi = qrange(name)
        plan = replace(plan, clamp=(max(out_q.qmin, storage_lo), min(out_q.qmax, storage_hi)))
    return plan


# ---------------------------------------------------------------------------
# Normalisation (layer norm, RMSNorm): int32 sums, integer rsqrt, per-channel affine
# ---------------------------------------------------------------------------

# 1/sqrt(x) on [1/4, 1) from a - b x: the linear minimax fit of relative error
# (equioscillating at 1/4, 7/12 and 1), |error| < 0.0861, so three Newton steps
# y <- y (3 - x y^2) / 2 leave < 1e-7 (e -> 1.5 e^2).
RSQRT_ESTIMATE_B = 2.0 / (1.75 * (1 - 1 / 3) * math.sqrt(7 / 12) + 0.75)
RSQRT_ESTIMATE_A = 1.75 * RSQRT_ESTIMATE_B
RSQRT_STEPS = 3
RSQRT_Q = 29  # fraction bits of y in (1, 2]


@dataclass(frozen=True)
class NormPlan:
    """The integer constants of a normalisation n = D / sqrt(V + E) (see lowering/norm.py).

    D = N x' and V = N^2 var (layer norm, x' centred) or N sum(x^2) (RMSNorm), in input
    codes; `variance_shift` k: V is carried as V / 2^k (k < 0: times 2^-k), and E =
    eps N^2 / (s^2 2^k) rounded; `product_shift` t: Z = (D << m) y >> t = n 2^F with
    F = `fraction_bits`; `output_bits` Fh: the affine accumulates y_out / s_out * 2^Fh."""

    count: int
    variance_shift: int
    eps_term: int
    product_shift: int
    fraction_bits: float
    output_bits: int
    weight_shift: int
    mean_multiplier: int
    mean_shift: int


def norm_plan(count: int, in_scale: float, eps: float, centred: bool, weight_max: float, bias_max: float,
              out_scale: float) -> NormPlan:
    """Choose the shifts of an int8 normalisation over `count` elements so that no int32
    intermediate can overflow for any input codes; ValueError (with the figures) if none do."""
    n = int(count)
    s = float(np.float32(in_scale))
    # The largest N^2 var (centred: codes span 255, so var <= 127.5^2) or N sum(x^2).
    v_max = n * n * (16257 if centred else 65026)
    e_true = eps * n * n / (s * s)
    k = math.ceil(math.log2((v_max + e_true) / float((1 << 30) - 4)))
    if centred and n * 16257 >= 1 << 31 or not centred and n * 65026 >= 1 << 31:
        raise ValueError(f"{n} elements: the int32 sum of squares could overflow")
    if k < -20:
        k = -20
    e = int(math.floor(e_true / 2.0**k + 0.5))
    if e >= 1 << 30:
        raise ValueError(f"eps {eps} is too large for input scale {s} ({e} > 2^30)")
    # |n| <= sqrt(N - 1): |D| 2^m <= sqrt(N) 2^(15.5 + k/2), kept below 2^29.5.
    d_bits = 0.5 * math.log2(n) + 15.5 + k / 2
    if d_bits > 29.5:
        raise ValueError(f"{n} elements: the normalised deviations need {d_bits:.1f} bits (> 29.5)")
    t = max(0, math.ceil(d_bits))
    f = 44.5 + k / 2 - t
    bound = (math.sqrt(n) * weight_max + bias_max) / out_scale
    fh = min(32, math.floor(math.log2(float(1 << 30) / bound)))
    if fh < 0:
        raise ValueError(f"the output range {bound:.3g} LSB is too wide for int32")
    weight_factor = weight_max * 2.0 ** (fh - f) / out_scale
    sw = min(62, math.floor(math.log2(float(1 << 30) / weight_factor)))
    if sw < 0:
        raise ValueError(f"the affine weight factor {weight_factor:.3g} is too large")
    j = 30 + int(math.floor(math.log2(n)))
    return NormPlan(n, k, e, t, f, fh, sw, int(round(2.0**j / n)), j)


def norm_affine(plan: NormPlan, weight, bias, out_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The int32 weight (multiplying Z, shift `weight_shift`) and bias (at 2^Fh) of
    y_out / s_out = n w / s_out + b / s_out."""
    w = np.asarray(weight, np.float64)
    b = np.asarray(bias, np.float64)
    wq = np.floor(w * 2.0 ** (plan.output_bits + plan.weight_shift - plan.fraction_bits) / out_scale + 0.5)
    bq = np.floor(b / out_scale * 2.0**plan.output_bits + 0.5)
    return wq.astype(np.int64), bq.astype(np.int64)


AFFINE_ACCUMULATOR_BITS = 30  # |X Mq + Bq| < 2^30: int32 with a bit to spare


def affine_plan(multipliers, offsets, magnitude: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer form of y = m X + o per element (X integer, |X| <= magnitude; m, o real, in
    output LSBs): (Mq, Oq, k) with Mq = round(m 2^k), Oq = round(o 2^k), the largest k (at
    most 31) for which |X Mq + Oq| < 2^30, so y = (X Mq + Oq) 2^-k is one int32 MUL, ADD
    and one rounding RESCALE, off by at most (magnitude / 2 + 1 / 2) 2^-k LSB before it
    rounds. Raises ValueError when no k >= 8 fits (values too large for int32)."""
    m = np.asarray(multipliers, np.float64)
    o = np.asarray(offsets, np.float64)
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(o))):
        raise ValueError("the affine's constants are not finite")
    bound = float(magnitude * np.abs(m).max(initial=0.0) + np.abs(o).max(initial=0.0)) + magnitude + 1
    k = min(31, int(math.floor(math.log2((1 << AFFINE_ACCUMULATOR_BITS) / bound))) if bound > 0 else 31)
    if k < 8:
        raise ValueError(f"an affine reaching {bound:.3g} output LSBs does not fit int32 at 2^-8 precision")
    mq = np.floor(m * 2.0**k + 0.5).astype(np.int64)
    oq = np.floor(o * 2.0**k + 0.5).astype(np.int64)
    return mq, oq, k


def rsqrt_estimate_constants() -> tuple[int, int]:
    """a and b of the initial 1/sqrt(x) estimate, in Q29."""
    return int(round(RSQRT_ESTIMATE_A * (1 << RSQRT_Q))), int(round(RSQRT_ESTIMATE_B * (1 << RSQRT_Q)))


# ---------------------------------------------------------------------------
# log_softmax: ln of the exp sum from an int16 TABLE of ln(1 + f) on its mantissa
# ---------------------------------------------------------------------------

LOG_TABLE_FRACTION = 15  # ln(1 + j/512) * 2^15 < 2^15 for j <= 512; TABLE interpolates 7 more bits
LOG_Q = LOG_TABLE_FRACTION + 7  # the TABLE's int32 output: ln(1 + f) * 2^22
LN2_Q = int(round(math.log(2.0) * (1 << LOG_Q)))


def log_mantissa_table() -> np.ndarray:
    """The 513 int16 entries of ln(1 + j / 512) in Q15 (error <= 2^-16 + the
    interpolation's (1/512)^2 / 8 ~ 5e-7 nats)."""
    j = np.arange(513, dtype=np.float64)
    return np.floor(np.log1p(j / 512.0) * (1 << LOG_TABLE_FRACTION) + 0.5).astype(np.int64)


def log_softmax_bits(in_scale: float, count: int) -> tuple[int, int]:
    """(P, round(s_in 2^P)): s_in d - ln(sum) at 2^P fits int32 for d in [-255, 0]."""
    s = float(np.float32(in_scale))
    bound = 255.0 * s + math.log(count) + 1.0
    p = min(40, math.floor(math.log2(float(1 << 30) / bound)))
    return p, int(math.floor(s * 2.0**p + 0.5))
