"""Compare tosaic with ExecuTorch 1.5.1's Arm Ethos-U backend: compile time and Vela cycles.

    .venv/bin/python benchmarks/compare.py                      # everything (first run installs ExecuTorch)
    .venv/bin/python benchmarks/compare.py --skip-executorch    # tosaic's columns only
    .venv/bin/python benchmarks/compare.py --models conv_block conv_stack --repeats 5

For each model (benchmarks/models.py): quantize it with tosaic's quantizer (a8w8, fixed seeds
and calibration) into `<out>/models/<name>.pt2`; time `tosaic compile <name>.pt2 --target T`
as a whole subprocess (best of --repeats) for each target and read Vela's cycles and NPU/CPU
placement from its report.json; then do the same with ExecuTorch's Arm backend
(benchmarks/executorch_worker.py, run in its own venv, benchmarks/.venv-executorch) on the
same `.pt2`. See benchmarks/README.md for what every column means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import et_env  # noqa: E402
import models as bench_models  # noqa: E402

TARGETS = ("ethos-u55-128", "ethos-u85-256")
DEFAULT_OUT = os.path.join(HERE, "out")
WORKER = os.path.join(HERE, "executorch_worker.py")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- helpers


def first_error_line(stderr: str, stdout: str = "") -> str:
    """The line that says what went wrong (plus the next one if it ends in ':')."""
    lines = [line.rstrip() for line in (stderr + "\n" + stdout).splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("tosaic: error:"):
            text = line[len("tosaic: error:"):].strip()
            if text.endswith(":") and i + 1 < len(lines):
                text += " " + lines[i + 1].strip()
            return text[:400]
    # a traceback: its last line is the exception
    for line in reversed(lines):
        if re.match(r"^[\w.]+(Error|Exception)\b", line):
            return line[:400]
    return (lines[-1] if lines else "no output")[:400]


def run_timed(command: list[str], timeout: float, cwd: str = REPO) -> tuple[float, subprocess.CompletedProcess | None, str | None]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None, f"timed out after {timeout:.0f} s"
    except OSError as e:
        return time.perf_counter() - start, None, f"cannot run {command[0]}: {e}"
    return time.perf_counter() - start, proc, None


def tosaic_command() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "tosaic")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "tosaic.tools.cli"]


def git_state() -> dict:
    def git(*args):
        proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else None

    status = git("status", "--porcelain")
    return {"head": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": bool(status)}


def model_sources() -> dict:
    """sha256 of the files that define the models: tosaic's examples change over time."""
    import hashlib

    out = {}
    for path in (os.path.join(REPO, "examples", "models.py"), os.path.join(HERE, "models.py")):
        with open(path, "rb") as f:
            out[os.path.relpath(path, REPO)] = hashlib.sha256(f.read()).hexdigest()[:16]
    return out


def versions_here() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("torch", "torchao", "ethos-u-vela", "tosa-tools", "torch-mlir"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


# --------------------------------------------------------------------------- quantize


def quantize_all(names: list[str], out: str) -> dict[str, dict]:
    import torch

    from tosaic.quantization import quantize_model

    results = {}
    os.makedirs(os.path.join(out, "models"), exist_ok=True)
    for name in names:
        path = os.path.join(out, "models", f"{name}.pt2")
        entry: dict[str, Any] = {"pt2": path, "input_shape": list(bench_models.MODELS[name][1])}
        start = time.perf_counter()
        try:
            model, example_inputs = bench_models.build(name)
            entry["parameters"] = sum(p.numel() for p in model.parameters())
            calibration = bench_models.calibration(name)
            exported = quantize_model(model, example_inputs, "a8w8", calibration)
            torch.export.save(exported, path)
            entry["ok"] = True
        except Exception as e:  # noqa: BLE001 - reported as the model's row
            entry["ok"] = False
            entry["error"] = f"quantize: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:400]
        entry["seconds"] = round(time.perf_counter() - start, 3)
        log(f"[quantize] {name}: {'ok' if entry['ok'] else entry['error']} ({entry['seconds']:.1f} s)")
        results[name] = entry
    return results


# --------------------------------------------------------------------------- tosaic


def bench_tosaic(name: str, pt2: str, target: str, out: str, repeats: int, timeout: float) -> dict:
    out_dir = os.path.join(out, "tosaic", name, target)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    command = [*tosaic_command(), "compile", pt2, "--target", target, "-o", out_dir]
    entry: dict[str, Any] = {"ok": False, "command": command, "times_s": []}
    for _ in range(repeats):
        seconds, proc, failure = run_timed(command, timeout)
        if failure or proc.returncode != 0:
            entry["error"] = failure or first_error_line(proc.stderr, proc.stdout)
            entry["stderr_tail"] = "" if proc is None else proc.stderr[-3000:]
            break  # the same input fails the same way: no point repeating
        entry["times_s"].append(round(seconds, 3))
    if entry["times_s"] and "error" not in entry:
        with open(os.path.join(out_dir, "report.json")) as f:
            report = json.load(f)
        vela = report.get("vela", {})
        placement = vela.get("placement", {})
        entry.update(
            ok=True,
            best_s=min(entry["times_s"]),
            cycles_total=vela.get("cycles", {}).get("total"),
            cycles_npu=vela.get("cycles", {}).get("npu"),
            npu_ops=placement.get("npu_ops"),
            cpu_ops=placement.get("cpu_ops"),
            cpu_operators=placement.get("cpu_operators", []),
            system_config=vela.get("system_config"),
            memory_mode=vela.get("memory_mode"),
            vela_version=vela.get("vela_version"),
            stage_seconds=report.get("seconds"),
            tosa=os.path.join(out_dir, "model.tosa"),
        )
    status = f"best {entry['best_s']:.2f} s, {entry['cycles_total']} cycles" if entry["ok"] else entry["error"]
    log(f"[tosaic] {name} {target}: {status}")
    return entry


# --------------------------------------------------------------------------- ExecuTorch


def bench_executorch(name: str, pt2: str | None, target: str, out: str, repeats: int, timeout: float,
                     python: str, own_quantizer: bool) -> dict:
    from tosaic import targets

    defaults = targets.target(target).family.vela
    system_config, memory_mode = defaults.system_config, defaults.memory_mode
    out_dir = os.path.join(out, "executorch", name, target)

    def run(mode: str, directory: str):
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        command = [python, WORKER, "--model", name, "--target", target, "--system-config", system_config,
                   "--memory-mode", memory_mode, "--out", directory, "--mode", mode]
        if pt2:
            command += ["--pt2", pt2]
        seconds, proc, failure = run_timed(command, timeout)
        result_path = os.path.join(directory, "result.json")
        result: dict = {}
        if os.path.exists(result_path):
            with open(result_path) as f:
                result = json.load(f)
        if failure:
            result = {"ok": False, "error": failure}
        elif not result:
            result = {"ok": False, "error": first_error_line(proc.stderr, proc.stdout)}
        return seconds, result

    entry: dict[str, Any] = {"ok": False, "times_s": [], "system_config": system_config, "memory_mode": memory_mode}
    seconds, first = run("auto" if pt2 else "requantize", out_dir)
    if not first.get("ok"):
        entry["error"] = first.get("error", "unknown failure")
        entry["fallback_reason"] = first.get("fallback_reason")
        entry["result"] = first
        log(f"[executorch] {name} {target}: {entry['error']}")
        return entry
    source = first["source"]
    fallback_reason = first.get("fallback_reason")
    entry["pt2_placement"] = first.get("pt2_placement")
    if not fallback_reason:
        entry["times_s"].append(round(seconds, 3))  # a plain run: it counts
    while len(entry["times_s"]) < repeats:
        seconds, again = run(source, out_dir)
        if not again.get("ok"):
            entry["error"] = "a repeat failed: " + again.get("error", "unknown failure")
            break
        entry["times_s"].append(round(seconds, 3))
        first = again
    entry.update(
        ok=bool(entry["times_s"]),
        best_s=min(entry["times_s"]) if entry["times_s"] else None,
        source=source,
        fallback_reason=fallback_reason,
        cycles_total=first.get("cycles_total"),
        cycles_npu=first.get("cycles_npu"),
        placement=first.get("placement"),
        partitions=len(first.get("vela_partitions", [])),
        pt2_marked_quantized_ops=first.get("pt2_marked_quantized_ops"),
        stage_seconds=first.get("seconds"),
        versions=first.get("versions"),
        vela_flags=first.get("compile_spec", {}).get("vela_flags"),
        tosa=[os.path.join(out_dir, p["dir"], "out.tosa") for p in first.get("vela_partitions", [])],
    )
    if own_quantizer and source != "requantize":
        _, own = run("requantize", os.path.join(out, "executorch-own-quantizer", name, target))
        entry["own_quantizer"] = (
            {"ok": True, "cycles_total": own.get("cycles_total"), "placement": own.get("placement")}
            if own.get("ok") else {"ok": False, "error": own.get("error")}
        )
    status = f"best {entry['best_s']:.2f} s, {entry['cycles_total']} cycles ({source})" if entry["ok"] else entry["error"]
    log(f"[executorch] {name} {target}: {status}")
    return entry


def cross_vela(tosa_paths: list[str], target: str, out_dir: str, vela_binary: str | None) -> dict:
    """Cycles of the given TOSA file(s) under a given Vela (None: tosaic's own), same configs."""
    from unittest import mock

    from tosaic.targets import vela

    total = 0
    try:
        for i, path in enumerate(tosa_paths):
            directory = os.path.join(out_dir, f"part{i}")
            if vela_binary:
                with mock.patch.object(vela, "vela_command", lambda: [vela_binary]):
                    result = vela.run_vela(path, target, directory)
            else:
                result = vela.run_vela(path, target, directory)
            total += result.cycles_total
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]}
    return {"ok": True, "cycles_total": total}


# --------------------------------------------------------------------------- report


def _ratio(a, b) -> str:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return f"{a / b:.2f}"
    return "–"


def _secs(entry: dict | None) -> str:
    if not entry:
        return "–"
    return f"{entry['best_s']:.2f}" if entry.get("ok") else "ERR"


def _cycles(entry: dict | None) -> str:
    if not entry:
        return "–"
    return str(entry["cycles_total"]) if entry.get("ok") and entry.get("cycles_total") is not None else "ERR"


def _short(target: str) -> str:
    return target.replace("ethos-", "").upper()  # ethos-u55-128 -> U55-128


def _cpu_compute(entry: dict) -> list[str]:
    """ExecuTorch ops left on the CPU other than the graph I/O's quantize/dequantize."""
    cpu = (entry.get("placement") or {}).get("cpu_operators", [])
    return sorted({op.replace(".default", "") for op in cpu if "quantize_per" not in op})


def _placement_cell(row: dict, targets: list[str]) -> str:
    """tosaic: Vela's NPU/total operator count. ExecuTorch: delegates, and what stays on the CPU."""
    parts = []
    for target in targets:
        t = row["tosaic"].get(target) or {}
        e = (row.get("executorch") or {}).get(target) or {}
        bits = []
        if t.get("ok"):
            bits.append(f"tosaic {t['npu_ops']}/{t['npu_ops'] + t['cpu_ops']} ops on NPU")
        if e.get("ok") and e.get("placement"):
            p = e["placement"]
            cpu = p.get("cpu_operators", [])
            qdq = [op for op in cpu if "quantize_per" in op]
            other = sorted({op.replace(".default", "") for op in cpu if "quantize_per" not in op})
            where = f"{len(qdq)} I/O q/dq" if qdq else "nothing"
            if other:
                where += " + " + ", ".join(other)
            bits.append(f"ET {p['partitions']} delegate{'s' if p['partitions'] != 1 else ''}, CPU: {where}")
        if bits:
            parts.append(f"{_short(target)}: " + "; ".join(bits))
    return " / ".join(parts) or "–"


def render(results: dict) -> str:
    targets = results["targets"]
    rows = results["rows"]
    et_available = results["executorch"]["available"]
    header = ["model"]
    for target in targets:
        s = _short(target)
        header += [f"tosaic s {s}", f"ET s {s}", "ratio", f"tosaic cycles {s}", f"ET cycles {s}", "ratio"]
    header.append("NPU placement")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes: list[tuple[str, str]] = []  # (who, what)
    note_targets: dict[tuple[str, str], list[str]] = {}

    def note(who: str, what: str, target: str | None = None) -> str:
        key = (who, what)
        if key not in note_targets:
            notes.append(key)
            note_targets[key] = []
        if target and _short(target) not in note_targets[key]:
            note_targets[key].append(_short(target))
        return f"[{notes.index(key) + 1}]"

    for name in [m for m in results.get("models", rows) if m in rows]:
        row = rows[name]
        cells = [name]
        for target in targets:
            t = row["tosaic"].get(target)
            e = (row.get("executorch") or {}).get(target)
            ts, es = _secs(t), _secs(e) if et_available else "n/a"
            tc, ec = _cycles(t), _cycles(e) if et_available else "n/a"
            if t and not t.get("ok"):
                ts = tc = "ERR" + note(f"tosaic {name}", str(t.get('error')), target)
            if et_available and e and not e.get("ok"):
                es = ec = "ERR" + note(f"ExecuTorch {name}", str(e.get('error')), target)
            cpu_compute = _cpu_compute(e) if et_available and e and e.get("ok") else []
            if cpu_compute:
                ec += note(f"ExecuTorch {name}", f"{', '.join(cpu_compute)} stay on the CPU; "
                           "the cycles cover only the delegated part", target)
            if et_available and e and e.get("ok") and e.get("source") == "requantize":
                es += note(f"ExecuTorch {name}", "re-quantized with ExecuTorch's own quantizer (its time includes "
                           f"quantization) because {e.get('fallback_reason') or 'requested'}", target)
            cells += [
                ts, es, _ratio(t.get("best_s") if t and t.get("ok") else None, e.get("best_s") if e and e.get("ok") else None),
                tc, ec, _ratio(t.get("cycles_total") if t and t.get("ok") else None,
                               e.get("cycles_total") if e and e.get("ok") else None),
            ]
        if row.get("quantize_error"):
            cells = [name] + ["ERR" + note(name, row['quantize_error'])] * (len(header) - 2) + ["–"]
        else:
            cells.append(_placement_cell(row, targets))
        lines.append("| " + " | ".join(cells) + " |")

    out = ["## tosaic vs ExecuTorch 1.5.1 (Arm Ethos-U backend)", ""]
    out += lines
    out.append("")
    vela_versions = f"tosaic's Vela {results['versions']['tosaic'].get('ethos-u-vela')}"
    if et_available:
        vela_versions = (f"each side its own Vela: {vela_versions}, ExecuTorch's "
                         f"{(results['executorch'].get('versions') or {}).get('ethos-u-vela', '?')}")
    out.append("Times: wall seconds of the whole compile process (interpreter start to exit), best of "
               f"{results['repeats']}; ratio = tosaic / ExecuTorch (below 1: tosaic is faster or needs fewer "
               "cycles). Cycles: Vela's cycles_total (summed over delegates for ExecuTorch)"
               + (" with the same system config and memory mode on both sides" if et_available else "")
               + f" ({vela_versions}). "
               f"tosaic at git {results['git'].get('head')}"
               f"{' plus uncommitted changes' if results['git'].get('uncommitted_changes') else ''}"
               + "".join(f"; {path} {sha}" for path, sha in (results.get("model_sources") or {}).items()) + ".")
    if not et_available:
        out.append("")
        out.append(f"**ExecuTorch columns missing: {results['executorch']['reason']}**")
    cross_rows = [(name, target, row) for name, row in rows.items() for target in targets
                  if (row.get("cross") or {}).get(target)]
    if cross_rows:
        vt = results["versions"]["tosaic"].get("ethos-u-vela")
        ve = (results["executorch"].get("versions") or {}).get("ethos-u-vela", "?")
        out += ["", "### Same TOSA, both Vela versions (cycles_total)", "",
                f"| model | target | tosaic TOSA @ Vela {vt} | tosaic TOSA @ Vela {ve} | ET program | ET TOSA @ Vela {ve} | "
                f"ET TOSA @ Vela {vt} | ET own quantizer @ Vela {ve} |",
                "|---|---|---|---|---|---|---|---|"]
        order = {m: i for i, m in enumerate(results.get("models", rows))}
        cross_rows.sort(key=lambda item: (order.get(item[0], 0), targets.index(item[1])))
        for name, target, row in cross_rows:
            c = row["cross"][target]
            t = row["tosaic"].get(target) or {}
            e = row["executorch"].get(target) or {}
            own = e.get("own_quantizer") or ({"ok": True, "cycles_total": e.get("cycles_total")}
                                             if e.get("ok") and e.get("source") == "requantize" else {})
            program = {"pt2": "tosaic's .pt2", "requantize": "own quantizer"}.get(e.get("source"), "–")
            if e.get("ok") and _cpu_compute(e):
                program += " (partly on CPU)"

            def cyc(entry):
                if not entry:
                    return "–"
                return str(entry.get("cycles_total")) if entry.get("ok") else "ERR"

            out.append(f"| {name} | {_short(target)} | {cyc(t)} | {cyc(c.get('tosaic_tosa_et_vela'))} | {program} | {cyc(e)} | "
                       f"{cyc(c.get('et_tosa_tosaic_vela'))} | {cyc(own) if own else '–'} |")
    if notes:
        out += ["", "Notes:"]
        for i, (who, what) in enumerate(notes):
            where = note_targets[(who, what)]
            out.append(f"[{i + 1}] {who}" + (f" ({', '.join(where)})" if where else "") + f": {what}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="tosaic vs ExecuTorch Arm backend: compile time and Vela cycles")
    parser.add_argument("--models", nargs="+", choices=list(bench_models.MODELS), default=bench_models.COMPARE_MODELS,
                        metavar="MODEL", help=f"default: {', '.join(bench_models.COMPARE_MODELS)}")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), metavar="TARGET")
    parser.add_argument("--repeats", type=int, default=3, help="compiles timed per model and target (best is kept)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default benchmarks/out)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed for one compile process")
    parser.add_argument("--skip-executorch", action="store_true", help="tosaic's columns only")
    parser.add_argument("--executorch-venv", default=et_env.DEFAULT_VENV)
    parser.add_argument("--rebuild-executorch", action="store_true",
                        help="recreate the ExecuTorch venv (also retries an install that failed before)")
    parser.add_argument("--no-own-quantizer", action="store_true",
                        help="skip the extra ExecuTorch run with its own quantizer (cycles only)")
    parser.add_argument("--no-cross-vela", action="store_true",
                        help="skip running each side's TOSA through the other side's Vela")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    from tosaic.targets import ACCELERATORS

    for target in args.targets:
        if target not in ACCELERATORS:
            parser.error(f"unknown target {target}; one of {', '.join(ACCELERATORS)}")

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    started = time.time()
    results: dict[str, Any] = {
        "targets": args.targets,
        "repeats": args.repeats,
        "models": args.models,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "git": git_state(),
        "model_sources": model_sources(),
        "versions": {"tosaic": versions_here()},
        "rows": {},
    }

    # ExecuTorch's venv first: if it cannot be had, say so once, up front.
    if args.skip_executorch:
        et = {"available": False, "reason": "skipped (--skip-executorch)"}
    else:
        info = et_env.ensure(args.executorch_venv, rebuild=args.rebuild_executorch, log=log)
        if info.get("ok"):
            et = {"available": True, "python": et_env.venv_python(args.executorch_venv), "install": info,
                  "versions": info.get("versions")}
        else:
            et = {"available": False, "install": info,
                  "reason": f"the ExecuTorch environment could not be built: {info.get('error')} "
                            f"(see {os.path.join(args.executorch_venv, 'install.json')}; retry with --rebuild-executorch)"}
            log(f"[executorch] {et['reason']}")
    results["executorch"] = et

    quantized = quantize_all(args.models, out)
    et_vela = os.path.join(args.executorch_venv, "bin", "vela")
    for name in args.models:
        q = quantized[name]
        row: dict[str, Any] = {"pt2": q["pt2"], "input_shape": q["input_shape"], "parameters": q.get("parameters"),
                               "quantize_seconds": q["seconds"], "tosaic": {}, "executorch": {}, "cross": {}}
        if not q["ok"]:
            row["quantize_error"] = q["error"]
        for target in args.targets:
            if q["ok"]:
                row["tosaic"][target] = bench_tosaic(name, q["pt2"], target, out, args.repeats, args.timeout)
            if et["available"]:
                e = bench_executorch(name, q["pt2"] if q["ok"] else None, target, out, args.repeats, args.timeout,
                                     et["python"], own_quantizer=not args.no_own_quantizer)
                row["executorch"][target] = e
                t = row["tosaic"].get(target) or {}
                if not args.no_cross_vela:
                    cross = {}
                    if t.get("ok") and os.path.exists(et_vela):
                        cross["tosaic_tosa_et_vela"] = cross_vela(
                            [t["tosa"]], target, os.path.join(out, "cross", name, target, "tosaic-tosa"), et_vela)
                    if e.get("ok") and e.get("tosa"):
                        cross["et_tosa_tosaic_vela"] = cross_vela(
                            e["tosa"], target, os.path.join(out, "cross", name, target, "et-tosa"), None)
                    row["cross"][target] = cross
        results["rows"][name] = row

    results["seconds"] = round(time.time() - started, 1)
    markdown = render(results)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(markdown)
    print(markdown)
    print(f"wrote {os.path.join(out, 'results.md')} and results.json ({results['seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
