"""ExecuTorch's side of op_coverage.py (runs in the ExecuTorch venv, one process for all ops).

For each op row of test/pytest/op_table.py: the same seeded model and calibration batches,
quantized by ExecuTorch 1.5.1's Arm `EthosUQuantizer` (its TOSAQuantizer for Ethos-U) with
`get_symmetric_quantization_config()`, saved as `<out>/<op>.pt2` (tosaic compiles it in
op_coverage.py), then lowered by ExecuTorch itself for each target (executorch_worker.py's
`_lower` and `VelaRecorder`). The TOSA flatbuffer ExecuTorch hands to Vela is kept as
`<out>/<op>.<target>.tosa` so op_coverage.py can run it on the TOSA reference model.
Writes `<out>/executorch.json`: per op, the quantize error if any, and per target the
placement, Vela's cycles and the flatbuffer paths (one per delegated partition).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test", "pytest"))


def quantize(name: str, compile_spec):
    import torch
    from executorch.backends.arm.quantizer import EthosUQuantizer, get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    import op_table

    model = op_table.build(name)
    batches = op_table.samples(name)
    calibration = batches[:-1]
    quantizer = EthosUQuantizer(compile_spec)
    quantizer.set_global(get_symmetric_quantization_config())
    graph_module = torch.export.export(model, calibration[0]).module(check_guards=False)
    prepared = prepare_pt2e(graph_module, quantizer)
    with torch.no_grad():
        for sample in calibration:
            prepared(*sample)
    return torch.export.export(convert_pt2e(prepared), calibration[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--targets", nargs="+", default=["ethos-u55-128", "ethos-u85-256"])
    parser.add_argument("ops", nargs="+")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    import torch
    import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401
    import executorch.backends.arm.ethosu.backend as ethosu_backend
    from executorch.backends.arm.ethosu import EthosUCompileSpec

    import executorch_worker as worker

    try:
        import executorch.kernels.quantized  # noqa: F401
    except Exception:  # noqa: BLE001
        pass

    kept: list[bytes] = []
    original = ethosu_backend.vela_compile

    def keep_flatbuffer(tosa_flatbuffer, *a, **kw):
        kept.append(bytes(tosa_flatbuffer))
        return original(tosa_flatbuffer, *a, **kw)

    ethosu_backend.vela_compile = keep_flatbuffer
    results = {}
    for name in args.ops:
        entry: dict = {"targets": {}}
        results[name] = entry
        specs = {t: EthosUCompileSpec(target=t) for t in args.targets}
        try:
            exported = quantize(name, specs[args.targets[0]])
            pt2 = os.path.join(args.out, f"{name}.pt2")
            torch.export.save(exported, pt2)
            entry["pt2"] = pt2
        except Exception as e:  # noqa: BLE001 - a row of the table
            entry["error"] = f"quantize: {worker._first_line(e)}"
            continue
        for target, spec in specs.items():
            out = os.path.join(args.out, name, target)
            os.makedirs(out, exist_ok=True)
            recorder = worker.VelaRecorder(out)
            recorder.install()  # wraps our keep_flatbuffer: both run
            kept.clear()
            row: dict = {}
            try:
                placement, _ = worker._lower(torch.export.load(pt2), spec, recorder, out, {})
                cycles = [p["summary"].get("cycles_total") for p in recorder.partitions]
                tosa_paths = []
                for i, flatbuffer in enumerate(kept):
                    path = os.path.join(args.out, f"{name}.{target}.{i}.tosa")
                    with open(path, "wb") as f:
                        f.write(flatbuffer)
                    tosa_paths.append(path)
                row.update(placement=placement, cpu_compute=worker._cpu_compute(placement), tosa=tosa_paths,
                           vela_npu_ops=[p["summary"].get("npu_ops") for p in recorder.partitions],
                           cycles_total=sum(int(c) for c in cycles) if cycles and all(
                               isinstance(c, (int, float)) for c in cycles) else None)
            except Exception as e:  # noqa: BLE001
                row["error"] = worker._first_line(e)
                row["traceback"] = traceback.format_exc()[-2000:]
            finally:
                ethosu_backend.vela_compile = keep_flatbuffer
            entry["targets"][target] = row
        print(name, json.dumps({t: r.get("error") or r.get("cpu_compute") for t, r in entry["targets"].items()}),
              file=sys.stderr, flush=True)
    with open(os.path.join(args.out, "executorch.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
