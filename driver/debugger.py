"""`tosaic debug` / `tosaic.debug`: where a quantized program loses accuracy, layer by layer.

Every quantize of the PT2E program makes one integer tensor the TOSA graph also computes.
A debug build of the flatbuffer (the same pipeline for the same target) returns each of them
as an extra graph output: before the pipeline, each `tosaic.quantize` result is added to the
function's results, and whatever value the lowerings replace it with is what is returned.
The build runs on the TOSA reference model and each observed tensor is compared with

* the fake-quantized PyTorch program's integer value (the quantize node's output):
  max |difference| in LSB and the share of exactly equal elements;
* the float model's value at that point, against the dequantized TOSA value: SQNR in dB
  and max abs error (row field `reference`):
  - "float_model": given a float program (nn.Module, float ExportedProgram / .pt2) that
    tosaic quantizes, the float program itself runs on the same samples and the quantize
    node's input is matched by FX node name (PT2E keeps the float graph's aten node names;
    same target, source line and shape required, and a name whose numbering a decomposition
    shifted is not trusted; a conv whose eval BatchNorm PT2E folded in is matched with the
    BatchNorm's output). Weight and activation quantization error both count.
  - "dequantized_weights": an already-quantized program (no float model), or a quantize
    whose input has no float counterpart: the quantize node's input with every activation
    quantize/dequantize made the identity, weights as the program holds them (so weight
    quantization error is not in this SQNR).

Each row is named by the quantize op's location (tosaic.driver.locations: the producer's
module path) and carries the Vela cycles of the layers of that name from the normal
compile. The first row in graph order with an LSB error is where drift starts.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from torch_mlir import ir

from tosaic.dialects import quant
from tosaic.driver.errors import TosaicError
from tosaic.driver.locations import layer_name, layer_of
from tosaic.quantization.qmath import quantize_io


# --------------------------------------------------------------------------- debug build


def expose_quantized(module: ir.Module) -> list[list]:
    """Add each `tosaic.quantize` result of @main to its results (after the program's own);
    returns [FX quantize node, "input" | "output", index] of each observed value: a graph
    input's quantize is the input fed; a quantize whose value the program already returns
    (through its last dequantize) is observed there."""
    main = next(op for op in module.body.operations
                if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == "main")
    block = main.regions[0].blocks[0]
    ret = next(op for op in block.operations if op.operation.name == "func.return")
    returned = list(ret.operands)

    def returned_at(value) -> int | None:
        for use in value.uses:
            user = use.owner
            if user.name == quant.DEQUANTIZE:
                for index, r in enumerate(returned):
                    if r == user.results[0]:
                        return index
        return None

    extra, names = [], []
    for op in block.operations:
        if op.operation.name != quant.QUANTIZE:
            continue
        layer = layer_of(op.location)
        value = op.results[0]
        if layer is None or any(value == r for r in returned):
            continue
        source = op.operands[0]
        if isinstance(source.owner, ir.Block):  # a graph input: what is fed
            names.append([layer.node, "input", ir.BlockArgument(source).arg_number])
            continue
        index = returned_at(value)
        if index is not None:
            names.append([layer.node, "output", index])
            continue
        names.append([layer.node, "output", len(returned) + len(extra)])
        extra.append(value)
    if not extra:
        return names
    with ir.InsertionPoint(ret), ret.location:
        ir.Operation.create("func.return", operands=[*ret.operands, *extra])
    ret.operation.erase()
    fn_type = ir.FunctionType(ir.TypeAttr(main.attributes["function_type"]).value)
    with module.context:
        main.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(list(fn_type.inputs), [*fn_type.results, *(v.type for v in extra)]))
        if "res_attrs" in main.attributes:
            old = ir.ArrayAttr(main.attributes["res_attrs"])
            main.attributes["res_attrs"] = ir.ArrayAttr.get(
                [old[i] for i in range(len(old))] + [ir.DictAttr.get({})] * len(extra))
    return names


# --------------------------------------------------------------------------- PyTorch side


def _is_quantize(target) -> bool:
    text = str(target)
    return "quantized_decomposed.quantize_per" in text


def _is_dequantize(target) -> bool:
    return "quantized_decomposed.dequantize_per" in str(target)


class _Recorder(torch.fx.Interpreter):
    """Runs the program, recording each quantize node's output (`fake_quantized`) or, with
    `float_activations`, its float input while every activation Q/DQ is the identity."""

    def __init__(self, gm, float_activations: bool):
        super().__init__(gm)
        self.float_activations = float_activations
        self.values: dict[str, np.ndarray] = {}

    def run_node(self, n):
        if n.op == "call_function" and _is_quantize(n.target):
            x = self.env[n.args[0]] if isinstance(n.args[0], torch.fx.Node) else n.args[0]
            if self.float_activations:
                self.values[n.name] = x.detach().float().numpy().copy()
                return x
            out = super().run_node(n)
            self.values[n.name] = out.detach().numpy().copy()
            return out
        if self.float_activations and n.op == "call_function" and _is_dequantize(n.target):
            x = self.env[n.args[0]] if isinstance(n.args[0], torch.fx.Node) else n.args[0]
            if isinstance(x, torch.Tensor) and x.is_floating_point():
                return x
        return super().run_node(n)


def _record(program, inputs, float_activations: bool) -> dict[str, np.ndarray]:
    recorder = _Recorder(program.module(), float_activations)
    with torch.no_grad():
        recorder.run(*inputs)
    return recorder.values


class _FloatRecorder(torch.fx.Interpreter):
    """Runs the float program, recording the outputs of the nodes named in `wanted`."""

    def __init__(self, gm, wanted):
        super().__init__(gm)
        self.wanted = wanted
        self.values: dict[str, np.ndarray] = {}

    def run_node(self, n):
        out = super().run_node(n)
        if n.name in self.wanted and isinstance(out, torch.Tensor) and out.is_floating_point():
            self.values[n.name] = out.detach().float().numpy().copy()
        return out


def _name_base(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def _last_source_line(node) -> str | None:
    trace = (node.meta.get("stack_trace") or "").strip()
    return trace.splitlines()[-1].strip() if trace else None


def _float_counterparts(float_gm, quantized) -> dict[str, str]:
    """{quantize node: float graph node computing its input}: the node of the same name,
    target and source line; when PT2E folded an eval BatchNorm into that node (a conv), the
    BatchNorm's output, which is what the quantized conv computes.

    The quantized program is re-exported, which renumbers nodes per name (`mul_3`): a
    decomposition before quantization that adds or removes nodes of one name shifts the
    numbers of all of them, so names are trusted only for a name whose node count is the
    same in both graphs."""
    import operator

    def counts(graph):
        found: dict[str, int] = {}
        for n in graph.nodes:
            if n.op == "call_function" and "quantized_decomposed" not in str(n.target):
                found[_name_base(n.name)] = found.get(_name_base(n.name), 0) + 1
        return found

    float_nodes = {n.name: n for n in float_gm.graph.nodes}
    quantized_names = {n.name for n in quantized.graph.nodes}
    float_counts, quantized_counts = counts(float_gm.graph), counts(quantized.graph)
    counterparts = {}
    for n in quantized.graph.nodes:
        if n.op != "call_function" or not _is_quantize(n.target) or not isinstance(n.args[0], torch.fx.Node):
            continue
        producer = n.args[0]
        match = float_nodes.get(producer.name)
        if match is None or match.op != producer.op:
            continue
        if producer.op == "call_function":
            base = _name_base(producer.name)
            if match.target != producer.target or float_counts.get(base) != quantized_counts.get(base):
                continue
            source, float_source = _last_source_line(producer), _last_source_line(match)
            if source and float_source and source != float_source:
                continue
        while True:
            folded = [u for u in match.users if u.name not in quantized_names and "batch_norm" in str(u.target)]
            if len(folded) != 1 or folded[0].args[0] is not match:
                break
            match = folded[0]
            first = [u for u in match.users if u.target is operator.getitem and u.args[1] == 0]
            if first:  # a BatchNorm op returning (output, mean, invstd)
                match = first[0]
        counterparts[n.name] = match.name
    return counterparts


@dataclass
class _QuantizeNode:
    name: str
    layer: str
    op: str  # the aten op whose output it quantizes ("input" for a graph input)
    dtype: str
    scale: float
    zero_point: int
    depth: int


def _quantize_nodes(program) -> list[_QuantizeNode]:
    nodes = []
    for n in program.graph.nodes:
        if n.op != "call_function" or not _is_quantize(n.target):
            continue
        args = list(n.args) + [None] * 6
        scale, zp, dtype = args[1], args[2], args[5] or n.kwargs.get("dtype")
        if not isinstance(scale, (int, float)):  # per-channel or tensor qparams: not an activation
            continue
        producer = n.args[0]
        op = "input" if producer.op == "placeholder" else str(getattr(producer.target, "__name__", producer.target))
        nodes.append(_QuantizeNode(n.name, layer_name(n), op.split(".")[0],
                                   str(dtype).removeprefix("torch."), float(scale), int(zp), len(nodes)))
    return nodes


# --------------------------------------------------------------------------- comparison


@dataclass
class _Stats:
    count: int = 0
    exact: int = 0
    max_lsb: int = 0
    signal: float = 0.0
    noise: float = 0.0
    max_abs: float = 0.0

    def add(self, got: np.ndarray, want: np.ndarray, got_float: np.ndarray, want_float: np.ndarray):
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        self.count += diff.size
        self.exact += int((diff == 0).sum())
        self.max_lsb = max(self.max_lsb, int(diff.max(initial=0)))
        err = got_float.astype(np.float64) - want_float.astype(np.float64)
        self.signal += float((want_float.astype(np.float64) ** 2).sum())
        self.noise += float((err ** 2).sum())
        self.max_abs = max(self.max_abs, float(np.abs(err).max(initial=0.0)))

    @property
    def sqnr_db(self) -> float | None:
        if self.noise == 0.0:
            return None  # exact: infinite
        if self.signal == 0.0:
            return -math.inf
        return 10.0 * math.log10(self.signal / self.noise)


@dataclass
class DebugResult:
    rows: list[dict]
    first_lsb_error: dict | None
    compile_result: Any
    output_dir: str | None = None
    summary: dict = field(default_factory=dict)

    def worst(self, n: int = 10) -> list[dict]:
        return sorted(self.rows, key=_badness)[:n]

    def as_json(self) -> dict:
        return {"summary": self.summary, "first_lsb_error": self.first_lsb_error, "layers": self.rows}


def _badness(row) -> tuple:
    sqnr = row["sqnr_db"]
    return (-row["max_lsb"], row["exact_percent"], sqnr if sqnr is not None else math.inf)


def _cycles_by_layer(report: dict) -> dict[str, int]:
    cycles: dict[str, int] = {}
    for row in (report.get("vela") or {}).get("layers", []):
        if row.get("layer"):
            cycles[row["layer"]] = cycles.get(row["layer"], 0) + int(row.get("cycles") or 0)
    return cycles


def debug(program, example_inputs: Sequence[Any] | None = None, target: str = "tosa-int",
          output_dir: str | None = None, scheme: str | None = None,
          calibration_data: Sequence[Sequence[Any]] | None = None,
          inputs: Sequence[Sequence[Any]] | None = None, **compile_options) -> DebugResult:
    """Compare every quantized tensor of the program on the TOSA reference model with the
    fake-quantized PyTorch program (LSB) and the float program (SQNR); see the module doc.

    `program` as for tosaic.compile (a float one is quantized with `scheme` on
    `calibration_data`). `inputs`: the samples to compare on (input tuples; default the
    calibration data, else the example inputs). Writes numerics.json (and the normal
    compile's files, report.html with the numeric charts) to `output_dir`."""
    from tosaic.driver import compiler
    from tosaic.frontend import importer

    exported = importer.export_program(program, example_inputs)
    float_program = None
    if not importer.is_quantized(exported):
        float_program = exported.module()
        exported = compiler._quantize(exported, program, example_inputs, scheme, calibration_data,
                                      compile_options.pop("io_dtype", None))
    elif scheme is not None:
        raise TosaicError("the program is already quantized; --scheme applies to float programs")
    samples = [tuple(s) for s in (inputs or calibration_data or
                                  ([tuple(example_inputs)] if example_inputs is not None else []))]
    if not samples:
        samples = [compiler._example_inputs_of(exported)]
    samples = [tuple(torch.as_tensor(np.asarray(x), dtype=torch.float32) for x in s) for s in samples]

    result = compiler.compile(exported, target=target, output_dir=output_dir, **compile_options)
    build = compiler.compile(exported, target=target, observe_quantized=True, tensor_names=False,
                             **{k: v for k, v in compile_options.items() if k not in ("vela_options",)})
    observed = [name for name, _, _ in build.report["observed"]]
    nodes = {n.name: n for n in _quantize_nodes(exported)}
    stats = {name: _Stats() for name in observed}
    counterparts = _float_counterparts(float_program, exported) if float_program is not None else {}
    reference = {name: "dequantized_weights" for name in observed}
    float_runs = []
    if counterparts:
        try:
            for sample in samples:
                recorder = _FloatRecorder(float_program, set(counterparts.values()))
                with torch.no_grad():
                    recorder.run(*sample)
                float_runs.append(recorder.values)
        except Exception:  # noqa: BLE001 - the float program fails where the quantized one ran: every row falls back
            float_runs = []
    from tosaic.driver import progress

    progress.finished("debug build", working_on=f"debug: {len(samples)} sample(s) on the reference model")
    for number, sample in enumerate(samples, 1):
        fake = _record(exported, sample, float_activations=False)
        real = _record(exported, sample, float_activations=True)
        float_values = float_runs[number - 1] if float_runs else {}
        feeds = [quantize_io(x.numpy(), sig.quantization) if sig.quantization else x.numpy()
                 for x, sig in zip(sample, build.inputs)]
        outputs = build.run_reference(feeds)
        for name, kind, index in build.report["observed"]:
            got = outputs[index] if kind == "output" else feeds[index]
            node = nodes.get(name)
            if node is None or name not in fake:
                continue
            want = fake[name]
            if node.dtype == "uint8":
                got = got.view(np.uint8)
            if got.shape != want.shape:
                got = got.reshape(want.shape)
            dequantized = (got.astype(np.float64) - node.zero_point) * node.scale
            float_value = float_values.get(counterparts.get(name))
            if float_value is not None and float_value.shape == want.shape and number == 1:
                reference[name] = "float_model"  # decided on the first sample, kept for all
            if reference[name] == "float_model":
                stats[name].add(got, want, dequantized, float_value)
            else:
                stats[name].add(got, want, dequantized, real[name])
        progress.finished(f"debug: sample {number}/{len(samples)}")

    cycles = _cycles_by_layer(result.report)
    rows = []
    for name in observed:
        node, st = nodes.get(name), stats[name]
        if node is None or st.count == 0:
            continue
        sqnr = st.sqnr_db
        rows.append({
            "depth": node.depth, "layer": node.layer, "op": node.op, "quantize": name,
            "dtype": node.dtype, "scale": node.scale, "zero_point": node.zero_point,
            "max_lsb": st.max_lsb, "exact_percent": round(100.0 * st.exact / st.count, 3),
            "sqnr_db": None if sqnr is None else round(sqnr, 2), "max_abs_error": st.max_abs,
            "vela_cycles": cycles.get(node.layer), "reference": reference[name],
        })
    rows.sort(key=lambda r: r["depth"])
    first = next((r for r in rows if r["max_lsb"] > 0), None)
    summary = {
        "target": target, "samples": len(samples), "quantized_tensors": len(nodes), "compared": len(rows),
        "worst_lsb_layer": min(rows, key=_badness)["layer"] if rows and min(rows, key=_badness)["max_lsb"] else None,
        "lowest_sqnr_layer": min((r for r in rows if r["sqnr_db"] is not None), key=lambda r: r["sqnr_db"],
                                 default={"layer": None})["layer"],
        "most_cycles_layer": max(cycles, key=cycles.get) if cycles else None,
        "first_lsb_error_layer": first["layer"] if first else None,
        "sqnr_reference": {kind: sum(r["reference"] == kind for r in rows)
                           for kind in ("float_model", "dequantized_weights")},
        "sqnr_reference_note": (
            "SQNR vs the float model where a row says float_model; else vs the program with "
            "activation Q/DQ made the identity (weights as quantized)" if float_program is not None else
            "the program is already quantized (no float model): SQNR is vs the program with activation "
            "Q/DQ made the identity, weights as quantized, so weight quantization error is not in it"),
    }
    debug_result = DebugResult(rows, first, result, output_dir, summary)
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
        with open(os.path.join(output_dir, "numerics.json"), "w") as f:
            json.dump(debug_result.as_json(), f, indent=2, sort_keys=True)
            f.write("\n")
        result.report["numerics"] = summary
        compiler.write_outputs(result, output_dir)
        _write_html(result, output_dir, debug_result)
    return debug_result


def _write_html(result, output_dir: str, debug_result) -> None:
    try:
        from tosaic.driver.html_report import write_html_report
    except ImportError:
        return
    write_html_report(result, output_dir, numerics=debug_result.as_json())


def format_table(result: DebugResult, limit: int = 10) -> str:
    """The worst layers first, then where LSB error starts and what costs the cycles."""
    header = f"{'depth':>5} {'layer':<28} {'op':<18} {'dtype':<6} {'scale':>10} {'zp':>5} {'maxLSB':>6} {'exact%':>8} " \
             f"{'SQNR dB':>8} {'cycles':>8}"
    lines = [header, "-" * len(header)]
    for r in result.worst(limit):
        sqnr = "exact" if r["sqnr_db"] is None else f"{r['sqnr_db']:.1f}"
        cycles = "" if r["vela_cycles"] is None else str(r["vela_cycles"])
        lines.append(f"{r['depth']:>5} {r['layer'][:28]:<28} {r['op'][:18]:<18} {r['dtype']:<6} {r['scale']:>10.4g} "
                     f"{r['zero_point']:>5} {r['max_lsb']:>6} {r['exact_percent']:>8.3f} {sqnr:>8} {cycles:>8}")
    s = result.summary
    first = result.first_lsb_error
    lines.append(f"first layer with LSB error: "
                 + (f"{first['layer']} ({first['op']}, depth {first['depth']}, max {first['max_lsb']} LSB)"
                    if first else "none: every quantized tensor is bit-exact"))
    worst = result.worst(1)
    most_lsb = s["worst_lsb_layer"] or "none"
    lines.append(f"most LSB error: {most_lsb}; lowest SQNR: {s['lowest_sqnr_layer']}; "
                 f"most Vela cycles: {s['most_cycles_layer'] or 'n/a (no Vela target)'}")
    lines.append(f"SQNR reference: {s['sqnr_reference_note']}")
    return "\n".join(lines)
