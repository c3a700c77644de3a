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
smaller total error).

That straight-line error keeps the linear forms short of bit-exact (sigmoid over +-8:
~97%, tanh over +-4: ~95% of the codes). The quadratic form (QuadraticTable16) removes
it with three tables and one multiply:

    acc = (TABLE(u, high) << 8) + MUL(TABLE(u, low), TABLE(u, scale), shift 21 + j)

A product of two piecewise-linear functions with the same knots is piecewise quadratic,
its curvature in segment i the product of the two slopes there, so any continuous
piecewise quadratic is reachable. `high` carries the function coarsely (entry unit ~1
output LSB; shifted left by 8, |.| < 2^30), `low` the remainder in units 2^(8+j) times
finer, and `scale` (~1.0 = 2^14) multiplies it. The high entries are rounded alternately
~Z low units above and below the function, so `low` zigzags with slopes ~ +-2Z, never near
zero, and the scale table's slopes (curvature / slope of low) stay small: scale ~ 1.
The least-squares continuous piecewise quadratic departs from the function by
~h^3 |f'''| / 100 instead of h^2 |f''| / 8: sigmoid over +-16 0.0005 output LSB on
average. What remains is mostly the float32 rounding of the reference itself (torch's
float32 sigmoid/tanh, quantized, differ from the exact function's quantized value at
~0.1% of the codes).

Where the quantized function is constant beyond some |x| well inside the input range
(sigmoid/tanh over a wide range), a RESCALE first zooms the input by an integer m
(u = clamp(m * x), exact), so that the 512 segments cover only the part that varies.

`choose_table16` tries the forms cheapest first (one table: 2 ops; two tables: 5;
quadratic: 7; zoomed quadratic: 8) and keeps the first whose outputs are within 1 LSB of
the exact quantized function at every input code and equal to it at the required
fraction of them; failing that, the most exact.
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
    def op_count(self) -> int:
        """TOSA ops before any output clamp: TABLE + RESCALE, or TABLE, RESCALE (x 2^k),
        TABLE, ADD, RESCALE."""
        return 5 if self.extra_bits else 2

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
        """Bounds of the RESCALE result over all inputs (before saturation): the
        interpolated values lie between the entries."""
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
    # Entry unit u output LSBs: the largest |entry| becomes 32767 (about 1 LSB per unit,
    # finer when the function spans less than the output range; a little coarser where the
    # least-squares knots overshoot the output range, rather than clipping them).
    peak = float(np.max(np.abs(knots)))
    unit = (peak / INT16_MAX if peak > 0 else 1.0) / (1 << extra_bits)
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


# --------------------------------------------------------------------------- quadratic form

HIGH_SHIFT = 8  # the high table's result (|.| < 2^22) << 8 stays below 2^30
SCALE_ONE = 1 << 14  # the scale table's entry for 1.0 (|scale| < 2 fits int16)
# MUL(low, scale) >> 21 is low * scale / SCALE_ONE in the accumulator's units: both TABLE
# results carry 7 fractional bits (2^14), the scale 14 more; and 7 are kept, as `high`.
PRODUCT_SHIFT = 21
ZIGZAG = 1 << 13  # low's alternating offset, in low units
FINE_BITS = (0, 1, 2, 3)  # low units 2^-(8 + j) high units: tried, the most exact kept
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def mul_reference(a: np.ndarray, b: np.ndarray, shift: int) -> np.ndarray:
    """TOSA 1.0 MUL of int32 tensors with `shift` > 0: (a * b + 2^(shift-1)) >> shift
    in 64 bits, REQUIREd to fit int32 (raises qmath.TosaRequireError)."""
    if not 0 < shift <= 63:
        raise ValueError("MUL's rounding shift is 1..63 here")
    product = (np.asarray(a, np.int64) * np.asarray(b, np.int64) + (1 << (shift - 1))) >> shift
    if product.size and (product.min() < INT32_MIN or product.max() > INT32_MAX):
        raise qmath.TosaRequireError("TOSA REQUIRE failed: MUL result does not fit int32")
    return product


def add_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TOSA 1.0 ADD of int32 tensors, REQUIREd not to overflow."""
    total = np.asarray(a, np.int64) + np.asarray(b, np.int64)
    if total.size and (total.min() < INT32_MIN or total.max() > INT32_MAX):
        raise qmath.TosaRequireError("TOSA REQUIRE failed: ADD overflows int32")
    return total


def zoom_reference(values: np.ndarray, zoom: int) -> np.ndarray:
    """RESCALE int16 -> int16 by the integer `zoom` (exact: multiplier zoom * 2^17,
    shift 17), saturating to int16."""
    multiplier, shift = zoom_rescale(zoom)
    return np.clip(_rescale(np.asarray(values, np.int64), multiplier, shift), INT16_MIN, INT16_MAX)


def zoom_rescale(zoom: int) -> tuple[int, int]:
    """RESCALE (scale32) multiplier and shift of the exact integer scale `zoom`: an int16
    value needs shift >= 17 for apply_scale_32's REQUIRE, and zoom << 17 fits 31 bits."""
    if not 1 <= zoom < 1 << 13:
        raise ValueError(f"zoom {zoom} out of range")
    return zoom << 17, 17


@dataclass
class QuadraticTable16:
    """u = clamp(zoom * x) (when zoom > 1); acc = (TABLE(u, high) << 8) +
    MUL(TABLE(u, low), TABLE(u, scale), 21 + fine_bits); RESCALE (scale32) to the output."""

    high: np.ndarray  # int64[513], each an int16
    low: np.ndarray
    scale: np.ndarray
    fine_bits: int
    multiplier: int
    shift: int
    zoom: int = 1

    @property
    def product_shift(self) -> int:
        return PRODUCT_SHIFT + self.fine_bits

    @property
    def op_count(self) -> int:
        """[RESCALE (zoom)], 3 TABLEs, LOGICAL_LEFT_SHIFT, MUL, ADD, RESCALE."""
        return 7 + (self.zoom > 1)

    def accumulator(self, values=CODES) -> np.ndarray:
        """The int32 sum before the final RESCALE; raises qmath.TosaRequireError where an
        op's REQUIRE fails."""
        u = np.asarray(values, np.int64)
        if self.zoom > 1:
            u = zoom_reference(u, self.zoom)
        high = table16_reference(u, self.high).astype(np.int64) << HIGH_SHIFT
        if high.size and (high.min() < INT32_MIN or high.max() > INT32_MAX):
            raise qmath.TosaRequireError("LOGICAL_LEFT_SHIFT leaves int32")
        product = mul_reference(table16_reference(u, self.low), table16_reference(u, self.scale),
                                self.product_shift)
        return add_reference(high, product)

    def rescaled(self, values=CODES) -> np.ndarray:
        """The final RESCALE's result before it saturates to int16."""
        return _rescale(self.accumulator(values), self.multiplier, self.shift)

    def outputs(self, values=CODES, qmin: int = INT16_MIN, qmax: int = INT16_MAX) -> np.ndarray:
        return np.clip(self.rescaled(values), max(qmin, INT16_MIN), min(qmax, INT16_MAX))

    def reach(self) -> tuple[int, int]:
        """The smallest and largest RESCALE result over every int16 input (exact)."""
        out = self.rescaled(CODES)
        return int(out.min()), int(out.max())


def _least_squares_quadratic(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The continuous piecewise quadratic (knots every 128 codes) closest to `values` (at
    codes -32768..32768) in least squares: its 513 knot values and each segment's
    coefficient of t^2 (t = position within the segment, 0..1)."""
    n, segments = TABLE16_SIZE, TABLE16_SIZE - 1
    t = np.arange(SEGMENT, dtype=np.float64) / SEGMENT
    basis = np.stack([1.0 - t, t, t * (1.0 - t)])  # left knot, right knot, bubble
    gram = basis @ basis.T
    samples = values[:-1].reshape(segments, SEGMENT)
    projections = samples @ basis.T  # (segments, 3)
    size = n + segments
    normal = np.zeros((size, size))
    rhs = np.zeros(size)
    left = np.arange(segments)
    unknowns = np.stack([left, left + 1, n + left])  # (3, segments)
    for a in range(3):
        np.add.at(rhs, unknowns[a], projections[:, a])
        for b in range(3):
            np.add.at(normal, (unknowns[a], unknowns[b]), gram[a, b])
    normal[n - 1, n - 1] += 1.0  # the last knot's own sample (code 32768)
    rhs[n - 1] += values[-1]
    solution = np.linalg.solve(normal, rhs)
    return solution[:n], -solution[n:]  # bubble c * t(1 - t): t^2 coefficient -c


def fit_quadratic_table16(values: np.ndarray, fine_bits: int, zoom: int = 1) -> QuadraticTable16 | None:
    """The quadratic form for the function `values` (output LSBs at the table's input
    codes -32768..32768, i.e. after any zoom), or None where its tables or arithmetic
    would leave their types (a function too steep or too kinked for it)."""
    values = np.asarray(values, np.float64).reshape(-1)
    if values.size != CODES.size + 1 or not np.all(np.isfinite(values)):
        raise ValueError(f"need {CODES.size + 1} finite values")
    knots, curvature = _least_squares_quadratic(values)
    total_bits = HIGH_SHIFT + fine_bits  # high unit / low unit = 2^total_bits
    # high unit (output LSBs): the largest |knot| plus the zigzag offset fits int16
    margin = ZIGZAG / (1 << total_bits) + 2
    unit = max(float(np.max(np.abs(knots))), 1.0) / (INT16_MAX - margin)
    low_unit = unit / (1 << total_bits)
    accumulator_unit = unit / (1 << (HIGH_SHIFT + 7))
    target_knots = knots / low_unit
    per_segment = curvature / low_unit  # = slope(low) * slope(scale) (scale 1.0 = 1)
    sign = np.where(np.arange(TABLE16_SIZE) % 2 == 0, 1.0, -1.0)
    high = np.rint((target_knots - sign * ZIGZAG) / (1 << total_bits)).astype(np.int64)
    remainder = target_knots - high * float(1 << total_bits)  # low * scale at the knots
    scale = np.ones(TABLE16_SIZE)
    low = np.empty(TABLE16_SIZE)
    low[0] = remainder[0]
    for i in range(TABLE16_SIZE - 1):
        # next scale s: (remainder[i+1] / s - low[i]) * (s - scale[i]) = per_segment[i],
        # i.e. low[i] s^2 - (remainder[i+1] + low[i] scale[i] - c) s + remainder[i+1] scale[i] = 0
        a, c = low[i], per_segment[i]
        b = -(remainder[i + 1] + a * scale[i] - c)
        d = b * b - 4 * a * remainder[i + 1] * scale[i]
        if d < 0 or a == 0:
            return None
        roots = ((-b - np.sqrt(d)) / (2 * a), (-b + np.sqrt(d)) / (2 * a))
        s = min(roots, key=lambda root: abs(root - scale[i]))
        if not 0.25 < s < 1.99:
            return None
        scale[i + 1] = s
        low[i + 1] = remainder[i + 1] / s
    scale_entries = np.rint(scale * SCALE_ONE).astype(np.int64)
    low_entries = np.rint(remainder * SCALE_ONE / scale_entries).astype(np.int64)
    for entries in (high, low_entries, scale_entries):
        if entries.min() < INT16_MIN or entries.max() > INT16_MAX:
            return None
        if np.abs(np.diff(entries)).max() > INT16_MAX:
            return None
    multiplier, shift = qmath.compute_multiplier_and_shift(accumulator_unit, True)
    fit = QuadraticTable16(high, low_entries, scale_entries, fine_bits, multiplier, shift, zoom)
    try:
        fit.accumulator(np.asarray([INT16_MIN, INT16_MAX]))  # the extremes' REQUIREs
        fit.reach()
    except qmath.TosaRequireError:
        return None
    return fit


def constant_tails(target: np.ndarray, valid: np.ndarray) -> tuple[int, int]:
    """(bottom, top): the valid codes up to `bottom` share the lowest code's exact output,
    those from `top` on the highest code's (the function's saturated tails)."""
    codes = CODES[valid]
    out = np.asarray(target)[valid]
    if codes.size == 0:
        return INT16_MIN, INT16_MAX
    high, low = np.flatnonzero(out != out[-1]), np.flatnonzero(out != out[0])
    top = int(codes[high[-1] + 1]) if high.size else int(codes[0])
    bottom = int(codes[low[0] - 1]) if low.size else int(codes[-1])
    return bottom, top


MAX_ZOOM = 1 << 12


def saturating_zoom(target: np.ndarray, valid: np.ndarray) -> int:
    """The largest integer m by which the input can be zoomed, u = clamp(m x), without
    losing information: all the valid codes that saturate to one u (m x >= 32767, or
    m x <= -32768) must lie in a constant tail of the exact output. 1 if none."""
    bottom, top = constant_tails(target, valid)
    best = 1
    for m in range(2, MAX_ZOOM + 1):
        first_high = -(-INT16_MAX // m)  # smallest x with m x >= 32767
        last_low = INT16_MIN // m  # largest x with m x <= -32768
        if first_high >= top and last_low <= bottom:
            best = m
    return best


@dataclass
class Table16Choice:
    """The form chosen for a function, and how it matches the exact target."""

    fit: Table16 | QuadraticTable16
    name: str
    max_lsb: int  # over all valid input codes
    exact: float  # fraction of the active input codes (see choose_table16) with the exact output
    exact_valid: float  # the same over all valid input codes
    tried: list  # (name, op count, max_lsb, exact) of every form evaluated, in order


FORMS = ("auto", "one-table", "two-table", "quadratic")


def choose_table16(function, target: np.ndarray, valid: np.ndarray, qmin: int, qmax: int,
                   min_exact: float = 0.995, form: str = "auto") -> Table16Choice:
    """The cheapest form (see the module docstring) whose outputs are within 1 LSB of
    `target` at every valid input code and equal to it at `min_exact` of the active ones:
    the valid codes but the function's constant tails (a wide input range's saturated
    sigmoid would otherwise count as bit-exact for free). Failing that, the most exact
    form evaluated.

    `function(positions)`: the real function in output LSBs at input code positions
    (float64 array; fractional where the input is zoomed). `target`: the exact output code
    at every int16 code (CODES); `valid`: the codes the input can take."""
    if form not in FORMS:
        raise ValueError(f"unknown int16 table form {form!r}; expected one of {', '.join(FORMS)}")
    target = np.asarray(target, np.int64)
    valid = np.asarray(valid, bool)
    bottom, top = constant_tails(target, valid)
    active = valid & (CODES >= bottom) & (CODES <= top)
    tried: list = []
    best: Table16Choice | None = None

    def score(fit):
        diff = np.abs(fit.outputs(qmin=qmin, qmax=qmax) - target)
        if not valid.any():
            return 0, 1.0, 1.0
        return int(diff[valid].max()), float(np.mean(diff[active] == 0)), float(np.mean(diff[valid] == 0))

    def better(a, b):  # (max_lsb, exact) pairs: within 1 LSB first, then the more exact
        return (a[0] > 1, -a[1]) < (b[0] > 1, -b[1])

    def consider(name, fit, figures=None):
        nonlocal best
        max_lsb, exact, exact_valid = figures or score(fit)
        tried.append((name, fit.op_count, max_lsb, exact))
        choice = Table16Choice(fit, name, max_lsb, exact, exact_valid, tried)
        if best is None or better((max_lsb, exact), (best.max_lsb, best.exact)):
            best = choice
        if max_lsb <= 1 and exact >= min_exact:
            best = choice
            return True
        return False

    positions = np.arange(INT16_MIN, INT16_MAX + 2, dtype=np.float64)
    plain = np.asarray(function(positions), np.float64)
    for bits, name in ((0, "one-table"), (EXTRA_BITS, "two-table")):
        if form in ("auto", name) and consider(name, fit_table16(plain, target, qmin, qmax, extra_bits=bits)):
            return best
    if form in ("auto", "quadratic"):
        zoom = saturating_zoom(target, valid)
        for m in ([1, zoom] if zoom > 1 else [1]):
            values = plain if m == 1 else np.asarray(function(positions / m), np.float64)
            if not np.all(np.isfinite(values)):
                continue
            # the low table's unit (fine_bits) trades precision for the scale table's range
            scored = [(score(fit), fit) for fit in (fit_quadratic_table16(values, j, m) for j in FINE_BITS)
                      if fit is not None]
            if scored:
                figures, fit = scored[0]
                for other in scored[1:]:
                    if better(other[0][:2], figures[:2]):
                        figures, fit = other
                if consider("quadratic" if m == 1 else f"quadratic, zoom {m}", fit, figures):
                    return best
    if best is None:
        raise ValueError("no int16 table form fits this function")
    return best
