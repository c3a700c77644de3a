"""What uint8 graph IO costs on the NPU: the same models with int8 and with uint8 IO.

For each model (a MobileNet-class network of depthwise-separable blocks at 1x3x96x96,
plus the benchmark's small models) the float model is quantized twice with tosaic's
quantizer, `a8w8` (int8 IO) and `a8w8` with `io_dtype="uint8"` (uint8 IO, int8 inside),
from the same seeds and calibration data, compiled for each accelerator, and Vela's
figures are compared: NPU ops (passes) and `cycles_total`, the cycles of the IO rescales
Vela kept, and the TOSA rescales with unsigned flags. The uint8 numerics are checked
(reference model vs the fake-quantized program) before anything is timed.

    .venv/bin/python benchmarks/uint8_io.py                      # all models, U55-128 and U85-256
    .venv/bin/python benchmarks/uint8_io.py --models mobilenet_ish --targets ethos-u55-128

The table goes to stdout and, with every figure, to `benchmarks/out/uint8_io.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import models  # noqa: E402  (benchmarks/models.py)


def _depthwise_separable(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin), nn.BatchNorm2d(cin), nn.ReLU6(),
        nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout), nn.ReLU6(),
    )


class MobileNetish(nn.Module):
    """A MobileNet-v1-like classifier: strided stem, five depthwise-separable blocks,
    global average pool, linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            _depthwise_separable(16, 32, 1), _depthwise_separable(32, 64, 2), _depthwise_separable(64, 64, 1),
            _depthwise_separable(64, 128, 2), _depthwise_separable(128, 128, 1),
        )
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


models.MODELS.setdefault("mobilenet_ish", (MobileNetish, (1, 3, 96, 96)))
DEFAULT_MODELS = ["mobilenet_ish", "mlp", "conv_pool", "depthwise", "residual", "conv_block"]
DEFAULT_TARGETS = ["ethos-u55-128", "ethos-u85-256"]


def measure(name: str, targets: list[str]) -> list[dict]:
    import tosaic
    from tosaic.checks import check_quantized
    from tosaic.quantization import quantize_model, with_io_dtype

    model, example = models.build(name)
    calibration = models.calibration(name)
    programs = {
        "int8": quantize_model(model, example, "a8w8", calibration),
        "uint8": quantize_model(model, example, with_io_dtype("a8w8", "uint8"), calibration),
    }
    check = check_quantized(programs["uint8"], example)
    rows = []
    for target in targets:
        row = {"model": name, "target": target, "uint8_max_lsb": check.max_lsb,
               "uint8_bit_exact": check.bit_exact}
        for io, program in programs.items():
            result = tosaic.compile(program, target=target)
            v = result.vela
            mlir = result.mlir
            row[io] = {
                "npu_ops": v.npu_ops, "cpu_ops": v.cpu_ops, "cycles_total": v.cycles_total,
                "tosa_rescales": result.report["ops"].get("tosa.rescale", 0),
                "unsigned_rescales": mlir.count("input_unsigned = true") + mlir.count("output_unsigned = true"),
                "rescale_layer_cycles": [layer.cycles for layer in v.layers if layer.original_op == "Rescale"],
            }
        row["extra_npu_ops"] = row["uint8"]["npu_ops"] - row["int8"]["npu_ops"]
        row["extra_cycles"] = row["uint8"]["cycles_total"] - row["int8"]["cycles_total"]
        row["extra_cycles_percent"] = 100.0 * row["extra_cycles"] / row["int8"]["cycles_total"]
        rows.append(row)
        print(f"  {name} {target}: +{row['extra_npu_ops']} NPU ops, {row['extra_cycles_percent']:+.2f}% cycles",
              file=sys.stderr, flush=True)
    return rows


def _rescales(figures: dict) -> str:
    cycles = figures["rescale_layer_cycles"]
    return f"{len(cycles)} ({sum(cycles)})"


def table(rows: list[dict]) -> str:
    lines = [
        "| model | target | NPU ops int8 IO | NPU ops uint8 IO | cycles int8 IO | cycles uint8 IO | extra cycles | "
        "Vela Rescale passes int8 IO -> uint8 IO (their cycles) | uint8 check |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['target']} | {r['int8']['npu_ops']} | {r['uint8']['npu_ops']} | "
            f"{r['int8']['cycles_total']} | {r['uint8']['cycles_total']} | "
            f"{r['extra_cycles']:+d} ({r['extra_cycles_percent']:+.2f}%) | "
            f"{_rescales(r['int8'])} -> {_rescales(r['uint8'])} | "
            f"{r['uint8_max_lsb']} LSB, {r['uint8_bit_exact']:.1%} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=sorted(models.MODELS))
    parser.add_argument("--targets", nargs="+", default=DEFAULT_TARGETS)
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    args = parser.parse_args(argv)
    rows = []
    for name in args.models:
        rows += measure(name, args.targets)
    print(table(rows))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "uint8_io.json"), "w") as f:
        json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
