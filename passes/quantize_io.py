"""Make a quantized program's graph inputs and outputs its quantized values.

Ethos-U runtimes feed and read the integer tensors: the flatbuffer's inputs are what
the program's first quantize op makes of each input, and its outputs are the values
its last dequantize ops read. So `@main(%x: f32) { q = quantize(x) ... return
dequantize(y) }` becomes `@main(%x: i8) { ... return y }`, in the program's own order
and shape. Each changed argument and result gets a `tosaic.io` attribute with its
dtype, scale and zero point, which the report gives to users.

An input with several quantize users of different parameters, or also used as float,
stays float (the verifier then reports the float ops).
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.dialects.tosa_helpers import defining_op
from tosaic.dialects.attributes import IO as IO_ATTRIBUTE
from tosaic.passes.base import Pass


def io_attribute(qparams: quant.QParams, element_type: ir.Type) -> ir.Attribute:
    width = ir.IntegerType(element_type).width
    dtype = "uint8" if qparams.qmin >= 0 and qparams.qmax > 127 and width == 8 else f"int{width}"
    i64 = ir.IntegerType.get_signless(64)
    entries = {
        "dtype": ir.StringAttr.get(dtype),
        "scale": ir.FloatAttr.get_f64(qparams.scale[0]),
        "zero_point": ir.IntegerAttr.get(i64, qparams.zero_point[0]),
    }
    # A range narrower than the type's (a16w8's symmetric [-32767, 32767]) is part of the
    # contract: the program's quantize never makes -32768, so a caller must not feed it.
    lo, hi = (0, 255) if dtype == "uint8" else (-(1 << (width - 1)), (1 << (width - 1)) - 1)
    if (qparams.qmin, qparams.qmax) != (lo, hi):
        entries["qmin"] = ir.IntegerAttr.get(i64, qparams.qmin)
        entries["qmax"] = ir.IntegerAttr.get(i64, qparams.qmax)
    return ir.DictAttr.get(entries)


def _with_attribute(array_attr, index: int, count: int, value: ir.Attribute) -> ir.ArrayAttr:
    dicts = [ir.DictAttr(array_attr[i]) for i in range(count)] if array_attr else [ir.DictAttr.get({})] * count
    entries = []
    for i, d in enumerate(dicts):
        items = {d[j].name: d[j].attr for j in range(len(d))}
        if i == index:
            items[IO_ATTRIBUTE] = value
        entries.append(ir.DictAttr.get(items))
    return ir.ArrayAttr.get(entries)


class QuantizeIO(Pass):
    name = "tosaic-quantize-io"
    summary = "Turn quantize-at-input / dequantize-at-output into integer graph inputs and outputs"
    anchor = "builtin.module"

    def run(self, module: ir.Operation) -> None:
        for op in module.regions[0].blocks[0].operations:
            if op.operation.name == "func.func":
                self._rewrite_function(op.operation)

    def _rewrite_function(self, func: ir.Operation) -> None:
        block = func.regions[0].blocks[0]
        fn_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        inputs, results = list(fn_type.inputs), list(fn_type.results)
        arg_attrs = func.attributes["arg_attrs"] if "arg_attrs" in func.attributes else None
        res_attrs = func.attributes["res_attrs"] if "res_attrs" in func.attributes else None

        for index, arg in enumerate(block.arguments):
            users = [use.owner for use in arg.uses]
            if not users or not all(quant.is_quantize(u) for u in users):
                continue
            params = {quant.QParams.of(u) for u in users}
            types = {str(u.results[0].type) for u in users}
            if len(params) != 1 or len(types) != 1:
                continue
            qparams = params.pop()
            if qparams.per_channel:
                continue
            new_type = users[0].results[0].type
            arg.set_type(new_type)
            for user in users:
                user.results[0].replace_all_uses_with(arg)
                user.erase()
            inputs[index] = new_type
            element = ir.RankedTensorType(new_type).element_type
            arg_attrs = _with_attribute(arg_attrs, index, len(inputs), io_attribute(qparams, element))

        terminator = block.operations[len(block.operations) - 1]
        for index, value in enumerate(list(terminator.operands)):
            producer = defining_op(value)
            if not quant.is_dequantize(producer) or quant.QParams.of(producer).per_channel:
                continue
            quantized = producer.operands[0]
            terminator.operands[index] = quantized
            results[index] = quantized.type
            element = ir.RankedTensorType(quantized.type).element_type
            res_attrs = _with_attribute(res_attrs, index, len(results),
                                        io_attribute(quant.QParams.of(producer), element))
            if not any(True for _ in producer.results[0].uses):
                producer.erase()

        func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))
        if arg_attrs is not None:
            func.attributes["arg_attrs"] = arg_attrs
        if res_attrs is not None:
            func.attributes["res_attrs"] = res_attrs
