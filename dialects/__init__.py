"""What tosaic adds to the IR, and the MLIR context every tool builds on."""

from torch_mlir import ir


def new_context() -> ir.Context:
    """A context with every dialect and pass tosaic's pipelines may name.

    Importing torch-mlir's torch dialect registers its passes (convert-torch-to-tosa,
    ...) next to the upstream ones, so one textual pipeline can use all of them.
    """
    # The native module alone: the torch dialect's Python op classes (torch_mlir.dialects.torch)
    # take longer to import than the bindings; the passes that build torch ops import them.
    from torch_mlir._mlir_libs._torchMlir import register_dialect

    from tosaic.dialects.quant import load_dialect

    context = ir.Context()
    register_dialect(context)
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
