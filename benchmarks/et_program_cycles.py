"""tosaic's NPU cycles on ExecuTorch's own quantized programs, against ExecuTorch's.

coverage.py (with --executorch-venv) leaves, per architecture, ExecuTorch's quantized program
(`<out>/<model>/executorch/quantized.pt2`) and its cycles (`result.json`). This compiles each
program again with the current tosaic for ethos-u55-128 and ethos-u85-256 (no ExecuTorch run:
its side does not depend on tosaic) and prints the per-model ratios and geometric means.

    .venv/bin/python benchmarks/et_program_cycles.py --out /work/runs/arch_all
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings

TARGETS = ("ethos-u55-128", "ethos-u85-256")


def main(argv=None) -> int:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="coverage.py's output directory")
    parser.add_argument("--models", nargs="+", help="default: every model with an ExecuTorch program there")
    args = parser.parse_args(argv)
    import torch
    import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401 - registers the Q/DQ ops for torch.export.load

    import tosaic

    models = args.models or sorted(m for m in os.listdir(args.out)
                                   if os.path.exists(os.path.join(args.out, m, "executorch", "quantized.pt2")))
    rows = {}
    for model in models:
        with open(os.path.join(args.out, model, "executorch", "result.json")) as f:
            et = json.load(f)
        program = torch.export.load(os.path.join(args.out, model, "executorch", "quantized.pt2"))
        row = {}
        for target in TARGETS:
            theirs = et.get("targets", {}).get(target, {}).get("cycles_total")
            try:
                report = tosaic.compile(program, target=target).report["vela"]
                row[target] = {"tosaic": report["cycles"]["total"], "executorch": theirs,
                               "cpu_ops": report["placement"]["cpu_ops"]}
            except tosaic.TosaicError as e:
                row[target] = {"error": str(e).splitlines()[0], "executorch": theirs}
        rows[model] = row
        print(model, row, file=sys.stderr, flush=True)
    with open(os.path.join(args.out, "et_program_cycles.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("| model | " + " | ".join(f"tosaic {t} | ExecuTorch {t} | ratio" for t in TARGETS) + " |")
    print("|---|" + "---:|" * (3 * len(TARGETS)))
    ratios = {t: [] for t in TARGETS}
    for model, row in rows.items():
        cells = []
        for t in TARGETS:
            r = row[t]
            if "tosaic" in r and r["executorch"]:
                ratios[t].append(r["tosaic"] / r["executorch"])
                cells += [str(r["tosaic"]), str(r["executorch"]), f"{r['tosaic'] / r['executorch']:.3f}"]
            else:
                cells += [r.get("error", "-"), str(r["executorch"]), ""]
        print(f"| {model} | " + " | ".join(cells) + " |")
    print("| **geomean** | " + " | ".join(
        f" | | **{math.exp(sum(map(math.log, v)) / len(v)):.3f}**" if v else " | | " for v in ratios.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
