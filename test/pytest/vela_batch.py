"""Run Vela on many TOSA flatbuffers in one process (tests and benchmarks with many small models).

`tosaic.targets.vela.run_vela` starts one Vela process per model, and most of its time on a
one-op model is Python start-up and imports (~1 s of ~1.3 s). `run_batch` starts one worker
(this file as a script) that calls `run_vela` for each job with its subprocess call replaced
by Vela's own `main()` in the same process, and returns each job's placement and cycles. The
command line and the parsing of Vela's output are run_vela's, unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

FIELDS = ("npu_ops", "cpu_ops", "npu_operators", "cpu_operators", "cycles_total", "cycles_npu")


def run_batch(jobs: list[tuple[str, str, str]], python: str | None = None) -> list[dict]:
    """jobs: (tosa_path, accelerator, output_dir) -> per job {FIELDS} or {"error": message}."""
    if not jobs:
        return []
    proc = subprocess.run([python or sys.executable, os.path.abspath(__file__)], input=json.dumps(jobs),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the Vela batch worker failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _worker() -> None:
    import contextlib
    import io

    from ethosu.vela import vela as vela_main

    from tosaic.targets import vela

    prefix = len(vela.vela_command())

    def in_process(command, cwd=None, capture_output=True, text=True):
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()
        os.chdir(cwd or here)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = vela_main.main(list(command[prefix:]))
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 1
                except Exception as e:  # Vela's own failure: reported as its exit status
                    print(f"{type(e).__name__}: {e}", file=err)
                    code = 1
        finally:
            os.chdir(here)
        return subprocess.CompletedProcess(command, code or 0, out.getvalue(), err.getvalue())

    vela.subprocess.run = in_process
    results = []
    for tosa_path, accelerator, output_dir in json.loads(sys.stdin.read()):
        try:
            r = vela.run_vela(tosa_path, accelerator, output_dir)
            results.append({name: getattr(r, name) for name in FIELDS})
        except Exception as e:
            results.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps(results))


if __name__ == "__main__":
    _worker()
