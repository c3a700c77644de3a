"""`tosaic compile --timing`: the seconds of each stage of the whole process.

The stages are report.json's "seconds" (tosaic.driver.compiler), headed by "startup":
interpreter start to the compiler's modules imported (torch, torch-mlir, tosaic)."""

from __future__ import annotations

import json
import os
import time

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


def startup_seconds() -> tuple[float | None, float]:
    """Wall and CPU seconds from process start to the compile driver imported (importing
    it here if it is not yet)."""
    import tosaic.driver.compiler  # noqa: F401  torch, torch-mlir, tosaic's passes

    return process_seconds(), time.process_time()


def record_startup(result, startup: tuple[float | None, float], before: dict | None = None) -> None:
    """Put "startup" first in report["seconds"] (and "cpu_seconds"), then the stages the
    command line ran before the compile (`before`: stage -> (wall, cpu), e.g. the .pt2
    load), and rewrite report.json if one was written."""
    wall, cpu = startup
    if wall is None:
        return
    before = before or {}
    result.report["seconds"] = {"startup": round(wall, 4), **{k: round(v[0], 4) for k, v in before.items()},
                                **result.report["seconds"]}
    result.report["cpu_seconds"] = {"startup": round(cpu, 4), **{k: round(v[1], 4) for k, v in before.items()},
                                    **result.report.get("cpu_seconds", {})}
    if result.output_dir:
        with open(os.path.join(result.output_dir, "report.json"), "w") as f:
            json.dump(result.report, f, indent=2, sort_keys=True)
            f.write("\n")


def stage_table(seconds: dict, cpu_seconds: dict | None = None) -> str:
    """The stages in the order they ran: wall seconds, share, CPU seconds, what each is."""
    cpu_seconds = cpu_seconds or {}
    total = sum(seconds.values())
    lines = [f"  seconds per stage:   {'wall':>8}  {'share':>6}  {'CPU':>8}"]
    order = list(STAGES)
    for stage, value in sorted(seconds.items(), key=lambda item: order.index(item[0]) if item[0] in order
                               else len(order)):
        cpu = cpu_seconds.get(stage)
        lines.append(f"    {stage:<16} {value:8.3f}  {100 * value / total if total else 0:5.1f}%  "
                     f"{'' if cpu is None else f'{cpu:8.3f}':>8}  {STAGES.get(stage, '')}")
    lines.append(f"    {'total':<16} {total:8.3f}          {sum(cpu_seconds.values()):8.3f}")
    return "\n".join(lines)
