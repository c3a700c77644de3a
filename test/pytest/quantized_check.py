"""The tests' handle on the quantized numeric check (it lives in the package: the demo uses it too)."""

from tosaic.driver.checks import QuantizedCheck, check_quantized  # noqa: F401


def user_input_shapes(program) -> list[tuple[int, ...]]:
    """The shapes of an ExportedProgram's user inputs, in order."""
    user_inputs = program.graph_signature.user_inputs
    return [tuple(n.meta["val"].shape) for n in program.graph.nodes if n.op == "placeholder" and n.name in user_inputs]
