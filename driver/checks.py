"""The numeric check for quantized programs, used by the tests and `tosaic demo`.

The independent reference is the fake-quantized PyTorch program itself (its Q/DQ ops run
in PyTorch). Its float output, requantized with the output's qparams, is compared with
the TOSA reference model's integer output, fed the quantized input (raw uint8 for a
uint8 input; a uint8 output's bytes are read as uint8). Targets: at most 1 LSB apart,
and at least 99% bit-exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

import tosaic
from tosaic.quantization.qmath import qrange, quantize


@dataclass
class QuantizedCheck:
    result: object  # CompileResult
    max_lsb: int
    bit_exact: float  # fraction of output elements equal
    feeds: list  # the quantized inputs the flatbuffer was run on

    def assert_ok(self, max_lsb: int = 1, bit_exact: float = 0.99):
        assert self.max_lsb <= max_lsb, f"max error {self.max_lsb} LSB"
        assert self.bit_exact >= bit_exact, f"only {self.bit_exact:.2%} bit-exact"


def _numpy_dtype(name: str):
    return {"int8": np.int8, "uint8": np.uint8, "int16": np.int16}[name]


def check_quantized(program, inputs, target="tosa-int", **compile_kwargs) -> QuantizedCheck:
    """Compile a quantized ExportedProgram and compare it with the program in PyTorch."""
    result = tosaic.compile(program, target=target, **compile_kwargs)
    feeds = []
    for signature, x in zip(result.inputs, inputs):
        q = signature.quantization
        assert q is not None, "a quantized program's inputs must be its quantized values"
        lo, hi = qrange(q["dtype"])
        feeds.append(quantize(x.numpy(), q["scale"], q["zero_point"], lo, hi).astype(_numpy_dtype(q["dtype"])))
    got = tosaic.run(result.flatbuffer, feeds)
    with torch.no_grad():
        expected = program.module()(*inputs)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    worst, equal, total = 0, 0, 0
    for signature, actual, want in zip(result.outputs, got, expected):
        q = signature.quantization
        lo, hi = qrange(q["dtype"])
        want_q = quantize(want.numpy(), q["scale"], q["zero_point"], lo, hi).astype(np.int64)
        if q["dtype"] == "uint8":  # the flatbuffer's storage is signless: read its bits as uint8
            actual = actual.view(np.uint8)
        diff = np.abs(actual.astype(np.int64) - want_q)
        worst = max(worst, int(diff.max()))
        equal += int((diff == 0).sum())
        total += diff.size
    return QuantizedCheck(result, worst, equal / total, feeds)
