"""Behaviour-identity check: the sha256 of every compiled TOSA flatbuffer, against a baseline.

A refactor that must not change what tosaic emits runs `--check` against the baseline
written before it; every case must hash to the same bytes.

Cases (names `model/scheme/target` and `pt2/fixture/target`):

* every model of `benchmarks/models.py` (`models.MODELS`: tosaic's examples from
  `examples/models.py`, `conv_block conv_stack conv_wide`, and the two MobileNets), built
  by `models.build(name)` (fixed seed), quantized by tosaic's quantizer
  (`tosaic.quantization.quantize_model`) on `models.calibration(name)` (8 fixed inputs)
  with each scheme of `SCHEMES`: `a8w8`, `a8w4`, `a16w8` and `a8w8_u8io` (a8w8 with uint8
  [0, 255] graph IO);
* every quantized `.pt2` fixture in `test/pytest/data/` (other quantizers' programs:
  ExecuTorch's Arm quantizer), compiled as they are;

each compiled with `tosaic.compile(...)` for `tosa-int` and for `ethos-u55-128` (the
Ethos-U pipeline variant; the API also runs Vela, whose output is not hashed). The value
is the sha256 of `result.flatbuffer` (the bytes of `model.tosa`), or `error: <first line>`
when quantizing or compiling fails: a failure is part of the behaviour too.

Only tosaic's public API (`tosaic.compile`, `tosaic.quantization`) and
`benchmarks/models.py` are used, so the script survives moves inside the package.
Quantization runs with one torch thread (`torch.set_num_threads(1)`), so the scales do not
depend on the machine or on `--jobs`.

    .venv/bin/python benchmarks/identity.py --write benchmarks/identity_baseline.json
    .venv/bin/python benchmarks/identity.py --check benchmarks/identity_baseline.json
    .venv/bin/python benchmarks/identity.py --check benchmarks/identity_baseline.json --only mobilenet --jobs 2

`--check` prints a table (case, baseline, now, same/DIFFERENT) and exits 1 if any case
differs (a baseline case not produced, or a produced case missing from the baseline, counts
as different; with `--only`, baseline cases outside the filter are ignored).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import logging
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIXTURES = os.path.join(REPO, "test", "pytest", "data")
if HERE not in sys.path:
    sys.path.insert(0, HERE)

SCHEMES = ("a8w8", "a8w4", "a16w8", "a8w8_u8io")
TARGETS = ("tosa-int", "ethos-u55-128")
CONV3D_MODELS = ("conv3d", "conv3d_k3")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("torchao").setLevel(logging.ERROR)
    import torch

    torch.set_num_threads(1)


def _error(e: BaseException) -> str:
    text = str(e).strip()
    first = text.splitlines()[0] if text else ""
    return f"error: {type(e).__name__}: {first}".rstrip(": ")[:300]


def units() -> list[tuple[str, str, str]]:
    """(kind, name, scheme) per quantized program; each is compiled for every target."""
    import models  # benchmarks/models.py

    out = [("model", name, scheme) for name in models.MODELS for scheme in SCHEMES]
    # conv3d with kernel depth 1 and 3 (benchmarks/int4.py): the Ethos-U55 pipeline's
    # tosaic-decompose-conv3d runs only on these.
    out += [("conv3d", name, scheme) for name in CONV3D_MODELS for scheme in SCHEMES]
    out += [("pt2", os.path.splitext(os.path.basename(p))[0], "")
            for p in sorted(glob.glob(os.path.join(FIXTURES, "*.pt2")))]
    return out


def case_names(unit) -> list[str]:
    kind, name, scheme = unit
    prefix = f"pt2/{name}" if kind == "pt2" else f"{name}/{scheme}"
    return [f"{prefix}/{target}" for target in TARGETS]


def run_unit(unit) -> list[tuple[str, str, float]]:
    """Quantize (or load) one program and compile it for each target: (case, value, seconds)."""
    _quiet()
    import tosaic

    kind, name, scheme = unit
    names = case_names(unit)
    start = time.perf_counter()
    try:
        if kind == "pt2":
            program = os.path.join(FIXTURES, name + ".pt2")  # tosaic.compile loads a .pt2 path
        elif kind == "conv3d":
            import int4  # benchmarks/int4.py

            program, _ = int4.quantize(name, scheme)
        else:
            import models
            from tosaic.quantization import quantize_model

            model, example = models.build(name)
            program = quantize_model(model, example, scheme, models.calibration(name))
    except Exception as e:  # noqa: BLE001 - recorded as the case's value
        value = "error: quantize: " + _error(e).removeprefix("error: ")
        return [(case, value, time.perf_counter() - start) for case in names]
    rows = []
    for case, target in zip(names, TARGETS):
        try:
            # --without-tensor-names: tosa-tools' own `layer_N` names (what baselines
            # written before tosaic named tensors after the user's layers hold).
            options = {"tensor_names": False} if os.environ.get("TOSAIC_IDENTITY_WITHOUT_NAMES") else {}
            result = tosaic.compile(program, target=target, **options)
            value = hashlib.sha256(result.flatbuffer).hexdigest()
        except Exception as e:  # noqa: BLE001
            value = _error(e)
        rows.append((case, value, time.perf_counter() - start))
        start = time.perf_counter()
    return rows


def compute(only: str | None, jobs: int) -> dict[str, str]:
    todo = [u for u in units() if not only or any(only in c for c in case_names(u))]
    total = sum(len(case_names(u)) for u in todo)
    log(f"{total} cases ({len(todo)} programs), jobs={jobs}")
    results: dict[str, str] = {}

    def record(rows):
        for case, value, seconds in rows:
            if only and only not in case:
                continue
            results[case] = value
            log(f"[{len(results)}/{total}] {case}: {value[:16] if not value.startswith('error') else value} "
                f"({seconds:.1f}s)")

    if jobs <= 1:
        for unit in todo:
            record(run_unit(unit))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for rows in pool.map(run_unit, todo):
                record(rows)
    return dict(sorted(results.items()))


def _short(value: str | None) -> str:
    if value is None:
        return "(none)"
    return value if value.startswith("error") else value[:16]


def check(baseline: dict[str, str], now: dict[str, str], only: str | None) -> int:
    expected = {k: v for k, v in baseline.items() if not only or only in k}
    rows, differ = [], 0
    for case in sorted(set(expected) | set(now)):
        before, after = expected.get(case), now.get(case)
        same = before == after
        differ += not same
        rows.append((case, _short(before), _short(after), "same" if same else "DIFFERENT"))
    header = ("case", "baseline", "now", "result")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(f"\n{len(rows) - differ} same, {differ} DIFFERENT ({len(rows)} cases)")
    return 1 if differ else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="FILE", help="compile every case and write the hashes as JSON")
    mode.add_argument("--check", metavar="FILE", help="compile every case and compare with FILE")
    mode.add_argument("--list", action="store_true", help="print the case names")
    parser.add_argument("--only", metavar="SUBSTR", help="only cases whose name contains SUBSTR")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--without-tensor-names", action="store_true",
                        help="compile with tensor_names=False (the serializer's layer_N names): the "
                        "graph and its numbers only, comparable with a baseline from before layer names")
    args = parser.parse_args(argv)

    if args.without_tensor_names:
        os.environ["TOSAIC_IDENTITY_WITHOUT_NAMES"] = "1"  # reaches the --jobs workers too
    if args.list:
        for unit in units():
            for case in case_names(unit):
                if not args.only or args.only in case:
                    print(case)
        return 0
    if args.check:
        with open(args.check) as f:
            baseline = json.load(f)
    start = time.perf_counter()
    now = compute(args.only, args.jobs)
    errors = sum(v.startswith("error") for v in now.values())
    log(f"{len(now)} cases, {len(now) - errors} compiled, {errors} errors, {time.perf_counter() - start:.0f}s")
    if args.write:
        with open(args.write, "w") as f:
            json.dump(now, f, indent=2, sort_keys=True)
            f.write("\n")
        log(f"wrote {args.write}")
        return 0
    return check(baseline, now, args.only)


if __name__ == "__main__":
    sys.exit(main())
