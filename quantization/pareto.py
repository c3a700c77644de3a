"""Error against flash and cycles for the uniform schemes and the auto choice at several
budgets: `tosaic compile --scheme auto --budget B --pareto` writes OUTDIR/pareto.json,
pareto.md, pareto.png and pareto.svg (matplotlib, a dependency for report.html too).

Every point is measured: each scheme (all-a8w8, all-a8w4, all-a16w8, and auto at each
budget) is compiled for the target; flash is the weight bytes the flatbuffer stores (and
Vela's encoded weight bytes), cycles are Vela's total; the error is the output's SQNR vs
the float model on the held-out slice, of the fake-quantized program the search verified
(the flatbuffer matches it to 1 LSB).
"""

from __future__ import annotations

import json
import os
import time
from typing import Optional

from tosaic.driver.errors import TosaicError
from tosaic.quantization.scheme_config import SchemeConfig
from tosaic.quantization.sensitivity import UNIFORM, Evaluator, analyse, measured_figures


def default_budgets(sens) -> list[float]:
    """a8w8 - 1 dB, a8w8 - 3 dB, a8w8 - 6 dB and a8w4's SQNR (held-out), rounded, highest first."""
    a8w8, a8w4 = sens.sqnr(sens.uniform["a8w8"]), sens.sqnr(sens.uniform["a8w4"])
    budgets = {round(a8w8 - d, 2) for d in (1, 3, 6) if a8w8 - d > a8w4} | {round(a8w4, 2)}
    return sorted(budgets, reverse=True)


def compile_config(model, example_inputs, calibration, config: SchemeConfig, target: str, vela_options=None):
    """A real compile with `config`: the CompileResult."""
    from tosaic.driver.compiler import compile as compile_program

    return compile_program(model, example_inputs, target=target, calibration_data=calibration,
                           scheme_config=config, vela_options=vela_options)


def points(model, example_inputs, calibration_data, target: str, budgets: Optional[list[float]] = None,
           objective: str = "flash", vela_options=None, evaluator: Optional[Evaluator] = None, sens=None,
           log=None, extra_budgets=()) -> dict:
    """{"rows": [...], "budgets", "seconds": {...}}: one measured row per scheme and budget."""
    from tosaic.quantization.auto_scheme import search

    seconds = {}
    start = time.perf_counter()
    ev = evaluator or Evaluator(model, example_inputs, calibration_data)
    sens = sens or analyse(model, example_inputs, calibration_data, target, vela_options=vela_options,
                           evaluator=ev, compile_uniform=objective == "cycles")
    seconds["sensitivity"] = round(time.perf_counter() - start, 2)
    budgets = sorted(set(budgets or default_budgets(sens)) | set(extra_budgets), reverse=True)
    rows = []
    for scheme in UNIFORM:
        result = compile_config(model, example_inputs, calibration_data, SchemeConfig(default=scheme), target,
                                vela_options)
        m = sens.uniform[scheme]
        rows.append({"scheme": f"all-{scheme}", "budget_db": None,
                     "sqnr_holdout_db": round(sens.sqnr(m), 3),
                     "sqnr_calibration_db": round(sens.sqnr(m, "calibration"), 3),
                     **measured_figures(result.report)})
        if log:
            log(f"  all-{scheme}: {rows[-1]}")
    for budget in budgets:
        t, cpu = time.perf_counter(), time.process_time()
        try:
            found = search(sens, ev, budget, objective)
        except TosaicError as e:
            rows.append({"scheme": "auto", "budget_db": budget, "error": str(e)})
            continue
        search_seconds, search_cpu = time.perf_counter() - t, time.process_time() - cpu
        result = compile_config(model, example_inputs, calibration_data, found["config"], target, vela_options)
        counts = {}
        for scheme in found["assignment"].values():
            counts[scheme] = counts.get(scheme, 0) + 1
        rows.append({"scheme": "auto", "budget_db": budget, "objective": objective,
                     "sqnr_holdout_db": round(found["sqnr_holdout_db"], 3),
                     "sqnr_calibration_db": round(found["sqnr_calibration_db"], 3),
                     "layers": dict(sorted(counts.items())), "config": found["config"].as_dict(),
                     "search_seconds": round(search_seconds, 2),
                     "search_cpu_seconds": round(search_cpu, 2), **measured_figures(result.report)})
        if log:
            log(f"  auto @ {budget} dB: {({k: v for k, v in rows[-1].items() if k != 'config'})}")
    seconds["total"] = round(time.perf_counter() - start, 2)
    return {"target": target, "objective": objective, "budgets": budgets, "rows": rows, "seconds": seconds,
            "evaluations": ev.evaluations, "layers": len(sens.layers)}


def markdown(data: dict) -> str:
    has_cycles = any("cycles" in r for r in data["rows"])
    head = "| scheme | budget (dB) | held-out SQNR (dB) | weight bytes | Vela weights (B) | cycles | layers |"
    lines = [head, "|" + " --- |" * 7]
    for r in data["rows"]:
        if "error" in r:
            lines.append(f"| auto | {r['budget_db']} | {r['error']} | | | | |")
            continue
        layers = ", ".join(f"{k} {v}" for k, v in r.get("layers", {}).items())
        lines.append(f"| {r['scheme']} | {r['budget_db'] if r['budget_db'] is not None else ''} | "
                     f"{r['sqnr_holdout_db']:.2f} | {r['weight_bytes']} | {r.get('vela_weight_bytes', '')} | "
                     f"{r.get('cycles', '') if has_cycles else ''} | {layers} |")
    return "\n".join(lines) + "\n"


def plot(data: dict, stem: str) -> list[str]:
    """pareto.png and pareto.svg: SQNR against weight bytes and against cycles. [] without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    rows = [r for r in data["rows"] if "error" not in r]
    axes_for = [("weight_bytes", "weight flash (bytes)")]
    if all("cycles" in r for r in rows):
        axes_for.append(("cycles", "NPU cycles (Vela)"))
    fig, axes = plt.subplots(1, len(axes_for), figsize=(5.5 * len(axes_for), 4.2), squeeze=False)
    for ax, (key, label) in zip(axes[0], axes_for):
        auto = sorted((r for r in rows if r["scheme"] == "auto"), key=lambda r: r[key])
        ax.plot([r[key] for r in auto], [r["sqnr_holdout_db"] for r in auto], "o-", color="tab:blue", label="auto")
        for r in auto:
            ax.annotate(f"{r['budget_db']:g} dB", (r[key], r["sqnr_holdout_db"]), textcoords="offset points",
                        xytext=(4, -10), fontsize=7, color="tab:blue")
        for r, marker in zip((r for r in rows if r["scheme"] != "auto"), ("s", "v", "^")):
            ax.plot([r[key]], [r["sqnr_holdout_db"]], marker, markersize=8, label=r["scheme"])
        ax.set_xlabel(label)
        ax.set_ylabel("output SQNR vs float, held-out (dB)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{data.get('model', '')} {data['target']}: error vs cost".strip(), fontsize=10)
    fig.tight_layout()
    written = []
    for ext in ("png", "svg"):
        path = f"{stem}.{ext}"
        # a fixed date and no hash salt keep the SVG the same for the same figures
        fig.savefig(path, metadata={"Date": None} if ext == "svg" else None)
        written.append(path)
    plt.close(fig)
    return written


def write(data: dict, output_dir: str, stem: str = "pareto") -> list[str]:
    os.makedirs(output_dir, exist_ok=True)
    base = os.path.join(output_dir, stem)
    with open(base + ".json", "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    with open(base + ".md", "w") as f:
        f.write(markdown(data))
    return [base + ".json", base + ".md", *plot(data, base)]



def run_cli(args, program, example_inputs, calibration, vela_options) -> list[str]:
    """`tosaic compile --scheme auto --pareto`: the points at the default budgets and --budget."""
    data = points(program, example_inputs, calibration, args.target, objective=args.objective,
                  vela_options=vela_options, extra_budgets=[args.budget] if args.budget is not None else [])
    return write(data, args.output)
