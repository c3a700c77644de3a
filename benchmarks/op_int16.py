"""The single-op table (test/pytest/op_table.py) quantized a16w8 (int16 activations, int8
weights) by tosaic's quantizer, compiled for tosa-int and run on the reference model against
the fake-quantized program: which ops have an int16 lowering, how exact, and what the others
say when refused.

    .venv/bin/python benchmarks/op_int16.py --out /tmp/op_int16      # ~3 min on 2 cores

Each row: max LSB and % bit-exact (within the calibrated input range, as test_op_table.py
checks int8), or `refused` with the first error line, or `crash` (a bug: any exception that
is not a TosaicError). Writes OUT/op_int16.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test", "pytest"))


def check(name: str):
    import tosaic
    from op_table import build, samples
    from tosaic.driver.checks import check_quantized
    from tosaic.quantization import quantize_model

    batches = samples(name)
    calibration, test = batches[:-1], batches[-1]
    try:
        program = quantize_model(build(name), calibration[0], "a16w8", calibration)
        lo = [min(float(b[i].min()) for b in calibration) for i in range(len(test))]
        hi = [max(float(b[i].max()) for b in calibration) for i in range(len(test))]
        inputs = tuple(t.clamp(lo[i], hi[i]) if t.is_floating_point() else t for i, t in enumerate(test))
        result = check_quantized(program, inputs)
        return {"kind": "ok", "max_lsb": result.max_lsb, "exact": round(result.bit_exact, 4)}
    except tosaic.TosaicError as e:
        lines = [line for line in str(e).splitlines() if "error:" in line]
        return {"kind": "refused", "detail": (lines[0] if lines else str(e).splitlines()[0]).split("error: ", 1)[-1]}
    except Exception as e:  # noqa: BLE001 - the finding
        return {"kind": "crash", "detail": f"{type(e).__name__}: {str(e)[:200]}"}


def main(argv=None) -> int:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "out", "op_int16"))
    parser.add_argument("--ops", nargs="+", help="only these rows")
    args = parser.parse_args(argv)
    from op_table import OPS

    rows = {name: check(name) for name in (args.ops or OPS)}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "op_int16.json"), "w") as f:
        json.dump(rows, f, indent=1)
    lines = ["| op | a16w8 max LSB / exact | refused because |", "| --- | --- | --- |"]
    for name, row in rows.items():
        cell = f"{row['max_lsb']} / {100 * row['exact']:.1f}%" if row["kind"] == "ok" else row["kind"]
        lines.append(f"| {name} | {cell} | {row.get('detail', '')[:160]} |")
    counts = {kind: sum(r["kind"] == kind for r in rows.values()) for kind in ("ok", "refused", "crash")}
    over = sum(r["kind"] == "ok" and r["max_lsb"] > 1 for r in rows.values())
    print("\n".join(lines))
    print(f"\n{len(rows)} ops: {counts['ok']} lowered ({over} > 1 LSB), {counts['refused']} refused, "
          f"{counts['crash']} crashed")
    return 1 if counts["crash"] or over else 0


if __name__ == "__main__":
    sys.exit(main())
