"""Real architectures three ways: float TOSA, tosaic's quantizer, ExecuTorch's quantizer.

    .venv/bin/python benchmarks/coverage.py --executorch-venv /work/shared-venvs/executorch
    .venv/bin/python benchmarks/coverage.py --models KWSConv1d UNet --skip-executorch
    .venv/bin/python benchmarks/coverage.py --render-only      # the table from <out>/*/tosaic.json

For each architecture of benchmarks/architectures.py (fixed seed, 8 fixed calibration
inputs, a separate fixed example input for the numeric checks):

(a) `tosa-fp`: `tosaic.compile(model, target="tosa-fp")`, run on the TOSA reference model,
    compared with PyTorch (max |error| relative to the output's max |value|);
(b) tosaic's quantizer (`quantize_model(..., "a8w8")`, saved to `<out>/<model>/tosaic.pt2`),
    compiled for ethos-u55-128 and ethos-u85-256 through the API (wall time of
    `tosaic.compile`, Vela included); for `--cli-models` also once through `tosaic compile
    benchmarks/architectures.py:<model> --scheme a8w8 --target ethos-u55-128`. The integer
    TOSA is run on the reference model and compared with the fake-quantized program in
    PyTorch (max LSB, % exact) and, dequantized, with the float model (SQNR dB);
(c) ExecuTorch's `EthosUQuantizer` (coverage_executorch.py in the ExecuTorch venv) quantizes
    the same model on the same calibration inputs and lowers the program itself; tosaic
    compiles that same `.pt2`. Both sides' cycles, tosaic vs the fake-quantized program, and
    tosaic's integer output vs ExecuTorch's (its delegate's TOSA run on the same reference
    model with the same int8 input): identical bytes or not.

Each model runs in its own process (`--worker`): a crash costs one row. Results are
written per model to `<out>/<model>/tosaic.json` as each step finishes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import architectures  # noqa: E402

TARGETS = ("ethos-u55-128", "ethos-u85-256")
DEFAULT_OUT = os.path.join(HERE, "out", "coverage")
DEFAULT_CLI_MODELS = ("KWSConv1d", "MobileNetV2")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def first_line(exc: BaseException) -> str:
    """The exception's first line, and the next (the first diagnostic) if it ends in ':'."""
    lines = [s.strip() for s in str(exc).strip().splitlines() if s.strip()]
    line = lines[0] if lines else ""
    if line.endswith(":") and len(lines) > 1:
        line += " " + lines[1]
    return f"{type(exc).__name__}: {line}"[:400]


# --------------------------------------------------------------------------- numerics


def sqnr_db(reference, actual) -> float:
    import numpy as np

    reference = np.asarray(reference, dtype=np.float64)
    noise = np.sum((reference - np.asarray(actual, dtype=np.float64)) ** 2)
    signal = np.sum(reference**2)
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(signal / noise)) if signal > 0 else float("-inf")


def quantized_numerics(result, program, float_model, inputs) -> dict:
    """The compiled integer TOSA vs the fake-quantized program (LSB) and vs the float model (SQNR)."""
    import numpy as np
    import torch

    import tosaic
    from tosaic.quantization.qmath import quantize_io

    feeds = []
    for signature, x in zip(result.inputs, inputs):
        q = signature.quantization
        feeds.append(quantize_io(x.numpy(), q))
    start = time.perf_counter()
    got = tosaic.run(result.flatbuffer, feeds)
    reference_seconds = time.perf_counter() - start
    with torch.no_grad():
        fake = program.module()(*inputs)
        want_float = float_model(*inputs)
    fake = fake if isinstance(fake, (tuple, list)) else (fake,)
    want_float = want_float if isinstance(want_float, (tuple, list)) else (want_float,)
    worst, equal, total, sqnrs, sqnrs_fake = 0, 0, 0, [], []
    for signature, actual, fq, fl in zip(result.outputs, got, fake, want_float):
        q = signature.quantization
        if q["dtype"] == "uint8":
            actual = actual.view(np.uint8)
        want_q = quantize_io(fq.numpy(), q).astype(np.int64)
        diff = np.abs(actual.astype(np.int64) - want_q)
        worst = max(worst, int(diff.max()))
        equal += int((diff == 0).sum())
        total += diff.size
        dequantized = (actual.astype(np.float64) - q["zero_point"]) * q["scale"]
        sqnrs.append(sqnr_db(fl.numpy(), dequantized))
        sqnrs_fake.append(sqnr_db(fl.numpy(), fq.numpy()))
    return {"max_lsb": worst, "exact": equal / total, "sqnr_db": min(sqnrs), "fake_quant_sqnr_db": min(sqnrs_fake),
            "reference_model_s": round(reference_seconds, 2), "feeds": feeds, "outputs": got}


def _tosa_io_shapes(flatbuffer: bytes) -> tuple[list[list[int]], list[list[int]]]:
    from tosaic.targets import tosa_flatbuffer

    text = tosa_flatbuffer.deserialize(flatbuffer)
    match = re.search(r"func\.func @\w+\((.*?)\)\s*->\s*\(?(.*?)\)?\s*(attributes|\{)", text)

    def shapes(part):
        return [[int(d) for d in s.split("x")[:-1]] for s in re.findall(r"tensor<([0-9x]+x[a-z0-9]+)>", part)]

    return shapes(match.group(1)), shapes(match.group(2))


def compare_with_executorch(tosa_paths: list[str], feeds, outputs) -> dict:
    """Run ExecuTorch's delegate TOSA on the reference model with tosaic's int8 input; same bytes?"""
    import numpy as np

    import tosaic

    if len(tosa_paths) != 1:
        return {"ok": False, "error": f"{len(tosa_paths)} delegates: no single TOSA graph to compare"}
    with open(tosa_paths[0], "rb") as f:
        flatbuffer = f.read()
    in_shapes, out_shapes = _tosa_io_shapes(flatbuffer)
    if len(in_shapes) != len(feeds) or len(out_shapes) != len(outputs):
        return {"ok": False, "error": f"ExecuTorch's TOSA has {len(in_shapes)} inputs / {len(out_shapes)} outputs"}
    layouts = []
    arranged = []
    for shape, feed in zip(in_shapes, feeds):
        if list(feed.shape) == shape:
            arranged.append(feed)
            layouts.append("same")
        elif feed.ndim == 4 and list(feed.transpose(0, 2, 3, 1).shape) == shape:
            arranged.append(np.ascontiguousarray(feed.transpose(0, 2, 3, 1)))
            layouts.append("nhwc")
        else:
            return {"ok": False, "error": f"input shape {shape} vs tosaic's {list(feed.shape)}"}
    got = tosaic.run(flatbuffer, arranged)
    identical, worst = True, 0
    for theirs, ours in zip(got, outputs):
        if theirs.shape != ours.shape and theirs.ndim == 4:
            theirs = theirs.transpose(0, 3, 1, 2)
        if theirs.shape != ours.shape:
            return {"ok": False, "error": f"output shape {list(theirs.shape)} vs tosaic's {list(ours.shape)}"}
        identical &= theirs.astype(np.int8).tobytes() == ours.astype(np.int8).tobytes()
        worst = max(worst, int(np.abs(theirs.astype(np.int64) - ours.astype(np.int64)).max()))
    return {"ok": True, "identical_bytes": bool(identical), "max_lsb_vs_tosaic": worst, "input_layouts": layouts}


# --------------------------------------------------------------------------- one model


def _vela_figures(result) -> dict:
    vela = result.vela
    return {"npu_ops": vela.npu_ops, "cpu_ops": vela.cpu_ops, "cpu_operators": vela.cpu_operators,
            "cycles_total": vela.cycles_total}


def run_worker(name: str, out: str, targets: list[str], cli: bool, et_dir: str | None) -> int:
    import numpy as np
    import torch

    import tosaic
    from tosaic.quantization import quantize_model

    directory = os.path.join(out, name)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tosaic.json")
    row: dict = {"model": name, "input_shape": list(architectures.ARCHITECTURES[name].INPUT_SHAPE)}

    def save():
        with open(path, "w") as f:
            json.dump(row, f, indent=2, sort_keys=True, default=str)
            f.write("\n")

    model, inputs = architectures.build(name)
    row["parameters"] = sum(p.numel() for p in model.parameters())
    save()

    # (a) float TOSA vs PyTorch
    start = time.perf_counter()
    try:
        result = tosaic.compile(model, inputs, target="tosa-fp")
        seconds = time.perf_counter() - start
        (got,) = tosaic.run(result.flatbuffer, [x.numpy() for x in inputs])
        with torch.no_grad():
            want = model(*inputs).numpy()
        error = float(np.abs(got - want).max())
        row["float"] = {"ok": True, "seconds": round(seconds, 2), "max_abs_error": error,
                        "relative_error": error / max(float(np.abs(want).max()), 1e-30),
                        "sqnr_db": sqnr_db(want, got)}
    except Exception as e:  # noqa: BLE001 - the row says what failed
        row["float"] = {"ok": False, "error": first_line(e), "traceback": traceback.format_exc()[-3000:]}
    log(f"[{name}] float: {row['float'].get('error') or 'ok'}")
    save()

    # (b) tosaic's quantizer
    def compile_quantized(program, key: str, compare_tosa: dict | None = None):
        entries = {}
        flatbuffers = {}
        for target in targets:
            start = time.perf_counter()
            try:
                result = tosaic.compile(program, target=target)
                entry = {"ok": True, "seconds": round(time.perf_counter() - start, 2), **_vela_figures(result)}
                digest = result.flatbuffer
                if digest in flatbuffers:  # the same TOSA for both targets: the same numerics
                    entry["numerics"] = dict(entries[flatbuffers[digest]]["numerics"])
                else:
                    numerics = quantized_numerics(result, program, model, inputs)
                    feeds, outputs = numerics.pop("feeds"), numerics.pop("outputs")
                    entry["numerics"] = numerics
                    flatbuffers[digest] = target
                    if compare_tosa and compare_tosa.get(target):
                        try:
                            entry["vs_executorch"] = compare_with_executorch(compare_tosa[target], feeds, outputs)
                        except Exception as e:  # noqa: BLE001
                            entry["vs_executorch"] = {"ok": False, "error": first_line(e)}
            except Exception as e:  # noqa: BLE001
                entry = {"ok": False, "seconds": round(time.perf_counter() - start, 2), "error": first_line(e),
                         "traceback": traceback.format_exc()[-3000:]}
            entries[target] = entry
            log(f"[{name}] {key} {target}: {entry.get('error') or 'ok'}")
            row[key] = {**row.get(key, {}), "targets": entries}
            save()

    start = time.perf_counter()
    try:
        program = quantize_model(model, inputs, "a8w8", architectures.calibration(name))
        torch.export.save(program, os.path.join(directory, "tosaic.pt2"))
        row["tosaic_quantizer"] = {"ok": True, "quantize_seconds": round(time.perf_counter() - start, 2)}
    except Exception as e:  # noqa: BLE001
        program = None
        row["tosaic_quantizer"] = {"ok": False, "error": "quantize: " + first_line(e),
                                   "traceback": traceback.format_exc()[-3000:]}
    save()
    if program is not None:
        compile_quantized(program, "tosaic_quantizer")

    if cli:
        shape = "x".join(str(d) for d in architectures.ARCHITECTURES[name].INPUT_SHAPE)
        command = [os.path.join(os.path.dirname(sys.executable), "tosaic"), "compile",
                   f"{os.path.join(HERE, 'architectures.py')}:{name}", "--input-shape", shape,
                   "--scheme", "a8w8", "--target", TARGETS[0], "-o", os.path.join(directory, "cli")]
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        entry = {"command": " ".join(os.path.relpath(c, REPO) if c.startswith(REPO) else c for c in command),
                 "ok": proc.returncode == 0, "seconds": round(time.perf_counter() - start, 2)}
        if proc.returncode == 0:
            with open(os.path.join(directory, "cli", "report.json")) as f:
                vela = json.load(f).get("vela", {})
            entry.update(npu_ops=vela["placement"]["npu_ops"], cpu_ops=vela["placement"]["cpu_ops"],
                         cycles_total=vela["cycles"]["total"])
        else:
            entry["error"] = (proc.stderr.strip().splitlines() or ["no output"])[-1][:400]
        row["cli"] = entry
        log(f"[{name}] cli: {entry.get('error') or 'ok'}")
        save()

    # (c) ExecuTorch's quantizer: the .pt2 its worker saved
    if et_dir:
        et_path = os.path.join(et_dir, "result.json")
        et = json.load(open(et_path)) if os.path.exists(et_path) else {"ok": False, "error": "no ExecuTorch result"}
        row["executorch"] = {k: v for k, v in et.items() if k != "traceback"}
        if et.get("ok"):
            import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  before torch.export.load

            from tosaic.frontend.importer import load_program
            try:
                et_program = load_program(et["pt2"])
            except Exception as e:  # noqa: BLE001
                et_program = None
                row["executorch_program"] = {"ok": False, "error": "load: " + first_line(e)}
            if et_program is not None:
                tosa = {t: e.get("tosa") for t, e in et.get("targets", {}).items() if e.get("ok")}
                compile_quantized(et_program, "executorch_program", compare_tosa=tosa)
    row["done"] = True
    save()
    return 0


# --------------------------------------------------------------------------- the table


def _short(target: str) -> str:
    return target.replace("ethos-", "").upper()


def _fmt_sqnr(value) -> str:
    if value is None:
        return "–"
    return "inf" if value == float("inf") else f"{value:.1f}"


def render(rows: dict, targets: list[str], notes_out: list[str]) -> str:
    notes: list[str] = []

    def note(text: str) -> str:
        if text not in notes:
            notes.append(text)
        return f"[{notes.index(text) + 1}]"

    def err(where: str, entry: dict) -> str:
        return "ERR" + note(f"{where}: {entry.get('error')}")

    header = ["model", "params", "tosa-fp vs PyTorch (rel. err)"]
    header += ["tosaic q: compile s U55/U85", "NPU ops U55/U85"] + [f"cycles {_short(t)}" for t in targets]
    header += ["vs fake-quant max LSB / exact", "SQNR dB (fake-quant)"]
    header += ["ET q: tosaic cycles " + "/".join(_short(t) for t in targets),
               "ET cycles " + "/".join(_short(t) for t in targets), "tosaic vs ET fake-quant LSB / exact",
               "tosaic vs ET int8 output"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in rows.items():
        cells = [name, f"{row.get('parameters', 0) / 1e6:.2f} M"]
        f = row.get("float")
        if not f:
            cells.append("–")
        elif f.get("ok"):
            cells.append(f"{f['relative_error']:.1e}")
        else:
            cells.append(err(f"{name} tosa-fp", f))

        q = row.get("tosaic_quantizer") or {}
        per = (q.get("targets") or {})
        if not q.get("ok"):
            cells += [err(f"{name} tosaic quantizer", q) if q else "–"] * 6
        else:
            def by_target(fn):
                return "/".join(fn(per[t]) if per.get(t, {}).get("ok") else
                                (err(f"{name} tosaic {_short(t)}", per[t]) if t in per else "–") for t in targets)

            cells.append(by_target(lambda e: f"{e['seconds']:.0f}"))
            cells.append(by_target(lambda e: f"{100 * e['npu_ops'] / max(1, e['npu_ops'] + e['cpu_ops']):.0f}%"
                                   + (note(f"{name}: on the CPU: {', '.join(sorted(set(e['cpu_operators'])))}")
                                      if e["cpu_ops"] else "")))
            for t in targets:
                e = per.get(t, {})
                cells.append(str(e["cycles_total"]) if e.get("ok") else "–")
            first = next((per[t] for t in targets if per.get(t, {}).get("ok")), None)
            if first:
                n = first["numerics"]
                cells.append(f"{n['max_lsb']} / {100 * n['exact']:.1f}%")
                cells.append(f"{_fmt_sqnr(n['sqnr_db'])} ({_fmt_sqnr(n['fake_quant_sqnr_db'])})")
            else:
                cells += ["–", "–"]

        et = row.get("executorch")
        ep = (row.get("executorch_program") or {}).get("targets") or {}
        if not et:
            cells += ["n/a"] * 4
        elif not et.get("ok"):
            cells += [err(f"{name} ExecuTorch quantizer", et)] + ["–"] * 3
        else:
            cells.append("/".join(str(ep[t]["cycles_total"]) if ep.get(t, {}).get("ok") else
                                  (err(f"{name} tosaic on ET's program {_short(t)}", ep[t]) if t in ep else "–")
                                  for t in targets))
            et_targets = et.get("targets", {})

            def et_cell(t):
                e = et_targets.get(t, {})
                if not e.get("ok"):
                    return err(f"{name} ExecuTorch lowering {_short(t)}", e) if e else "–"
                cpu = sorted({op.replace(".default", "") for op in (e.get("placement") or {}).get("cpu_operators", [])
                              if "quantize_per" not in op})
                text = str(e.get("cycles_total"))
                if cpu:
                    text += note(f"{name} ExecuTorch ({_short(t)}) leaves on the CPU: {', '.join(cpu)}")
                return text

            cells.append("/".join(et_cell(t) for t in targets))
            first = next((ep[t] for t in targets if ep.get(t, {}).get("ok")), None)
            if first:
                n = first["numerics"]
                cells.append(f"{n['max_lsb']} / {100 * n['exact']:.1f}%")
                comparisons = [ep[t].get("vs_executorch") for t in targets if ep.get(t, {}).get("vs_executorch")]
                parts = []
                for c in comparisons:
                    if c.get("ok"):
                        parts.append("identical" if c["identical_bytes"] else f"differ (max {c['max_lsb_vs_tosaic']})")
                    else:
                        parts.append("–" + note(f"{name} ET output comparison: {c.get('error')}"))
                cells.append("/".join(parts) or "–")
            else:
                cells += ["–", "–"]
        if not row.get("done"):
            cells[0] += note("the row's process did not finish (crashed or timed out); missing cells were not reached")
        lines.append("| " + " | ".join(cells) + " |")
    notes_out.extend(notes)
    return "\n".join(lines) + "\n"


def render_all(out: str, models: list[str], targets: list[str]) -> str:
    rows = {}
    for name in models:
        path = os.path.join(out, name, "tosaic.json")
        if os.path.exists(path):
            with open(path) as f:
                rows[name] = json.load(f)
    notes: list[str] = []
    table = render(rows, targets, notes)
    cli_rows = [(n, r["cli"]) for n, r in rows.items() if r.get("cli")]
    text = table
    if cli_rows:
        text += "\nThrough the CLI (`tosaic compile benchmarks/architectures.py:NAME --input-shape S --scheme a8w8 "
        text += "--target ethos-u55-128`):\n\n| model | s | NPU ops | cycles U55-128 |\n|---|---|---|---|\n"
        for n, c in cli_rows:
            text += (f"| {n} | {c['seconds']:.0f} | {c['npu_ops']}/{c['npu_ops'] + c['cpu_ops']} | {c['cycles_total']} |\n"
                     if c.get("ok") else f"| {n} | ERR: {c.get('error')} | | |\n")
    if notes:
        text += "\nNotes:\n\n" + "\n".join(f"[{i + 1}] {n}  " for i, n in enumerate(notes)) + "\n"
    return text


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(architectures.ARCHITECTURES),
                        choices=list(architectures.ARCHITECTURES), metavar="MODEL")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS))
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--executorch-venv", default=None, help="e.g. /work/shared-venvs/executorch")
    parser.add_argument("--skip-executorch", action="store_true")
    parser.add_argument("--cli-models", nargs="*", default=list(DEFAULT_CLI_MODELS),
                        help="models also compiled once through the `tosaic compile` CLI")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per model and side")
    parser.add_argument("--reuse-executorch", action="store_true",
                        help="use an existing <out>/<model>/executorch/result.json instead of running ExecuTorch "
                             "again (also with --skip-executorch)")
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--et-dir", help=argparse.SUPPRESS)
    parser.add_argument("--cli", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    if args.worker:
        return run_worker(args.worker, out, args.targets, args.cli, args.et_dir)
    if not args.render_only:
        from tosaic import targets as tosaic_targets

        et_python = None
        if not args.skip_executorch:
            venv = args.executorch_venv or os.path.join(HERE, ".venv-executorch")
            info_path = os.path.join(venv, "install.json")
            info = json.load(open(info_path)) if os.path.exists(info_path) else {}
            if info.get("ok"):
                et_python = os.path.join(venv, "bin", "python")
            else:
                log(f"[executorch] not available ({info_path}): its columns are left out")
        for name in args.models:
            started = time.perf_counter()
            et_dir = None
            existing = os.path.join(out, name, "executorch")
            if args.reuse_executorch and os.path.exists(os.path.join(existing, "result.json")):
                et_dir = existing
            elif et_python:
                et_dir = existing
                command = [et_python, os.path.join(HERE, "coverage_executorch.py"), "--model", name, "--out", et_dir]
                for target in args.targets:
                    vela = tosaic_targets.target(target).family.vela
                    command += ["--target", f"{target}:{vela.system_config}:{vela.memory_mode}"]
                try:
                    subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=args.timeout)
                except subprocess.TimeoutExpired:
                    os.makedirs(et_dir, exist_ok=True)
                    with open(os.path.join(et_dir, "result.json"), "w") as f:
                        json.dump({"ok": False, "error": f"timed out after {args.timeout:.0f} s"}, f)
                log(f"[{name}] ExecuTorch side done ({time.perf_counter() - started:.0f} s)")
            command = [sys.executable, os.path.abspath(__file__), "--worker", name, "--out", out,
                       "--targets", *args.targets]
            if et_dir:
                command += ["--et-dir", et_dir]
            if name in args.cli_models:
                command.append("--cli")
            try:
                proc = subprocess.run(command, cwd=REPO, timeout=args.timeout)
                if proc.returncode:
                    log(f"[{name}] worker exited with {proc.returncode}")
            except subprocess.TimeoutExpired:
                log(f"[{name}] worker timed out")
            log(f"[{name}] done in {time.perf_counter() - started:.0f} s")
    text = render_all(out, args.models, args.targets)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
