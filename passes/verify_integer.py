"""Refuse float computation, and unsigned values inside the graph, for TOSA's integer profile.

Runs last in the integer pipelines. Any op still computing on floating-point tensors
means a float op sat between Q/DQ with no integer lowering, or a quantize/dequantize
was left behind; each is reported at its own location, naming the op and the reason,
and the pass fails. Never a float op inside an INT flatbuffer.

Unsigned meaning lives only at the graph IO: a `tosa.rescale` with `input_unsigned`
must read a graph input (through reshapes/transposes at most), one with
`output_unsigned` must feed only the function's return, and a uint8 graph input or
output (`tosaic.io` dtype uint8) must meet exactly those rescales (or pass from a uint8
input to a uint8 output through reshapes/transposes only). Every rescale's
types, flags and zero points must pass TOSA 1.0's ERROR_IF rules (checked with
`qmath.RescaleParams.validate`). The diagnostics name the value.
"""

from __future__ import annotations

from torch_mlir import ir

from tosaic.dialects import attributes, quant, tosa_ops
from tosaic.dialects.tosa_helpers import defining_op
from tosaic.passes.base import Pass, PassFailure

def _is_float_tensor(t: ir.Type) -> bool:
    return isinstance(t, ir.RankedTensorType) and isinstance(
        ir.RankedTensorType(t).element_type, (ir.F32Type, ir.F16Type, ir.BF16Type, ir.F64Type)
    )


# Why a float op is left, as a quantized program's author would fix it. When tosaic's own
# quantizer quantized the program (--scheme), the driver words it in its terms instead
# (tosaic.driver.compiler).
UNQUANTIZED_HINT = "no integer lowering applies: is it quantized?"


def explain(op) -> str | None:
    name = op.name
    if name == quant.QUANTIZE:
        source = op.operands[0].owner
        source_name = source.name if isinstance(source, (ir.Operation, ir.OpView)) else "a float graph input"
        return f"quantizes the float result of {source_name!s}, which has no integer lowering"
    if name == quant.DEQUANTIZE:
        q = quant.QParams.of(op)
        if q.qmin >= 0 and q.qmax > 127:
            return (f"dequantizes uint8 values ({_name(op.operands[0])}) left inside the graph: uint8 is "
                    "allowed only at graph inputs and outputs")
        return "dequantizes into float computation that has no integer lowering"
    types = [v.type for v in op.operands] + [r.type for r in op.results]
    if any(_is_float_tensor(t) for t in types):
        return f"computes in floating point, which TOSA's integer profile does not allow ({UNQUANTIZED_HINT})"
    return None


class VerifyInteger(Pass):
    name = "tosaic-verify-integer"
    summary = "Fail, naming each op, if any float computation or Q/DQ op remains"
    anchor = "func.func"

    def run(self, op: ir.Operation) -> None:
        found = []

        def visit(child):
            child = child.operation
            if child.name.startswith("func."):
                return ir.WalkResult.ADVANCE
            reason = explain(child)
            if reason:
                found.append((child, reason))
            return ir.WalkResult.ADVANCE

        op.walk(visit)
        found += _unsigned_violations(op)
        for child, reason in found[:20]:
            Pass.error(child, reason)
        if found:
            raise PassFailure(f"{len(found)} op(s) are not integer, or misuse unsigned values")


def _name(value: ir.Value) -> str:
    """How the IR prints the value: %arg0, %3."""
    return value.get_name()


def _source(value: ir.Value) -> ir.Value:
    """`value` seen through the byte moves that produce it."""
    op = defining_op(value)
    while op is not None and op.name in tosa_ops.BYTE_MOVES:
        value = op.operands[0]
        op = defining_op(value)
    return value


def _final_users(value: ir.Value) -> list:
    """The ops that read `value`, looking through byte moves."""
    users = []
    for use in value.uses:
        owner = use.owner.operation
        if owner.name in tosa_ops.BYTE_MOVES:
            users += _final_users(owner.results[0])
        else:
            users.append(owner)
    return users


def _io_dtypes(func: ir.Operation, attrs_name: str, count: int) -> list[str | None]:
    if attrs_name not in func.attributes:
        return [None] * count
    dtypes = []
    for entry in ir.ArrayAttr(func.attributes[attrs_name]):
        entry = ir.DictAttr(entry)
        dtypes.append(ir.StringAttr(ir.DictAttr(entry[attributes.IO])["dtype"]).value if attributes.IO in entry else None)
    return dtypes


def _unsigned_violations(func: ir.Operation) -> list:
    from tosaic.passes.fuse_rescales import rescale_params

    found = []
    block = func.regions[0].blocks[0]
    args = list(block.arguments)
    terminator = block.operations[len(block.operations) - 1]
    returned = list(terminator.operands)
    is_arg = lambda v: any(v == a for a in args)  # noqa: E731

    def visit(child):
        child = child.operation
        if child.name != "tosa.rescale":
            return ir.WalkResult.ADVANCE
        params = rescale_params(child)
        if params is not None:
            try:
                params.validate()
            except ValueError as e:
                found.append((child, f"is not valid TOSA 1.0: {e}"))
        if ir.BoolAttr(child.attributes["input_unsigned"]).value and not is_arg(_source(child.operands[0])):
            found.append((child, f"reads {_name(child.operands[0])} as unsigned, but it is not a graph input: "
                                 "uint8 is allowed only at graph inputs and outputs"))
        if ir.BoolAttr(child.attributes["output_unsigned"]).value:
            users = _final_users(child.results[0])
            if not users or any(u.name != "func.return" for u in users):
                found.append((child, f"writes {_name(child.results[0])} as unsigned, but it is used inside the "
                                     "graph: uint8 is allowed only at graph inputs and outputs"))
        return ir.WalkResult.ADVANCE

    func.walk(visit)
    arg_dtypes = _io_dtypes(func, "arg_attrs", len(args))
    uint8_args = [a for a, dtype in zip(args, arg_dtypes) if dtype == "uint8"]
    for arg in uint8_args:
        for user in _final_users(arg):
            if user.name == "func.return":
                continue  # passed through to an output: checked with the outputs
            if user.name != "tosa.rescale" or not ir.BoolAttr(user.attributes["input_unsigned"]).value:
                found.append((user, f"reads the uint8 graph input {_name(arg)} as int8 (only a rescale with "
                                    "input_unsigned may read it)"))
    for value, dtype in zip(returned, _io_dtypes(func, "res_attrs", len(returned))):
        source = _source(value)
        from_uint8_arg = any(source == a for a in uint8_args)
        producer = defining_op(source)
        unsigned_rescale = (producer is not None and producer.name == "tosa.rescale"
                            and ir.BoolAttr(producer.attributes["output_unsigned"]).value)
        if dtype == "uint8" and not (unsigned_rescale or from_uint8_arg):
            found.append((producer or terminator, f"returns {_name(value)} as a uint8 graph output, but it is "
                                                  "not written by a rescale with output_unsigned"))
        elif dtype != "uint8" and from_uint8_arg:
            found.append((terminator, f"returns the uint8 graph input {_name(source)} as a {dtype} output"))
    return found
