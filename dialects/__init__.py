"""What tosaic adds to the IR, and the MLIR context every tool builds on."""

from torch_mlir import ir


def new_context() -> ir.Context:
    """A context with every dialect and pass tosaic's pipelines may name.

    Importing torch-mlir's torch dialect registers its passes (convert-torch-to-tosa,
    ...) next to the upstream ones, so one textual pipeline can use all of them.
    """
    from torch_mlir.dialects import torch as torch_dialect

    from tosaic.dialects.quant import load_dialect

    context = ir.Context()
    torch_dialect.register_dialect(context)
    _load_torch_conversion_dialect(context)
    load_dialect(context)
    return context


def _load_torch_conversion_dialect(context: ir.Context) -> None:
    """Load torch_c, whose casts bridge torch and builtin tensors in our Q/DQ import.

    The bindings expose no registration for it; a pass that depends on it loads it.
    """
    from torch_mlir import passmanager

    with context:
        empty = ir.Module.parse("func.func @f() { return }")
        passmanager.PassManager.parse("builtin.module(torch-func-backend-type-conversion)").run(
            empty.operation
        )
