"""What the compiled program's constant weights cost: report.json's `weights` section.

One entry per layer with a constant weight operand (conv2d, depthwise_conv2d, conv3d,
transpose_conv2d, and linear layers, which are 1x1 conv2d; a matmul with a constant
operand too), in program order: the layer's source location, its op, the weight's element
type, element count and bytes as stored in the flatbuffer (i4 packed two per byte, rounded
up). A layer whose weight has an int4 quantization range but stays int8 carries the
lowering's reason (`tosaic.int8_weight`), so such a fallback is never silent.
"""

from __future__ import annotations

import numpy as np
from torch_mlir import ir

from tosaic.dialects.tosa_helpers import defining_op
from tosaic.dialects import attributes, tosa_ops
from tosaic.quantization.qmath import packed_bytes



def _location(op) -> str:
    from tosaic.frontend.importer import describe_location

    return describe_location(op.location)


def weight_report(module: ir.Module) -> dict:
    """{"layers": [...], "total_bytes", "by_dtype": {dtype: bytes}, "int8_fallbacks": [...]}."""
    layers = []

    def visit(op):
        op = op.operation
        index = tosa_ops.WEIGHT_OPERAND.get(op.name)
        if index is None or len(op.operands) <= index:
            return ir.WalkResult.ADVANCE
        weight = op.operands[index]
        producer = defining_op(weight)
        if producer is None or producer.name != "tosa.const":
            return ir.WalkResult.ADVANCE  # an activation, not a weight
        weight_type = ir.RankedTensorType(weight.type)
        element = weight_type.element_type
        bits = ir.IntegerType(element).width if isinstance(element, ir.IntegerType) else (
            ir.FloatType(element).width)
        elements = int(np.prod(weight_type.shape))
        entry = {
            "name": f"{op.name.removeprefix('tosa.')}_{len(layers)}",
            "location": _location(op),
            "op": op.name,
            "dtype": str(element),
            "shape": list(weight_type.shape),
            "elements": elements,
            "bytes": packed_bytes(elements, bits),
        }
        if attributes.INT8_WEIGHT in op.attributes:
            entry["int8_reason"] = ir.StringAttr(op.attributes[attributes.INT8_WEIGHT]).value
        layers.append(entry)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    by_dtype: dict[str, int] = {}
    for layer in layers:
        by_dtype[layer["dtype"]] = by_dtype.get(layer["dtype"], 0) + layer["bytes"]
    return {
        "layers": layers,
        "total_bytes": sum(layer["bytes"] for layer in layers),
        "by_dtype": dict(sorted(by_dtype.items())),
        "int8_fallbacks": [
            {"name": layer["name"], "location": layer["location"], "reason": layer["int8_reason"]}
            for layer in layers if "int8_reason" in layer
        ],
    }
