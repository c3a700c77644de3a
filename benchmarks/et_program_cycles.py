"""tosaic's NPU cycles on ExecuTorch's own quantized programs, against ExecuTorch's.

coverage.py (with --executorch-venv) leaves, per architecture, ExecuTorch's quantized program
(`<out>/<model>/executorch/quantized.pt2`) and its cycles (`result.json`). This compiles each
program again with the current tosaic for ethos-u55-128 and ethos-u85-256 (no ExecuTorch run:
its side does not depend on tosaic), runs ExecuTorch's own TOSA partitions
(`<target>/partition_*/out.tosa`) through tosaic's Vela 5.2.0 too, and prints the per-model
ratios and geometric means against both: ExecuTorch as it ships (its Vela 5.1.0) and the same
Vela on both sides' TOSA (the graphs compared, not the Vela versions).

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

    import glob
    import tempfile

    import tosaic
    from tosaic.targets.vela import run_vela

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
            partitions = sorted(glob.glob(os.path.join(args.out, model, "executorch", target, "partition_*", "out.tosa")))
            same_vela = None
            if partitions:
                with tempfile.TemporaryDirectory() as scratch:
                    same_vela = sum(run_vela(path, target, os.path.join(scratch, str(i))).cycles_total
                                    for i, path in enumerate(partitions))
            try:
                report = tosaic.compile(program, target=target).report["vela"]
                row[target] = {"tosaic": report["cycles"]["total"], "executorch": theirs,
                               "executorch_tosa_vela_5_2": same_vela, "cpu_ops": report["placement"]["cpu_ops"]}
            except tosaic.TosaicError as e:
                row[target] = {"error": str(e).splitlines()[0], "executorch": theirs,
                               "executorch_tosa_vela_5_2": same_vela}
        rows[model] = row
        print(model, row, file=sys.stderr, flush=True)
    with open(os.path.join(args.out, "et_program_cycles.json"), "w") as f:
        json.dump(rows, f, indent=1)
    columns = ("tosaic", "ExecuTorch (Vela 5.1)", "ratio", "ExecuTorch's TOSA, Vela 5.2", "ratio")
    print("| model | " + " | ".join(f"{c} {t}" for t in TARGETS for c in columns) + " |")
    print("|---|" + "---:|" * (len(columns) * len(TARGETS)))
    ratios = {(t, k): [] for t in TARGETS for k in ("executorch", "executorch_tosa_vela_5_2")}
    for model, row in rows.items():
        cells = []
        for t in TARGETS:
            r = row[t]
            cells.append(str(r.get("tosaic", r.get("error", "-"))))
            for key in ("executorch", "executorch_tosa_vela_5_2"):
                cells.append(str(r.get(key) or "-"))
                if "tosaic" in r and r.get(key):
                    ratios[(t, key)].append(r["tosaic"] / r[key])
                    cells.append(f"{r['tosaic'] / r[key]:.3f}")
                else:
                    cells.append("")
        print(f"| {model} | " + " | ".join(cells) + " |")
    geo = [f"{math.exp(sum(map(math.log, v)) / len(v)):.3f}" if v else "" for v in ratios.values()]
    print("| **geomean** | | | **" + geo[0] + "** | | **" + geo[1] + "** | | | **" + geo[2] + "** | | **" + geo[3]
          + "** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
