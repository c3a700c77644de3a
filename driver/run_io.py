"""`tosaic run` for people: float inputs quantized with report.json's quantization, raw
integer inputs as they are, outputs dequantized on request, compared with expected arrays.

The flatbuffer of a quantized program takes and returns the quantized values (TOSA's
integer profile has no float). report.json next to it gives each input's and output's
dtype, scale and zero point; with them a float input becomes
`clamp(round(x / scale) + zero_point)` (round half to even, as torch's quantize), and an
integer output `(q - zero_point) * scale`.
"""

from __future__ import annotations

import json
import os

import numpy as np

from tosaic.driver.errors import TosaicError
from tosaic.quantization.qmath import io_range, quantize_io

_RANGES = {"int8": (-128, 127, np.int8), "uint8": (0, 255, np.uint8), "int16": (-32768, 32767, np.int16)}


def read_report(flatbuffer_path: str, report_path: str | None = None) -> dict | None:
    path = report_path or os.path.join(os.path.dirname(os.path.abspath(flatbuffer_path)), "report.json")
    if not os.path.exists(path):
        if report_path:
            raise TosaicError(f"--report: no such file: {report_path}")
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise TosaicError(f"cannot read {path}: {e}") from None


def quantize(x: np.ndarray, q: dict) -> np.ndarray:
    return quantize_io(x, q)


def dequantize(q_values: np.ndarray, q: dict) -> np.ndarray:
    return ((q_values.astype(np.float64) - q["zero_point"]) * q["scale"]).astype(np.float32)


def prepare_inputs(arrays: list[np.ndarray], report: dict | None) -> tuple[list[np.ndarray], list[str]]:
    """The arrays to feed, and a note per input saying what was done to it."""
    signatures = (report or {}).get("inputs") or []
    if signatures and len(arrays) != len(signatures):
        raise TosaicError(f"the flatbuffer takes {len(signatures)} input(s); {len(arrays)} --input given")
    feeds, notes = [], []
    for i, x in enumerate(arrays):
        signature = signatures[i] if i < len(signatures) else {}
        q = signature.get("quantization")
        if signature and list(x.shape) != list(signature["shape"]) and not signature.get("packing"):
            raise TosaicError(f"input {i}: shape {'x'.join(map(str, x.shape))}, the flatbuffer takes "
                              f"{'x'.join(map(str, signature['shape']))}")
        if q and np.issubdtype(x.dtype, np.floating) and not signature.get("packing"):
            feeds.append(quantize(x, q))
            notes.append(f"float, quantized to {q['dtype']} (scale {q['scale']:.6g}, zero point {q['zero_point']})")
        elif q and np.issubdtype(x.dtype, np.integer):
            lo, hi, dtype = _RANGES.get(q["dtype"], (None, None, x.dtype))
            if lo is not None:
                lo, hi = io_range(q)
            if lo is not None and (x.min(initial=lo) < lo or x.max(initial=hi) > hi):
                raise TosaicError(f"input {i}: integer values outside the program's {q['dtype']} range [{lo}, {hi}]")
            feeds.append(x.astype(dtype))
            notes.append(f"raw {q['dtype']}")
        elif signature.get("dtype") == "i32" and x.dtype == np.int64:  # index ids: int32 in TOSA
            if x.size and (x.min() < -(1 << 31) or x.max() >= 1 << 31):
                raise TosaicError(f"input {i}: int64 values outside int32, which the flatbuffer's index input takes")
            feeds.append(x.astype(np.int32))
            notes.append("int64, as the int32 the flatbuffer takes")
        else:
            feeds.append(x)
            notes.append(str(x.dtype))
    return feeds, notes


def describe_values(x: np.ndarray, count: int = 8) -> str:
    flat = x.reshape(-1)
    head = ", ".join(f"{v:.6g}" if np.issubdtype(flat.dtype, np.floating) else str(v) for v in flat[:count])
    more = ", ..." if flat.size > count else ""
    return f"[{head}{more}] min {flat.min():.6g} max {flat.max():.6g}" if flat.size else "[]"


def compare(got: np.ndarray, expected: np.ndarray, atol: float) -> tuple[bool, str]:
    if got.shape != expected.shape:
        if got.size == expected.size:
            expected = expected.reshape(got.shape)
        else:
            return False, f"shape {'x'.join(map(str, got.shape))}, expected {'x'.join(map(str, expected.shape))}"
    error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    worst = float(error.max(initial=0.0))
    within = float((error <= atol).mean()) if error.size else 1.0
    ok = worst <= atol
    return ok, f"max abs error {worst:.6g} (atol {atol:g}), {within:.2%} within -> {'OK' if ok else 'MISMATCH'}"
