"""What uint8 graph IO costs on the NPU, in tosaic and in ExecuTorch's Arm backend.

For each model (MobileNetV2 x0.35 and a MobileNet-v1-like network at 1x3x96x96, plus the
benchmark's small models; all in benchmarks/models.py) the float model is quantized twice
with tosaic's quantizer, `a8w8` (int8 IO) and `a8w8` with `io_dtype="uint8"` (uint8 IO,
int8 inside), from the same seeds and calibration data, compiled for each accelerator,
and Vela's figures are compared: NPU ops (passes) and `cycles_total`, the cycles of the IO
rescales Vela kept, and the TOSA rescales with unsigned flags. The uint8 numerics are
checked (reference model vs the fake-quantized program) before anything is timed.

With `--executorch`, ExecuTorch 1.5.1's Arm backend (benchmarks/executorch_worker.py in
the ExecuTorch venv) lowers the same models with int8 and with uint8 IO, two ways:
`ET own`: ExecuTorch's `EthosUQuantizer` with `get_symmetric_quantization_config()`,
plus `set_io(get_uint8_io_quantization_config())` for uint8 IO (the same float model,
seeds and calibration data); `ET tosaic-q`: tosaic's two quantized programs (`.pt2`),
so both compilers lower identical graphs and scales. ExecuTorch's cycles are those of its
own in-process Vela (5.1.0, ExecuTorch's flags); every delegate's TOSA file is also run
through Vela 5.1.0 and 5.2.0 here (tosaic.targets.vela.run_vela, tosaic's system configs) for
NPU op counts and the Rescale layers, and tosaic's TOSA through Vela 5.1.0, so each
pair of columns can be compared under one Vela version.

    .venv/bin/python benchmarks/uint8_io.py                      # tosaic only, all models
    .venv/bin/python benchmarks/uint8_io.py --models mobilenet_v2_035 mobilenet_ish --executorch \\
        --executorch-venv /work/main/benchmarks/.venv-executorch

The tables go to stdout and, with every figure, to `benchmarks/out/uint8_io.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import et_env  # noqa: E402
import models  # noqa: E402  (benchmarks/models.py)

DEFAULT_MODELS = ["mobilenet_v2_035", "mobilenet_ish", "mlp", "conv_pool", "depthwise", "residual", "conv_block"]
DEFAULT_TARGETS = ["ethos-u55-128", "ethos-u85-256"]
IO_DTYPES = ("int8", "uint8")
WORKER = os.path.join(HERE, "executorch_worker.py")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _vela_figures(v) -> dict:
    """NPU/CPU ops, cycles and the Rescale layers of one tosaic.targets.vela.VelaResult."""
    return {
        "npu_ops": v.npu_ops, "cpu_ops": v.cpu_ops, "cycles_total": v.cycles_total,
        "rescale_layer_cycles": [layer.cycles for layer in v.layers if layer.original_op == "Rescale"],
    }


def _run_vela(tosa_paths: list[str], target: str, out_dir: str, vela_binary: str | None) -> dict:
    """Vela (None: tosaic's 5.2.0, else that binary) on each TOSA file, figures summed."""
    from unittest import mock

    from tosaic.targets import vela

    total = {"npu_ops": 0, "cpu_ops": 0, "cycles_total": 0, "rescale_layer_cycles": []}
    try:
        for i, path in enumerate(tosa_paths):
            directory = os.path.join(out_dir, f"part{i}")
            with mock.patch.object(vela, "vela_command", (lambda: [vela_binary]) if vela_binary else vela.vela_command):
                figures = _vela_figures(vela.run_vela(path, target, directory))
            for key in ("npu_ops", "cpu_ops", "cycles_total"):
                total[key] += figures[key]
            total["rescale_layer_cycles"] += figures["rescale_layer_cycles"]
    except Exception as e:  # noqa: BLE001 - reported in the row
        return {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]}
    return {"ok": True, **total}


def measure_tosaic(name: str, targets: list[str], out: str, et_vela: str | None) -> tuple[list[dict], dict]:
    import tosaic
    from tosaic.driver.checks import check_quantized
    from tosaic.quantization import quantize_model, with_io_dtype

    model, example = models.build(name)
    calibration = models.calibration(name)
    programs = {
        "int8": quantize_model(model, example, "a8w8", calibration),
        "uint8": quantize_model(model, example, with_io_dtype("a8w8", "uint8"), calibration),
    }
    pt2 = {}
    os.makedirs(os.path.join(out, "models"), exist_ok=True)
    for io, program in programs.items():
        pt2[io] = os.path.join(out, "models", f"{name}_{io}.pt2")
        torch.export.save(program, pt2[io])
    check = check_quantized(programs["uint8"], example)
    rows = []
    for target in targets:
        row = {"model": name, "target": target, "uint8_max_lsb": check.max_lsb, "uint8_bit_exact": check.bit_exact}
        for io, program in programs.items():
            result = tosaic.compile(program, target=target)
            directory = os.path.join(out, "tosaic", name, target, io)
            os.makedirs(directory, exist_ok=True)
            tosa = os.path.join(directory, "model.tosa")
            with open(tosa, "wb") as f:
                f.write(result.flatbuffer)
            mlir = result.mlir
            row[io] = {
                **_vela_figures(result.vela),
                "tosa": tosa,
                "tosa_rescales": result.report["ops"].get("tosa.rescale", 0),
                "unsigned_rescales": mlir.count("input_unsigned = true") + mlir.count("output_unsigned = true"),
            }
            if et_vela:
                row[io]["et_vela"] = _run_vela([tosa], target, os.path.join(directory, "et-vela"), et_vela)
        _overhead(row, "int8", "uint8")
        rows.append(row)
        log(f"  tosaic {name} {target}: +{row['extra_npu_ops']} NPU ops, {row['extra_cycles_percent']:+.2f}% cycles")
    return rows, pt2


def _overhead(row: dict, base: str, other: str, prefix: str = "") -> None:
    a, b = row[base], row[other]
    if a.get("cycles_total") is None or b.get("cycles_total") is None:
        return
    row[prefix + "extra_npu_ops"] = b["npu_ops"] - a["npu_ops"]
    row[prefix + "extra_cycles"] = b["cycles_total"] - a["cycles_total"]
    row[prefix + "extra_cycles_percent"] = 100.0 * row[prefix + "extra_cycles"] / a["cycles_total"]


def run_executorch(name: str, target: str, io: str, source: str, pt2: str | None, out: str,
                   python: str, et_vela: str) -> dict:
    """One ExecuTorch lowering (source "own": its quantizer; "tosaic": tosaic's .pt2)."""
    from tosaic import targets

    defaults = targets.target(target).family.vela
    system_config, memory_mode = defaults.system_config, defaults.memory_mode
    directory = os.path.join(out, "executorch", source, name, target, io)
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    command = [python, WORKER, "--model", name, "--target", target, "--system-config", system_config,
               "--memory-mode", memory_mode, "--out", directory, "--io-dtype", io]
    command += ["--mode", "pt2", "--pt2", pt2] if source == "tosaic" else ["--mode", "requantize"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    result_path = os.path.join(directory, "result.json")
    if not os.path.exists(result_path):
        return {"ok": False, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    with open(result_path) as f:
        result = json.load(f)
    if not result.get("ok"):
        return {"ok": False, "error": result.get("error"), "command": command}
    placement = result["placement"]
    tosa = [os.path.join(directory, p["dir"], "out.tosa") for p in result["vela_partitions"]]
    entry = {
        "ok": True, "command": command,
        "cycles_total": result["cycles_total"],  # ExecuTorch's own Vela run
        "vela_version": result["versions"]["ethos-u-vela"],
        "vela_flags": result["compile_spec"]["vela_flags"],
        "partitions": placement["partitions"], "cpu_operators": placement["cpu_operators"],
        "delegate_input_dtypes": placement["delegate_input_dtypes"],
        "delegate_output_dtypes": placement["delegate_output_dtypes"],
        "tosa": tosa,
    }
    # NPU op counts and Rescale layers: the delegate's TOSA through ExecuTorch's Vela and 5.2.0.
    rerun = _run_vela(tosa, target, os.path.join(directory, "et-vela"), et_vela)
    entry["npu_ops"] = rerun.get("npu_ops")
    entry["rescale_layer_cycles"] = rerun.get("rescale_layer_cycles")
    entry["et_vela_rerun_cycles"] = rerun.get("cycles_total")
    entry["vela_5_2"] = _run_vela(tosa, target, os.path.join(directory, "vela-5.2"), None)
    return entry


def measure_executorch(name: str, targets: list[str], pt2: dict, out: str, python: str, et_vela: str) -> list[dict]:
    rows = []
    for target in targets:
        row = {"model": name, "target": target}
        for source in ("own", "tosaic"):
            for io in IO_DTYPES:
                entry = run_executorch(name, target, io, source, pt2[io], out, python, et_vela)
                row[f"{source}_{io}"] = entry
                if not entry["ok"]:
                    log(f"  ET {source} {name} {target} {io}: {entry['error']}")
            if row[f"{source}_int8"]["ok"] and row[f"{source}_uint8"]["ok"]:
                _overhead(row, f"{source}_int8", f"{source}_uint8", prefix=f"{source}_")
                log(f"  ET {source} {name} {target}: +{row[f'{source}_extra_npu_ops']} NPU ops, "
                    f"{row[f'{source}_extra_cycles_percent']:+.2f}% cycles")
        rows.append(row)
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


def _pair(a: dict | None, b: dict | None, notes: list[str], key: str = "cycles_total") -> str:
    """'a -> b (+x.xx%)' for two figures dicts, or ERR[n] with the error as note n."""
    if not a or not b or not a.get("ok", True) or not b.get("ok", True) or a.get(key) is None or b.get(key) is None:
        error = (a or {}).get("error") or (b or {}).get("error")
        if not error:
            return "–"
        if error not in notes:
            notes.append(error)
        return f"ERR[{notes.index(error) + 1}]"
    extra = b[key] - a[key]
    cell = f"{a[key]} -> {b[key]} ({100.0 * extra / a[key]:+.2f}%)"
    cpu = sorted({op.split(".")[-2] for e in (a, b) for op in e.get("cpu_operators", []) if "quantize_per" not in op})
    if cpu:  # ExecuTorch left compute on the CPU: its cycles are the delegated part's only
        note = f"ExecuTorch left {', '.join(cpu)} on the CPU: the cycles cover the delegated part only"
        if note not in notes:
            notes.append(note)
        cell += f" [{notes.index(note) + 1}]"
    return cell


def _passes(a: dict | None, b: dict | None) -> str:
    if not a or not b or a.get("npu_ops") is None or b.get("npu_ops") is None:
        return "–"
    return f"{a['npu_ops']} -> {b['npu_ops']} ({b['npu_ops'] - a['npu_ops']:+d})"


def comparison_table(tosaic_rows: list[dict], et_rows: list[dict]) -> str:
    """int8 IO -> uint8 IO cycles (and overhead) and NPU ops, per compiler, same Vela per block."""
    et = {(r["model"], r["target"]): r for r in et_rows}
    notes: list[str] = []
    lines = [
        "| model | target | tosaic cycles int8 -> uint8 IO (Vela 5.2.0) | tosaic NPU ops | "
        "ET own cycles (ET's Vela 5.1.0) | ET own NPU ops | ET tosaic-q cycles (ET's Vela 5.1.0) | ET tosaic-q NPU ops | "
        "same Vela: tosaic (5.1.0) | same Vela: ET own (5.2.0) | same Vela: ET tosaic-q (5.2.0) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in tosaic_rows:
        e = et.get((t["model"], t["target"]), {})
        own8, ownu, tq8, tqu = (e.get(k) for k in ("own_int8", "own_uint8", "tosaic_int8", "tosaic_uint8"))
        lines.append(
            f"| {t['model']} | {t['target']} | {_pair(t['int8'], t['uint8'], notes)} | {_passes(t['int8'], t['uint8'])} | "
            f"{_pair(own8, ownu, notes)} | {_passes(own8, ownu)} | {_pair(tq8, tqu, notes)} | {_passes(tq8, tqu)} | "
            f"{_pair(t['int8'].get('et_vela'), t['uint8'].get('et_vela'), notes)} | "
            f"{_pair((own8 or {}).get('vela_5_2'), (ownu or {}).get('vela_5_2'), notes)} | "
            f"{_pair((tq8 or {}).get('vela_5_2'), (tqu or {}).get('vela_5_2'), notes)} |"
        )
    lines += [""] + [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=sorted(models.MODELS))
    parser.add_argument("--targets", nargs="+", default=DEFAULT_TARGETS)
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    parser.add_argument("--executorch", action="store_true", help="also measure ExecuTorch's Arm backend")
    parser.add_argument("--executorch-venv", default=et_env.DEFAULT_VENV,
                        help="an ExecuTorch venv built by et_env.py (used as it is, never rebuilt here)")
    parser.add_argument("--tables", metavar="JSON", help="only print the tables of a saved uint8_io.json")
    args = parser.parse_args(argv)
    if args.tables:
        with open(args.tables) as f:
            saved = json.load(f)
        print(table(saved["tosaic"]))
        if saved["executorch"]:
            print()
            print(comparison_table(saved["tosaic"], saved["executorch"]))
        return 0
    out = os.path.join(args.out, "uint8_io")
    python = et_vela = None
    if args.executorch:
        python = et_env.venv_python(args.executorch_venv)
        et_vela = os.path.join(args.executorch_venv, "bin", "vela")
        for path in (python, et_vela):
            if not os.path.exists(path):
                parser.error(f"{path} not found: build the ExecuTorch venv with benchmarks/et_env.py")
    rows, et_rows = [], []
    for name in args.models:
        tosaic_rows, pt2 = measure_tosaic(name, args.targets, out, et_vela)
        rows += tosaic_rows
        if args.executorch:
            et_rows += measure_executorch(name, args.targets, pt2, out, python, et_vela)
    print(table(rows))
    if args.executorch:
        print()
        print(comparison_table(rows, et_rows))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "uint8_io.json"), "w") as f:
        json.dump({"tosaic": rows, "executorch": et_rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
