"""TOSA's int16 TABLE: the 513-entry interpolated lookup, and fitting its entries.

TOSA 1.0 TABLE with int16 input (TABLE.tosac, `apply_lookup_s`): for an input x,

    index = (x + 32768) >> 7          (0..511)
    frac  = (x + 32768) & 127         (the low 7 bits)
    out   = (table[index] << 7) + (table[index + 1] - table[index]) * frac    (int32)

so the output has 7 fractional bits: a piecewise-linear function with knots at the codes
128 * i - 32768, i = 0..512 (the last one, code 32768, is only ever interpolated towards).
The spec REQUIREs each slope `table[i + 1] - table[i]` to fit int16.

A quantized function of an int16 input becomes that TABLE followed by one RESCALE of the
int32 result to the int16 output (zero points 0): entry units `u` output LSBs, so the
RESCALE is by u / 128. `u` is as small as the entries allow (the function's largest
|value| at the knots maps to 32767), which keeps the entries' own rounding at most u / 2
output LSB.

Between knots the linear interpolation departs from a curved function by up to
h^2 * max|f''| / 8 (h = 128 input LSBs), which no choice of entries removes. The entries
are therefore fitted to the exact target, the output code for every one of the 65536
input codes (what the fake-quantized program computes), not just sampled at the knots:
starting from the rounded knot values, coordinate descent moves each entry by up to +-2
units while that lowers the number of mismatching codes in its two segments (ties: the
smaller total error). The figures this gives are measured in test_table16.py and in the
int16 sigmoid/tanh end-to-end tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tosaic.quantization import qmath

TABLE16_SIZE = 513
SEGMENT = 128  # input codes per table segment (7 fractional bits)
# Extra entry bits of the two-table form. The high table's int32 result (|.| < 2^22) is
# RESCALEd by 2^k, which apply_scale_32 allows while 2^22 < 2^(29 - k): k <= 6.
EXTRA_BITS = 6
INT16_MIN, INT16_MAX = qmath.qrange("int16")
# Every int16 input code, and the knots' codes (the last knot, 32768, is past int16).
CODES = np.arange(INT16_MIN, INT16_MAX + 1, dtype=np.int64)
KNOTS = np.arange(TABLE16_SIZE, dtype=np.int64) * SEGMENT + INT16_MIN


def table16_reference(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """TOSA 1.0 TABLE of int16 `values` with the 513-entry int16 `table`, as int32.

    Raises qmath.TosaRequireError where the spec's REQUIRE on the slope fails."""
    values = np.asarray(values, np.int64)
    table = np.asarray(table, np.int64).reshape(-1)
    if table.size != TABLE16_SIZE:
        raise ValueError(f"an int16 TABLE has {TABLE16_SIZE} entries, got {table.size}")
    if np.any(table < INT16_MIN) or np.any(table > INT16_MAX):
        raise ValueError("int16 TABLE entries must fit int16")
    if values.size and (values.min() < INT16_MIN or values.max() > INT16_MAX):
        raise ValueError("int16 TABLE input values must fit int16")
    shifted = values + 32768
    index, frac = shifted >> 7, shifted & 127
    base, slope = table[index], table[index + 1] - table[index]
    if np.any(slope < INT16_MIN) or np.any(slope > INT16_MAX):
        raise qmath.TosaRequireError("TOSA REQUIRE failed: TABLE slope does not fit int16")
    return ((base << 7) + slope * frac).astype(np.int32)


def _rescale(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """RESCALE's apply_scale_32 (SINGLE_ROUND, zero points 0) on int64 `acc`, unsaturated."""
    return (acc * multiplier + (1 << (shift - 1))) >> shift


@dataclass
class Table16:
    """An int16 TABLE (or two, for `extra_bits` > 0) and the RESCALE (scale32) of the
    int32 result to the output.

    `entries` may be wider than int16: with `extra_bits` = k they are split into a high
    table (entries rounded to multiples of 2^k, over 2^k) and a low one (the remainders,
    in [-2^(k-1), 2^(k-1))); by TABLE's linearity in its entries,
    TABLE(x, high) * 2^k + TABLE(x, low) == the interpolation of `entries`, exactly."""

    entries: np.ndarray  # int64[513]
    multiplier: int
    shift: int
    extra_bits: int = 0

    @property
    def high(self) -> np.ndarray:
        k = self.extra_bits
        return ((self.entries + ((1 << k) >> 1)) >> k).astype(np.int16)

    @property
    def low(self) -> np.ndarray:
        return (self.entries - (self.high.astype(np.int64) << self.extra_bits)).astype(np.int16)

    def accumulator(self, values=CODES) -> np.ndarray:
        """The int32 sum the lowered program computes before its final RESCALE."""
        acc = table16_reference(values, self.high).astype(np.int64) << self.extra_bits
        if self.extra_bits:
            acc += table16_reference(values, self.low)
        return acc

    def outputs(self, values=CODES, qmin: int = INT16_MIN, qmax: int = INT16_MAX) -> np.ndarray:
        """The lowered program's output codes for int16 input `values`: TABLE(s), RESCALE
        to int16 (saturating), clamp to [qmin, qmax]."""
        return np.clip(_rescale(self.accumulator(values), self.multiplier, self.shift),
                       max(qmin, INT16_MIN), min(qmax, INT16_MAX))

    def reach(self) -> tuple[int, int]:
        """The smallest and largest RESCALE result over all inputs (before saturation):
        the interpolated values lie between the entries."""
        ends = np.asarray([self.entries.min(), self.entries.max()], np.int64) << 7
        out = _rescale(ends, self.multiplier, self.shift)
        return int(out[0]), int(out[1])


def fit_table16(values: np.ndarray, target: np.ndarray, qmin: int = INT16_MIN,
                qmax: int = INT16_MAX, extra_bits: int = 0, sweeps: int = 4) -> Table16:
    """Entries and RESCALE for the int16 function whose exact output codes are `target`.

    `values`: the real function at every code -32768..32768 (65537 of them, the last one
    the final knot) in output LSBs (real value / output scale). `target`: the output code
    for every int16 input code (CODES, 65536), e.g. the fake-quantized program's.
    The entries start as the least-squares piecewise-linear fit of `values` (which
    centres the interpolation error instead of leaving it one-sided between exact knots)
    and are then tuned against `target`. Raises ValueError for non-finite values."""
    values = np.asarray(values, np.float64).reshape(-1)
    target = np.asarray(target, np.int64).reshape(-1)
    if values.size != CODES.size + 1 or target.size != CODES.size:
        raise ValueError(f"need {CODES.size + 1} values and {CODES.size} targets")
    if not np.all(np.isfinite(values)):
        raise ValueError("the function is not finite at every input code")
    knots = _least_squares_knots(values)
    # Entry unit u output LSBs: the largest |entry| becomes 32767 (at most 1 LSB per unit,
    # finer when the function spans less than the output range).
    peak = float(np.max(np.abs(knots)))
    unit = (min(1.0, peak / INT16_MAX) if peak > 0 else 1.0) / (1 << extra_bits)
    multiplier, shift = qmath.compute_multiplier_and_shift(unit / SEGMENT, True)
    e_min, e_max = INT16_MIN << extra_bits, INT16_MAX << extra_bits
    table = np.clip(np.rint(knots / unit), e_min, e_max).astype(np.int64)
    # Slopes must fit int16 (only a function jumping by a whole output range fails it).
    table = _limit_slopes(table, extra_bits)
    lo_out, hi_out = max(qmin, INT16_MIN), min(qmax, INT16_MAX)
    fine = values[:-1]  # tie-break: distance to the real function

    def segment_cost(entries, first, last):
        """(mismatches, error) over the input codes of segments first..last."""
        start, stop = first * SEGMENT, min((last + 1) * SEGMENT, CODES.size)
        shifted = CODES[start:stop] + 32768
        index, frac = shifted >> 7, shifted & 127
        acc = (entries[index] << 7) + (entries[index + 1] - entries[index]) * frac
        got = np.clip(_rescale(acc, multiplier, shift), lo_out, hi_out)
        return (int(np.count_nonzero(got != target[start:stop])),
                float(np.abs(acc * (unit / SEGMENT) - fine[start:stop]).sum()))

    for _ in range(sweeps):
        changed = False
        for i in range(TABLE16_SIZE):
            first, last = max(i - 1, 0), min(i, TABLE16_SIZE - 2)
            best, best_cost = table[i], segment_cost(table, first, last)
            for delta in (-2, -1, 1, 2):
                candidate = table[i] + delta
                if not e_min <= candidate <= e_max:
                    continue
                neighbours = table[max(i - 1, 0):i + 2]
                if np.any(np.abs(neighbours - candidate) > INT16_MAX << extra_bits):
                    continue
                trial = table.copy()
                trial[i] = candidate
                cost = segment_cost(trial, first, last)
                if cost < best_cost:
                    best, best_cost = candidate, cost
            if best != table[i]:
                table[i] = best
                changed = True
        if not changed:
            break
    return Table16(table, multiplier, shift, extra_bits)


def _least_squares_knots(values: np.ndarray) -> np.ndarray:
    """The knot values of the piecewise-linear function (knots every 128 codes) closest to
    `values` (at codes -32768..32768) in least squares: a tridiagonal system."""
    t = (np.arange(SEGMENT, dtype=np.float64) / SEGMENT)  # position within a segment
    a, b = 1.0 - t, t  # weights of the segment's left and right knot
    n = TABLE16_SIZE
    normal = np.zeros((n, n))
    rhs = np.zeros(n)
    segments = values[:-1].reshape(n - 1, SEGMENT)
    aa, ab, bb = float(a @ a), float(a @ b), float(b @ b)
    for i in range(n - 1):
        normal[i, i] += aa
        normal[i, i + 1] += ab
        normal[i + 1, i] += ab
        normal[i + 1, i + 1] += bb
        rhs[i] += segments[i] @ a
        rhs[i + 1] += segments[i] @ b
    # The last knot (code 32768) is also a sample of its own: anchors the system.
    normal[n - 1, n - 1] += 1.0
    rhs[n - 1] += values[-1]
    return np.linalg.solve(normal, rhs)


def _limit_slopes(table: np.ndarray, extra_bits: int) -> np.ndarray:
    """Move entries so every step of the high table fits int16 (with a margin of one
    for the split's rounding)."""
    table = table.copy()
    limit = (INT16_MAX - 1) << extra_bits
    for i in range(1, table.size):
        step = table[i] - table[i - 1]
        if step > limit:
            table[i] = table[i - 1] + limit
        elif step < -limit:
            table[i] = table[i - 1] - limit
    return table
