"""Quantize one architecture with ExecuTorch's Arm quantizer and lower it with ExecuTorch (its venv).

    /work/shared-venvs/executorch/bin/python benchmarks/coverage_executorch.py --model KWSConv1d \
        --out out/coverage/KWSConv1d/executorch --target ethos-u55-128:Ethos_U55_High_End_Embedded:Shared_Sram

coverage.py starts this script once per model. It quantizes the architecture
(benchmarks/architectures.py, same seed and calibration as tosaic's side) with
`EthosUQuantizer` (ExecuTorch's TOSAQuantizer for Ethos-U) and
`get_symmetric_quantization_config()`, saves that program as `<out>/quantized.pt2` (tosaic
compiles the same file), then lowers the saved program with the Ethos-U backend for each
`--target` and keeps each Vela partition's TOSA flatbuffer and summary
(benchmarks/executorch_worker.py's recorder). Writes `<out>/result.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a class name in benchmarks/architectures.py")
    parser.add_argument("--out", required=True)
    parser.add_argument("--target", action="append", required=True,
                        help="TARGET:SYSTEM_CONFIG:MEMORY_MODE (repeat per target)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    result: dict = {"ok": False, "model": args.model, "targets": {}}
    try:
        import torch
        import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  registers quantized_decomposed
        from executorch.backends.arm.ethosu import EthosUCompileSpec
        from executorch.backends.arm.quantizer import EthosUQuantizer, get_symmetric_quantization_config
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

        try:  # out variants of the quantize/dequantize ops left on the CPU (for to_executorch)
            import executorch.kernels.quantized  # noqa: F401
        except Exception:  # noqa: BLE001
            pass
        import architectures
        import executorch_worker as worker

        specs = []
        for item in args.target:
            target, system_config, memory_mode = item.split(":")
            specs.append((target, EthosUCompileSpec(target=target, system_config=system_config,
                                                    memory_mode=memory_mode)))
        model, example_inputs = architectures.build(args.model)
        start = time.perf_counter()
        quantizer = EthosUQuantizer(specs[0][1])
        quantizer.set_global(get_symmetric_quantization_config())
        graph_module = torch.export.export(model, example_inputs).module(check_guards=False)
        prepared = prepare_pt2e(graph_module, quantizer)
        with torch.no_grad():
            for sample in architectures.calibration(args.model):
                prepared(*sample)
        converted = convert_pt2e(prepared)
        exported = torch.export.export(converted, example_inputs)
        pt2 = os.path.join(args.out, "quantized.pt2")
        torch.export.save(exported, pt2)
        result.update(ok=True, pt2=pt2, quantize_seconds=round(time.perf_counter() - start, 3))
    except Exception as e:  # noqa: BLE001 - reported as the model's row
        result["error"] = "quantize: " + worker_first_line(e)
        result["traceback"] = traceback.format_exc()[-4000:]
        return write(args.out, result)

    recorder = worker.VelaRecorder(args.out)
    recorder.install()  # once: each target's partitions go to its own directory
    for target, spec in specs:
        entry: dict = {"ok": False}
        directory = os.path.join(args.out, target)
        recorder.out_dir = directory
        timings: dict = {}
        try:
            loaded = torch.export.load(pt2)
            worker.mark_quantized_region(loaded)  # the saved program may lose the quantizer's marker
            start = time.perf_counter()
            placement, pte_bytes = worker._lower(loaded, spec, recorder, directory, timings)
            partitions = recorder.partitions
            cycles = [p["summary"].get("cycles_total") for p in partitions]
            entry.update(
                ok=True, seconds=round(time.perf_counter() - start, 3), stage_seconds=timings,
                placement=placement, pte_bytes=pte_bytes,
                cycles_total=sum(int(c) for c in cycles) if cycles and all(
                    isinstance(c, (int, float)) for c in cycles) else None,
                tosa=[os.path.join(directory, p["dir"], "out.tosa") for p in partitions],
            )
        except Exception as e:  # noqa: BLE001
            entry["error"] = worker_first_line(e)
            entry["traceback"] = traceback.format_exc()[-4000:]
        result["targets"][target] = entry
    return write(args.out, result)


def worker_first_line(exc: BaseException) -> str:
    import executorch_worker as worker

    return worker._first_line(exc)


def write(out: str, result: dict) -> int:
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
