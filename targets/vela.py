"""Ethos-U out: compile a TOSA flatbuffer with Arm's Vela and read back what it reports.

Vela runs as a subprocess (the `vela` script next to our interpreter) with its working
directory set to the output directory, so every file it writes, and every path it records
inside them, depends only on the input. Besides the compiled model it is asked for:

* `<stem>_summary_<system config>.csv`: one row of network totals (cycles, memory, weights);
* `<stem>_per-layer.csv` (`--verbose-performance`): one row per scheduled operator;
* `<stem>_debug.xml` (`--enable-debug-db`): Vela's optimisation database;
* on stdout (`--show-cpu-operations`): the CPU/NPU operator counts and lists.

Vela takes TOSA flatbuffers for the integer profile only. It has no CPU fallback for a
TOSA operator it cannot run: a float graph, or an operator the chosen NPU lacks, fails the
whole compilation, and that surfaces here as an error naming the operators.
"""

from __future__ import annotations

import configparser
import csv
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

from tosaic.driver.errors import EmitError
from tosaic.targets.registry import ACCELERATORS, target

OPTIMISE = ("Performance", "Size")
# Vela's tensor allocators (its default: HillClimb); `--vela-search` tries each.
TENSOR_ALLOCATORS = ("HillClimb", "Greedy", "LinearAlloc")
OUTPUT_FORMATS = ("tflite", "raw")

_TOSA_IDENTIFIER = b"TOSA"  # flatbuffer file identifier, bytes 4..8

# Summary CSV memory columns (Vela writes KiB) -> our names.
_MEMORIES = ("sram", "dram", "on_chip_flash", "off_chip_flash")

# Per-layer CSV header -> (VelaLayer field, type)
_LAYER_COLUMNS = {
    "Name": ("name", str),
    "Original Operator": ("original_op", str),
    "NNG Operator": ("op", str),
    "Target": ("target", str),
    "Op Cycles": ("cycles", int),
    "NPU": ("npu_cycles", int),
    "MAC Count": ("macs", int),
    "Staging Usage": ("staging_bytes", int),
    "SRAM AC": ("sram_access_cycles", int),
    "DRAM AC": ("dram_access_cycles", int),
    "OnFlash AC": ("on_chip_flash_access_cycles", int),
    "OffFlash AC": ("off_chip_flash_access_cycles", int),
    "Network% (cycles)": ("cycles_percent", float),
    "Util% (MAC)": ("mac_utilisation_percent", float),
}


class VelaError(EmitError):
    """Vela rejected the network. `rejected_operators` lists what it named, if anything."""

    def __init__(self, message: str, accelerator: str | None = None, rejected_operators=(), detail: str = ""):
        super().__init__(message)
        self.accelerator = accelerator
        self.rejected_operators = list(rejected_operators)
        self.detail = detail


@dataclass
class VelaLayer:
    """One scheduled operator from `<stem>_per-layer.csv`."""

    name: str  # the operator's output tensor
    original_op: str  # the TOSA operator it came from
    op: str  # what Vela scheduled
    target: str  # "NPU" or "CPU"
    cycles: int
    npu_cycles: int
    macs: int
    staging_bytes: int
    sram_access_cycles: int
    dram_access_cycles: int
    on_chip_flash_access_cycles: int
    off_chip_flash_access_cycles: int
    cycles_percent: float
    mac_utilisation_percent: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class VelaResult:
    accelerator: str
    system_config: str
    memory_mode: str
    optimise: str
    output_format: str
    output_dir: str
    model_path: str  # the compiled model: <stem>_vela.tflite or <stem>_vela.npz
    output_files: list[str]  # every file Vela wrote, sorted
    npu_ops: int
    cpu_ops: int
    npu_operators: list[str]
    cpu_operators: list[str]
    cycles_total: int
    cycles_npu: int
    access_cycles: dict[str, int]  # per memory: sram, dram, on_chip_flash, off_chip_flash
    macs: int
    core_clock_hz: float
    inference_time_s: float
    memory_used_bytes: dict[str, int]  # per memory: sram, dram, on_chip_flash, off_chip_flash
    weights_original_bytes: int | None
    weights_encoded_bytes: int | None
    layers: list[VelaLayer]
    summary: dict[str, Any]  # the summary CSV row as Vela wrote it (memory in KiB)
    warnings: list[str] = field(default_factory=list)
    vela_version: str | None = None
    stdout: str = field(default="", repr=False)
    command: list[str] = field(default_factory=list)  # exactly as run, in output_dir

    @property
    def sram_used_bytes(self) -> int:
        return self.memory_used_bytes.get("sram", 0)

    @property
    def dram_used_bytes(self) -> int:
        return self.memory_used_bytes.get("dram", 0)

    @property
    def flash_used_bytes(self) -> int:
        return self.memory_used_bytes.get("on_chip_flash", 0) + self.memory_used_bytes.get("off_chip_flash", 0)

    @property
    def offchip_used_bytes(self) -> int:
        """Memory outside the NPU's SRAM: DRAM and flash."""
        return self.dram_used_bytes + self.flash_used_bytes

    def as_report(self) -> dict:
        """JSON-ready, deterministic: file names are relative to `output_dir`."""

        def rel(path: str) -> str:
            return os.path.relpath(path, self.output_dir)

        return {
            "vela_version": self.vela_version,
            "accelerator": self.accelerator,
            "system_config": self.system_config,
            "memory_mode": self.memory_mode,
            "optimise": self.optimise,
            "output_format": self.output_format,
            "model": rel(self.model_path),
            "files": [rel(p) for p in self.output_files],
            "placement": {
                "npu_ops": self.npu_ops,
                "cpu_ops": self.cpu_ops,
                "npu_operators": self.npu_operators,
                "cpu_operators": self.cpu_operators,
            },
            "cycles": {"total": self.cycles_total, "npu": self.cycles_npu, "access": self.access_cycles},
            "macs": self.macs,
            "core_clock_hz": self.core_clock_hz,
            "inference_time_s": self.inference_time_s,
            "memory_used_bytes": self.memory_used_bytes,
            "sram_used_bytes": self.sram_used_bytes,
            "offchip_used_bytes": self.offchip_used_bytes,
            "weights_bytes": {"original": self.weights_original_bytes, "encoded": self.weights_encoded_bytes},
            "layers": [layer.as_dict() for layer in self.layers],
            "warnings": self.warnings,
        }


# --------------------------------------------------------------------------- running


def vela_command() -> list[str]:
    candidate = os.path.join(os.path.dirname(sys.executable), "vela")
    if os.path.exists(candidate):
        return [candidate]
    return [sys.executable, "-m", "ethosu.vela.vela"]


def vela_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("ethos-u-vela")
    except Exception:  # noqa: BLE001 - informational only
        return None


def _bundled_config_dir() -> str | None:
    spec = importlib.util.find_spec("ethosu")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = os.path.join(location, "config_files")
        if os.path.isdir(path):
            return path
    return None


def _resolve_config_files(config_files: Sequence[str] | str) -> tuple[list[str], list[str]]:
    """(arguments for --config, readable paths). Vela runs in the output directory, so
    user paths are made absolute; `Vendor/file.ini` names the bundled config_files."""
    if isinstance(config_files, str):
        config_files = [config_files]
    bundled = _bundled_config_dir()
    args, paths = [], []
    for cfg in config_files:
        if not cfg.endswith(".ini"):
            raise EmitError(f"Vela configuration files must end in .ini: '{cfg}'")
        if os.path.isfile(cfg):
            path = os.path.abspath(cfg)
            args.append(path)
            paths.append(path)
            continue
        parts = os.path.normpath(cfg).split(os.sep)
        if bundled and len(parts) == 2 and not os.path.isabs(cfg) and os.path.isfile(os.path.join(bundled, cfg)):
            args.append(cfg)
            paths.append(os.path.join(bundled, cfg))
            continue
        raise EmitError(f"Vela configuration file not found: '{cfg}'")
    return args, paths


def _sections(paths: list[str], kind: str) -> list[str]:
    parser = configparser.ConfigParser()
    try:
        parser.read(paths)
    except configparser.Error as e:
        raise EmitError(f"cannot read Vela configuration {paths}: {e}") from None
    prefix = kind + "."
    return [s[len(prefix):] for s in parser.sections() if s.startswith(prefix)]


def _check_tosa(tosa_path: str) -> None:
    if not os.path.isfile(tosa_path):
        raise EmitError(f"no such TOSA flatbuffer: '{tosa_path}'")
    with open(tosa_path, "rb") as f:
        head = f.read(8)
    if len(head) < 8 or head[4:8] != _TOSA_IDENTIFIER:
        raise EmitError(f"'{tosa_path}' is not a TOSA flatbuffer (no 'TOSA' file identifier)")


def _error_tail(stderr: str, stdout: str, max_lines: int = 40) -> str:
    """Vela's own message: the exception text after any Python traceback."""
    text = stderr.strip() or stdout.strip()
    lines = text.splitlines()
    header = "Traceback (most recent call last):"
    if header in lines:
        last = len(lines) - 1 - lines[::-1].index(header)
        # After the frames (indented) comes the unindented exception line.
        start = next((i for i in range(last + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), None)
        if start is not None:
            lines = lines[start:]
            lines[0] = re.sub(r"^(?:[\w.]+\.)?\w*(?:Error|Exception): ", "", lines[0])
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines[-max_lines:])


def _rejected_operators(detail: str) -> list[str]:
    """Operators Vela names in a validation or placement failure."""
    names = re.findall(r"^([A-Z][A-Za-z0-9_]*):\s*$", detail, flags=re.M)
    names += re.findall(r"operation \((\w+)\) could not run on NPU", detail)
    return list(dict.fromkeys(names))


def run_vela(
    tosa_path: str,
    accelerator: str,
    output_dir: str,
    system_config: str | None = None,
    memory_mode: str | None = None,
    config_files: Sequence[str] | None = None,
    optimise: str | None = None,
    output_format: str = "tflite",
    tensor_allocator: str | None = None,
) -> VelaResult:
    """Compile `tosa_path` (a TOSA 1.0 int flatbuffer) for `accelerator` into `output_dir`.

    Without `system_config`, `memory_mode` or `config_files`, the accelerator family's
    Vela defaults are used (`tosaic.targets`: Vela's own, in its bundled Arm/vela.ini).
    """
    if accelerator not in ACCELERATORS:
        raise EmitError(f"unknown Ethos-U accelerator '{accelerator}'; available: {', '.join(ACCELERATORS)}")
    if optimise is None:
        optimise = "Performance"
    if optimise not in OPTIMISE:
        raise EmitError(f"unknown Vela optimisation '{optimise}'; available: {', '.join(OPTIMISE)}")
    if tensor_allocator is not None and tensor_allocator not in TENSOR_ALLOCATORS:
        raise EmitError(f"unknown Vela tensor allocator '{tensor_allocator}'; available: {', '.join(TENSOR_ALLOCATORS)}")
    if output_format not in OUTPUT_FORMATS:
        raise EmitError(f"unknown Vela output format '{output_format}'; available: {', '.join(OUTPUT_FORMATS)}")
    _check_tosa(tosa_path)
    tosa_path = os.path.abspath(tosa_path)

    defaults = target(accelerator).family.vela
    config_args, config_paths = _resolve_config_files(
        config_files if config_files is not None else [defaults.config_file])
    system_config = system_config or defaults.system_config
    memory_mode = memory_mode or defaults.memory_mode
    for kind, name, option in (
        ("System_Config", system_config, "system config"),
        ("Memory_Mode", memory_mode, "memory mode"),
    ):
        available = _sections(config_paths, kind)
        if name not in available:
            raise EmitError(
                f"unknown Vela {option} '{name}' in {', '.join(config_args)}; available: {', '.join(available)}"
            )

    output_dir = os.path.abspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(tosa_path))[0]
    model_path = os.path.join(output_dir, f"{stem}_vela." + ("tflite" if output_format == "tflite" else "npz"))
    summary_csv = os.path.join(output_dir, f"{stem}_summary_{system_config}.csv")
    per_layer_csv = os.path.join(output_dir, f"{stem}_per-layer.csv")
    debug_xml = os.path.join(output_dir, f"{stem}_debug.xml")
    expected = [model_path, summary_csv, per_layer_csv, debug_xml]
    # Files from an earlier run must not be mistaken for this run's.
    for path in expected:
        if os.path.exists(path):
            os.remove(path)

    command = [
        *vela_command(),
        tosa_path,
        "--accelerator-config", accelerator,
        *[arg for cfg in config_args for arg in ("--config", cfg)],
        "--system-config", system_config,
        "--memory-mode", memory_mode,
        "--optimise", optimise,
        "--output-format", output_format,
        "--output-dir", ".",
        "--verbose-performance",
        "--verbose-weights",
        "--verbose-cycle-estimate",
        "--show-cpu-operations",
        "--enable-debug-db",
        *(("--tensor-allocator", tensor_allocator) if tensor_allocator else ()),
    ]  # fmt: skip
    try:
        proc = subprocess.run(command, cwd=output_dir, capture_output=True, text=True)
    except OSError as e:
        raise EmitError(f"cannot run Vela ({command[0]}): {e}") from None

    if proc.returncode != 0:
        detail = _error_tail(proc.stderr, proc.stdout)
        rejected = _rejected_operators(detail)
        what = f" (rejected operators: {', '.join(rejected)})" if rejected else ""
        hint = ""
        if "data type not supported" in detail:
            hint = (
                "\nNote: Ethos-U NPUs have no floating-point support; "
                "a float (pro_fp) graph must be quantized (pro_int) first."
            )
        raise VelaError(
            f"Vela could not compile '{tosa_path}' for {accelerator}{what}; "
            f"it exited with code {proc.returncode}:\n{detail}{hint}",
            accelerator=accelerator,
            rejected_operators=rejected,
            detail=detail,
        )
    for path in (model_path, summary_csv):
        if not os.path.exists(path):
            raise EmitError(
                f"Vela reported success but did not write '{os.path.basename(path)}':\n"
                f"{_error_tail(proc.stderr, proc.stdout)}"
            )

    return _parse_outputs(
        proc.stdout,
        accelerator=accelerator,
        system_config=system_config,
        memory_mode=memory_mode,
        optimise=optimise,
        output_format=output_format,
        output_dir=output_dir,
        model_path=model_path,
        output_files=sorted(p for p in expected if os.path.exists(p)),
        summary_csv=summary_csv,
        per_layer_csv=per_layer_csv,
        command=command,
    )


# --------------------------------------------------------------------------- parsing


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_summary_csv(path: str) -> dict[str, Any]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2 or len(rows[0]) != len(rows[1]):
        raise EmitError(f"unexpected Vela summary file '{path}'")
    return {key: _number(value) for key, value in zip(rows[0], rows[1])}


def read_per_layer_csv(path: str) -> list[VelaLayer]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    layers = []
    for row in rows:
        values = {}
        for column, (name, kind) in _LAYER_COLUMNS.items():
            raw = row.get(column)
            if kind is str:
                values[name] = raw or ""
            else:
                try:
                    values[name] = kind(float(raw)) if kind is int else kind(raw)
                except (TypeError, ValueError):
                    values[name] = kind(0)
        layers.append(VelaLayer(**values))
    return layers


_OPERATORS_LINE = re.compile(r"^(CPU|NPU) operators = (\d+) ")
_OPERATOR_ITEM = re.compile(r"^\s+(CPU|NPU): (.*\S)\s*$")


def _placement(stdout: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    counts: dict[str, int] = {}
    items: dict[str, list[str]] = {"CPU": [], "NPU": []}
    for line in stdout.splitlines():
        m = _OPERATORS_LINE.match(line)
        if m:
            counts[m.group(1)] = int(m.group(2))
            continue
        m = _OPERATOR_ITEM.match(line)
        if m and m.group(2) != "N/A":
            items[m.group(1)].append(m.group(2))
    return counts, items


def _parse_outputs(stdout: str, *, summary_csv: str, per_layer_csv: str, **fields) -> VelaResult:
    summary = read_summary_csv(summary_csv)
    layers = read_per_layer_csv(per_layer_csv)
    counts, items = _placement(stdout)
    npu_ops = counts.get("NPU", sum(1 for layer in layers if layer.target == "NPU"))
    cpu_ops = counts.get("CPU", sum(1 for layer in layers if layer.target != "NPU"))

    def integer(key: str) -> int | None:
        value = summary.get(key)
        return int(value) if isinstance(value, (int, float)) else None

    memory_used = {}
    for mem in _MEMORIES:
        kib = summary.get(f"{mem}_memory_used")
        memory_used[mem] = int(round(kib * 1024)) if isinstance(kib, (int, float)) else 0
    access_cycles = {mem: integer(f"cycles_{mem}_access") or 0 for mem in _MEMORIES}
    warnings = [line.strip() for line in stdout.splitlines() if line.strip().startswith("Warning:")]

    return VelaResult(
        npu_ops=npu_ops,
        cpu_ops=cpu_ops,
        npu_operators=items["NPU"],
        cpu_operators=items["CPU"],
        cycles_total=integer("cycles_total") or 0,
        cycles_npu=integer("cycles_npu") or 0,
        access_cycles=access_cycles,
        macs=integer("nn_macs") or 0,
        core_clock_hz=float(summary.get("core_clock", 0.0)),
        inference_time_s=float(summary.get("inference_time", 0.0)),
        memory_used_bytes=memory_used,
        weights_original_bytes=integer("total_original_weights"),
        weights_encoded_bytes=integer("total_npu_encoded_weights"),
        layers=layers,
        summary=summary,
        warnings=warnings,
        vela_version=vela_version(),
        stdout=stdout,
        **fields,
    )
