"""Cycles of small op and pattern programs quantized by ExecuTorch's quantizer: tosaic vs ExecuTorch.

    .venv/bin/python benchmarks/patterns.py --executorch-venv /work/shared-venvs/executorch
    .venv/bin/python benchmarks/patterns.py --executorch-venv DIR --patterns conv_add_relu abs

Each pattern (below) is quantized once by ExecuTorch 1.5.1's `EthosUQuantizer` +
`get_symmetric_quantization_config()` in the ExecuTorch venv (`--make`, fixed seeds, 4
calibration inputs) and saved as `<out>/<pattern>.pt2`. That same program is then
compiled by tosaic (in this process, `tosaic.compile`, Vela 5.2.0) and lowered by
ExecuTorch (`executorch_worker.py --mode pt2`, its Vela 5.1.0); tosaic's TOSA flatbuffer
is also run through Vela 5.1.0 (`cross`), so both sides are compared on the same Vela.
Table: Vela's `cycles_total` per accelerator, and tosaic / ExecuTorch.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ("ethos-u55-128", "ethos-u85-256")


def _patterns():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class ConvAddRelu(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(16, 16, 3, 1, 1)

        def forward(self, x):
            return F.relu(self.conv(x) + x)

    class ConvHardswish(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(8, 16, 3, 1, 1)

        def forward(self, x):
            return F.hardswish(self.conv(x))

    class Conv1d(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(16, 32, 3, 1, 1)

        def forward(self, x):
            return self.conv(x)

    class Abs(nn.Module):
        def forward(self, x):
            return torch.abs(x)

    class Neg(nn.Module):
        def forward(self, x):
            return torch.neg(x)

    class Repeat(nn.Module):
        def forward(self, x):
            return x.repeat(1, 2, 2, 1)

    class Strided1x1(nn.Module):
        """ResNet's projection shortcut: a 1x1 stride-2 conv on an even-sized input."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(16, 32, 1, 2)

        def forward(self, x):
            return self.conv(x)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(32, 96)
            self.out = nn.Linear(32, 32)

        def forward(self, x):
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(32), dim=-1)
            return self.out(weights @ v)

    return {
        "conv_add_relu": (ConvAddRelu, (1, 16, 16, 16)),
        "conv_hardswish": (ConvHardswish, (1, 8, 16, 16)),
        "conv1d": (Conv1d, (1, 16, 64)),
        "abs": (Abs, (1, 16, 16, 16)),
        "neg": (Neg, (1, 16, 16, 16)),
        "repeat": (Repeat, (1, 8, 8, 8)),
        "strided_1x1": (Strided1x1, (1, 16, 32, 32)),
        "attention": (Attention, (1, 16, 32)),
    }


PATTERNS = ("conv_add_relu", "conv_hardswish", "conv1d", "abs", "neg", "repeat", "strided_1x1", "attention")


def make(out: str, names: list[str]) -> None:
    """Run in the ExecuTorch venv: quantize each pattern with ExecuTorch's quantizer."""
    import torch
    from executorch.backends.arm.ethosu import EthosUCompileSpec
    from executorch.backends.arm.quantizer import EthosUQuantizer, get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    patterns = _patterns()
    os.makedirs(out, exist_ok=True)
    for name in names:
        constructor, shape = patterns[name]
        torch.manual_seed(0)
        model = constructor().eval()
        generator = torch.Generator().manual_seed(1)
        inputs = (torch.randn(*shape, generator=generator),)
        quantizer = EthosUQuantizer(EthosUCompileSpec("ethos-u55-128"))
        quantizer.set_global(get_symmetric_quantization_config())
        prepared = prepare_pt2e(torch.export.export(model, inputs, strict=False).module(), quantizer)
        for _ in range(4):
            prepared(torch.randn(*shape, generator=generator))
        program = torch.export.export(convert_pt2e(prepared), inputs, strict=False)
        torch.export.save(program, os.path.join(out, f"{name}.pt2"))
        print(f"[make] {name}", file=sys.stderr, flush=True)


def _vela_cycles(vela_binary: str, tosa: str, target: str, out_dir: str) -> int | None:
    """cycles_total of `tosa` under another Vela binary (the ExecuTorch venv's 5.1.0), same
    system config and memory mode as tosaic's own run."""
    from unittest import mock

    from tosaic.targets import vela

    try:
        with mock.patch.object(vela, "vela_command", lambda: [vela_binary]):
            return vela.run_vela(tosa, target, out_dir).cycles_total
    except Exception:  # noqa: BLE001  (a cross-check; its absence is shown as an empty cell)
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", nargs="+", choices=PATTERNS, default=list(PATTERNS))
    parser.add_argument("--targets", nargs="+", default=list(TARGETS))
    parser.add_argument("--executorch-venv", required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "out", "patterns"))
    parser.add_argument("--executorch-results", metavar="RESULTS_JSON",
                        help="take ExecuTorch's cells from an earlier run's results.json (they do not depend on "
                        "tosaic) instead of lowering again")
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)  # ExecuTorch venv side
    args = parser.parse_args(argv)
    if args.make:
        make(args.out, args.patterns)
        return 0

    et_python = os.path.join(args.executorch_venv, "bin", "python")
    missing = [n for n in args.patterns if not os.path.exists(os.path.join(args.out, f"{n}.pt2"))]
    if missing:
        subprocess.run([et_python, os.path.abspath(__file__), "--make", "--executorch-venv", args.executorch_venv,
                        "--out", args.out, "--patterns", *missing], check=True)

    import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  (before torch.export.load of a quantized program)

    import tosaic
    from tosaic import targets

    earlier = {}
    if args.executorch_results:
        with open(args.executorch_results) as f:
            earlier = json.load(f)
    results: dict = {}
    for name in args.patterns:
        pt2 = os.path.join(args.out, f"{name}.pt2")
        for target in args.targets:
            family = targets.target(target).family
            system_config, memory_mode = family.vela.system_config, family.vela.memory_mode
            row = results.setdefault(name, {}).setdefault(target, {})
            tdir = os.path.join(args.out, "tosaic", name, target)
            try:
                compiled = tosaic.compile(pt2, target=target, output_dir=tdir)
                row["tosaic"] = compiled.report["vela"]["cycles"]["total"]
                row["tosaic_transposed_bytes"] = compiled.report["transposes"].get("final_bytes")
                row["tosaic_vela_5.1"] = _vela_cycles(os.path.join(args.executorch_venv, "bin", "vela"),
                                                      os.path.join(tdir, "model.tosa"), target, os.path.join(tdir, "vela51"))
            except Exception as e:  # a failed compile is a table cell, not the end of the run
                row["tosaic_error"] = str(e).splitlines()[0][:200]
            if earlier:
                row.update({k: v for k, v in earlier.get(name, {}).get(target, {}).items() if k.startswith("executorch")})
                print(f"[{name}] {target}: {row}", file=sys.stderr, flush=True)
                continue
            edir = os.path.join(args.out, "executorch", name, target)
            worker = [et_python, os.path.join(HERE, "executorch_worker.py"), "--model", name, "--pt2", pt2,
                      "--target", target, "--system-config", system_config, "--memory-mode", memory_mode,
                      "--out", edir, "--mode", "pt2"]
            subprocess.run(worker, capture_output=True, text=True)
            try:
                with open(os.path.join(edir, "result.json")) as f:
                    et = json.load(f)
                row["executorch"] = et.get("cycles_total")
                if not et.get("ok"):
                    row["executorch_error"] = et.get("error", "failed")
            except (OSError, ValueError):
                row["executorch_error"] = "no result.json"
            print(f"[{name}] {target}: {row}", file=sys.stderr, flush=True)

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(render(results, args.targets))
    return 0


def render(results: dict, target_names) -> str:
    short = [t.replace("ethos-", "").upper() for t in target_names]
    header = ["pattern"] + [f"{s} {c}" for s in short for c in ("tosaic", "ET", "ratio", "ratio (Vela 5.1)")]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    logs = {t: [] for t in target_names}
    for name, per_target in results.items():
        cells = [name]
        for t in target_names:
            row = per_target.get(t, {})
            mine, theirs, cross = row.get("tosaic"), row.get("executorch"), row.get("tosaic_vela_5.1")
            cells += [str(mine) if mine else "ERR", str(theirs) if theirs else "ERR"]
            cells.append(f"{mine / theirs:.2f}" if mine and theirs else "")
            cells.append(f"{cross / theirs:.2f}" if cross and theirs else "")
            if mine and theirs:
                logs[t].append(math.log(mine / theirs))
        lines.append("| " + " | ".join(cells) + " |")
    means = ["**geomean**"]
    for t in target_names:
        means += ["", "", f"{math.exp(sum(logs[t]) / len(logs[t])):.2f}" if logs[t] else "", ""]
    lines.append("| " + " | ".join(means) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
