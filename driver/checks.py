"""The numeric check for quantized programs, used by the tests and `tosaic demo`.

The independent reference is the fake-quantized PyTorch program itself (its Q/DQ ops run
in PyTorch). Its float output, requantized with the output's qparams, is compared with
the TOSA reference model's integer output, fed the quantized input (raw uint8 for a
uint8 input; a uint8 output's bytes are read as uint8). Targets: at most 1 LSB apart,
and at least 99% bit-exact.

The fake-quantized program computes in float32, whose rounding near a .5 tie can pick the
other integer than the exact value does (int16 activations reach 32767 codes, where float32
keeps ~0.002 LSB); a layer with a gain above 1 (tanh's output scale below its input's)
then makes that 1 LSB into 2. `QuantizedCheck.against_float64()` runs the same program in
float64 (`run_float64`: every op, and the Q/DQ arithmetic, in double precision) to tell
such a reference-precision difference from a lowering error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

import tosaic
from tosaic.quantization.qmath import io_range, quantize_io


@dataclass
class QuantizedCheck:
    result: object  # CompileResult
    max_lsb: int
    bit_exact: float  # fraction of output elements equal
    feeds: list  # the quantized inputs the flatbuffer was run on
    program: object = None  # the quantized ExportedProgram compared with
    inputs: tuple = ()
    outputs: list | None = None  # the flatbuffer's integer outputs

    def assert_ok(self, max_lsb: int = 1, bit_exact: float = 0.99):
        assert self.max_lsb <= max_lsb, f"max error {self.max_lsb} LSB"
        assert self.bit_exact >= bit_exact, f"only {self.bit_exact:.2%} bit-exact"

    def against_float64(self) -> tuple[int, float]:
        """(max LSB, bit-exact fraction) of the same outputs against the program run in float64."""
        expected = run_float64(self.program, self.inputs)
        return _compare(self.result.outputs, self.outputs, expected)


def check_quantized(program, inputs, target="tosa-int", **compile_kwargs) -> QuantizedCheck:
    """Compile a quantized ExportedProgram and compare it with the program in PyTorch."""
    result = tosaic.compile(program, target=target, **compile_kwargs)
    feeds = []
    for signature, x in zip(result.inputs, inputs):
        q = signature.quantization
        if q is None:  # an index input (token ids): fed as the integers it is, in the graph's type
            assert not x.is_floating_point(), "a quantized program's float inputs must be its quantized values"
            feeds.append(x.numpy().astype(np.dtype(signature.dtype.replace("i", "int"))))
            continue
        feeds.append(quantize_io(x.numpy(), q))
    got = tosaic.run(result.flatbuffer, feeds)
    with torch.no_grad():
        expected = program.module()(*inputs)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    worst, exact = _compare(result.outputs, got, expected)
    return QuantizedCheck(result, worst, exact, feeds, program, tuple(inputs), got)


def _compare(signatures, got, expected) -> tuple[int, float]:
    worst, equal, total = 0, 0, 0
    for signature, actual, want in zip(signatures, got, expected):
        q = signature.quantization
        if q is None:  # an integer result (an argmax index): compared exactly
            diff = np.abs(np.asarray(actual).astype(np.int64) - want.numpy().astype(np.int64))
            worst = max(worst, int(diff.max()) if diff.size else 0)
            equal += int((diff == 0).sum())
            total += diff.size
            continue
        if want.dtype == torch.float64:  # exact: round half to even of the float64 quotient
            lo, hi = io_range(q)
            want_q = np.clip(np.rint(want.numpy() / q["scale"]) + q["zero_point"], lo, hi).astype(np.int64)
        else:
            want_q = quantize_io(want.numpy(), q).astype(np.int64)
        if q["dtype"] == "uint8":  # the flatbuffer's storage is signless: read its bits as uint8
            actual = actual.view(np.uint8)
        diff = np.abs(actual.astype(np.int64) - want_q)
        worst = max(worst, int(diff.max()))
        equal += int((diff == 0).sum())
        total += diff.size
    return worst, equal / total


def _q_args(args, per_channel: bool):
    """(scale, zero point, axis, qmin, qmax) of a quantized_decomposed Q/DQ call, as float64
    tensors shaped to broadcast (per channel: along `axis`)."""
    x = args[0]
    if per_channel:
        scale, zp, axis, qmin, qmax = args[1:6]
        shape = [1] * x.dim()
        shape[axis] = -1
        return (torch.as_tensor(scale, dtype=torch.float64).reshape(shape),
                torch.as_tensor(zp, dtype=torch.float64).reshape(shape), qmin, qmax)
    scale, zp, qmin, qmax = args[1:5]
    return float(scale), float(zp), qmin, qmax


def run_float64(program, inputs) -> tuple:
    """The quantized program's outputs computed in float64: each quantize as
    clamp(round_half_even(x / scale) + zp), each dequantize as (q - zp) * scale, every other
    op on float64 operands."""
    import torch.fx

    q_ops = {"quantize_per_tensor": False, "quantize_per_channel": True}
    dq_ops = {"dequantize_per_tensor": False, "dequantize_per_channel": True}

    def wide(value):
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return value.double()
        if isinstance(value, (list, tuple)):
            return type(value)(wide(v) for v in value)
        return value

    class Float64(torch.fx.Interpreter):
        def call_function(self, target, args, kwargs):
            name = getattr(getattr(target, "_overloadpacket", None), "__name__", "")
            if name in q_ops:
                scale, zp, qmin, qmax = _q_args(args, q_ops[name])
                dtype = args[-1]
                return torch.clamp(torch.round(args[0].double() / scale) + zp, qmin, qmax).to(dtype)
            if name in dq_ops:
                scale, zp, _, _ = _q_args(args, dq_ops[name])
                return (args[0].double() - zp) * scale
            args, kwargs = wide(args), {k: wide(v) for k, v in kwargs.items()}
            if "dtype" in kwargs and kwargs["dtype"] == torch.float32:
                kwargs["dtype"] = torch.float64
            return super().call_function(target, args, kwargs)

        def call_module(self, target, args, kwargs):
            return None if target.startswith("_guards") else super().call_module(target, args, kwargs)

    module = program.module()
    with torch.no_grad():
        out = Float64(module).run(*[wide(torch.as_tensor(x)) for x in inputs])
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)
