"""Lower one quantized model with ExecuTorch's Arm Ethos-U backend (runs in the ExecuTorch venv).

    benchmarks/.venv-executorch/bin/python benchmarks/executorch_worker.py \
        --model conv_block --pt2 out/models/conv_block.pt2 --target ethos-u55-128 \
        --system-config Ethos_U55_High_End_Embedded --memory-mode Shared_Sram \
        --out out/executorch/conv_block/ethos-u55-128 --mode auto

compare.py starts this script once per compile it times, so its wall time is the whole
process: interpreter start, imports, loading or quantizing, lowering, Vela and writing the
`.pte`. It writes `<out>/result.json` and exits 0 if the model lowered.

Where the quantized program comes from (`--mode`):

* `pt2`: `torch.export.load` of the `.pt2` tosaic's quantizer wrote, lowered as it is;
* `requantize`: the same float model (benchmarks/models.py, same seed) quantized with
  ExecuTorch's own `EthosUQuantizer` + `get_symmetric_quantization_config()` (int8
  affine activations, per-channel symmetric int8 weights: the same recipe as tosaic's
  a8w8) on the same calibration inputs; with `--io-dtype uint8` the quantizer also gets
  `set_io(get_uint8_io_quantization_config())`, ExecuTorch's uint8 graph IO (uint8
  [0, 255] affine at graph inputs and outputs, int8 inside, unsigned RESCALEs at the
  delegate's boundary);
* `auto`: `pt2`, falling back to `requantize` if loading or lowering the `.pt2` fails,
  delegates nothing, or leaves compute ops (not just the graph I/O's quantize/dequantize)
  on the CPU (then only if re-quantizing leaves less there); the reason is recorded in
  result.json (`fallback_reason`).

`pt2` adds one thing to the loaded program: the "quantized" marker ExecuTorch's own
quantizer leaves on the ops it quantizes, without which the Arm partitioner delegates
nothing (see mark_quantized_region).

Vela's figures: the Ethos-U backend runs Vela in-process (`arm_vela.vela_compile`, once per
delegated partition) in a temporary directory. This script wraps that function so each
partition's Vela run writes to `<out>/partition_<i>/` instead, and reads Vela's summary CSV
(`output/out_summary_<system config>.csv`) from there. Nothing else about the lowering is
changed; Vela runs with exactly the flags the compile spec builds.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import io
import json
import os
import shutil
import sys
import time
import traceback

_PROCESS_START = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))


def _first_line(exc: BaseException) -> str:
    """The first line of the innermost cause: ExecuTorch wraps pass failures in an
    exception whose message only lists the passes that ran before."""
    seen = set()
    while id(exc) not in seen and (exc.__cause__ or exc.__context__):
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    text = f"{type(exc).__name__}: {exc}".strip()
    lines = [line for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    # "X failed:" alone says little: keep the line that says why.
    if first.rstrip().endswith(":") and len(lines) > 1:
        first += " " + lines[1].strip()
    return first[:400]


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _read_summary(directory: str) -> dict:
    paths = sorted(glob.glob(os.path.join(directory, "output", "*_summary_*.csv")))
    if not paths:
        return {}
    with open(paths[0], newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        return {}
    return {key: _number(value) for key, value in zip(rows[0], rows[1])}


class VelaRecorder:
    """Wraps the Ethos-U backend's vela_compile so each partition keeps its Vela output."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.partitions: list[dict] = []

    def install(self):
        import executorch.backends.arm.ethosu.backend as ethosu_backend

        original = ethosu_backend.vela_compile

        def vela_compile(tosa_flatbuffer, args, verbose=False, intermediate_path=None, block_placements=None):
            directory = os.path.join(self.out_dir, f"partition_{len(self.partitions)}")
            os.makedirs(directory, exist_ok=True)
            stdout = io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(stdout):
                result = original(
                    tosa_flatbuffer, args, verbose=verbose,
                    intermediate_path=directory, block_placements=block_placements,
                )
            entry = {
                "dir": os.path.relpath(directory, self.out_dir),
                "vela_args": [a for a in args if not a.endswith(".tosa") and not a.startswith("--output-dir")],
                "vela_seconds": round(time.perf_counter() - start, 4),
                "tosa_bytes": len(tosa_flatbuffer),
                "summary": _read_summary(directory),
            }
            with open(os.path.join(directory, "vela_stdout.txt"), "w") as f:
                f.write(stdout.getvalue())
            self.partitions.append(entry)
            return result

        ethosu_backend.vela_compile = vela_compile


def _quantize_with_executorch(model_name: str, compile_spec, io_dtype: str = "int8"):
    import torch
    from executorch.backends.arm.quantizer import (
        EthosUQuantizer,
        get_symmetric_quantization_config,
        get_uint8_io_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    sys.path.insert(0, HERE)
    import models  # benchmarks/models.py: torch only

    model, example_inputs = models.build(model_name)
    quantizer = EthosUQuantizer(compile_spec)
    quantizer.set_global(get_symmetric_quantization_config())
    if io_dtype == "uint8":
        quantizer.set_io(get_uint8_io_quantization_config())
    graph_module = torch.export.export(model, example_inputs).module(check_guards=False)
    prepared = prepare_pt2e(graph_module, quantizer)
    with torch.no_grad():
        for sample in models.calibration(model_name):
            prepared(*sample)
    converted = convert_pt2e(prepared)
    return torch.export.export(converted, example_inputs)


_Q_OPS = ("quantize_per_tensor", "quantize_per_channel")
_DQ_OPS = ("dequantize_per_tensor", "dequantize_per_channel")


def _qdq_kind(node) -> str | None:
    if node.op != "call_function":
        return None
    target = node.target
    namespace = getattr(target, "namespace", None) or getattr(getattr(target, "_schema", None), "name", "")
    name = getattr(target, "_opname", None) or getattr(target, "__name__", "")
    if "quantized_decomposed" not in str(namespace) and "quantized_decomposed" not in str(target):
        return None
    if name.split(".")[0] in _Q_OPS:
        return "q"
    if name.split(".")[0] in _DQ_OPS:
        return "dq"
    return None


def mark_quantized_region(exported) -> int:
    """Mark the ops of a foreign PT2E-quantized program the way ExecuTorch's Arm quantizer does.

    ExecuTorch's Arm partitioner delegates a float-typed op only if its quantizer left
    `node.meta["custom"]["_arm_annotation_info"] = {"quantized": True}` on it
    (CheckArmQuantized); a program quantized by another PT2E quantizer (here tosaic's) has
    the same Q/DQ structure but not that marker, so nothing is delegated. This marks every
    compute op that sits wholly inside a DQ -> ... -> Q region: each floating-point input
    comes from a dequantize (or another marked op) and each user is a quantize (or another
    marked op). The graph and its quantization parameters are left exactly as saved.
    """
    graph = exported.graph_module.graph

    def is_float_value(node) -> bool:
        val = node.meta.get("val")
        return getattr(val, "dtype", None) is not None and val.dtype.is_floating_point

    candidates = {
        node for node in graph.nodes
        if node.op == "call_function" and _qdq_kind(node) is None and is_float_value(node)
    }
    changed = True
    while changed:
        changed = False
        for node in list(candidates):
            inputs_ok = all(
                _qdq_kind(i) == "dq" or i in candidates or not is_float_value(i)
                for i in node.all_input_nodes
            )
            users_ok = bool(node.users) and all(_qdq_kind(u) == "q" or u in candidates for u in node.users)
            if not (inputs_ok and users_ok):
                candidates.discard(node)
                changed = True
    for node in candidates:
        custom = node.meta.get("custom", {})
        custom["_arm_annotation_info"] = {"quantized": True}
        node.meta["custom"] = custom
    return len(candidates)


def _op_name(node) -> str:
    target = node.target
    return getattr(target, "__name__", None) or str(target)


def _placement(edge_manager) -> dict:
    """Ops delegated to the Ethos-U backend vs ops left to ExecuTorch's CPU kernels."""
    import operator

    program = edge_manager.exported_program()
    graph_module = program.graph_module
    partitions = 0
    delegated_ops = 0
    delegate_inputs: list[str] = []
    delegate_outputs: list[str] = []
    cpu_ops: list[str] = []
    for node in graph_module.graph.nodes:
        if node.op != "call_function":
            continue
        name = _op_name(node)
        if name == "executorch_call_delegate":
            partitions += 1
            lowered = getattr(graph_module, node.args[0].target)
            inner = lowered.original_module.graph_module.graph
            delegated_ops += sum(1 for n in inner.nodes if n.op == "call_function" and n.target is not operator.getitem)
            # The delegate's own IO: uint8 here means the NPU takes or returns uint8.
            delegate_inputs += [_dtype(a) for a in node.args[1:] if hasattr(a, "meta")]
            delegate_outputs += [_dtype(u) for u in node.users]
        elif node.target is operator.getitem:
            continue
        else:
            cpu_ops.append(name)
    return {"partitions": partitions, "delegated_ops": delegated_ops, "cpu_ops": len(cpu_ops), "cpu_operators": cpu_ops,
            "delegate_input_dtypes": delegate_inputs, "delegate_output_dtypes": delegate_outputs}


def _dtype(node) -> str:
    val = node.meta.get("val")
    return str(getattr(val, "dtype", type(val).__name__)).removeprefix("torch.")


def _cpu_compute(placement: dict) -> list[str]:
    """Non-delegated ops other than the graph I/O's quantize/dequantize."""
    return sorted({op for op in placement["cpu_operators"] if "quantize_per" not in op})


def _lower(exported, compile_spec, recorder: VelaRecorder, out_dir: str, timings: dict):
    from executorch.backends.arm.ethosu import EthosUPartitioner
    from executorch.exir import EdgeCompileConfig, ExecutorchBackendConfig, to_edge_transform_and_lower

    recorder.partitions.clear()
    for stale in glob.glob(os.path.join(out_dir, "partition_*")):
        shutil.rmtree(stale, ignore_errors=True)
    start = time.perf_counter()
    edge = to_edge_transform_and_lower(
        exported,
        partitioner=[EthosUPartitioner(compile_spec)],
        compile_config=EdgeCompileConfig(_check_ir_validity=False),
    )
    timings["lower"] = round(time.perf_counter() - start, 4)
    placement = _placement(edge)
    if placement["partitions"] == 0:
        raise RuntimeError("nothing was delegated to the Ethos-U backend")
    start = time.perf_counter()
    program = edge.to_executorch(config=ExecutorchBackendConfig(extract_delegate_segments=False))
    pte_path = os.path.join(out_dir, "model.pte")
    with open(pte_path, "wb") as f:
        program.write_to_file(f) if hasattr(program, "write_to_file") else f.write(program.buffer)
    timings["to_executorch_and_save"] = round(time.perf_counter() - start, 4)
    return placement, os.path.getsize(pte_path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="name in benchmarks/models.py (for --mode requantize)")
    parser.add_argument("--pt2", help="the quantized program tosaic's quantizer saved")
    parser.add_argument("--target", required=True, help="e.g. ethos-u55-128")
    parser.add_argument("--system-config")
    parser.add_argument("--memory-mode")
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=("auto", "pt2", "requantize"), default="auto")
    parser.add_argument("--io-dtype", choices=("int8", "uint8"), default="int8",
                        help="graph IO of ExecuTorch's own quantizer (requantize mode)")
    args = parser.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    result: dict = {"ok": False, "model": args.model, "target": args.target, "requested_mode": args.mode,
                    "io_dtype": args.io_dtype}
    timings: dict = {}
    try:
        start = time.perf_counter()
        import importlib.metadata as metadata

        import torch
        import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401  registers quantized_decomposed
        from executorch.backends.arm.ethosu import EthosUCompileSpec

        try:  # out variants of the quantize/dequantize ops left on the CPU (for to_executorch)
            import executorch.kernels.quantized  # noqa: F401
        except Exception as e:  # noqa: BLE001
            result["warning"] = f"executorch.kernels.quantized did not load: {_first_line(e)}"

        timings["imports"] = round(time.perf_counter() - start, 4)
        result["versions"] = {p: metadata.version(p) for p in ("executorch", "torch", "ethos-u-vela", "tosa-tools")}
        compile_spec = EthosUCompileSpec(
            target=args.target, system_config=args.system_config, memory_mode=args.memory_mode
        )
        result["compile_spec"] = {
            "target": args.target,
            "tosa_spec": str(compile_spec.tosa_spec),
            "vela_flags": list(compile_spec.compiler_flags),
        }
        recorder = VelaRecorder(args.out)
        recorder.install()

        def lower_pt2():
            if not args.pt2:
                raise RuntimeError("no --pt2 given")
            start = time.perf_counter()
            exported = torch.export.load(args.pt2)
            result["pt2_marked_quantized_ops"] = mark_quantized_region(exported)
            timings["load_pt2"] = round(time.perf_counter() - start, 4)
            return _lower(exported, compile_spec, recorder, args.out, timings)

        source = None
        if args.mode in ("auto", "pt2"):
            try:
                placement, pte_bytes = lower_pt2()
                source = "pt2"
            except Exception as e:  # noqa: BLE001 - reported, and maybe retried below
                if args.mode == "pt2":
                    raise
                result["fallback_reason"] = "the tosaic .pt2 could not be used: " + _first_line(e)
                result["fallback_traceback"] = traceback.format_exc()[-4000:]
                timings = {"imports": timings["imports"]}
            if source == "pt2" and args.mode == "auto" and _cpu_compute(placement):
                # Part of tosaic's program stays on the CPU: ExecuTorch's own quantizer may
                # shape the graph so that it delegates whole; prefer that if it does.
                result["fallback_reason"] = (
                    f"from the tosaic .pt2 ExecuTorch left {', '.join(_cpu_compute(placement))} on the CPU"
                )
                result["pt2_placement"] = placement
                source = None
                timings = {"imports": timings["imports"]}
        if source is None:
            try:
                start = time.perf_counter()
                exported = _quantize_with_executorch(args.model, compile_spec, args.io_dtype)
                timings["quantize"] = round(time.perf_counter() - start, 4)
                placement, pte_bytes = _lower(exported, compile_spec, recorder, args.out, timings)
                source = "requantize"
                pt2_placement = result.get("pt2_placement")
                if pt2_placement and len(_cpu_compute(placement)) >= len(_cpu_compute(pt2_placement)):
                    raise RuntimeError("ExecuTorch's own quantizer leaves as much on the CPU")
            except Exception as e:  # noqa: BLE001
                if args.mode != "auto" or "pt2_placement" not in result:
                    raise
                result["fallback_reason"] += f"; kept it: re-quantizing did not do better ({_first_line(e)})"
                timings = {"imports": timings["imports"]}
                placement, pte_bytes = lower_pt2()
                source = "pt2"

        partitions = recorder.partitions
        cycles = [p["summary"].get("cycles_total") for p in partitions]
        result.update(
            ok=True,
            source=source,
            placement=placement,
            pte_bytes=pte_bytes,
            vela_partitions=partitions,
            cycles_total=sum(int(c) for c in cycles) if cycles and all(isinstance(c, (int, float)) for c in cycles) else None,
            cycles_npu=sum(int(p["summary"].get("cycles_npu", 0) or 0) for p in partitions),
            system_config=compile_spec_value(compile_spec, "--system-config="),
            memory_mode=compile_spec_value(compile_spec, "--memory-mode="),
        )
    except Exception as e:  # noqa: BLE001 - the caller reports it as a row
        result["error"] = _first_line(e)
        result["traceback"] = traceback.format_exc()[-6000:]
    timings["process_internal"] = round(time.perf_counter() - _PROCESS_START, 4)
    result["seconds"] = timings
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    return 0 if result["ok"] else 1


def compile_spec_value(compile_spec, prefix: str):
    for flag in compile_spec.compiler_flags:
        if flag.startswith(prefix):
            return flag[len(prefix):]
    return None


if __name__ == "__main__":
    sys.exit(main())
