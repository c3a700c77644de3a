"""int4 weights (a8w4) against int8 weights (a8w8) on weight-dominated models.

    .venv/bin/python benchmarks/int4.py [--models mlp conv_stack ...] [--repeats N]

For each model, quantized both ways from the same float model and calibration data:

* numerics: max LSB and the lowest bit-exact share over 3 fresh inputs, TOSA reference
  model vs the fake-quantized PyTorch program (`tosaic.driver.checks.check_quantized`);
* weight bytes as stored in the flatbuffer (report.json's `weights.total_bytes`: i4 packed
  two per byte), and the flatbuffer size;
* Vela 5.2.0 on ethos-u55-128 and ethos-u85-256 (tosaic's default system configs): NPU
  placement, encoded weight bytes, off-chip memory used (flash on the U55's
  Shared_Sram mode, DRAM on the U85's Dedicated_Sram mode; both hold the weights), and
  cycles_total;
* the a8w4 / a8w8 ratio of each;
* the compile-time cost of int4 detection: the whole tosa-int pass pipeline timed on the
  a8w4 program with `int4-weights=true` (the default) and with `int4-weights=false` on
  both weight lowerings, best of `--repeats` runs each (import and TorchToTosa not timed).

Prints one table per measurement to stdout (markdown).
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("torchao").setLevel(logging.ERROR)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import tosaic  # noqa: E402
from tosaic.frontend import importer  # noqa: E402
from tosaic.driver.checks import check_quantized  # noqa: E402
from tosaic.dialects import new_context  # noqa: E402
from tosaic.pipelines import pipeline_text  # noqa: E402
from tosaic.quantization import quantize_model  # noqa: E402

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


class BigMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(256, 512)
        self.fc2 = nn.Linear(512, 512)
        self.fc3 = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class ConvStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(cin, cout, 3, padding=1) for cin, cout in ((3, 32), (32, 64), (64, 64), (64, 128)))

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        return x


class DepthwiseBlocks(nn.Module):
    """MobileNet-style: depthwise 3x3 + pointwise 1x1, twice."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 64, 3, padding=1)
        self.dw1, self.pw1 = nn.Conv2d(64, 64, 3, padding=1, groups=64), nn.Conv2d(64, 128, 1)
        self.dw2, self.pw2 = nn.Conv2d(128, 128, 3, padding=1, groups=128), nn.Conv2d(128, 128, 1)

    def forward(self, x):
        x = F.relu6(self.stem(x))
        x = F.relu6(self.pw1(F.relu6(self.dw1(x))))
        return F.relu6(self.pw2(F.relu6(self.dw2(x))))


class Conv3dStack(nn.Module):
    """Kernel depth 1: a CONV3D that Vela 5.2.0 runs natively on both the U55 and the U85."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(8, 32, (1, 3, 3), padding=(0, 1, 1))
        self.conv2 = nn.Conv3d(32, 64, (1, 3, 3), padding=(0, 1, 1))

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class Conv3dK3Stack(nn.Module):
    """Kernel depth 3: on the Ethos-U55 compiled through tosaic-decompose-conv3d."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(8, 32, 3, padding=1)
        self.conv2 = nn.Conv3d(32, 64, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


MODELS = {
    "mlp": (BigMLP, (1, 256)),
    "conv_stack": (ConvStack, (1, 3, 16, 16)),
    "depthwise": (DepthwiseBlocks, (1, 3, 16, 16)),
    "conv3d": (Conv3dStack, (1, 8, 4, 8, 8)),
    "conv3d_k3": (Conv3dK3Stack, (1, 8, 4, 8, 8)),
}


def quantize(name: str, scheme: str):
    ctor, shape = MODELS[name]
    torch.manual_seed(0)
    model = ctor().eval()
    g = torch.Generator().manual_seed(1234)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(8)]
    return quantize_model(model, calibration[0], scheme, calibration), shape


def numerics(program, shape) -> tuple[int, float]:
    worst, exact = 0, 1.0
    for seed in range(3):
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(100 + seed))
        check = check_quantized(program, (x,))
        worst, exact = max(worst, check.max_lsb), min(exact, check.bit_exact)
    return worst, exact


def pipeline_seconds(program, int4_weights: bool, repeats: int) -> float:
    text = pipeline_text("tosa-int")
    if not int4_weights:
        for name in ("tosaic-lower-quantized-conv", "tosaic-lower-quantized-matmul"):
            text = text.replace(name + ",", name + "{int4-weights=false},", 1)
    best = float("inf")
    for _ in range(repeats):
        module = importer.import_torch(program, new_context())
        importer.lower_to_tosa(module, quantized=True)
        start = time.perf_counter()
        importer.run_pipeline(module, text, "the tosa-int pipeline")
        best = min(best, time.perf_counter() - start)
        assert ("xi4>" in module.operation.get_asm()) == int4_weights
    return best


def measure(name: str, repeats: int) -> dict:
    row = {}
    for scheme in ("a8w8", "a8w4"):
        program, shape = quantize(name, scheme)
        worst, exact = numerics(program, shape)
        entry = {"max_lsb": worst, "bit_exact": exact}
        for accelerator in ACCELERATORS:
            result = tosaic.compile(program, target=accelerator)
            report, v = result.report, result.vela
            entry["weight_bytes"] = report["weights"]["total_bytes"]
            entry["flatbuffer_bytes"] = report["flatbuffer_bytes"]
            entry["int8_fallbacks"] = len(report["weights"]["int8_fallbacks"])
            entry[accelerator] = {
                "npu": f"{v.npu_ops}/{v.npu_ops + v.cpu_ops}",
                "encoded_weights": v.weights_encoded_bytes,
                "offchip": v.offchip_used_bytes,
                "cycles": v.cycles_total,
            }
        if scheme == "a8w4":
            entry["seconds_on"] = pipeline_seconds(program, True, repeats)
            entry["seconds_off"] = pipeline_seconds(program, False, repeats)
        row[scheme] = entry
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = {name: measure(name, args.repeats) for name in args.models}

    print("## Numerics (TOSA reference model vs fake-quantized program, 3 inputs)\n")
    print("| model | a8w8 max LSB | a8w8 bit-exact | a8w4 max LSB | a8w4 bit-exact | a8w4 layers kept int8 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        a8, a4 = row["a8w8"], row["a8w4"]
        print(f"| {name} | {a8['max_lsb']} | {a8['bit_exact']:.2%} | {a4['max_lsb']} | {a4['bit_exact']:.2%} "
              f"| {a4['int8_fallbacks']} |")

    print("\n## Weight bytes (report.json) and flatbuffer size\n")
    print("| model | a8w8 weights | a8w4 weights | ratio | a8w8 flatbuffer | a8w4 flatbuffer | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        a8, a4 = row["a8w8"], row["a8w4"]
        print(f"| {name} | {a8['weight_bytes']} | {a4['weight_bytes']} | {a4['weight_bytes'] / a8['weight_bytes']:.3f} "
              f"| {a8['flatbuffer_bytes']} | {a4['flatbuffer_bytes']} "
              f"| {a4['flatbuffer_bytes'] / a8['flatbuffer_bytes']:.3f} |")

    for accelerator in ACCELERATORS:
        print(f"\n## Vela 5.2.0, {accelerator}\n")
        print("| model | NPU ops a8w8 / a8w4 | encoded weights a8w8 | a8w4 | ratio | off-chip a8w8 | a8w4 | ratio "
              "| cycles a8w8 | a8w4 | ratio |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, row in rows.items():
            a8, a4 = row["a8w8"][accelerator], row["a8w4"][accelerator]
            print(f"| {name} | {a8['npu']} / {a4['npu']} | {a8['encoded_weights']} | {a4['encoded_weights']} "
                  f"| {a4['encoded_weights'] / a8['encoded_weights']:.3f} | {a8['offchip']} | {a4['offchip']} "
                  f"| {a4['offchip'] / max(a8['offchip'], 1):.3f} | {a8['cycles']} | {a4['cycles']} "
                  f"| {a4['cycles'] / a8['cycles']:.3f} |")

    print(f"\n## Compile-time cost of int4 detection (tosa-int pipeline on the a8w4 program, best of {args.repeats})\n")
    print("| model | int4-weights=true (s) | int4-weights=false (s) | difference (s) |")
    print("| --- | --- | --- | --- |")
    for name, row in rows.items():
        a4 = row["a8w4"]
        print(f"| {name} | {a4['seconds_on']:.3f} | {a4['seconds_off']:.3f} | {a4['seconds_on'] - a4['seconds_off']:+.3f} |")


if __name__ == "__main__":
    main()
