"""`tosaic compile --timing`: the seconds of each stage of the whole process.

The stages are report.json's "seconds" (tosaic.driver.compiler), headed by "startup":
interpreter start to the compiler's modules imported (torch, torch-mlir, tosaic)."""

from __future__ import annotations

import json
import os

# The stages in the order a compile runs them (the report says which ran).
STAGES = {
    "startup": "interpreter start, argument parsing, torch / torch-mlir / tosaic imports",
    "imports": "the quantized_decomposed ops a .pt2 needs",
    "load": "torch.export.load",
    "export": "torch.export.export of the nn.Module",
    "quantize": "tosaic's quantizer (float program with --scheme)",
    "decompose": "decomposition of the ops torch-mlir and tosaic's lowerings need",
    "fx_import": "torch-mlir's FX importer",
    "torch_backend": "torch-mlir's torch-backend pipeline",
    "torch_to_tosa": "TorchToTosa (and tosaic's Q/DQ import)",
    "passes": "tosaic's pipeline for the target",
    "validate": "TOSA target attach and validation",
    "serialize": "TOSA flatbuffer",
    "vela": "Vela",
}


def process_seconds() -> float | None:
    """Seconds since this process started (Linux /proc), or None where unknown."""
    try:
        with open("/proc/self/stat") as f:
            started_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def startup_seconds() -> float | None:
    """Process start to the compile driver imported (importing it here if it is not yet)."""
    import tosaic.driver.compiler  # noqa: F401  torch, torch-mlir, tosaic's passes

    return process_seconds()


def record_startup(result, startup: float | None) -> None:
    """Put "startup" first in report["seconds"], and in report.json if one was written."""
    if startup is None:
        return
    result.report["seconds"] = {"startup": round(startup, 4), **result.report["seconds"]}
    if result.output_dir:
        with open(os.path.join(result.output_dir, "report.json"), "w") as f:
            json.dump(result.report, f, indent=2, sort_keys=True)
            f.write("\n")


def stage_table(seconds: dict) -> str:
    total = sum(seconds.values())
    lines = ["  seconds per stage:"]
    for stage, value in sorted(seconds.items(), key=lambda item: list(STAGES).index(item[0])
                               if item[0] in STAGES else len(STAGES)):
        lines.append(f"    {stage:<14} {value:8.3f}  {100 * value / total if total else 0:5.1f}%  "
                     f"{STAGES.get(stage, '')}")
    lines.append(f"    {'total':<14} {total:8.3f}")
    return "\n".join(lines)
