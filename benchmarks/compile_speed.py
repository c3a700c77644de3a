"""Compile time, its stages, its scaling and its peak memory; against ExecuTorch 1.5.1.

    .venv/bin/python benchmarks/compile_speed.py                       # everything
    .venv/bin/python benchmarks/compile_speed.py --models mobilenet_v2_035 resnet18 \\
        --executorch-venv /work/shared-venvs/executorch
    .venv/bin/python benchmarks/compile_speed.py --tosaic /path/to/other/.venv/bin/tosaic --label before
    .venv/bin/python benchmarks/compile_speed.py --render out/compile_speed/before.json out/compile_speed/after.json

Each model is quantized once with tosaic's quantizer (a8w8, fixed seeds; benchmarks/models.py
for MobileNetV2-0.35, this file for ResNet-18, ResNet-50 and the conv chains) into
`<out>/models/<name>.pt2`. Then, per model and target, one whole `tosaic compile <name>.pt2
--target T` process is timed (wall and CPU seconds, peak RSS from wait4) and its report.json's
per-stage seconds are read. With --executorch-venv the same `.pt2` is lowered by ExecuTorch's
Arm Ethos-U backend (benchmarks/executorch_worker.py --mode pt2, as compare.py does): its whole
process, and its in-process `torch.export.load` + `to_edge_transform_and_lower` (imports excluded).

The conv chains (`chain_10`, `chain_100`, `chain_1000`: N blocks of 3x3 conv + ReLU, 16 channels
at 16x16) measure scaling: the compile seconds per TOSA op must stay flat from 10 to 1000 blocks.
Results go to `<out>/<label>.json`; --render prints benchmarks/README.md's tables from such files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

DEFAULT_OUT = os.path.join(HERE, "out", "compile_speed")
WORKER = os.path.join(HERE, "executorch_worker.py")
CHAIN_LENGTHS = (10, 100, 1000)
DEFAULT_MODELS = ["mobilenet_v2_035", "resnet18", "resnet50", *(f"chain_{n}" for n in CHAIN_LENGTHS)]
DEFAULT_TARGETS = ["tosa-int", "ethos-u55-128"]
EXECUTORCH_MODELS = ["mobilenet_v2_035", "resnet18"]
RSS_LIMIT_BYTES = 3 * 1024 ** 3  # ResNet-50 at 224x224 must compile in under 3 GB


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- models


def _models():
    """name -> (constructor, input shape). Torch only; torchvision does not install here."""
    import torch.nn as nn
    import torch.nn.functional as F

    import models as bench_models

    class BasicBlock(nn.Module):
        """ResNet-18's block: two 3x3 conv + BN, identity or 1x1/2 projection shortcut."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    class Bottleneck(nn.Module):
        """ResNet-50's block: 1x1 reduce, 3x3 (stride here, as torchvision's v1.5), 1x1 expand x4."""

        def __init__(self, cin, width, stride):
            super().__init__()
            cout = width * 4
            self.body = nn.Sequential(
                nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            return F.relu(self.body(x) + self.shortcut(x))

    class ResNet(nn.Module):
        """He et al. 2016: 7x7/2 stem, 3x3/2 max pool, four stages, global average pool, fc."""

        def __init__(self, block, repeats, expansion, num_classes=1000):
            super().__init__()
            layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
            cin = 64
            for stage, n in enumerate(repeats):
                width = 64 * 2 ** stage
                for i in range(n):
                    layers.append(block(cin, width, 2 if i == 0 and stage > 0 else 1))
                    cin = width * expansion
            self.features = nn.Sequential(*layers)
            self.fc = nn.Linear(cin, num_classes)

        def forward(self, x):
            return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))

    class ConvChain(nn.Module):
        def __init__(self, blocks, channels=16):
            super().__init__()
            self.body = nn.Sequential(*[m for _ in range(blocks)
                                        for m in (nn.Conv2d(channels, channels, 3, 1, 1), nn.ReLU())])

        def forward(self, x):
            return self.body(x)

    table = {
        "mobilenet_v2_035": bench_models.MODELS["mobilenet_v2_035"],
        "resnet18": (lambda: ResNet(BasicBlock, [2, 2, 2, 2], 1), (1, 3, 224, 224)),
        "resnet50": (lambda: ResNet(Bottleneck, [3, 4, 6, 3], 4), (1, 3, 224, 224)),
    }
    for n in CHAIN_LENGTHS:
        table[f"chain_{n}"] = (lambda n=n: ConvChain(n), (1, 16, 16, 16))
    return table


def quantize(name: str, out: str, samples: int) -> str:
    """`<out>/models/<name>.pt2`, quantized a8w8 by tosaic's quantizer (made once)."""
    path = os.path.join(out, "models", f"{name}.pt2")
    if os.path.exists(path):
        return path
    import torch
    import torch.nn as nn

    from tosaic.quantization import quantize_model

    constructor, shape = _models()[name]
    torch.manual_seed(0)
    model = constructor().eval()
    for m in model.modules():  # non-trivial batch norms, as benchmarks/models.py
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    generator = torch.Generator().manual_seed(1234)
    calibration = [(torch.randn(*shape, generator=generator),) for _ in range(samples)]
    start = time.perf_counter()
    program = quantize_model(model, calibration[0], "a8w8", calibration)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}.partial"  # another run may be making the same file
    torch.export.save(program, partial)
    os.replace(partial, path)
    log(f"[quantize] {name}: {time.perf_counter() - start:.1f} s")
    return path


# --------------------------------------------------------------------------- measuring


def run_with_rusage(command: list[str], timeout: float) -> dict:
    """Wall and CPU seconds and peak RSS of one process (wait4: that child alone)."""
    import tempfile
    import threading

    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timed_out = not timer.is_alive()
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
    result = {
        "ok": proc.returncode == 0 and not timed_out,
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # Linux: kilobytes
        "output": text[-4000:],
        "returncode": proc.returncode,
    }
    if timed_out:
        result["error"] = f"timed out after {timeout:.0f} s"
    return result


def bench_tosaic(tosaic: str, name: str, pt2: str, target: str, out: str, timeout: float) -> dict:
    out_dir = os.path.join(out, "runs", name, target)
    shutil.rmtree(out_dir, ignore_errors=True)
    result = run_with_rusage([tosaic, "compile", pt2, "--target", target, "-o", out_dir], timeout)
    if result["ok"]:
        with open(os.path.join(out_dir, "report.json")) as f:
            report = json.load(f)
        result["stages"] = report.get("seconds", {})
        result["cpu_stages"] = report.get("cpu_seconds", {})
        result["tosa_ops"] = sum(report.get("ops", {}).values())
        result["flatbuffer_bytes"] = report.get("flatbuffer_bytes")
        with open(os.path.join(out_dir, "model.tosa"), "rb") as f:
            import hashlib

            result["flatbuffer_sha256"] = hashlib.sha256(f.read()).hexdigest()[:16]
        vela = report.get("vela")
        if vela:
            result["cycles"] = vela.get("cycles", {}).get("total")
    else:
        result["error"] = result.get("error") or result.get("output", "")[-600:]
    status = (f"{result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU, "
              f"{result['peak_rss_bytes'] / 2 ** 20:.0f} MiB, {result.get('tosa_ops')} ops") if result["ok"] \
        else result["error"][-300:]
    log(f"[tosaic] {name} {target}: {status}")
    return result


def bench_executorch(python: str, name: str, pt2: str, target: str, out: str, timeout: float) -> dict:
    from tosaic import targets

    defaults = targets.target(target).family.vela
    out_dir = os.path.join(out, "executorch", name, target)
    shutil.rmtree(out_dir, ignore_errors=True)
    command = [python, WORKER, "--model", name, "--pt2", pt2, "--target", target,
               "--system-config", defaults.system_config, "--memory-mode", defaults.memory_mode,
               "--out", out_dir, "--mode", "pt2"]
    result = run_with_rusage(command, timeout)
    path = os.path.join(out_dir, "result.json")
    if os.path.exists(path):
        with open(path) as f:
            worker = json.load(f)
        seconds = worker.get("seconds", {})
        result["stages"] = seconds
        result["ok"] = bool(worker.get("ok"))
        if "load_pt2" in seconds and "lower" in seconds:
            result["in_process_s"] = round(seconds["load_pt2"] + seconds["lower"], 3)
        result["cycles"] = worker.get("cycles_total")
        if not worker.get("ok"):
            result["error"] = worker.get("error")
    elif not result.get("error"):
        result["error"] = result.get("output", "")[-600:]
    status = (f"{result['wall_s']:.1f} s wall, in-process {result.get('in_process_s')} s") if result["ok"] \
        else str(result.get("error"))[-300:]
    log(f"[executorch] {name} {target}: {status}")
    return result


# --------------------------------------------------------------------------- tables


def _fmt(value, digits=2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# report.json's stages, in pipeline order; "import" is the stage name before the split.
STAGE_ORDER = ["startup", "imports", "load", "export", "quantize", "import", "decompose", "fx_import",
               "torch_backend", "torch_to_tosa", "passes", "validate", "serialize", "vela"]


def render(paths: list[str]) -> str:
    runs = []
    for path in paths:
        with open(path) as f:
            runs.append(json.load(f))
    lines = []
    # Per-stage seconds, each run side by side.
    for name in runs[-1]["models"]:
        for target in runs[-1]["models"][name]["tosaic"]:
            entries = [(run["label"], run["models"].get(name, {}).get("tosaic", {}).get(target)) for run in runs]
            entries = [(label, e) for label, e in entries if e and e.get("ok")]
            if not entries:
                continue
            stages = [s for s in STAGE_ORDER if any(s in e["stages"] for _, e in entries)]
            lines.append(f"\n`{name}` `--target {target}`, seconds (wall / CPU; a run without CPU "
                         "seconds per stage predates them):\n")
            lines.append("| stage | " + " | ".join(label for label, _ in entries) + " |")
            lines.append("|---|" + "---:|" * len(entries))

            def cell(e, stage):
                wall, cpu = e["stages"].get(stage), e.get("cpu_stages", {}).get(stage)
                return _fmt(wall) + ("" if cpu is None else f" / {_fmt(cpu)}")

            for stage in stages:
                lines.append(f"| {stage} | " + " | ".join(cell(e, stage) for _, e in entries) + " |")
            lines.append("| **whole process** | " + " | ".join(f"**{_fmt(e['wall_s'])} / {_fmt(e['cpu_s'])}**"
                                                            for _, e in entries) + " |")
            lines.append("| peak RSS (MiB) | " + " | ".join(_fmt(e["peak_rss_bytes"] / 2 ** 20, 0) for _, e in entries) + " |")
            lines.append("| flatbuffer sha256 | " + " | ".join(e.get("flatbuffer_sha256", "") for _, e in entries) + " |")
    last = runs[-1]
    et_rows = [(name, m) for name, m in last["models"].items() if m.get("executorch")]
    if et_rows:
        lines.append(f"\nAgainst ExecuTorch {last.get('executorch_version', '1.5.1')} on the same `.pt2` "
                     f"(run `{last['label']}`):\n")
        lines.append("| model | target | tosaic whole (s) | ET whole (s) | **ratio** (≤ 0.2) | ET in-process load + lower (s) "
                     "| **ratio** (≤ 0.5) | tosaic CPU (s) | ET CPU (s) |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, m in et_rows:
            for target, et in m["executorch"].items():
                ours = m["tosaic"].get(target)
                if not (ours and ours.get("ok") and et.get("ok")):
                    lines.append(f"| {name} | {target} | {_fmt(ours and ours.get('wall_s'))} | failed: "
                                 f"{str(et.get('error'))[:80]} | | | | | |")
                    continue
                whole = ours["wall_s"] / et["wall_s"]
                inproc = ours["wall_s"] / et["in_process_s"] if et.get("in_process_s") else None
                lines.append(f"| {name} | {target} | {_fmt(ours['wall_s'])} | {_fmt(et['wall_s'])} | **{_fmt(whole)}** | "
                             f"{_fmt(et.get('in_process_s'))} | **{_fmt(inproc)}** | {_fmt(ours['cpu_s'])} | "
                             f"{_fmt(et['cpu_s'])} |")
    chains = [(n, last["models"].get(f"chain_{n}")) for n in CHAIN_LENGTHS]
    chains = [(n, m) for n, m in chains if m]
    if chains:
        target = next(iter(chains[0][1]["tosaic"]))
        lines.append(f"\nScaling (`--target {target}`, run `{last['label']}`): N blocks of 3x3 conv + ReLU:\n")
        lines.append("| blocks | TOSA ops | whole (s) | CPU (s) | stages after startup (CPU s) | ms per op (stages) | peak RSS (MiB) |")
        lines.append("|---:|---:|---:|---:|---:|---:|---:|")
        for n, m in chains:
            e = m["tosaic"].get(target)
            if not (e and e.get("ok")):
                lines.append(f"| {n} | failed | | | | | |")
                continue
            per_stage = e.get("cpu_stages") or e["stages"]  # CPU seconds where the run has them
            stages = sum(v for k, v in per_stage.items() if k not in ("startup", "imports"))
            lines.append(f"| {n} | {e['tosa_ops']} | {_fmt(e['wall_s'])} | {_fmt(e['cpu_s'])} | {_fmt(stages)} | "
                         f"{_fmt(1000 * stages / e['tosa_ops'], 1)} | {_fmt(e['peak_rss_bytes'] / 2 ** 20, 0)} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--targets", nargs="+", default=DEFAULT_TARGETS)
    parser.add_argument("--tosaic", default=os.path.join(os.path.dirname(sys.executable), "tosaic"),
                        help="the tosaic command to time (another checkout's venv for a 'before' run)")
    parser.add_argument("--label", default="after", help="this run's name (its results: <out>/<label>.json)")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--calibration-samples", type=int, default=2)
    parser.add_argument("--executorch-venv", help="ExecuTorch 1.5.1's venv: compare on its models")
    parser.add_argument("--executorch-models", nargs="+", default=EXECUTORCH_MODELS)
    parser.add_argument("--executorch-targets", nargs="+", default=["ethos-u55-128"])
    parser.add_argument("--render", nargs="+", metavar="RESULTS.json", help="print the tables of these runs")
    parser.add_argument("--program", action="append", default=[], metavar="NAME=PT2",
                        help="time this quantized .pt2 (e.g. one ExecuTorch's quantizer made, which ExecuTorch "
                             "lowers; it rejects tosaic-quantized programs) as model NAME instead of quantizing it")
    args = parser.parse_args(argv)
    programs = dict(item.split("=", 1) for item in args.program)
    if programs and args.models == DEFAULT_MODELS:
        args.models = list(programs)
    if args.render:
        sys.stdout.write(render(args.render))
        return 0

    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, f"{args.label}.json")
    results = {"label": args.label, "tosaic": args.tosaic, "models": {}}
    if os.path.exists(results_path):  # add to an earlier run of the same label
        with open(results_path) as f:
            results = json.load(f)
    for name in args.models:
        pt2 = programs.get(name) or quantize(name, args.out, args.calibration_samples)
        entry = results["models"].setdefault(name, {"tosaic": {}})
        for target in args.targets:
            entry["tosaic"][target] = bench_tosaic(args.tosaic, name, pt2, target, os.path.join(args.out, args.label),
                                                   args.timeout)
        if args.executorch_venv and (name in args.executorch_models or name in programs):
            python = os.path.join(args.executorch_venv, "bin", "python")
            entry["executorch"] = {target: bench_executorch(python, name, pt2, target, args.out, args.timeout)
                                   for target in args.executorch_targets}
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)
    resnet50 = results["models"].get("resnet50", {}).get("tosaic", {})
    for target, e in resnet50.items():
        if e.get("ok"):
            verdict = "under" if e["peak_rss_bytes"] < RSS_LIMIT_BYTES else "OVER"
            log(f"resnet50 {target}: peak RSS {e['peak_rss_bytes'] / 2 ** 30:.2f} GiB ({verdict} 3 GB)")
    sys.stdout.write(render([results_path]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
