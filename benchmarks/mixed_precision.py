"""Mixed precision chosen by `--scheme auto`: flash, cycles and error next to the uniform schemes.

    .venv/bin/python benchmarks/mixed_precision.py [--models kws_dscnn mobilenet_v2 resnet18 mlp_autoencoder]
        [--target ethos-u55-128] [--samples 16] [--out benchmarks/out/mixed_precision]

Four models, defined here (random weights from a fixed seed; BatchNorm statistics set by
a few training-mode passes over random data, a cheap stand-in for a trained network so
activations keep sane ranges):

* kws_dscnn: DS-CNN keyword spotting (Zhang et al., "Hello Edge", the S variant): 10x4
  conv 64 + 4 depthwise-separable blocks, MFCC input 1x1x49x10, 12 classes;
* mobilenet_v2: MobileNetV2 x1.0 (benchmarks/models.py's, 17 inverted residual blocks),
  input 1x3x64x64, 10 classes;
* resnet18: ResNet-18 (basic blocks 2-2-2-2, widths 32-64-128-256: half width), CIFAR stem
  (3x3 conv, no max pool) at 1x3x32x32, 10 classes;
* mlp_autoencoder: 640-128-128-128-128-8-128-128-128-128-640 fully connected (the MLPerf
  Tiny anomaly-detection autoencoder), input 1x640.

For each model: `--samples` standard-normal inputs (seed 1234), the last quarter held out.
The sensitivity (`tosaic.quantization.sensitivity.analyse`) is measured once; then for
each budget (a8w8's held-out SQNR - 1 dB, - 3 dB, - 6 dB, and a8w4's SQNR) the search
(`tosaic.quantization.auto_scheme.search`, objective flash) picks a mix, which is compiled
for real for `--target` (calibrated on all the samples, as `--scheme-config` replays it).
The uniform schemes are compiled the same way. Every flash/cycles figure is measured
(report.json's weight bytes, Vela's encoded weights and cycles); the SQNR is the held-out
SQNR of the fake-quantized program of the same config. Search time = the sensitivity plus
the search for the budget (no compile), single run, on whatever else the machine runs.

Writes OUT/<model>/pareto.{json,md,png,svg} and OUT/results.md (the table for
benchmarks/README.md), and prints the targets' verdicts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("torchao").setLevel(logging.ERROR)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import MobileNetV2  # noqa: E402

from tosaic.quantization import pareto  # noqa: E402
from tosaic.quantization.auto_scheme import search  # noqa: E402
from tosaic.quantization.sensitivity import Evaluator, analyse  # noqa: E402


class DSCNN(nn.Module):
    def __init__(self, channels: int = 64, classes: int = 12):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, (10, 4), stride=(2, 2), padding=(5, 1)),
                                  nn.BatchNorm2d(channels), nn.ReLU())
        blocks = []
        for _ in range(4):
            blocks += [nn.Conv2d(channels, channels, 3, padding=1, groups=channels), nn.BatchNorm2d(channels), nn.ReLU(),
                       nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.ReLU()]
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256), classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers.append(nn.Sequential(BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)))
            cin = w
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


class MLPAutoencoder(nn.Module):
    def __init__(self, dims=(640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640)):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))

    def forward(self, x):
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            if i < len(self.fcs) - 1:
                x = F.relu(x)
        return x


MODELS = {
    "kws_dscnn": (DSCNN, (1, 1, 49, 10)),
    "mobilenet_v2": (lambda: MobileNetV2(width=1.0, num_classes=10), (1, 3, 64, 64)),
    "resnet18": (ResNet18, (1, 3, 32, 32)),
    "mlp_autoencoder": (MLPAutoencoder, (1, 640)),
}


def build(name: str):
    factory, shape = MODELS[name]
    torch.manual_seed(0)
    model = factory()
    model.train()
    g = torch.Generator().manual_seed(99)
    with torch.no_grad():  # BatchNorm running statistics from random data
        for _ in range(4):
            model(torch.randn(16, *shape[1:], generator=g))
    model.eval()
    return model, shape


def samples(shape, n: int):
    g = torch.Generator().manual_seed(1234)
    return [(torch.randn(*shape, generator=g),) for _ in range(n)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_model(name: str, target: str, n: int, out: str, quick: bool = False) -> dict:
    model, shape = build(name)
    data = samples(shape, n)
    example = data[0]
    start, cpu = time.perf_counter(), time.process_time()
    ev = Evaluator(model, example, data)
    sens = analyse(model, example, data, target, evaluator=ev, compile_uniform=False)
    sensitivity_seconds = time.perf_counter() - start
    sensitivity_cpu = time.process_time() - cpu
    log(f"{name}: {len(sens.layers)} layers, sensitivity {sensitivity_seconds:.1f} s ({ev.evaluations} evaluations)")
    a8w8 = sens.sqnr(sens.uniform["a8w8"])
    a8w4 = sens.sqnr(sens.uniform["a8w4"])
    budgets = sorted({round(a8w8 - 1, 2), round(a8w8 - 3, 2), round(a8w8 - 6, 2), round(a8w4, 2)}, reverse=True)
    budgets = [b for b in budgets if b >= round(a8w4, 2)]
    if quick:  # the two budgets the targets name
        budgets = [round(a8w8 - 1, 2), round(a8w4, 2)]
    data_out = pareto.points(model, example, data, target, budgets=budgets, evaluator=ev, sens=sens, log=log)
    data_out["model"] = name
    data_out["sensitivity_seconds"] = round(sensitivity_seconds, 2)
    data_out["sensitivity_cpu_seconds"] = round(sensitivity_cpu, 2)
    data_out["sensitivity"] = sens.as_dict()
    written = pareto.write(data_out, os.path.join(out, name))
    log(f"{name}: wrote {', '.join(written)}")
    return data_out


def verdicts(name: str, data: dict) -> dict:
    rows = {(r["scheme"], r["budget_db"]): r for r in data["rows"]}
    a8w8, a8w4 = rows["all-a8w8", None], rows["all-a8w4", None]
    auto = [r for r in data["rows"] if r["scheme"] == "auto" and "error" not in r]
    first = next((r for r in auto if abs(r["budget_db"] - round(a8w8["sqnr_holdout_db"] - 1, 2)) < 1e-6), None)
    # the lowest budget is a8w4's SQNR (matched by position: the two roundings can differ in the last digit)
    last = min(auto, key=lambda r: r["budget_db"], default=None)
    v = {"model": name}
    # Flash is what the device stores: Vela's encoded weights (an Ethos-U target); the TOSA
    # constants' bytes are the ratio beside it (and the flash for a target without Vela).
    flash = "vela_weight_bytes" if a8w8.get("vela_weight_bytes") else "weight_bytes"
    v["flash_measure"] = flash
    if first:
        v["flash_ratio_at_a8w8_minus_1"] = round(first[flash] / a8w8[flash], 3)
        v["tosa_weight_ratio_at_a8w8_minus_1"] = round(first["weight_bytes"] / a8w8["weight_bytes"], 3)
        v["target_1"] = v["flash_ratio_at_a8w8_minus_1"] <= 0.70
        v["search_seconds_at_a8w8_minus_1"] = round(data["sensitivity_seconds"] + first["search_seconds"], 1)
        v["search_cpu_seconds_at_a8w8_minus_1"] = round(data["sensitivity_cpu_seconds"] + first["search_cpu_seconds"], 1)
    if last:
        v["flash_ratio_vs_a8w4"] = round(last[flash] / a8w4[flash], 3)
        v["sqnr_vs_a8w4_db"] = round(last["sqnr_holdout_db"] - a8w4["sqnr_holdout_db"], 2)
        v["target_2"] = v["flash_ratio_vs_a8w4"] <= 1.10 and v["sqnr_vs_a8w4_db"] >= -1e-3
    return v


def results_markdown(all_data: dict, all_verdicts: list) -> str:
    lines = ["| model | scheme | budget (dB) | held-out SQNR (dB) | weight bytes | vs a8w8 | Vela weights (B) | cycles | "
             "layers a8w8/a8w4/a16w8 |", "|" + " --- |" * 9]
    for name, data in all_data.items():
        base = next(r for r in data["rows"] if r["scheme"] == "all-a8w8")["weight_bytes"]
        for r in data["rows"]:
            if "error" in r:
                lines.append(f"| {name} | auto | {r['budget_db']} | not reached | | | | | |")
                continue
            counts = r.get("layers", {})
            mix = "/".join(str(counts.get(s, 0)) for s in ("a8w8", "a8w4", "a16w8")) if counts else ""
            lines.append(f"| {name} | {r['scheme']} | {'' if r['budget_db'] is None else r['budget_db']} | "
                         f"{r['sqnr_holdout_db']:.2f} | {r['weight_bytes']} | {r['weight_bytes'] / base:.0%} | "
                         f"{r.get('vela_weight_bytes', '')} | {r.get('cycles', '')} | {mix} |")
    lines += ["", "| model | layers | auto@a8w8-1dB flash / a8w8 (<= 70%) | same, TOSA weight bytes | "
              "auto@a8w4 flash / a8w4 (<= 110%) | auto@a8w4 SQNR - a8w4 (>= 0 dB) | search wall s (CPU s) |",
              "|" + " --- |" * 7]
    for v in all_verdicts:
        data = all_data[v["model"]]
        lines.append(f"| {v['model']} | {data['layers']} | {v.get('flash_ratio_at_a8w8_minus_1', '')} "
                     f"({'met' if v.get('target_1') else 'missed'}) | {v.get('tosa_weight_ratio_at_a8w8_minus_1', '')} | "
                     f"{v.get('flash_ratio_vs_a8w4', '')} "
                     f"({'met' if v.get('target_2') else 'missed'}) | {v.get('sqnr_vs_a8w4_db', '')} | "
                     f"{v.get('search_seconds_at_a8w8_minus_1', '')} ({v.get('search_cpu_seconds_at_a8w8_minus_1', '')}) |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--target", default="ethos-u55-128")
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--quick", action="store_true", help="only the budgets a8w8 - 1 dB and a8w4's SQNR")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "mixed_precision"))
    args = p.parse_args()
    all_data, all_verdicts = {}, []
    for name in args.models:
        all_data[name] = run_model(name, args.target, args.samples, args.out, args.quick)
        all_verdicts.append(verdicts(name, all_data[name]))
        log(json.dumps(all_verdicts[-1]))
        text = results_markdown(all_data, all_verdicts)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(text)
    print(text)
    with open(os.path.join(args.out, "verdicts.json"), "w") as f:
        json.dump(all_verdicts, f, indent=2)


if __name__ == "__main__":
    main()
