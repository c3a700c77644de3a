"""Mutation fuzzer for `tosaic-opt`: the lit corpus, mutated, through the pipelines its
RUN lines name and the named tosa-int pipeline; every run classified.

    .venv/bin/python benchmarks/fuzz_opt.py --runs 2000 --seed 1 --out /tmp/fuzz
    .venv/bin/python benchmarks/fuzz_opt.py --replay /tmp/fuzz/internal-error-*.mlir

A case is one split chunk of a lit file (`// -----`), mutated 1-3 times: a line dropped or
duplicated, an element type swapped among i4/i8/i16/i48/ui8/f32/bf16, a number in a
shape, attribute, scale or zero point changed (0, -1, 1e30, nan, inf, a neighbour), an
axis changed. Classes: `ok` (exit 0), `error` (exit 1 with `file:line:col: error:`
diagnostics and no traceback), `internal-error` (a pass raised: reported as "internal
error in pass"), `traceback` (a Python traceback reached stderr), `signal` (the process
died), `hang` (over the time limit). One reproducer per distinct signature is saved in
`--out`. Cases run in one worker process (tosaic-opt's `run()` in-process, so thousands
of runs cost seconds, not a process start each); a worker that dies is restarted and its
case is the signal. A reproducer is minimized first: lines are dropped while the failure
keeps its signature.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = ("ok", "error", "internal-error", "traceback", "signal", "hang")
_TYPES = ("i4", "i8", "i16", "i32", "i48", "ui8", "f32", "bf16")
_NUMBERS = ("0", "-1", "1", "2", "3", "127", "-128", "300", "1.0e30", "0.0", "-0.5", "nan", "inf", "65536")


def corpus() -> list[tuple[str, str, str]]:
    """(lit file, pipeline, chunk text) for every chunk of every lit test with a pipeline."""
    cases = []
    for path in sorted(glob.glob(os.path.join(REPO, "test", "lit", "**", "*.mlir"), recursive=True)):
        text = open(path).read()
        pipelines = re.findall(r"--pass-pipeline='([^']+)'", text) or ["PIPELINE:tosa-int"]
        for chunk in text.split("// -----"):
            body = "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("//"))
            if "func.func" in body:
                for pipeline in dict.fromkeys(pipelines + ["PIPELINE:tosa-int"]):
                    cases.append((os.path.relpath(path, REPO), pipeline, body))
    return cases


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        kind = rng.choice(("drop", "duplicate", "type", "number", "number", "type"))
        i = rng.randrange(len(lines))
        if kind == "drop" and "func.func" not in lines[i] and "return" not in lines[i]:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "type":
            found = [m for m in re.finditer(r"(?<=[x<])(i4|i8|i16|i32|i48|ui8|f32|bf16)(?=>)", lines[i])]
            if found:
                m = rng.choice(found)
                lines[i] = lines[i][:m.start()] + rng.choice(_TYPES) + lines[i][m.end():]
        else:
            found = [m for m in re.finditer(r"-?\d+(\.\d+)?(e[+-]?\d+)?", lines[i])]
            if found:
                m = rng.choice(found)
                lines[i] = lines[i][:m.start()] + rng.choice(_NUMBERS) + lines[i][m.end():]
    return "\n".join(lines) + "\n"


def classify(code: int | None, stderr: str) -> str:
    if code is None or "TimeoutError" in stderr:
        return "hang"
    if code < 0:
        return "signal"
    if "Traceback (most recent call last)" in stderr:
        return "traceback"
    if "internal error" in stderr:
        return "internal-error"
    return "ok" if code == 0 else "error"


def signature(kind: str, stderr: str) -> str:
    """What a run's failure has in common with others of its cause: the exception line."""
    if kind in ("ok", "error", "hang", "signal"):
        return kind
    line = next((l for l in reversed(stderr.splitlines()) if "Error" in l or "internal error" in l), "")
    line = re.sub(r"^.*?error: ", "", line)
    return kind + ": " + re.sub(r"-?\d+(\.\d+)?(e[+-]?\d+)?", "N", line)[:160]


# ---------------------------------------------------------------- the worker process


def _worker() -> None:
    """Read JSON cases from stdin, run each through tosaic-opt's run(), print one JSON line."""
    import io
    import signal
    import warnings

    warnings.filterwarnings("ignore")
    import torch  # noqa: F401 - the table lowering's interpreter: imported once, not under an alarm

    from tosaic.tools import opt

    def alarm(*_):
        raise TimeoutError

    # The limit is CPU time (SIGPROF), not wall time: on a loaded machine a run waiting
    # for a core is not a hang.
    signal.signal(signal.SIGPROF, alarm)
    for line in sys.stdin:
        case = json.loads(line)
        pipeline = case["pipeline"]
        argv = ["-"] + ([f"--pipeline={pipeline.split(':', 1)[1]}"] if pipeline.startswith("PIPELINE:")
                        else [f"--pass-pipeline={pipeline}"])
        out, err = io.StringIO(), io.StringIO()
        signal.setitimer(signal.ITIMER_PROF, case["timeout"])
        try:
            code = opt.run(argv, stdin=io.StringIO(case["text"]), stdout=out, stderr=err)
        except TimeoutError:
            code = None
        except BaseException:  # noqa: BLE001 - what escaped run() is the finding
            import traceback

            err.write(traceback.format_exc())
            code = 2
        signal.setitimer(signal.ITIMER_PROF, 0)
        print(json.dumps({"code": code, "stderr": err.getvalue()[-4000:]}), flush=True)


class _Worker:
    def __init__(self):
        self.process = None

    def run(self, case: dict) -> tuple[int | None, str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        self.process.stdin.write(json.dumps(case) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:  # the worker died on this case
            code = self.process.wait()
            self.process = None
            return (code if code < 0 else -1), ""
        result = json.loads(reply)
        return result["code"], result["stderr"]

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:  # a loaded machine; its results are in
                self.process.kill()
                self.process.wait()


def minimize(worker, pipeline: str, text: str, kind: str, sig: str, timeout: int, budget: int = 200) -> str:
    """The case with as many lines dropped as keep the failure's signature (greedy, one
    line at a time, until no line can go or `budget` runs are spent)."""
    lines = text.splitlines()
    changed = True
    while changed and budget > 0:
        changed = False
        for i in range(len(lines) - 1, -1, -1):
            if budget <= 0:
                break
            candidate = lines[:i] + lines[i + 1:]
            budget -= 1
            code, stderr = worker.run({"pipeline": pipeline, "text": "\n".join(candidate) + "\n", "timeout": timeout})
            found = classify(code, stderr)
            if found == kind and signature(found, stderr) == sig:
                lines, changed = candidate, True
    return "\n".join(lines) + "\n"


def replay(paths: list[str], timeout: int = 20) -> int:
    """Run saved reproducers (their `// pipeline:` header line) and print each one's class."""
    worker = _Worker()
    bad = 0
    try:
        for path in paths:
            text = open(path).read()
            pipeline = re.search(r"^// pipeline: (.*)$", text, re.M).group(1)
            code, stderr = worker.run({"pipeline": pipeline, "text": text, "timeout": timeout})
            kind = classify(code, stderr)
            bad += kind not in ("ok", "error")
            print(f"{kind:15s} {path}: {signature(kind, stderr) if kind not in ('ok', 'error') else ''}")
    finally:
        worker.close()
    return 1 if bad else 0


def fuzz(runs: int, seed: int, out: str | None = None, timeout: int = 20, progress: int = 0) -> dict:
    """Run `runs` mutated cases; returns {"counts": {class: n}, "signatures": {sig: [n, example]}}."""
    rng = random.Random(seed)
    cases = corpus()
    counts = collections.Counter()
    signatures: dict[str, list] = {}
    worker = _Worker()

    def record(kind, source, pipeline, mutated, stderr):
        sig = signature(kind, stderr)
        if sig not in signatures:
            signatures[sig] = [0, f"{source} | {pipeline}"]
            if out:
                os.makedirs(out, exist_ok=True)
                name = f"{kind}-{len(signatures):03d}.mlir"
                smallest = minimize(worker, pipeline, mutated, kind, sig, timeout)
                with open(os.path.join(out, name), "w") as f:
                    f.write(f"// {sig}\n// from {source}\n// pipeline: {pipeline}\n{smallest}")
        signatures[sig][0] += 1

    try:
        for index in range(runs):
            source, pipeline, text = rng.choice(cases)
            mutated = mutate(text, rng)
            code, stderr = worker.run({"pipeline": pipeline, "text": mutated, "timeout": timeout})
            kind = classify(code, stderr)
            counts[kind] += 1
            if kind not in ("ok", "error"):
                record(kind, source, pipeline, mutated, stderr)
            if progress and (index + 1) % progress == 0:
                print(f"{index + 1} runs: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                      file=sys.stderr, flush=True)
    finally:
        worker.close()
    return {"counts": {k: counts.get(k, 0) for k in CLASSES}, "signatures": signatures}


def main(argv=None) -> int:
    if argv is None and sys.argv[1:] == ["--worker"]:
        _worker()
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="directory for one reproducer per failure signature")
    p.add_argument("--timeout", type=int, default=20, help="CPU seconds before a run counts as a hang")
    p.add_argument("--progress", type=int, default=0, metavar="N", help="print the counts every N runs")
    p.add_argument("--replay", nargs="+", metavar="FILE", help="run saved reproducers instead")
    args = p.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.timeout)
    result = fuzz(args.runs, args.seed, args.out, args.timeout, args.progress)
    print(" | ".join(f"{k} {v}" for k, v in result["counts"].items()))
    for sig, (n, example) in sorted(result["signatures"].items(), key=lambda kv: -kv[1][0]):
        print(f"{n:5d}  {sig}   [{example}]")
    bad = sum(result["counts"][k] for k in ("internal-error", "traceback", "signal", "hang"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
