"""Every graph output written by an operator: what a TOSA flatbuffer consumer expects.

A program that folds to nothing (a k=1 pool, a model that returns its input) leaves
`return %arg0`: the flatbuffer's output tensor is then its input, and Vela rejects it
("Output tensor ... does not have any writers"). The same holds for a value returned
twice. Run after the last pass (canonicalization folds `tosa.identity` away), each such
output gets its own `tosa.identity`, which Vela places on the NPU as a copy.
"""

from __future__ import annotations

from torch_mlir import ir


def give_outputs_writers(module: ir.Module) -> int:
    """Insert a tosa.identity before each return operand that is a block argument or
    returned more than once; returns how many were inserted."""
    inserted = 0
    for op in module.body.operations:
        if op.operation.name != "func.func":
            continue
        for block in op.regions[0].blocks:
            terminator = block.operations[len(block.operations) - 1]
            if terminator.operation.name != "func.return":
                continue
            seen = set()
            for index, value in enumerate(list(terminator.operands)):
                key = value.get_name() if hasattr(value, "get_name") else id(value)
                if not isinstance(value.owner, ir.Block) and key not in seen:
                    seen.add(key)
                    continue
                seen.add(key)
                with ir.InsertionPoint(terminator), terminator.location:
                    copy = ir.Operation.create("tosa.identity", results=[value.type], operands=[value])
                terminator.operands[index] = copy.result
                inserted += 1
    return inserted
