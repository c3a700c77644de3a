"""Convert int16 convolutions between the native int48-bias form and the bias-split form.

With int16 activations TOSA convolutions accumulate in int48 and take an int48 bias. The
lowering (tosaic-lower-quantized-conv/-matmul) emits the native form, narrowing the
accumulator to int32 by an exact power of two before the 32-bit output RESCALE:

    native:  x --conv(bias b, acc i48)--> acc --rescale(2^-k, scale32=false)--> i32 --> ...
    split:   x --conv(bias 0, acc i48)--> acc --rescale(2^-k, scale32=false)--> i32
               --add(round(b / 2^k), broadcast over channels)--> i32 --> ...

so the split form has no int48 constant at all. `form=split` rewrites native -> split;
`form=native` folds split -> native (b' = b * 2^k: exact, since
round((acc + b * 2^k) / 2^k) = round(acc / 2^k) + b).

k (per output channel) is `qmath.int48_intermediate_shifts`: the finest power-of-two step
at which the rescaled accumulator plus the rescaled bias cannot overflow int32, bounding
|acc| by sum|w| * 32768 from the constant weights and the int16 input range. A native
convolution whose accumulator goes straight from i48 to the output in one 16-bit RESCALE
gets the same chain with a 32-bit output RESCALE of the same real scale times 2^k. Where
no step fits (the bias does not fit int32 at any step no coarser than the output's LSB)
the pass reports the convolution and fails instead of wrapping.

`native-bias-bits` limits the native form: a convolution whose |bias| + accumulator bound
needs more bits is kept (or put) in the split form. Vela 5.2.0 encodes an Ethos-U55/U65
convolution's bias in 40 bits and silently drops the higher bits of an int48 bias (a bias
of 2^40 + 1000 compiles to the same command stream as 1000; its documented constraint
"Bias must fit in signed int40"), and those NPUs accumulate in 40 bits; Ethos-U85 keeps
all 48. tosaic's compile option `int48_bias=auto` uses 40 for Ethos-U55/U65.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir, rewrite

from tosaic.dialects import tosa_ops
from tosaic.dialects.tosa_helpers import constant_array, defining_op, make_integer_const, ranked_shape
from tosaic.lowering.build import int48_to_int32, integer_rescale
from tosaic.passes.base import Option, Pass, PassFailure
from tosaic.quantization import qmath

FORMS = ("native", "split")


def _element(value: ir.Value) -> str:
    return str(ir.ShapedType(value.type).element_type)


def _accumulator_bounds(conv) -> np.ndarray | None:
    """sum|w| * 32768 per output channel of an int16 convolution with constant weights."""
    weights = constant_array(conv.operands[1])
    input_zp = constant_array(conv.operands[3])
    if weights is None or input_zp is None or np.any(input_zp != 0):
        return None
    dims = tosa_ops.OUTPUT_CHANNEL_DIMS[conv.name]
    others = [d for d in range(weights.ndim) if d not in dims]
    channels = int(np.prod([weights.shape[d] for d in dims]))
    abs_sums = np.abs(np.transpose(weights.astype(np.int64), list(dims) + others)).reshape(channels, -1).sum(axis=1)
    return qmath.accumulator_bound(abs_sums, "int16")


def _attributes(op) -> dict:
    return {name: op.attributes[name] for name in op.attributes}


def _int48_conv(conv) -> bool:
    return (conv is not None and conv.name in tosa_ops.CONVOLUTIONS and _element(conv.results[0]) == "i48"
            and _element(conv.operands[0]) == "i16")


def _channel_values(values: np.ndarray, channels: int) -> np.ndarray | None:
    """Per-channel values from a [C] / [1] / [1, ..., 1, C] array, else None."""
    flat = values.reshape(-1)
    if values.ndim and int(np.prod(values.shape[:-1])) != 1 or flat.size not in (1, channels):
        return None
    return np.broadcast_to(flat, (channels,)).astype(np.int64)


def _rescale_parameters(rescale, channels: int):
    """(real scales per channel, k per channel if every scale is exactly 2^-k else None) of a
    RESCALE with constant multiplier/shift and zero input zero point; None if not such."""
    multipliers, shifts = constant_array(rescale.operands[1]), constant_array(rescale.operands[2])
    input_zp = constant_array(rescale.operands[3])
    if multipliers is None or shifts is None or input_zp is None or np.any(input_zp != 0):
        return None
    multipliers = np.broadcast_to(multipliers.reshape(-1).astype(np.int64), (channels,))
    shifts = np.broadcast_to(shifts.reshape(-1).astype(np.int64), (channels,))
    scales = multipliers * np.exp2(-shifts.astype(np.float64))
    powers = [int(m).bit_length() - 1 for m in multipliers]
    exact = all(m > 0 and m == 1 << p and s - p >= 0 for m, p, s in zip(multipliers, powers, shifts))
    steps = np.asarray([s - p for p, s in zip(powers, shifts)], np.int64) if exact else None
    return scales, steps


def _bias_const(values: np.ndarray, rank: int) -> ir.Value:
    """The per-channel int32 bias as [1, ..., 1, C] for a broadcasting tosa.add."""
    return make_integer_const(values.astype(np.int32).reshape([1] * (rank - 1) + [values.size]), 32)


def _needed_bits(bounds, bias) -> int:
    """Signed bits for |acc| <= bounds plus the bias, the widest channel."""
    widest = max(int(b) + abs(int(c)) for b, c in zip(bounds, bias))
    return widest.bit_length() + 1


class Int48Bias(Pass):
    name = "tosaic-int48-bias"
    summary = ("Convert int16 convolutions between the native int48-bias form and the bias-split form "
               "(conv without bias -> rescale i48->i32 -> add i32 bias -> rescale)")
    anchor = "func.func"
    form = Option(str, "native", "native: int48 bias in the convolution (split chains are folded back); "
                                 "split: conv without bias, rescale to i32 and an i32 add of the bias")
    native_bias_bits = Option(int, 48, "Native form only where |bias| + the accumulator bound fit this many "
                                       "signed bits; others are split (40 for Ethos-U55/U65)")

    def run(self, op: ir.Operation) -> None:
        if self.form not in FORMS:
            raise self.error(op, f"tosaic-int48-bias: unknown form '{self.form}' (native or split)")
        if not 2 <= self.native_bias_bits <= 48:
            raise self.error(op, f"tosaic-int48-bias: native-bias-bits must be in [2, 48], not {self.native_bias_bits}")
        self._refused: list = []
        patterns = rewrite.RewritePatternSet()
        for name in tosa_ops.CONVOLUTIONS:
            patterns.add(name, self._split, benefit=1)
        if self.form == "native":
            patterns.add("tosa.add", self._fold, benefit=1)
        rewrite.apply_patterns_and_fold_greedily(op, patterns.freeze())
        if self._refused:
            raise PassFailure("an int48 bias could not be split")

    def _refuse(self, op, reason: str) -> bool:
        if not any(op == seen for seen in self._refused):
            self.error(op, reason)
            self._refused.append(op)
        return True

    # native -> split ------------------------------------------------------------------

    def _split(self, conv, rewriter) -> bool:
        conv = conv.operation
        if not _int48_conv(conv):
            return True
        bias_values = constant_array(conv.operands[2])
        if bias_values is None or not np.any(bias_values):
            return True  # no bias: both forms at once
        bounds = _accumulator_bounds(conv)
        shape = ranked_shape(conv.results[0])
        channels = shape[-1]
        bias = None if bounds is None else _channel_values(bias_values, channels)
        if bounds is None or bias is None or bounds.size != channels:
            return self._refuse(conv, "cannot split the int48 bias: needs constant weights, input zero point 0 "
                                      "and one bias value per output channel")
        if self.form == "native" and _needed_bits(bounds, bias) <= self.native_bias_bits:
            return True
        users = [use.owner for use in conv.results[0].uses]
        if not users or any(u.name != "tosa.rescale" for u in users):
            return self._refuse(conv, "cannot split the int48 bias: the accumulator is not only rescaled")
        plans = []
        for user in users:
            params = _rescale_parameters(user, channels)
            if params is None:
                return self._refuse(conv, "cannot split the int48 bias: a RESCALE of the accumulator has "
                                          "non-constant parameters or a nonzero input zero point")
            scales, exact_steps = params
            narrows = _element(user.results[0]) == "i32" and exact_steps is not None
            if narrows:
                steps = exact_steps
                problem = self._narrowed_overflow(bounds, bias, steps, user)
            else:
                try:
                    steps = qmath.int48_intermediate_shifts(bounds, bias, scales)
                    problem = None
                except ValueError as e:
                    problem = str(e)
            if problem:
                return self._refuse(conv, f"cannot split the int48 bias: {problem}")
            plans.append((user, narrows, scales, steps))

        with rewriter.ip, conv.location:
            zero_bias = make_integer_const(np.zeros(ranked_shape(conv.operands[2])), 48)
            bare = ir.Operation.create(
                conv.name, results=[conv.results[0].type],
                operands=[conv.operands[0], conv.operands[1], zero_bias, conv.operands[3], conv.operands[4]],
                attributes=_attributes(conv), loc=conv.location,
            ).result
        for user, narrows, scales, steps in plans:
            with ir.InsertionPoint(user), user.location:
                if narrows:  # the lowering's own 2^-k narrowing: the bias joins right after it
                    narrowed = ir.Operation.create(
                        "tosa.rescale", results=[user.results[0].type], operands=[bare] + list(user.operands[1:]),
                        attributes=_attributes(user), loc=user.location).result
                else:
                    narrowed = int48_to_int32(bare, steps)
                rounded = np.asarray([qmath.shift_round_half_up(int(b), int(k)) for b, k in zip(bias, steps)])
                total = ir.Operation.create(
                    "tosa.add", results=[narrowed.type], operands=[narrowed, _bias_const(rounded, len(shape))],
                ).result
                if not narrows:
                    out_zp = int(constant_array(user.operands[4]).reshape(-1)[0])
                    total = integer_rescale(total, scales * np.exp2(steps.astype(np.float64)), 0, out_zp,
                                            user.results[0].type, per_channel=bool(np.unique(scales * np.exp2(steps)).size > 1))
            rewriter.replace_op(user, [total])
        return False

    @staticmethod
    def _narrowed_overflow(bounds, bias, steps, narrowing) -> str | None:
        """Why acc / 2^k + bias / 2^k may overflow int32 or a 32-bit RESCALE after it; None if not."""
        value_bounds = [qmath.shift_round_half_up(int(b), int(k)) + abs(qmath.shift_round_half_up(int(c), int(k)))
                        for b, c, k in zip(bounds, bias, steps)]
        for channel, value_bound in enumerate(value_bounds):
            if value_bound > (1 << 31) - 1:
                return (f"channel {channel}: accumulator bound {bounds[channel]} plus bias {bias[channel]} "
                        f"overflows int32 at the step 2^{steps[channel]} the program narrows to")
        for use in narrowing.results[0].uses:
            rescale = use.owner
            if rescale.name != "tosa.rescale" or not ir.BoolAttr(rescale.attributes["scale32"]).value:
                continue
            shifts = constant_array(rescale.operands[2])
            if shifts is not None and max(value_bounds) >= 1 << (int(shifts.min()) - 1):
                return f"the RESCALE after the add cannot take values up to {max(value_bounds)}"
        return None

    # split -> native ------------------------------------------------------------------

    def _fold(self, add, rewriter) -> bool:
        add = add.operation
        for narrowed, bias_value in ((add.operands[0], add.operands[1]), (add.operands[1], add.operands[0])):
            narrowing = defining_op(narrowed)
            if narrowing is not None and narrowing.name == "tosa.rescale":
                break
        else:
            return True
        conv = defining_op(narrowing.operands[0])
        bias_added = constant_array(bias_value)
        if (not _int48_conv(conv) or bias_added is None or _element(narrowed) != "i32"
                or ranked_shape(add.results[0]) != ranked_shape(narrowed)
                or len(list(conv.results[0].uses)) != 1 or len(list(narrowed.uses)) != 1):
            return True
        channels = ranked_shape(conv.results[0])[-1]
        added = _channel_values(bias_added, channels)
        conv_bias = constant_array(conv.operands[2])
        params = _rescale_parameters(narrowing, channels)
        bounds = _accumulator_bounds(conv)
        if added is None or conv_bias is None or params is None or params[1] is None or bounds is None:
            return True
        old = _channel_values(conv_bias, channels)
        if old is None:
            return True
        folded = [int(o) + (int(b) << int(k)) for o, b, k in zip(old, added, params[1])]
        if _needed_bits(bounds, folded) > self.native_bias_bits:
            return True  # stays split: the bias would not fit the native form's accumulator
        folded = np.asarray(folded, np.int64)
        with rewriter.ip, conv.location:
            native = ir.Operation.create(
                conv.name, results=[conv.results[0].type],
                operands=[conv.operands[0], conv.operands[1], make_integer_const(folded, 48),
                          conv.operands[3], conv.operands[4]],
                attributes=_attributes(conv), loc=conv.location,
            ).result
        with rewriter.ip, narrowing.location:
            result = ir.Operation.create(
                "tosa.rescale", results=[narrowed.type], operands=[native] + list(narrowing.operands[1:]),
                attributes=_attributes(narrowing), loc=narrowing.location).result
        rewriter.replace_op(add, [result])
        return False
