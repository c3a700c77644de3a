"""Fold two consecutive `tosa.rescale` ops into one where the result is provably the same.

    rescale_b(rescale_a(x))  ->  rescale_ab(x)

only when `tosaic.quantization.qmath.compose_rescales` proves the fused op bit-exact for
every input: one of the two multiplies by exactly 1 (a zero-point shift, such as the
uint8 <-> int8 conversion at the graph IO) and its saturation never cuts a value the
other would keep. The fused op takes `input_unsigned` from the first and
`output_unsigned` from the second. Anything else (two real scalings, a saturation that
would be lost, a fused op TOSA forbids, e.g. an int32 accumulator rescaled straight to
uint8) is left as it is.

The pair may be separated by reshape/transpose ops when the moved rescale is per tensor
and keeps its element type (they commute with elementwise integer ops): the unit-scale
first one moves down to the second, or the unit-scale second one up into the first.
A first rescale used elsewhere too stays for those uses; a second one whose input has
other users is not fused into the first (that would duplicate the first's work). A pair
that cancels (uint8 -> int8 -> uint8 around a reshape) is removed.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects import tosa_ops
from tosaic.dialects.tosa_helpers import constant_array, defining_op, has_single_use, make_rescale
from tosaic.passes.base import PatternPass
from tosaic.quantization import qmath


def _const(value: ir.Value) -> np.ndarray | None:
    values = constant_array(value)  # also i48 (a rescale from an int16 convolution's accumulator)
    return None if values is None else values.reshape(-1)


def _storage(value: ir.Value) -> str:
    return f"int{ir.IntegerType(ir.RankedTensorType(value.type).element_type).width}"


def _bool(op, name: str) -> bool:
    return ir.BoolAttr(op.attributes[name]).value


def _zero_point(values: np.ndarray, unsigned: bool, bits: int) -> int:
    """A zero point constant as the RESCALE reads it: zero-extended when unsigned."""
    zp = int(values[0])
    return zp % (1 << bits) if unsigned and bits < 32 else zp


def rescale_params(op) -> qmath.RescaleParams | None:
    """The constants and attributes of a `tosa.rescale`, or None if not constant."""
    multiplier, shift, input_zp, output_zp = (_const(op.operands[i]) for i in range(1, 5))
    if any(v is None for v in (multiplier, shift, input_zp, output_zp)):
        return None
    in_dtype, out_dtype = _storage(op.operands[0]), _storage(op.results[0])
    input_unsigned, output_unsigned = _bool(op, "input_unsigned"), _bool(op, "output_unsigned")
    rounding = str(op.attributes["rounding_mode"]).split("<")[-1].rstrip(">")
    return qmath.RescaleParams(
        tuple(int(m) for m in multiplier), tuple(int(s) for s in shift),
        _zero_point(input_zp, input_unsigned, int(in_dtype[3:])),
        _zero_point(output_zp, output_unsigned, int(out_dtype[3:])),
        in_dtype, out_dtype, input_unsigned, output_unsigned,
        _bool(op, "scale32"), rounding, _bool(op, "per_channel"))


def build_rescale(value: ir.Value, params: qmath.RescaleParams, result_type: ir.Type) -> ir.Value:
    return make_rescale(value, result_type, params.multiplier, params.shift, params.input_zp, params.output_zp,
                        scale32=params.scale32, per_channel=params.per_channel,
                        input_unsigned=params.input_unsigned, output_unsigned=params.output_unsigned,
                        rounding_mode=params.rounding_mode)


def _layouts_between(second) -> tuple[list, object]:
    """The reshape/transpose ops (each used once) between `second` and the op feeding
    them, in program order, and that op."""
    layouts = []
    op = defining_op(second.operands[0])
    while op is not None and op.name in tosa_ops.BYTE_MOVES and has_single_use(op.results[0]):
        layouts.append(op)
        op = defining_op(op.operands[0])
    layouts.reverse()
    return layouts, op


def fuse_rescales(second, rewriter) -> bool:
    second = second.operation
    layouts, first = _layouts_between(second)
    if first is None or first.name != "tosa.rescale":
        return True
    a, b = rescale_params(first), rescale_params(second)
    if a is None or b is None:
        return True
    fused = qmath.compose_rescales(a, b)
    if fused is None:
        return True
    same_element = a.in_dtype == a.out_dtype and b.in_dtype == b.out_dtype
    if fused.is_identity and (not layouts or (same_element and has_single_use(first.results[0]))):
        # The pair cancels (e.g. uint8 -> int8 -> uint8 around a reshape): no rescale at all.
        if layouts:
            layouts[0].operands[0] = first.operands[0]
            rewriter.erase_op(first)
            rewriter.replace_op(second, [second.operands[0]])
        else:
            rewriter.replace_op(second, [first.operands[0]])
        return False
    if not layouts:
        if not a.is_unit_scale and not has_single_use(first.results[0]):
            return True  # fusing would compute the first's real scaling twice
        with rewriter.ip, second.location:
            result = build_rescale(first.operands[0], fused, second.results[0].type)
        rewriter.replace_op(second, [result])
        return False
    if not same_element:
        return True
    if a.is_unit_scale and not a.per_channel and has_single_use(first.results[0]):
        # The unit-scale first moves down: the layouts read its input, `second` becomes the fused op.
        layouts[0].operands[0] = first.operands[0]
        rewriter.erase_op(first)
        with rewriter.ip, second.location:
            result = build_rescale(second.operands[0], fused, second.results[0].type)
        rewriter.replace_op(second, [result])
        return False
    if b.is_unit_scale and not b.per_channel and has_single_use(first.results[0]):
        # The unit-scale second moves up into the first; the layouts now carry its result.
        with ir.InsertionPoint(first), first.location:
            result = build_rescale(first.operands[0], fused, first.results[0].type)
        rewriter.replace_op(first, [result])
        rewriter.replace_op(second, [second.operands[0]])
        return False
    return True


class FuseRescales(PatternPass):
    name = "tosaic-fuse-rescales"
    summary = "Fold consecutive tosa.rescale ops into one where the composition is provably exact"

    def patterns(self):
        return [("tosa.rescale", fuse_rescales, 1)]
