"""The separate ExecuTorch virtual environment used by compare.py.

ExecuTorch 1.5.1 is installed with its `ethos-u` extra into `benchmarks/.venv-executorch`
(created on first use from the system Python 3.11), never into tosaic's own venv: it pins
a different Vela (5.1.0) and tosa-tools (2026.5.0). executorch declares no torch dependency
of its own (its wheel links against libtorch 2.13), so torch==2.13.0 is requested
explicitly; with pip's configured find-links that resolves to the CPU build.

The outcome of the install (ok or the reason it failed, wall time, download size, disk
size, versions) is written to `<venv>/install.json` and reused by later runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VENV = os.path.join(HERE, ".venv-executorch")
EXECUTORCH_REQUIREMENTS = ["executorch[ethos-u]==1.5.1", "torch==2.13.0"]
IMPORT_CHECK = (
    "import json, importlib.metadata as m, torch, executorch.backends.arm.ethosu, ethosu.vela; "
    "print(json.dumps({p: m.version(p) for p in "
    "('executorch', 'torch', 'torchao', 'ethos-u-vela', 'tosa-tools', 'ml_dtypes')}))"
)


def venv_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def _system_python() -> str:
    for name in ("python3.11", "python3"):
        path = shutil.which(name)
        if path:
            return path
    return sys.executable


def _du_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


_DOWNLOAD = re.compile(r"Downloading \S+ \(([\d.]+) (kB|MB|GB)\)")
_FROM_CACHE = re.compile(r"Using cached (\S+) \(([\d.]+) (kB|MB|GB)\)")
_LOCAL = re.compile(r"Processing (/\S+\.whl)")
_UNITS = {"kB": 1e3, "MB": 1e6, "GB": 1e9}


def _download_sizes(log: str) -> dict:
    downloaded = sum(float(n) * _UNITS[u] for n, u in _DOWNLOAD.findall(log))
    cached = sum(float(n) * _UNITS[u] for _, n, u in _FROM_CACHE.findall(log))
    local = 0
    local_files = []
    for path in _LOCAL.findall(log):
        if os.path.exists(path):
            local += os.path.getsize(path)
            local_files.append(os.path.basename(path))
    return {
        "downloaded_bytes": int(downloaded),
        "from_pip_cache_bytes": int(cached),
        "local_wheel_bytes": local,
        "local_wheels": local_files,
        "wheels_total_bytes": int(downloaded + cached + local),
    }


def _tail(text: str, n: int = 15) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-n:])


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("ERROR:") or "Error" in line.split(":")[0]:
            return line.strip()
    return _tail(text, 1)


def ensure(venv: str = DEFAULT_VENV, rebuild: bool = False, log=print) -> dict:
    """Return install.json's contents, building the venv if needed. Never raises."""
    marker = os.path.join(venv, "install.json")
    if not rebuild and os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        if info.get("ok") and os.path.exists(venv_python(venv)):
            return info
        if not info.get("ok"):
            return info  # a stored failure: --rebuild-executorch tries again
    if rebuild and os.path.isdir(venv):
        shutil.rmtree(venv)
    info: dict = {"ok": False, "venv": venv, "requirements": EXECUTORCH_REQUIREMENTS}
    start = time.perf_counter()
    base_python = _system_python()
    info["base_python"] = base_python
    log(f"[executorch] creating {venv} with {base_python} -m venv ...")
    proc = subprocess.run([base_python, "-m", "venv", venv], capture_output=True, text=True)
    if proc.returncode != 0:
        info["error"] = f"python -m venv failed: {_tail(proc.stderr + proc.stdout, 3)}"
        return _save(marker, info, venv)
    python = venv_python(venv)
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], capture_output=True, text=True)
    log(f"[executorch] pip install {' '.join(EXECUTORCH_REQUIREMENTS)} (several minutes) ...")
    pip_start = time.perf_counter()
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--progress-bar", "off", *EXECUTORCH_REQUIREMENTS],
        capture_output=True, text=True,
    )
    info["pip_seconds"] = round(time.perf_counter() - pip_start, 1)
    pip_log = proc.stdout + "\n" + proc.stderr
    with open(os.path.join(venv, "install.log"), "w") as f:
        f.write(pip_log)
    info.update(_download_sizes(pip_log))
    if proc.returncode != 0:
        info["error"] = f"pip install failed (exit {proc.returncode}): {_first_error(proc.stderr)}"
        info["error_tail"] = _tail(proc.stderr)
        return _save(marker, info, venv)
    proc = subprocess.run([python, "-c", IMPORT_CHECK], capture_output=True, text=True)
    if proc.returncode != 0:
        info["error"] = f"executorch installed but does not import: {_tail(proc.stderr, 1)}"
        info["error_tail"] = _tail(proc.stderr)
        return _save(marker, info, venv)
    info["versions"] = json.loads(proc.stdout.strip().splitlines()[-1])
    info["ok"] = True
    info["total_seconds"] = round(time.perf_counter() - start, 1)
    return _save(marker, info, venv)


def _save(marker: str, info: dict, venv: str) -> dict:
    info["venv_disk_bytes"] = _du_bytes(venv) if os.path.isdir(venv) else 0
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    with open(marker, "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
        f.write("\n")
    return info


if __name__ == "__main__":
    print(json.dumps(ensure(rebuild="--rebuild" in sys.argv), indent=2))
