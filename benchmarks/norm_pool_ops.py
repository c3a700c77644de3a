"""Per-op figures for issue 11's pooling and normalisation ops (adaptive_avg_pool2d with
sizes that do not divide, group_norm, batch_norm alone, var, linalg_vector_norm, the
hand-written RMSNorm, upsampling): each op behind a 1x1 conv, quantized by tosaic's own
quantizer (a8w8), compiled for tosa-int and checked on the TOSA reference model against
the fake-quantized program (max LSB, % bit-exact over 4 random inputs), then compiled by
Vela for Ethos-U55-128 and Ethos-U85-256 (NPU ops / all ops, estimated cycles).

    .venv/bin/python benchmarks/norm_pool_ops.py [--ops NAME ...]

Prints a markdown table (the one in benchmarks/README.md)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "pytest"))

from tosaic.driver.checks import check_quantized  # noqa: E402
from tosaic.quantization import quantize_model  # noqa: E402
from tosaic.targets import vela  # noqa: E402


class AfterConv(nn.Module):
    def __init__(self, fn, channels=8):
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 1)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.conv(x))


def _group_norm(groups, channels):
    norm = nn.GroupNorm(groups, channels)
    norm.weight.data = torch.randn(channels) * 0.5 + 1.0
    norm.bias.data = torch.randn(channels) * 0.3
    return norm


def _rms(x):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)


CASES = {
    "adaptive_avg_pool2d 10x10->3x4": (lambda: AfterConv(lambda y: F.adaptive_avg_pool2d(y, (3, 4))), (1, 3, 10, 10)),
    "adaptive_avg_pool2d 7x7->3x3": (lambda: AfterConv(lambda y: F.adaptive_avg_pool2d(y, (3, 3))), (1, 3, 7, 7)),
    "adaptive_avg_pool2d 9x9->2x2": (lambda: AfterConv(lambda y: F.adaptive_avg_pool2d(y, (2, 2))), (1, 3, 9, 9)),
    "adaptive_avg_pool2d 8x8->2x2 (divides)": (lambda: AfterConv(lambda y: F.adaptive_avg_pool2d(y, (2, 2))),
                                                (1, 3, 8, 8)),
}


def _extra_cases():
    """Cases whose ops may not be lowered on this branch yet (added as they land)."""
    cases = {}
    cases["group_norm 4 groups"] = (lambda: AfterConv(_group_norm(4, 8)), (1, 3, 8, 8))
    cases["batch_norm alone (after a relu)"] = (lambda: AfterConv(nn.Sequential(nn.ReLU(), nn.BatchNorm2d(8))),
                                                (1, 3, 8, 8))
    cases["RMSNorm x*rsqrt(mean(x^2)+eps)"] = (lambda: AfterConv(_rms), (1, 3, 8, 8))
    cases["var dim=1"] = (lambda: AfterConv(lambda y: torch.var(y, dim=1, keepdim=True)), (1, 3, 8, 8))
    cases["linalg_vector_norm dim=-1"] = (
        lambda: AfterConv(lambda y: torch.linalg.vector_norm(y, dim=-1, keepdim=True)), (1, 3, 8, 8))
    cases["upsample_nearest2d x2 (one RESIZE)"] = (
        lambda: AfterConv(lambda y: F.interpolate(y, scale_factor=2, mode="nearest")), (1, 3, 8, 8))
    return cases


def measure(name, make, shape):
    torch.manual_seed(0)
    model = make().eval()
    for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.3, 0.3)
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(4)]
    program = quantize_model(model, (torch.randn(*shape),), "a8w8", calibration)
    worst, exact = 0, []
    for _ in range(4):
        check = check_quantized(program, (torch.randn(*shape, generator=g),))
        worst = max(worst, check.max_lsb)
        exact.append(check.bit_exact)
    row = {"op": name, "lsb": worst, "exact": sum(exact) / len(exact)}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.tosa")
        with open(path, "wb") as f:
            f.write(check.result.flatbuffer)
        for accelerator in ("ethos-u55-128", "ethos-u85-256"):
            placement = vela.run_vela(path, accelerator, os.path.join(tmp, accelerator))
            row[accelerator] = (placement.npu_ops, placement.npu_ops + placement.cpu_ops, placement.cycles_total)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", nargs="*", help="case names (substring match); default all")
    args = parser.parse_args(argv)
    cases = {**CASES, **_extra_cases()}
    chosen = [n for n in cases if not args.ops or any(o in n for o in args.ops)]
    print("| op (behind a 1x1 conv) | max LSB | bit-exact | U55-128 NPU ops | U55 cycles | U85-256 NPU ops | U85 cycles |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in chosen:
        try:
            row = measure(name, *cases[name])
        except Exception as e:  # a case that does not compile yet: say why, keep going
            print(f"| {name} | failed: {str(e).splitlines()[0][:120]} | | | | | |", flush=True)
            continue
        u55, u85 = row["ethos-u55-128"], row["ethos-u85-256"]
        print(f"| {name} | {row['lsb']} | {row['exact']:.2%} | {u55[0]}/{u55[1]} | {u55[2]:,} | {u85[0]}/{u85[1]} | "
              f"{u85[2]:,} |", flush=True)


if __name__ == "__main__":
    main()
