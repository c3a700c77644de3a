"""`tosaic debug` on a MobileNetV2 and a ResNet: the module that loses the most accuracy and
the one that costs the most cycles, named as in the model.

    .venv/bin/python benchmarks/debug_layers.py --out out/debug_layers
    .venv/bin/python benchmarks/debug_layers.py --only resnet8 --scheme a16w8

For each model: `tosaic.debug(model, target=ethos-u55-128, scheme=a8w8)` calibrated and
compared on `models.calibration(name)` (8 fixed inputs), writing OUT/<model>/ (numerics.json,
report.json, report.html, Vela's files). Prints tosaic's worst-layer table, the layer with
the most LSB error, the lowest SQNR and the most Vela cycles.

Models: `mobilenet_v2_035` from benchmarks/models.py (MobileNetV2 x0.35, 96x96) and
`resnet8` here: a CIFAR-style ResNet (3x3 stem of 16 channels, three stages of one
BasicBlock each at 16/32/64 channels, strides 1/2/2 with 1x1 projection shortcuts, global
average pool, linear head), 3x32x32.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x):
        identity = self.downsample(x) if self.downsample is not None else x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet8(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _register() -> None:
    import models

    models.MODELS.setdefault("resnet8", (ResNet8, (1, 3, 32, 32)))


MODELS = ("mobilenet_v2_035", "resnet8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out/debug_layers")
    parser.add_argument("--only", help="one model")
    parser.add_argument("--scheme", default="a8w8")
    parser.add_argument("--target", default="ethos-u55-128")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.getLogger("torchao").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    _register()
    import models

    import tosaic
    from tosaic.driver.debugger import format_table

    for name in MODELS:
        if args.only and args.only != name:
            continue
        model, example = models.build(name)
        calibration = models.calibration(name)
        start = time.perf_counter()
        result = tosaic.debug(model, example, target=args.target, output_dir=os.path.join(args.out, name),
                              scheme=args.scheme, calibration_data=calibration)
        seconds = time.perf_counter() - start
        vela = result.compile_result.report.get("vela") or {}
        print(f"## {name} ({args.scheme}, {args.target}): {result.summary['compared']} quantized tensors, "
              f"{len(calibration)} samples, {vela.get('cycles', {}).get('total')} cycles, {seconds:.0f} s")
        print(format_table(result, args.limit))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
