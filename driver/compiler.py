"""The compile driver behind `tosaic compile` and `tosaic.compile`."""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from torch_mlir import ir

from tosaic import targets
from tosaic.dialects import attributes, new_context
from tosaic.driver.errors import FrontendError, TosaicError
from tosaic.driver import progress
from tosaic.driver.provenance import clean_stale_outputs, command_line, versions
from tosaic.driver.graph_outputs import give_outputs_writers
from tosaic.driver.io_packing import IO_PACKINGS, io_packing_pipeline, packing_of
from tosaic.driver.weight_report import weight_report
from tosaic.frontend import importer
from tosaic.pipelines import INT48_BIAS_FORMS, int48_bias_options, pipeline_for_target, target_pipeline
from tosaic.targets import tosa_flatbuffer
from tosaic.targets.tensor_names import annotate_vela_layers, name_tensors

_IO_DTYPES = ("int8", "uint8")


@dataclass
class TensorSignature:
    shape: list[int]
    dtype: str  # the flatbuffer's element type
    quantization: dict | None = None  # dtype (int8/uint8/int16), scale, zero_point
    packing: dict | None = None  # int8x4 packed IO (--io-packing): layout, logical shape, padding

    def as_dict(self) -> dict:
        entry = {"shape": self.shape, "dtype": self.dtype}
        if self.quantization:
            entry["quantization"] = self.quantization
        if self.packing:
            entry["packing"] = self.packing
        return entry


@dataclass
class CompileResult:
    target: str
    mlir: str  # final TOSA IR, target attached
    flatbuffer: bytes
    inputs: list[TensorSignature]
    outputs: list[TensorSignature]
    report: dict[str, Any] = field(default_factory=dict)
    output_dir: str | None = None
    vela: Any = None  # tosaic.targets.vela.VelaResult for an Ethos-U target
    # Every file Vela wrote, by name, kept in memory (also without output_dir)
    vela_files: dict[str, bytes] = field(default_factory=dict)

    @property
    def vela_model(self) -> bytes | None:
        """The Vela-compiled model's bytes (model_vela.tflite), for an Ethos-U target."""
        if self.vela is None:
            return None
        return self.vela_files.get(os.path.basename(self.vela.model_path))

    def run_reference(self, inputs):
        from tosaic.targets.reference_model import run_reference

        return run_reference(self.flatbuffer, inputs)


def op_counts(module: ir.Module) -> Counter:
    counts: Counter = Counter()

    def visit(op):
        name = op.operation.name
        if name.startswith("tosa."):
            counts[name] += 1
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return counts


# Graph IO layouts: PyTorch's NCHW as exported, or NHWC (tosaic-nhwc-io, then the
# transposes it adds cancel against torch-mlir's around the first and last convolutions).
IO_LAYOUTS = ("nchw", "nhwc")
NHWC_IO_PIPELINE = ("builtin.module(func.func(tosaic-nhwc-io,tosaic-fold-transposes,"
                    "tosaic-fold-transposes{sink=false hoist-off-wide=true}),canonicalize,cse)")


def transposed_bytes(module: ir.Module) -> int:
    """Bytes that the graph's tosa.transpose ops move (result elements x element size):
    a transpose's cost on the NPU is its bytes, not its count."""
    from tosaic.dialects.tosa_ops import element_bits
    from tosaic.dialects.tosa_helpers import ranked_shape

    total = 0

    def visit(op):
        nonlocal total
        if op.operation.name == "tosa.transpose":
            result = op.operation.results[0]
            total += math.prod(ranked_shape(result) or [0]) * (((element_bits(result.type) or 0) + 7) // 8)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return total


def _signature(module: ir.Module) -> tuple[list[TensorSignature], list[TensorSignature]]:
    main = next(
        op for op in module.body.operations
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == "main"
    )
    fn_type = ir.FunctionType(ir.TypeAttr(main.attributes["function_type"]).value)

    def io_quantization(attrs_name, index):
        if attrs_name not in main.attributes:
            return None
        entry = ir.DictAttr(ir.ArrayAttr(main.attributes[attrs_name])[index])
        if attributes.IO not in entry:
            return None
        io = ir.DictAttr(entry[attributes.IO])
        quantization = {
            "dtype": ir.StringAttr(io["dtype"]).value,
            "scale": ir.FloatAttr(io["scale"]).value,
            "zero_point": ir.IntegerAttr(io["zero_point"]).value,
        }
        if "qmin" in io:  # a range narrower than the dtype's
            quantization["qmin"] = ir.IntegerAttr(io["qmin"]).value
            quantization["qmax"] = ir.IntegerAttr(io["qmax"]).value
        return quantization

    def describe(t, attrs_name, index):
        t = ir.RankedTensorType(t)
        return TensorSignature(list(t.shape), str(t.element_type), io_quantization(attrs_name, index),
                               packing_of(main, attrs_name, index))

    return (
        [describe(t, "arg_attrs", i) for i, t in enumerate(fn_type.inputs)],
        [describe(t, "res_attrs", i) for i, t in enumerate(fn_type.results)],
    )


def compile(
    program,
    example_inputs: Sequence[Any] | None = None,
    target: str = "tosa-fp",
    output_dir: str | None = None,
    scheme: str | None = None,
    calibration_data: Sequence[Sequence[Any]] | None = None,
    vela_options: dict[str, Any] | None = None,
    io_dtype: str | None = None,
    preserve_io_quantization: bool = True,
    int48_bias: str = "auto",
    dump_stages: str | None = None,
    io_packing: str | None = None,
    debuginfo: bool = False,
    tensor_names: bool = True,
    observe_quantized: bool = False,
    scheme_config: Any = None,
    budget: float | None = None,
    objective: str = "flash",
    io_layout: str = "nchw",
    vela_search: bool = False,
) -> CompileResult:
    """Compile an nn.Module (with example inputs), an ExportedProgram or a `.pt2` path.

    `target` is one of `tosaic.targets.TARGETS`: "tosa-fp", "tosa-int" or an Ethos-U
    accelerator ("ethos-u55-128", ...), which compiles to integer TOSA and then runs Vela
    with `vela_options` (system_config, memory_mode, config_files, optimise, output_format).
    A quantized program (quantized_decomposed Q/DQ) compiles as it is; a float one bound
    for an integer target needs `scheme` (e.g. "a8w8") and is quantized with tosaic's
    quantizer, calibrated on `calibration_data` (a list of input tuples) or, if none is
    given, on the example inputs. `io_dtype` ("int8" or "uint8", float programs only)
    sets the graph inputs' and outputs' quantization: "uint8" quantizes them to uint8
    [0, 255] while everything inside stays int8 (a quantized program's IO dtype is its
    own: one with uint8 Q/DQ at its inputs/outputs is detected).

    The flatbuffer's inputs and outputs are the program's quantized IO, in its own shape
    and order (TOSA's integer profile has no float IO); `report["inputs"/"outputs"]`
    give each one's dtype, scale and zero point. `preserve_io_quantization` (default)
    keeps the IO dtype the program's boundary Q/DQ state, uint8 included, converted to
    int8 inside by unsigned RESCALEs; with False, uint8 IO becomes the identical int8
    (value - 128, zero point - 128, same scale) and needs no rescale.

    `int48_bias` is the form of int16-activation convolutions (tosaic-int48-bias): "native"
    (int48 bias in the convolution), "split" (no bias in the convolution; rescale the
    accumulator to int32 and add the bias there) or "auto": native, except on
    Ethos-U55/U65 for a convolution whose bias and accumulator need more than 40 bits.

    `dump_stages` is a directory for the IR at each stage, each file headed by the
    command that makes the next (see `tosaic.pipelines.stages`).

    `debuginfo` prints the locations in `result.mlir` (model.mlir): each op's PyTorch module
    path, FX node and source lines (tosaic.driver.locations). `tensor_names` names the
    flatbuffer's tensors after them (`features.3.conv/conv2d`, tosaic.targets.tensor_names),
    so Vela's per-layer rows do; False keeps tosa-tools' `layer_N`. `observe_quantized`
    (tosaic.debug's debug build) makes each quantize's value an extra graph output, named in
    `report["observed"]`, and skips Vela and the output files.

    `scheme_config` (a .json/.toml path, a dict or a `tosaic.quantization.scheme_config.SchemeConfig`)
    quantizes a float program per module (see that module for the format and precedence);
    report["scheme_config"] lists each layer's scheme and the rule that chose it.
    `scheme="auto"` with `budget` (output SQNR vs the float model, dB) and `objective`
    ("flash" or "cycles") searches a per-layer assignment (`tosaic.quantization.auto_scheme`)
    and writes it as `output_dir/scheme_config.json`.

    `io_packing` ("int8x4-4w4c" or "int8x4-4h4w", integer targets) makes the int8 graph
    inputs and outputs packed int8x4 int32 words in that layout (tosaic.driver.io_packing);
    `report["inputs"/"outputs"][i]["packing"]` describes each packed one.

    `io_layout` "nhwc" makes the rank-4 graph inputs and outputs NHWC (no boundary
    transposes; `report["io_layout"]` says which); "nchw", PyTorch's, is the default.
    `vela_search` (Ethos-U targets) compiles with each candidate Vela setting
    (tosaic.driver.vela_search) and keeps the fewest cycles; `report["vela_search"]`
    lists what each candidate gave.
    """
    compile_target = targets.target(target)
    integer = compile_target.family.integer
    if int48_bias not in INT48_BIAS_FORMS:
        raise TosaicError(f"unknown int48 bias form '{int48_bias}'; available: {', '.join(INT48_BIAS_FORMS)}")
    int48_form, native_bias_bits = int48_bias_options(int48_bias, target)
    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}  # CPU seconds: what a loaded machine does not inflate
    start, cpu_start = time.perf_counter(), time.process_time()

    def lap(stage: str):
        nonlocal start, cpu_start
        now, cpu_now = time.perf_counter(), time.process_time()
        timings[stage] = round(timings.get(stage, 0.0) + now - start, 4)
        cpu_timings[stage] = round(cpu_timings.get(stage, 0.0) + cpu_now - cpu_start, 4)
        start, cpu_start = now, cpu_now
        progress.finished(stage, timings[stage])

    if output_dir and not observe_quantized:
        clean_stale_outputs(output_dir)  # never mixed with an earlier compile's files
    if isinstance(program, str):
        importer.register_quantized_ops()
        lap("imports")
    exported = importer.export_program(program, example_inputs)
    if not isinstance(program, torch.export.ExportedProgram):  # an ExportedProgram given is neither loaded nor exported here
        lap("load" if isinstance(program, str) else "export")
    quantized = importer.is_quantized(exported)
    if quantized and not integer:
        raise TosaicError(
            f"the program is quantized; compile it for an integer target (tosa-int or an "
            f"Ethos-U accelerator), not {target}"
        )
    if io_dtype is not None and io_dtype not in _IO_DTYPES:
        raise TosaicError(f"unknown IO dtype '{io_dtype}'; available: {', '.join(_IO_DTYPES)}")
    if io_packing is not None and (io_packing not in IO_PACKINGS or not integer):
        raise TosaicError(f"--io-packing takes {', '.join(IO_PACKINGS)} and an integer target, not "
                          f"'{io_packing}' for {target}")
    if io_layout not in IO_LAYOUTS:
        raise TosaicError(f"unknown IO layout '{io_layout}'; available: {', '.join(IO_LAYOUTS)}")
    if io_layout != "nchw" and io_packing is not None:
        raise TosaicError("--io-packing packs NCHW graph IO; it cannot be combined with --io-layout nhwc")
    if io_dtype is not None and not integer:
        raise TosaicError(f"--io-dtype quantizes the graph IO; it needs an integer target (tosa-int or an "
                          f"Ethos-U accelerator) and --scheme, not {target}")
    scheme_section = None
    if (scheme_config is not None or scheme == "auto") and not quantized:
        from tosaic.quantization.scheme_config import compile_hook

        exported, scheme_section = compile_hook(
            exported, program, example_inputs, target, scheme, scheme_config, budget, objective,
            calibration_data, io_dtype, output_dir, vela_options)
        quantized = True
        lap("quantize")
    elif scheme_config is not None:
        raise TosaicError("the program is already quantized; --scheme-config applies to float programs")
    elif integer and not quantized:
        exported = _quantize(exported, program, example_inputs, scheme, calibration_data, io_dtype)
        quantized = True
        lap("quantize")
    elif scheme is not None and quantized:
        raise TosaicError("the program is already quantized; --scheme applies to float programs")
    elif io_dtype is not None and quantized:
        raise TosaicError("the program is already quantized: its IO dtype is its own (uint8 Q/DQ at its inputs "
                          "and outputs are detected); --io-dtype applies to float programs with --scheme")
    context = new_context()
    module = importer.import_torch(exported, context, lap)
    stages = _stage_dump(dump_stages, module)
    importer.lower_to_tosa(module, quantized=quantized)
    if observe_quantized:
        from tosaic.driver.debugger import expose_quantized

        observed = expose_quantized(module)
    _stage_after_torch_to_tosa(stages, module, quantized)
    lap("torch_to_tosa")
    ops_before = op_counts(module)
    pipeline_name = pipeline_for_target(target)
    pipeline = target_pipeline(target, int48_bias, preserve_io_quantization)
    try:
        (stages.run_pipeline if stages else importer.run_pipeline)(module, pipeline, f"the {target} pipeline")
    except FrontendError as e:
        if scheme is None:
            raise FrontendError(_in_program_terms(str(e), exported)) from None
        raise FrontendError(_in_quantizer_terms(str(e), exported, scheme)) from None
    if io_layout != "nchw":
        pipeline += " " + NHWC_IO_PIPELINE
        importer.run_pipeline(module, NHWC_IO_PIPELINE, "--io-layout nhwc")
    if io_packing is not None:
        pipeline += " " + io_packing_pipeline(io_packing)
        importer.run_pipeline(module, io_packing_pipeline(io_packing), f"--io-packing {io_packing}")
    ops_after = op_counts(module)
    lap("passes")
    give_outputs_writers(module)
    tosa_target = tosa_flatbuffer.target_for(module, compile_target.family.tosa)
    tosa_flatbuffer.attach_and_validate(module, tosa_target)
    if stages:
        stages.finish(tosa_target)
    lap("validate")
    flatbuffer = tosa_flatbuffer.serialize(module, tosa_target)
    tensor_layers = {}
    if tensor_names:
        flatbuffer, tensor_layers = name_tensors(module, flatbuffer)
    lap("serialize")
    inputs, outputs = _signature(module)
    mlir_text = module.operation.get_asm(enable_debug_info=debuginfo)
    report = {
        "target": target,
        "quantized": quantized,
        "pipeline_name": pipeline_name,
        **({"activation_types": _activation_types(exported),
            "int48_bias": {"requested": int48_bias, "form": int48_form, "native_bias_bits": native_bias_bits}}
           if quantized else {}),
        "pipeline": pipeline,
        "tosa": {"profile": tosa_target.profile, "extensions": list(tosa_target.extensions)},
        **({"io_packing": io_packing} if io_packing else {}),
        "io_layout": io_layout,
        "inputs": [s.as_dict() for s in inputs],
        "outputs": [s.as_dict() for s in outputs],
        "ops": dict(sorted(ops_after.items())),
        "transposes": {
            "after_torch_mlir": ops_before.get("tosa.transpose", 0),
            "final": ops_after.get("tosa.transpose", 0),
            "final_bytes": transposed_bytes(module),
        },
        **({"scheme_config": scheme_section} if scheme_section else {}),
        "weights": weight_report(module),
        "flatbuffer_bytes": len(flatbuffer),
        "seconds": timings,
        "versions": versions(),
        "command": command_line(),
        "cpu_seconds": cpu_timings,
    }
    result = CompileResult(target, mlir_text, flatbuffer, inputs, outputs, report)
    if observe_quantized:
        report["observed"] = observed
        return result
    if compile_target.accelerator:
        if vela_search:
            from tosaic.driver.vela_search import search_vela

            result.vela, report["vela_search"] = search_vela(
                lambda options, directory: _run_vela(result, compile_target.accelerator,
                                                     output_dir if directory is None else directory, options),
                vela_options or {})
        else:
            result.vela = _run_vela(result, compile_target.accelerator, output_dir, vela_options or {})
        report["vela"] = result.vela.as_report()
        report["vela_command"] = result.vela.command
        annotate_vela_layers(report["vela"]["layers"], tensor_layers)
        lap("vela")
    if output_dir:
        write_outputs(result, output_dir)
    return result


_DIAGNOSTIC = re.compile(r"^(?P<file>.*):(?P<line>\d+):(?P<col>\d+): error: ")
_STACK_FRAME = re.compile(r'File "(?P<file>[^"]*)", line (?P<line>\d+)')


def _source_lines(node) -> list[tuple[str, int]]:
    """(file, line) of each frame of the code that made an FX node."""
    return [(file, int(line)) for file, line in _STACK_FRAME.findall(node.meta.get("stack_trace") or "")]


def _in_quantizer_terms(message: str, program, scheme) -> str:
    """A pipeline failure of a program tosaic's quantizer quantized (`scheme`), worded for
    its user: when float ops are left at a source line holding an aten op the quantizer
    does not annotate, one error per such op (naming it, its module and the line) in place
    of the float ops' errors; otherwise the errors, without asking whether the program is
    quantized."""
    from tosaic.passes.verify_integer import UNQUANTIZED_HINT
    from tosaic.quantization.quantizer import unannotated_ops

    scheme_name = getattr(scheme, "name", scheme)
    reworded = _errors_at_ops(message, unannotated_ops(program),
                              f"is not supported by tosaic's quantizer (--scheme {scheme_name}): it stays float, "
                              "which TOSA's integer profile cannot run; `tosaic ops` lists the supported ops")
    return reworded or message.replace(UNQUANTIZED_HINT, "no integer lowering applies; `tosaic ops` lists the supported ops")


def _errors_at_ops(message: str, nodes, reason: str) -> str | None:
    """The pipeline failure `message` as one error per FX node of `nodes` whose source line
    (some frame of it) holds a failing diagnostic: `file:line:col: error: <op> (in <module>)
    <reason>`, after the message's first line; None when no node matches."""
    failing = {}
    for line in message.splitlines():
        match = _DIAGNOSTIC.match(line)
        if match:
            failing.setdefault((match["file"], int(match["line"])), match["col"])
    errors = []
    for node in nodes:
        where = next((frame for frame in _source_lines(node) if frame in failing), None)
        if where is None:
            continue
        stack = list((node.meta.get("nn_module_stack") or {}).values())
        module = stack[-1][0] if stack and stack[-1][0] else None
        errors.append(f"{where[0]}:{where[1]}:{failing[where]}: error: {node.target}"
                      f"{f' (in {module})' if module else ''} {reason}")
    return "\n".join([message.splitlines()[0], *dict.fromkeys(errors)]) if errors else None


_BIASED_OPS = (torch.ops.aten.linear.default, torch.ops.aten.conv1d.default, torch.ops.aten.conv2d.default,
               torch.ops.aten.convolution.default)


def _float_weighted_ops(program) -> list:
    """The aten ops of an already-quantized program that read a float parameter or constant
    directly (not through a dequantize): ops its quantizer left float (ExecuTorch's leaves a
    GRU cell so)."""
    signature = program.graph_signature
    constants = {**signature.inputs_to_parameters, **signature.inputs_to_buffers,
                 **signature.inputs_to_lifted_tensor_constants}
    found = []
    for node in program.graph.nodes:
        if node.op != "call_function" or "quantized_decomposed" in str(node.target):
            continue
        # A float bias beside a dequantized weight is quantized by the lowering (XNNPACK's form).
        args = node.args[:2] if node.target in _BIASED_OPS else node.args
        reads = [a for a in torch.fx.node.map_aggregate(args, lambda a: a) if isinstance(a, torch.fx.Node)
                 and a.op == "placeholder" and a.name in constants]
        if any(getattr(a.meta.get("val"), "is_floating_point", lambda: False)() for a in reads):
            found.append(node)
    return found


def _in_program_terms(message: str, program) -> str:
    """A pipeline failure of a program another quantizer made: where the float ops are at a
    source line holding an op that reads float weights, one error per such op, saying that
    the program's quantizer left it float."""
    return _errors_at_ops(message, _float_weighted_ops(program),
                          "is unquantized: the program's quantizer left it float (its weights are float, not "
                          "dequantized), which TOSA's integer profile cannot run; quantize it, or compile the "
                          "float model with --scheme") or message


def _activation_types(exported) -> list[str]:
    """The integer types the program quantizes activations to (e.g. ["int16"] for a16w8),
    from its quantize ops: how a quantized program says it has int16 activations."""
    found = set()
    for node in exported.graph.nodes:
        if node.op == "call_function" and "quantize_per_tensor" in str(node.target) \
                and "dequantize" not in str(node.target):
            dtype = node.args[5] if len(node.args) > 5 else node.kwargs.get("dtype")
            if isinstance(dtype, torch.dtype):
                found.add(str(dtype).removeprefix("torch."))
    return sorted(found)


def _run_vela(result: CompileResult, accelerator: str, output_dir: str | None, options: dict):
    import tempfile

    from tosaic.targets import vela

    if output_dir is None:  # the caller wants figures, not files
        with tempfile.TemporaryDirectory(prefix="tosaic-vela-") as tmp:
            return _run_vela(result, accelerator, tmp, options)
    os.makedirs(output_dir, exist_ok=True)
    tosa_path = os.path.join(output_dir, "model.tosa")
    with open(tosa_path, "wb") as f:
        f.write(result.flatbuffer)
    vela_result = vela.run_vela(tosa_path, accelerator, output_dir, **options)
    for path in vela_result.output_files:
        with open(path, "rb") as f:
            result.vela_files[os.path.basename(path)] = f.read()
    return vela_result


def _quantize(exported, program, example_inputs, scheme, calibration_data, io_dtype=None):
    if scheme is None:
        raise TosaicError(
            "a float program needs a quantization scheme for an integer target (e.g. scheme='a8w8' / --scheme a8w8)"
        )
    from tosaic.quantization import get_scheme, quantize_model

    from tosaic.quantization.quantizer import with_io_dtype

    try:
        scheme = get_scheme(scheme)
    except KeyError as e:
        raise TosaicError(str(e.args[0]) if e.args else f"unknown scheme {scheme}") from None
    if io_dtype is not None:
        scheme = with_io_dtype(scheme, io_dtype)
    model = program if isinstance(program, torch.nn.Module) else exported.module()
    inputs = tuple(example_inputs) if example_inputs is not None else _example_inputs_of(exported)
    return quantize_model(model, inputs, scheme=scheme, calibration_data=calibration_data)


def _example_inputs_of(exported):
    args = []
    for spec in exported.graph_signature.input_specs:
        if spec.kind.name == "USER_INPUT":
            node = next(n for n in exported.graph.nodes if n.name == spec.arg.name)
            meta = node.meta["val"]
            args.append(torch.randn(tuple(meta.shape)))
    return tuple(args)


def write_outputs(result: CompileResult, output_dir: str) -> None:
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "model.mlir"), "w") as f:
        f.write(result.mlir + "\n")  # as tosaic-opt (and mlir-opt) write a module
    with open(os.path.join(output_dir, "model.tosa"), "wb") as f:
        f.write(result.flatbuffer)
    with open(os.path.join(output_dir, "report.json"), "w") as f:
        json.dump(result.report, f, indent=2, sort_keys=True)
        f.write("\n")
    from tosaic.driver.html_report import write_html_report

    write_html_report(result, output_dir)
    result.output_dir = output_dir


# --dump-stages (tosaic.pipelines.stages) ------------------------------------------


def _stage_dump(directory: str | None, module: ir.Module):
    """Start dumping stages with the IR after the FX import; None without a directory."""
    if directory is None:
        return None
    from tosaic.pipelines.stages import StageDump

    stages = StageDump(directory, importer.run_pipeline)
    stages.add(module, "import", "the torch-backend IR (torch dialect) after the FX import")
    return stages


def _stage_after_torch_to_tosa(stages, module: ir.Module, quantized: bool) -> None:
    if stages:
        pipeline = importer.QUANTIZED_TORCH_TO_TOSA_PIPELINE if quantized else importer.TORCH_TO_TOSA_PIPELINE
        stages.add(module, "torch-to-tosa", "TOSA after torch-mlir's TorchToTosa (float ops; a quantized "
                   "program's Q/DQ as tosaic.quantize/dequantize)", made_by=pipeline)
