"""What made an output directory: tool versions and the command line in report.json, and no
files left from an earlier compile mixed with this one's."""

from __future__ import annotations

import fnmatch
import os
import sys

# Distribution name -> report key.
_PACKAGES = {"tosaic": "tosaic", "torch": "torch", "torch-mlir": "torch-mlir", "torchao": "torchao",
             "tosa-tools": "tosa-tools", "ethos-u-vela": "vela"}

# What `tosaic compile` / `tosaic debug` write into OUTDIR (Vela's names for model.tosa).
_OUTPUTS = ("model.mlir", "model.tosa", "report.json", "report.html", "numerics.json", "model_vela.tflite",
            "model_vela.npz", "model_summary_*.csv", "model_per-layer.csv", "model_debug.xml")
_C_MARK = "written by tosaic (--emit-c)"


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package, key in _PACKAGES.items():
        try:
            found[key] = version(package)
        except PackageNotFoundError:
            found[key] = None
    return found


def command_line() -> list[str]:
    """The command that is running: `tosaic compile ...` as typed, or the script using the API."""
    return [os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else sys.executable, *sys.argv[1:]]


def clean_stale_outputs(output_dir: str) -> list[str]:
    """Remove what an earlier compile wrote into `output_dir` (its report.json says there was
    one), so no file of it is mistaken for this compile's; other files stay. Returns the
    names removed."""
    if not os.path.isfile(os.path.join(output_dir, "report.json")):
        return []
    removed = []
    for name in sorted(os.listdir(output_dir)):
        path = os.path.join(output_dir, name)
        if not os.path.isfile(path):
            continue
        ours = any(fnmatch.fnmatch(name, pattern) for pattern in _OUTPUTS)
        if not ours and (name.endswith("_data.h") or name.endswith("_data.c")):
            with open(path, errors="replace") as f:
                ours = _C_MARK in f.readline()
        if ours:
            os.remove(path)
            removed.append(name)
    return removed
