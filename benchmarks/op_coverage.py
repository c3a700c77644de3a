"""Per-op coverage: issue 11's single-op table (test/pytest/op_table.py) compiled by tosaic from
tosaic's own quantizer AND from programs quantized by ExecuTorch 1.5.1's Arm quantizer, with
ExecuTorch's own lowering of the same ExecuTorch-quantized program side by side.

    .venv/bin/python benchmarks/op_coverage.py --executorch-venv /work/shared-venvs/executorch
    .venv/bin/python benchmarks/op_coverage.py --ops add where-gt --skip-executorch

Per op and per column: max LSB and % bit-exact against the fake-quantized PyTorch program that
was compiled (test input: the table's 9th seeded batch clamped to the calibration range), and per
target (ethos-u55-128, ethos-u85-256) the share of operators on the NPU and Vela's total cycles:

- `tosaic (own q)`: tosaic's quantizer, tosaic's compile, Vela 5.2.0 (one batched process);
- `tosaic (ET q)`: the program ExecuTorch's `EthosUQuantizer` + `get_symmetric_quantization_config()`
  made (benchmarks/op_coverage_executorch.py, in the ExecuTorch venv), compiled by tosaic;
- `tosaic (XNNPACK q)`: the program torchao's XNNPACK quantizer (symmetric, per-channel weights)
  makes of the row, compiled by tosaic (an op it does not annotate stays float: refused);
- `ExecuTorch`: ExecuTorch's own lowering of that program (its partitioner, its Vela 5.1.0). Its
  numerics: the TOSA flatbuffer it hands to Vela, run on the TOSA reference model with the
  program's own input quantization (only for a single delegated partition). NPU share: delegated
  compute ops / all compute ops (the graph IO's quantize/dequantize not counted).

Writes `<out>/op_coverage.json` and prints the markdown table benchmarks/README.md holds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test", "pytest"))

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


def log(message: str) -> None:
    print(f"[op_coverage {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _clamped_test_input(name: str):
    import op_table

    batches = op_table.samples(name)
    calibration, test_input = batches[:-1], batches[-1]
    lo = [min(float(b[i].min()) for b in calibration) for i in range(len(test_input))]
    hi = [max(float(b[i].max()) for b in calibration) for i in range(len(test_input))]
    return calibration, tuple(x.clamp(lo[i], hi[i]) if x.is_floating_point() else x for i, x in enumerate(test_input))


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[1] if len(text) > 1 and text[0].endswith(':') else (text[0] if text else '')}"[:200]


def tosaic_column(name: str, program, test_input, out: str, tag: str) -> dict:
    import op_table
    from quantized_check import check_quantized

    if op_table.OPS[name].per_target:  # each Ethos-U pipeline's own flatbuffer (a target pass)
        return _per_target_column(program, test_input)
    try:
        check = check_quantized(program, test_input)
    except Exception as e:  # noqa: BLE001 - a row of the table
        return {"error": _first_line(e)}
    path = os.path.join(out, f"{name}.{tag}.tosa")
    with open(path, "wb") as f:
        f.write(check.result.flatbuffer)
    return {"max_lsb": check.max_lsb, "exact": check.bit_exact, "tosa": path}


def _per_target_column(program, test_input) -> dict:
    """Compiled for each accelerator (its pipeline, its Vela run inside the compile): the
    worst numerics over the targets' flatbuffers, and each target's placement and cycles."""
    from quantized_check import check_quantized

    cell: dict = {"max_lsb": 0, "exact": 1.0, "targets": {}}
    for accelerator in ACCELERATORS:
        try:
            check = check_quantized(program, test_input, target=accelerator)
        except Exception as e:  # noqa: BLE001 - a row of the table
            cell["targets"][accelerator] = {"error": _first_line(e)}
            continue
        cell["max_lsb"] = max(cell["max_lsb"], check.max_lsb)
        cell["exact"] = min(cell["exact"], check.bit_exact)
        vela = check.result.report["vela"]
        placement = vela["placement"]
        cell["targets"][accelerator] = {
            "npu_share": placement["npu_ops"] / max(1, placement["npu_ops"] + placement["cpu_ops"]),
            "cpu_operators": placement["cpu_operators"], "cycles": vela["cycles"]["total"]}
    if all("error" in t for t in cell["targets"].values()):
        return {"error": next(iter(cell["targets"].values()))["error"]}
    return cell


def _xnnpack_quantized(model, calibration):
    """The row's model quantized by torchao's XNNPACK quantizer (symmetric, per-channel weights),
    as a user of that flow would: export, prepare_pt2e, calibrate, convert_pt2e, export."""
    import torch
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.testing.pt2e._xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config

    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(torch.export.export(model, calibration[0]).module(check_guards=False), quantizer)
    with torch.no_grad():
        for sample in calibration:
            prepared(*sample)
    return torch.export.export(convert_pt2e(prepared), calibration[0])


def _program_io_qparams(program):
    """(input qparams in graph order, output qparams) of a quantized program's boundary."""
    inputs, outputs = [], []
    user_inputs = set(program.graph_signature.user_inputs)
    for n in program.graph.nodes:
        if n.op == "placeholder" and n.name in user_inputs:
            q = next((u for u in n.users if "quantize_per_tensor" in str(u.target)), None)
            inputs.append(None if q is None else (float(q.args[1]), int(q.args[2]), int(q.args[3]), int(q.args[4])))
        if n.op == "output":
            for a in n.args[0]:
                outputs.append((float(a.args[1]), int(a.args[2]), int(a.args[3]), int(a.args[4]))
                               if "dequantize_per_tensor" in str(a.target) else None)
    return inputs, outputs


def executorch_numerics(pt2: str, tosa_paths: list[str], test_input) -> dict:
    """ExecuTorch's TOSA flatbuffer on the reference model vs the fake-quantized program."""
    import numpy as np
    import torch
    import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401

    import tosaic
    from tosaic.frontend.importer import load_program
    from tosaic.quantization.qmath import quantize

    if len(tosa_paths) != 1:
        return {"error": f"{len(tosa_paths)} partitions"}
    program = load_program(pt2)
    in_q, out_q = _program_io_qparams(program)
    if any(q is None for q in in_q + out_q):
        return {"error": "IO not quantized per tensor at the boundary"}
    feeds = [quantize(x.numpy(), s, zp, lo, hi).astype(np.int8) for x, (s, zp, lo, hi) in zip(test_input, in_q)]
    with torch.no_grad():
        expected = program.module()(*test_input)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    try:
        got = tosaic.run(tosa_paths[0], feeds)
    except Exception:  # noqa: BLE001 - ExecuTorch's graph may take channels-last 4-D inputs
        try:
            got = tosaic.run(tosa_paths[0], [f.transpose(0, 2, 3, 1).copy() if f.ndim == 4 else f for f in feeds])
            got = [g.transpose(0, 3, 1, 2) if g.ndim == 4 else g for g in got]
        except Exception as e:  # noqa: BLE001
            return {"error": f"reference model: {_first_line(e)}"}
    worst, equal, total = 0, 0, 0
    for actual, want, (s, zp, lo, hi) in zip(got, expected, out_q):
        want_q = quantize(want.numpy(), s, zp, lo, hi).astype(np.int64)
        if actual.shape != want_q.shape:
            if actual.size != want_q.size:
                return {"error": f"output shape {actual.shape} vs {want_q.shape}"}
            actual = actual.reshape(want_q.shape)
        diff = np.abs(actual.astype(np.int64) - want_q)
        worst, equal, total = max(worst, int(diff.max())), equal + int((diff == 0).sum()), total + diff.size
    return {"max_lsb": worst, "exact": equal / total}


def run_executorch(names: list[str], venv: str, out: str) -> dict:
    python = os.path.join(venv, "bin", "python")
    command = [python, os.path.join(HERE, "op_coverage_executorch.py"), "--out", out, *names]
    log(f"ExecuTorch: {len(names)} ops in one process")
    proc = subprocess.run(command, capture_output=True, text=True)
    path = os.path.join(out, "executorch.json")
    if proc.returncode != 0 or not os.path.exists(path):
        log(f"ExecuTorch side failed: {proc.stderr[-2000:]}")
        return {}
    with open(path) as f:
        return json.load(f)


def executorch_from_artifacts(out: str, names: list[str]) -> dict:
    """executorch.json's entries rebuilt from what op_coverage_executorch.py leaves per op (the
    .pt2, each target's kept flatbuffers and Vela summary CSVs), for a run stopped before it
    wrote the JSON. The placement is then not known beyond "lowered": a partition was delegated."""
    import csv
    import glob

    found = {}
    for name in names:
        pt2 = os.path.join(out, f"{name}.pt2")
        if not os.path.exists(pt2):
            continue
        entry = {"pt2": pt2, "targets": {}}
        for target in ACCELERATORS:
            tosa = sorted(glob.glob(os.path.join(out, f"{name}.{target}.*.tosa")))
            summaries = sorted(glob.glob(os.path.join(out, name, target, "partition_*", "output", "*_summary_*.csv")))
            if not tosa or not os.path.isdir(os.path.join(out, name, target)):
                entry["targets"][target] = {"error": "not lowered (nothing delegated, or the run had not reached it)"}
                continue
            cycles = 0
            for path in summaries:
                with open(path, newline="") as f:
                    rows = list(csv.DictReader(f))
                cycles += int(float(rows[0].get("cycles_total", 0) or 0)) if rows else 0
            entry["targets"][target] = {"tosa": tosa, "cycles_total": cycles or None, "partitions": len(tosa)}
        found[name] = entry
    return found


def main(argv=None) -> int:
    import op_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", nargs="+", default=list(op_table.OPS))
    parser.add_argument("--out", default=os.path.join(REPO, "out", "op_coverage"))
    parser.add_argument("--executorch-venv", default=None)
    parser.add_argument("--skip-executorch", action="store_true")
    parser.add_argument("--executorch-artifacts", help="reuse op_coverage_executorch.py's output directory "
                        "(its executorch.json, or the per-op files of a run stopped early) instead of running it")
    parser.add_argument("--own-from", help="reuse the tosaic (own q) column of an earlier op_coverage.json")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    import torch
    import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  before torch.export.load

    from tosaic.quantization import quantize_model
    from tosaic.frontend.importer import load_program
    from vela_batch import run_batch

    et = {}
    if args.executorch_artifacts:
        saved = os.path.join(args.executorch_artifacts, "executorch.json")
        if os.path.exists(saved):
            with open(saved) as f:
                et = json.load(f)
        else:
            et = executorch_from_artifacts(args.executorch_artifacts, args.ops)
        args.ops = [n for n in args.ops if n in et]
    elif not args.skip_executorch and args.executorch_venv:
        et = run_executorch(args.ops, args.executorch_venv, os.path.join(args.out, "executorch"))

    own_from = None
    if args.own_from:
        with open(args.own_from) as f:
            own_from = json.load(f)
    rows = {}
    for name in args.ops:
        log(name)
        calibration, test_input = _clamped_test_input(name)
        row = {"group": op_table.OPS[name].group}
        if own_from and name in own_from and "own" in own_from[name]:
            row["own"] = own_from[name]["own"]  # with its Vela figures
        else:
          try:
            own = quantize_model(op_table.build(name), calibration[0], "a8w8", calibration)
            row["own"] = tosaic_column(name, own, test_input, args.out, "own")
          except Exception as e:  # noqa: BLE001
            row["own"] = {"error": _first_line(e)}
        try:
            xnnpack = _xnnpack_quantized(op_table.build(name), calibration)
            row["xnn_q"] = tosaic_column(name, xnnpack, test_input, args.out, "xnnq")
        except Exception as e:  # noqa: BLE001
            row["xnn_q"] = {"error": "XNNPACK quantizer: " + _first_line(e)}
        entry = et.get(name)
        if entry is not None:
            if "pt2" in entry:
                row["et_q"] = tosaic_column(name, load_program(entry["pt2"]), test_input, args.out, "etq")
            else:
                row["et_q"] = {"error": "ExecuTorch did not quantize it: " + entry.get("error", "")}
            executorch = {"targets": {}}
            for target, t in entry.get("targets", {}).items():
                if "error" in t:
                    executorch["targets"][target] = {"error": t["error"]}
                    continue
                if "placement" not in t:  # rebuilt from artifacts: delegated, CPU share not recorded
                    executorch["targets"][target] = {"npu_share": None, "cycles": t["cycles_total"]}
                    continue
                delegated = t["placement"]["delegated_ops"]
                cpu = len(t["cpu_compute"])
                executorch["targets"][target] = {"npu_share": delegated / (delegated + cpu) if delegated + cpu else 0.0,
                                                 "cpu_compute": t["cpu_compute"], "cycles": t["cycles_total"]}
            lowered = [t for t in entry.get("targets", {}).values() if "tosa" in t]
            if lowered:  # the first target ExecuTorch lowered it for (U55's flatbuffer if any)
                executorch.update(executorch_numerics(entry["pt2"], lowered[0]["tosa"], test_input))
            elif "pt2" not in entry:
                executorch["error"] = entry.get("error")
            row["executorch"] = executorch
        rows[name] = row

    jobs = []
    for name, row in rows.items():
        for column in ("own", "et_q", "xnn_q"):
            if "tosa" in row.get(column, {}) and "targets" not in row[column]:
                jobs += [(row[column]["tosa"], a, f"{row[column]['tosa']}.{a}") for a in ACCELERATORS]
    log(f"Vela: {len(jobs)} runs in one process")
    by_job = {(p, a): r for (p, a, _), r in zip(jobs, run_batch(jobs))}
    for row in rows.values():
        for column in ("own", "et_q", "xnn_q"):
            cell = row.get(column, {})
            if "tosa" in cell and "targets" not in cell:
                cell["targets"] = {}
                for a in ACCELERATORS:
                    r = by_job[(cell["tosa"], a)]
                    cell["targets"][a] = {"error": r["error"]} if "error" in r else {
                        "npu_share": r["npu_ops"] / max(1, r["npu_ops"] + r["cpu_ops"]),
                        "cpu_operators": r["cpu_operators"], "cycles": r["cycles_total"]}

    with open(os.path.join(args.out, "op_coverage.json"), "w") as f:
        json.dump(rows, f, indent=2, sort_keys=True, default=str)
    print(render(rows))
    return 0


def _numbers(cell: dict | None) -> str:
    if not cell:
        return "-"
    if "max_lsb" not in cell:
        return "fails"
    return f"{cell['max_lsb']} / {100 * cell['exact']:.1f}%"


def _target(cell: dict | None, accelerator: str) -> str:
    t = (cell or {}).get("targets", {}).get(accelerator)
    if not t:
        return "-"
    if "error" in t:
        return "fails"
    share = "lowered" if t["npu_share"] is None else f"{100 * t['npu_share']:.0f}%"
    return f"{share} {t['cycles'] if t['cycles'] is not None else '?'}"


def render(rows: dict) -> str:
    head = ("| op | tosaic (own q) LSB / exact | U55 NPU cycles | U85 NPU cycles "
            "| tosaic (ET q) LSB / exact | U55 | U85 | ExecuTorch LSB / exact | U55 | U85 "
            "| tosaic (XNNPACK q) LSB / exact | U55 | U85 |")
    lines = [head, "|" + " --- |" * 13]
    for name, row in rows.items():
        cells = [name]
        for column in ("own", "et_q", "executorch", "xnn_q"):
            cell = row.get(column)
            cells += [_numbers(cell), _target(cell, ACCELERATORS[0]), _target(cell, ACCELERATORS[1])]
        lines.append("| " + " | ".join(cells) + " |")
    failures = []
    for name, row in rows.items():
        for column in ("own", "et_q", "executorch", "xnn_q"):
            cell = row.get(column) or {}
            reasons = [cell.get("error")] + [t.get("error") or (", ".join(t.get("cpu_compute") or t.get("cpu_operators") or []))
                                              for t in cell.get("targets", {}).values()]
            reasons = [r for r in reasons if r]
            if reasons:
                failures.append(f"- {name}, {column}: {'; '.join(sorted(set(reasons)))[:240]}")
    return "\n".join(lines + ["", "Why a cell fails or is below 100% NPU:", ""] + failures)


if __name__ == "__main__":
    sys.exit(main())
