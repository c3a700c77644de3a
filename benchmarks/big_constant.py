"""Resource bound: a model holding one ~100 MB constant (a 5120x5120 float linear layer,
105 MB of weights) compiles; reports wall time and the compile process's peak RSS.

    .venv/bin/python benchmarks/big_constant.py                       # tosa-fp and tosa-int (a8w8)
    .venv/bin/python benchmarks/big_constant.py --targets tosa-fp --features 5120

Each compile is a fresh `tosaic compile file.py:BigLinear` process; its peak RSS is the
kernel's (`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` of that child alone).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

BIN = os.path.dirname(sys.executable)

MODEL = '''\
import torch


class BigLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear({features}, {features})

    def forward(self, x):
        return torch.relu(self.linear(x))
'''


def measure(target: str, features: int, work: str) -> dict:
    model = os.path.join(work, "big.py")
    with open(model, "w") as f:
        f.write(MODEL.format(features=features))
    out = os.path.join(work, target)
    argv = [os.path.join(BIN, "tosaic"), "compile", f"{model}:BigLinear", "--input-shape", f"1x{features}",
            "--target", target, "-o", out] + (["--scheme", "a8w8"] if target != "tosa-fp" else [])
    # A fresh process per measurement: RUSAGE_CHILDREN's maximum is then this child's.
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(p.returncode, time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.stderr.write(p.stderr[-2000:])")
    probe = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    returncode, seconds, rss_kb = probe.stdout.split()
    flatbuffer = os.path.join(out, "model.tosa")
    return {"target": target, "exit": int(returncode), "seconds": float(seconds), "peak_rss_mb": int(rss_kb) / 1024,
            "weights_mb": features * features * 4 / 1e6,
            "flatbuffer_mb": os.path.getsize(flatbuffer) / 1e6 if os.path.exists(flatbuffer) else None,
            "error": probe.stderr.strip().splitlines()[-1] if int(returncode) else ""}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", nargs="+", default=["tosa-fp", "tosa-int"])
    p.add_argument("--features", type=int, default=5120)
    args = p.parse_args(argv)
    print("| target | float weights MB | exit | wall s | peak RSS MB | flatbuffer MB |\n| --- | --- | --- | --- | --- | --- |")
    failed = False
    with tempfile.TemporaryDirectory(prefix="tosaic-big-") as work:
        for target in args.targets:
            r = measure(target, args.features, work)
            failed |= r["exit"] != 0
            fb = f"{r['flatbuffer_mb']:.1f}" if r["flatbuffer_mb"] is not None else r["error"][:80]
            print(f"| {target} | {r['weights_mb']:.0f} | {r['exit']} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} | {fb} |",
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
