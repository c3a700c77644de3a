"""`tosaic.quantize` / `tosaic.dequantize`: the program's quantization, carried on TOSA.

PT2E programs state their quantization with `quantized_decomposed` quantize/dequantize
ops. Only those torch-level ops know the quantization range (an int4 weight is an int8
tensor with range [-7, 7]) and the storage dtype, so `tosaic-import-qdq` turns them into
these two ops before torch-mlir lowers the float ops around them to TOSA; the lowering
passes then fold `dequantize -> float TOSA op -> quantize` into integer TOSA.

    %q = "tosaic.quantize"(%x) {scale = array<f64: 0.02>, zero_point = array<i64: -3>,
           axis = -1 : i64, qmin = -128 : i64, qmax = 127 : i64}
           : (tensor<1x8xf32>) -> tensor<1x8xi8>

`scale` and `zero_point` hold one value (per tensor, `axis` = -1) or one per slice along
`axis` (per channel). Defined once, in IRDL, and loaded into every tosaic context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch_mlir import ir

from tosaic.dialects.int8x4 import IRDL_BODY as _INT8X4_IRDL

_IRDL_OPERATION = """
  irdl.operation @{name} {{
    %in = irdl.any
    %out = irdl.any
    %scale = irdl.base "#builtin.dense_array"
    %zp = irdl.base "#builtin.dense_array"
    %axis = irdl.base "#builtin.integer"
    %qmin = irdl.base "#builtin.integer"
    %qmax = irdl.base "#builtin.integer"
    irdl.operands(input: %in)
    irdl.results(output: %out)
    irdl.attributes {{"scale" = %scale, "zero_point" = %zp, "axis" = %axis, "qmin" = %qmin, "qmax" = %qmax}}
  }}"""
# Both ops carry the same quantization attributes; only the direction differs. The
# packed int8x4 type and its pack/unpack ops (tosaic.dialects.int8x4) share the dialect.
IRDL_SOURCE = "irdl.dialect @tosaic {" + "".join(
    _IRDL_OPERATION.format(name=name) for name in ("quantize", "dequantize")
) + _INT8X4_IRDL + "\n}\n"

QUANTIZE = "tosaic.quantize"
DEQUANTIZE = "tosaic.dequantize"


def load_dialect(context: ir.Context) -> None:
    from torch_mlir.dialects import irdl

    with context:
        irdl.load_dialects(ir.Module.parse(IRDL_SOURCE))


@dataclass(frozen=True)
class QParams:
    """One quantization: real = (q - zero_point) * scale, q in [qmin, qmax]."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int  # -1: per tensor
    qmin: int
    qmax: int

    @property
    def per_channel(self) -> bool:
        return self.axis >= 0

    def attributes(self) -> dict[str, ir.Attribute]:
        i64 = ir.IntegerType.get_signless(64)
        return {
            "scale": ir.DenseF64ArrayAttr.get(list(self.scale)),
            "zero_point": ir.DenseI64ArrayAttr.get(list(self.zero_point)),
            "axis": ir.IntegerAttr.get(i64, self.axis),
            "qmin": ir.IntegerAttr.get(i64, self.qmin),
            "qmax": ir.IntegerAttr.get(i64, self.qmax),
        }

    @staticmethod
    def of(op) -> "QParams":
        """The op's quantization. Raises MalformedQuantization (with the reason) for an
        attribute of the wrong kind; `verify` reports every such op before any pass."""
        a = op.operation.attributes
        return QParams(
            scale=tuple(_attribute(a, "scale", ir.DenseF64ArrayAttr, "array<f64: ...>")),
            zero_point=tuple(_attribute(a, "zero_point", ir.DenseI64ArrayAttr, "array<i64: ...>")),
            axis=_integer(a, "axis"),
            qmin=_integer(a, "qmin"),
            qmax=_integer(a, "qmax"),
        )


class MalformedQuantization(ValueError):
    """A tosaic.quantize/dequantize whose attributes or types break the op's rules."""


def _attribute(attributes, name: str, kind, spelling: str):
    if name not in attributes:
        raise MalformedQuantization(f"has no '{name}' attribute")
    try:
        attribute = attributes[name]
    except TypeError:  # the bindings cannot even return an array of an element type they lack (i0, ui8)
        raise MalformedQuantization(f"'{name}' must be {spelling}, not an array of another element type") from None
    try:
        return kind(attribute)
    except ValueError:
        raise MalformedQuantization(f"'{name}' must be {spelling}, not {attribute}") from None


def _integer(attributes, name: str) -> int:
    attribute = _attribute(attributes, name, ir.IntegerAttr, "an integer")
    if not isinstance(attribute.type, ir.IntegerType) or ir.IntegerType(attribute.type).width > 64:
        raise MalformedQuantization(f"'{name}' must be a 64-bit integer, not of type {attribute.type}")
    return attribute.value


_FLOAT_TYPES = (ir.F32Type, ir.F16Type, ir.BF16Type, ir.F64Type)


def _static_tensor(value: ir.Value, what: str) -> ir.RankedTensorType:
    if not isinstance(value.type, ir.RankedTensorType):
        raise MalformedQuantization(f"{what} must be a ranked tensor, not {value.type}")
    tensor = ir.RankedTensorType(value.type)
    if not tensor.has_static_shape:
        raise MalformedQuantization(f"{what} must have a static shape, not {value.type}")
    return tensor


def check(op) -> QParams:
    """The quantization of a tosaic.quantize/dequantize, checked against the op's rules:
    attribute kinds; one positive finite scale per tensor (axis -1) or one per slice of a
    static axis; as many zero points as scales, within the storage; qmin <= qmax within
    the storage (an 8- or 16-bit signless storage may hold the unsigned range); a float
    side and an integer storage side of one static shape. Raises MalformedQuantization."""
    op = op.operation if hasattr(op, "operation") else op
    q = QParams.of(op)
    if len(op.operands) != 1 or len(op.results) != 1:
        raise MalformedQuantization("must have one operand and one result")
    real, stored = (op.operands[0], op.results[0]) if op.name == QUANTIZE else (op.results[0], op.operands[0])
    real_type, stored_type = _static_tensor(real, "the float side"), _static_tensor(stored, "the integer side")
    if not isinstance(real_type.element_type, _FLOAT_TYPES):
        raise MalformedQuantization(f"the float side must have float elements, not {real_type.element_type}")
    if not isinstance(stored_type.element_type, ir.IntegerType):
        raise MalformedQuantization(f"the storage must be an integer type, not {stored_type.element_type}")
    if list(real_type.shape) != list(stored_type.shape):
        raise MalformedQuantization(f"the float and integer sides differ in shape ({real_type} vs {stored_type})")
    if not q.scale:
        raise MalformedQuantization("'scale' is empty")
    bad = [s for s in q.scale if not (math.isfinite(s) and s > 0)]
    if bad:
        raise MalformedQuantization(f"scale {bad[0]!r} is not positive and finite")
    if len(q.zero_point) != len(q.scale):
        raise MalformedQuantization(f"{len(q.zero_point)} zero points for {len(q.scale)} scales")
    shape = list(stored_type.shape)
    if q.axis == -1:
        if len(q.scale) != 1:
            raise MalformedQuantization(f"per-tensor (axis -1) needs one scale, not {len(q.scale)}")
    elif not 0 <= q.axis < len(shape):
        raise MalformedQuantization(f"axis {q.axis} is outside the rank-{len(shape)} tensor")
    elif len(q.scale) != shape[q.axis]:
        raise MalformedQuantization(f"{len(q.scale)} scales for the {shape[q.axis]} slices along axis {q.axis}")
    integer = ir.IntegerType(stored_type.element_type)
    width = integer.width
    if width > 64:  # no storage is wider; the ranges below would be numbers of thousands of digits
        raise MalformedQuantization(f"the storage {integer} is wider than 64 bits")
    signed = (-(1 << (width - 1)), (1 << (width - 1)) - 1)
    unsigned = (0, (1 << width) - 1)
    ranges = [unsigned] if integer.is_unsigned else [signed] + ([unsigned] if width in (8, 16) else [])
    if q.qmin > q.qmax:
        raise MalformedQuantization(f"qmin {q.qmin} > qmax {q.qmax}")
    if not any(lo <= q.qmin and q.qmax <= hi for lo, hi in ranges):
        raise MalformedQuantization(f"[qmin, qmax] = [{q.qmin}, {q.qmax}] does not fit {integer}")
    if not all(any(lo <= z <= hi for lo, hi in ranges) for z in q.zero_point):
        raise MalformedQuantization(f"a zero point of {list(q.zero_point)} does not fit {integer}")
    return q


def verify(module_op) -> int:
    """Check every tosaic.quantize/dequantize under `module_op` (`check`), each failure an
    error at the op: what tosaic's tools run after parsing, so no pass meets a malformed
    one. Returns the number of failures."""
    failures = []

    def visit(op):
        if op.operation.name in (QUANTIZE, DEQUANTIZE):
            try:
                check(op)
            except MalformedQuantization as e:
                failures.append((op.operation, str(e)))
        return ir.WalkResult.ADVANCE

    module_op.walk(visit)
    for op, reason in failures:
        op.location.emit_error(f"'{op.name}' op {reason}")
    return len(failures)


def create(name: str, value: ir.Value, result_type: ir.Type, qparams: QParams, loc=None) -> ir.Value:
    return ir.Operation.create(
        name, results=[result_type], operands=[value], attributes=qparams.attributes(), loc=loc
    ).result


def is_quantize(op) -> bool:
    return op is not None and op.operation.name == QUANTIZE


def is_dequantize(op) -> bool:
    return op is not None and op.operation.name == DEQUANTIZE


def erase_if_unused(op, rewriter) -> bool:
    """Rewrite pattern: erase a quantize/dequantize without users. The IRDL ops declare
    no side effects, so MLIR's dead-code elimination keeps them."""
    if any(True for _ in op.operation.results[0].uses):
        return True
    rewriter.erase_op(op)
    return False
