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
        a = op.operation.attributes
        return QParams(
            scale=tuple(ir.DenseF64ArrayAttr(a["scale"])),
            zero_point=tuple(ir.DenseI64ArrayAttr(a["zero_point"])),
            axis=ir.IntegerAttr(a["axis"]).value,
            qmin=ir.IntegerAttr(a["qmin"]).value,
            qmax=ir.IntegerAttr(a["qmax"]).value,
        )


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
