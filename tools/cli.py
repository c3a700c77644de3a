"""tosaic: compile PyTorch programs to TOSA, run them on the reference model.

    tosaic compile model.pt2 --target tosa-fp -o out/
    tosaic compile models.py:MyNet --input-shape 1x3x32x32 -o out/
    tosaic run out/model.tosa --input x.npy
    tosaic demo            # the README's main job on the bundled example
    tosaic pipeline tosa-fp
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import time
import warnings

from tosaic import targets
from tosaic.driver.errors import TosaicError
from tosaic.tools import inputs as cli_inputs


class InputShape(tuple):
    """An --input-shape: the dims, and the example input's dtype (float32, or int64/int32
    for index inputs such as token ids, given as `2x7:int64`)."""

    dtype = "float32"


_INPUT_DTYPES = ("float32", "int64", "int32")


def _parse_shape(text: str) -> InputShape:
    dims_text, _, dtype = text.lower().partition(":")
    if dtype and dtype not in _INPUT_DTYPES:
        raise argparse.ArgumentTypeError(f"'{text}': the input dtype must be one of {', '.join(_INPUT_DTYPES)}")
    try:
        dims = tuple(int(d) for d in dims_text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 1x3x32x32 (or 2x7:int64)") from None
    if not dims or any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 1x3x32x32 (or 2x7:int64)")
    try:
        cli_inputs.check_input_shape(dims)
    except TosaicError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    shape = InputShape(dims)
    shape.dtype = dtype or "float32"
    return shape


def _example_input(shape):
    """Random float32 values, or index 0 everywhere for an integer input (an id any
    embedding table has)."""
    import torch

    dtype = getattr(shape, "dtype", "float32")
    if dtype == "float32":
        return torch.randn(*shape)
    return torch.zeros(*shape, dtype=getattr(torch, dtype))


def _load_program(spec: str, input_shapes: list[tuple[int, ...]]):
    """A loaded `.pt2` (ExportedProgram), or `file.py:ModelClass` instantiated with no
    arguments and its random example inputs."""
    import inspect

    import torch

    from tosaic.frontend import importer

    path, class_name = cli_inputs.split_program(spec)
    if class_name is None:
        if input_shapes:
            raise TosaicError(f"--input-shape is for file.py:ModelClass; {spec} has its own input shapes")
        return importer.load_program(path), None
    module_spec = importlib.util.spec_from_file_location("tosaic_user_model", path)
    if module_spec is None:
        raise TosaicError(f"cannot import '{path}': not a Python file")
    user_module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(user_module)
    except Exception as e:  # noqa: BLE001 - the user's module: any error is theirs
        raise TosaicError(f"cannot import '{path}': {type(e).__name__}: {e}") from None
    cls = getattr(user_module, class_name, None)
    if cls is None:
        raise TosaicError(f"'{path}' defines no '{class_name}'")
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise TosaicError(f"{spec} is a {type(cls).__name__}, not an nn.Module subclass")
    try:
        model = cls()
    except TypeError as e:
        raise TosaicError(f"{spec}: the model is built with no arguments, and {class_name}() fails: {e}") from None
    except Exception as e:  # noqa: BLE001 - the user's constructor
        raise TosaicError(f"{spec}: {class_name}() raised {type(e).__name__}: {e}") from None
    if not input_shapes:
        raise TosaicError(f"{spec} needs --input-shape (one per model input), e.g. 1x3x32x32")
    try:
        parameters = inspect.signature(model.forward).parameters.values()
    except (TypeError, ValueError):
        parameters = None
    if parameters is not None and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        required = [p for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                                                  p.POSITIONAL_OR_KEYWORD)]
        most = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if not len(required) <= len(input_shapes) <= len(most):
            raise TosaicError(f"{spec}: forward takes {len(required)} input(s) "
                              f"({', '.join(p.name for p in required)}), got {len(input_shapes)} --input-shape")
    torch.manual_seed(0)
    return model.eval(), tuple(_example_input(shape) for shape in input_shapes)


def _program_inputs(program, example_inputs) -> list:
    """(shape, numpy dtype name) of each input the program takes."""
    if example_inputs is not None:
        return [(tuple(x.shape), str(x.numpy().dtype)) for x in example_inputs]
    expected = []
    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    for spec in program.graph_signature.input_specs:
        if spec.kind.name == "USER_INPUT":
            value = placeholders[spec.arg.name].meta.get("val")
            expected.append((tuple(value.shape), str(value.dtype).removeprefix("torch.")))
    return expected


def _describe_io(signature) -> str:
    shape = 'x'.join(map(str, signature.shape))
    q = signature.quantization
    if not q:
        return f"{shape} {signature.dtype}"
    packing = signature.packing
    if packing:  # the words to feed/read, then what they hold
        shape = (f"{shape} {signature.dtype} = int8x4 {packing['layout']} of "
                 f"{'x'.join(map(str, packing['logical_shape']))}")
        return f"{shape} {q['dtype']} (scale {q['scale']:.6g}, zero point {q['zero_point']})"
    # The dtype to feed/read; the flatbuffer's storage (signless i8 for uint8) in brackets.
    return (f"{shape} {q['dtype']} (scale {q['scale']:.6g}, zero point {q['zero_point']}; "
            f"storage {signature.dtype})")


def _summary(result, seconds: float) -> str:
    report = result.report
    ops = sum(report["ops"].values())
    lines = [
        f"tosaic: compiled for {result.target} in {seconds:.2f} s",
        "  inputs : " + "; ".join(_describe_io(s) for s in result.inputs),
        "  outputs: " + "; ".join(_describe_io(s) for s in result.outputs),
        f"  TOSA ops: {ops} ({', '.join(f'{k[5:]}={v}' for k, v in report['ops'].items())})",
        f"  transposes: {report['transposes']['after_torch_mlir']} after torch-mlir -> "
        f"{report['transposes']['final']} final ({report['transposes'].get('final_bytes', 0)} bytes)",
        f"  flatbuffer: {report['flatbuffer_bytes']} bytes",
    ]
    if report.get("activation_types"):
        int48 = report["int48_bias"]
        line = f"  quantized activations: {', '.join(report['activation_types'])}"
        if "int16" in report["activation_types"]:
            line += f"; int48 bias form: {int48['form']} (requested {int48['requested']})"
        lines.append(line)
    weights = report.get("weights")
    if weights and weights["layers"]:
        by_dtype = ", ".join(f"{dtype} {size}" for dtype, size in weights["by_dtype"].items())
        line = f"  weights: {weights['total_bytes']} bytes ({by_dtype})"
        if weights["int8_fallbacks"]:
            line += f"; {len(weights['int8_fallbacks'])} int4-range layer(s) kept int8, see report.json"
        lines.append(line)
    vela = report.get("vela")
    if vela:
        placement = vela["placement"]
        total = placement["npu_ops"] + placement["cpu_ops"]
        lines += [
            f"  Vela {vela['vela_version']} ({vela['system_config']}, {vela['memory_mode']}): "
            f"{placement['npu_ops']}/{total} ops on the NPU, {vela['cycles']['total']} cycles, "
            f"{vela['inference_time_s'] * 1e3:.3f} ms",
            f"  memory: SRAM {vela['sram_used_bytes']} B, off-chip {vela['offchip_used_bytes']} B; "
            f"weights {vela['weights_bytes']['encoded']} B encoded",
        ]
        search = report.get("vela_search")
        if search:
            tried = ", ".join(f"{c['optimise']}/{c['tensor_allocator']} " + (str(c["cycles"]) if "cycles" in c else "failed")
                              for c in search["candidates"])
            lines.append(f"  Vela search: chose {search['chosen']['optimise']}/{search['chosen']['tensor_allocator']} "
                         f"({tried})")
    if result.output_dir:
        written = "model.mlir, model.tosa, report.json, report.html" + (", Vela output" if vela else "")
        lines.append(f"  wrote {result.output_dir}/: {written}")
    return "\n".join(lines)


def _calibration(directory: str | None, warn_random: bool, expected: list | None = None):
    """Calibration samples: each .npy (one input) or .npz (arr_0, arr_1, ...) is one sample,
    checked against the program's inputs (`expected`: (shape, dtype) each)."""
    import numpy as np
    import torch

    if directory is None:
        if warn_random:
            print("tosaic: warning: no --calibration data: calibrating on random inputs; "
                  "quantization ranges will not match real data", file=sys.stderr)
        return None
    if not os.path.isdir(directory):
        raise TosaicError(f"--calibration: no such directory: {directory}")
    samples = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        try:
            if name.endswith(".npy"):
                arrays = [np.load(path)]
            elif name.endswith(".npz"):
                with np.load(path) as archive:
                    arrays = [archive[k] for k in sorted(archive.files, key=_array_order)]
            else:
                continue
        except (OSError, ValueError, EOFError) as e:
            raise TosaicError(f"--calibration: cannot read {path}: {e}") from None
        if expected is not None:
            cli_inputs.check_arrays(arrays, expected, f"--calibration {path}")
        samples.append(tuple(torch.from_numpy(a) for a in arrays))
    if not samples:
        raise TosaicError(f"--calibration: {directory} holds no .npy or .npz files")
    return samples


def _progress(args, title: str):
    """Progress on stderr (rich) when it is a terminal and no --quiet."""
    from tosaic.driver.progress import display

    return display(title, enabled=sys.stderr.isatty() and not getattr(args, "quiet", False))


def _array_order(name: str):
    """np.savez's arr_0, arr_1, ..., arr_10 in numeric order."""
    head, _, number = name.rpartition("_")
    return (head, int(number)) if number.isdigit() else (name, -1)


def cmd_compile(args) -> int:
    # Everything the command line names is checked before torch is imported (seconds).
    if args.emit_c:
        from tosaic.driver.emit_c import check_options

        check_options(args.c_name, args.c_section, args.target)
    cli_inputs.check_program(args.program)
    compile_target = targets.target(args.target)
    vela_flags = [flag for flag, value in (("--system-config", args.system_config), ("--memory-mode", args.memory_mode),
                                           ("--config", args.config), ("--optimise", args.optimise),
                                           ("--vela-format", args.vela_format)) if value]
    if vela_flags and not compile_target.accelerator:
        raise TosaicError(f"{', '.join(vela_flags)}: Vela options, for an Ethos-U target, not {args.target}")
    if not compile_target.family.integer:
        for flag, value in (("--scheme", args.scheme), ("--calibration", args.calibration)):
            if value:
                raise TosaicError(f"{flag} quantizes for an integer target (tosa-int or an Ethos-U accelerator), "
                                  f"not {args.target}")
    elif args.calibration and not args.scheme:
        raise TosaicError("--calibration calibrates the quantization of --scheme; give a scheme")
    for config in args.config:
        cli_inputs.check_input_file(config, "--config")
    if args.calibration is not None:
        cli_inputs.check_directory(args.calibration, "--calibration")
    created = [cli_inputs.check_output_dir(args.output, "-o")]
    if args.dump_stages:
        created.append(cli_inputs.check_output_dir(args.dump_stages, "--dump-stages"))
    try:
        return _compile(args)
    except BaseException:
        for directory in created:
            cli_inputs.remove_if_empty(directory)
        raise


def _compile(args) -> int:
    import tosaic

    from tosaic.tools import timing

    startup = timing.startup_seconds()
    load_start = time.perf_counter(), time.process_time()
    program, example_inputs = _load_program(args.program, args.input_shape)
    loaded = {"load" if example_inputs is None else "export": (time.perf_counter() - load_start[0],
                                                               time.process_time() - load_start[1])}
    calibration = _calibration(args.calibration,
                               warn_random=args.scheme is not None or args.scheme_config is not None,
                               expected=_program_inputs(program, example_inputs) if args.calibration else [])
    vela_options = {
        key: value
        for key, value in (
            ("system_config", args.system_config),
            ("memory_mode", args.memory_mode),
            ("config_files", args.config or None),
            ("optimise", args.optimise),
            ("output_format", args.vela_format),
        )
        if value is not None
    }
    if args.pareto and args.scheme != "auto":
        raise TosaicError("--pareto compares the auto choice with the uniform schemes: it needs --scheme auto")
    start = time.perf_counter()
    with _progress(args, f"compiling for {args.target}"):
        result = tosaic.compile(program, example_inputs, target=args.target, output_dir=args.output,
                                scheme=args.scheme, calibration_data=calibration,
                                vela_options=vela_options, io_dtype=args.io_dtype,
                                preserve_io_quantization=args.preserve_io_quantization,
                                int48_bias=args.int48_bias, dump_stages=args.dump_stages,
                                io_packing=args.io_packing, io_layout=args.io_layout,
                                vela_search=args.vela_search, debuginfo=args.debuginfo,
                                scheme_config=args.scheme_config, budget=args.budget,
                                objective=args.objective, tensor_names=args.tensor_names)
    timing.record_startup(result, startup, loaded)
    print(_summary(result, time.perf_counter() - start))
    if args.timing:
        print(timing.stage_table(result.report["seconds"], result.report.get("cpu_seconds")))
    if "scheme_config" in result.report:
        from tosaic.quantization.scheme_config import summary_lines

        print("\n".join(summary_lines(result.report)))
    if args.pareto:
        from tosaic.quantization.pareto import run_cli as pareto

        written = pareto(args, program, example_inputs, calibration, vela_options)
        print(f"  Pareto (all-a8w8, all-a8w4, all-a16w8, auto at several budgets): wrote {', '.join(written)}")
    if args.emit_c:
        from tosaic.driver.emit_c import write_c

        written = write_c(result, args.output, args.c_name, args.c_section)
        print(f"  C: {', '.join(os.path.basename(p) for p in written)} ({len(result.vela_model)} bytes of "
              f"Vela output in section {args.c_section})")
    return 0


def cmd_debug(args) -> int:
    import numpy as np
    import torch

    import tosaic
    from tosaic.driver.debugger import format_table

    program, example_inputs = _load_program(args.program, args.input_shape)
    calibration = _calibration(args.calibration, warn_random=False,
                               expected=_program_inputs(program, example_inputs) if args.calibration else None)
    samples = None
    if args.input:
        try:
            samples = [tuple(torch.from_numpy(np.load(path)) for path in args.input)]
        except (OSError, ValueError) as e:
            raise TosaicError(f"--input: cannot read {args.input}: {e}") from None
    if args.scheme and calibration is None:
        print("tosaic: warning: no --calibration data: calibrating on random inputs; "
              "quantization ranges will not match real data", file=sys.stderr)
    if samples is None and calibration is None:
        print("tosaic: warning: no --input or --calibration: comparing on one random input", file=sys.stderr)
    with _progress(args, f"debugging for {args.target}"):
        result = tosaic.debug(program, example_inputs, target=args.target, output_dir=args.output,
                              scheme=args.scheme, calibration_data=calibration, inputs=samples)
    print(f"tosaic: debug: {result.summary['compared']} of {result.summary['quantized_tensors']} quantized "
          f"tensors compared on {result.summary['samples']} sample(s), worst first:")
    print(format_table(result, args.limit))
    print(f"  wrote {args.output}/numerics.json, report.html")
    return 0


def cmd_sensitivity(args) -> int:
    from tosaic.quantization.sensitivity import run_cli

    program, example_inputs = _load_program(args.program, args.input_shape)
    return run_cli(args, program, example_inputs,
                   _calibration(args.calibration, warn_random=False,
                                expected=_program_inputs(program, example_inputs)))


def cmd_run(args) -> int:
    if not os.path.exists(args.flatbuffer):
        raise TosaicError(f"no such flatbuffer: {args.flatbuffer}")
    cli_inputs.check_input_file(args.flatbuffer, "flatbuffer")
    if os.path.getsize(args.flatbuffer) == 0:
        raise TosaicError(f"{args.flatbuffer}: the flatbuffer is empty")
    for path in args.input:
        cli_inputs.check_input_file(path, "--input")
    if args.output_dir:
        cli_inputs.check_output_dir(args.output_dir, "--output-dir")
    import numpy as np

    from tosaic.driver import run_io
    from tosaic.targets.reference_model import run_reference

    arrays = []
    for path in args.input:
        try:
            arrays.append(np.load(path))
        except (OSError, ValueError, EOFError) as e:
            raise TosaicError(f"cannot read input '{path}': {e}") from None
    expected = []
    for path in args.expect:
        try:
            expected.append(np.load(path))
        except (OSError, ValueError, EOFError) as e:
            raise TosaicError(f"cannot read --expect '{path}': {e}") from None
    # report.json next to the flatbuffer holds its signature: float inputs are quantized
    # with its qparams, and the feeds are checked against it (the reference model would
    # read a wrongly-shaped array as it comes); it says which outputs are uint8.
    report = run_io.read_report(args.flatbuffer, args.report)
    inputs, notes = run_io.prepare_inputs(arrays, report)
    if report is not None:
        cli_inputs.check_arrays(inputs, [(s["shape"], _feed_dtype(s)) for s in report.get("inputs", [])],
                                f"tosaic run {args.flatbuffer}")
    try:
        outputs = run_reference(args.flatbuffer, inputs)
    except TosaicError as e:
        raise TosaicError(f"{args.flatbuffer}: {e}") from None
    if expected and len(expected) != len(outputs):
        raise TosaicError(f"{len(expected)} --expect array(s) for {len(outputs)} output(s)")
    signatures = (report or {}).get("outputs") or []
    dtypes = [(o.get("quantization") or {}).get("dtype") for o in signatures]
    outputs = [out.view(np.uint8) if i < len(dtypes) and dtypes[i] == "uint8" else out
               for i, out in enumerate(outputs)]
    if args.dequantize:
        if not any(s.get("quantization") for s in signatures):
            raise TosaicError("--dequantize needs report.json with the outputs' quantization next to the "
                              "flatbuffer (or --report)")
        outputs = [run_io.dequantize(out, signatures[i]["quantization"])
                   if i < len(signatures) and signatures[i].get("quantization") else out
                   for i, out in enumerate(outputs)]
    print(f"tosaic: reference model: graph valid, {len(outputs)} output(s)")
    for i, note in enumerate(notes):
        print(f"  input {i}: {note}")
    ok = True
    for i, out in enumerate(outputs):
        print(f"  output {i}: shape {'x'.join(map(str, out.shape))} {out.dtype}")
        print(f"    {run_io.describe_values(out)}")
        if expected:
            same, message = run_io.compare(out, expected[i], args.atol)
            ok &= same
            print(f"    vs {os.path.basename(args.expect[i])}: {message}")
        if args.output_dir:
            np.save(os.path.join(args.output_dir, f"output_{i}.npy"), out)
    return 0 if ok else 1


# report.json's storage types -> the numpy dtype `tosaic run` takes for that input
_STORAGE_DTYPES = {"i8": "int8", "i16": "int16", "i32": "int32", "f32": "float32", "f16": "float16",
                   "bf16": None, "i1": "bool"}


def _feed_dtype(signature: dict):
    quantized = (signature.get("quantization") or {}).get("dtype")
    if signature.get("packing"):
        return "int32"
    if quantized in ("uint8", "int8", "int16", "uint16"):
        return quantized
    return _STORAGE_DTYPES.get(signature.get("dtype"))


def cmd_demo(args) -> int:
    """The README's main job: quantize the bundled example (a8w8), compile it for
    ethos-u55-128, and check the integer flatbuffer on the TOSA reference model against
    the fake-quantized PyTorch program."""
    if not targets.target(args.target).family.integer:
        raise TosaicError(f"demo compiles a quantized model: --target tosa-int or an Ethos-U accelerator, "
                          f"not {args.target}")
    cli_inputs.check_output_dir(args.output, "-o")
    import numpy as np
    import torch

    from tosaic.driver.checks import check_quantized
    from tosaic.examples.models import example
    from tosaic.quantization import quantize_model

    model, inputs = example("conv_pool")
    generator = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*inputs[0].shape, generator=generator),) for _ in range(16)]
    program = quantize_model(model, inputs, scheme="a8w8", calibration_data=calibration)
    start = time.perf_counter()
    check = check_quantized(program, inputs, target=args.target, output_dir=args.output)
    print(_summary(check.result, time.perf_counter() - start))
    with torch.no_grad():
        float_out = model(*inputs).numpy()
    q = check.result.outputs[0].quantization
    (got,) = __import__("tosaic").run(check.result.flatbuffer, check.feeds)
    dequantized = (got.astype(np.float32) - q["zero_point"]) * q["scale"]
    ok = check.max_lsb <= 1 and check.bit_exact >= 0.99
    print(f"  reference model vs fake-quantized PyTorch: max {check.max_lsb} LSB, "
          f"{check.bit_exact:.2%} bit-exact -> {'OK' if ok else 'MISMATCH'}")
    print(f"  vs the float model: max abs error {np.abs(dequantized - float_out).max():.4f} "
          f"(output range {np.ptp(float_out):.3f})")
    return 0 if ok else 1


def cmd_pipeline(args) -> int:
    from tosaic.pipelines import PIPELINES, pipeline_text, target_pipeline

    if args.name:
        # a target prints the pipeline `tosaic compile --target` runs for it
        print(target_pipeline(args.name) if args.name in targets.TARGETS else pipeline_text(args.name))
    else:
        for name, text in PIPELINES.items():
            print(f"{name}: {text}")
    return 0


def cmd_docs(args) -> int:
    from tosaic.tools.docs import int8x4_markdown, passes_markdown, targets_markdown
    from tosaic.tools.ops import ops_markdown

    # passes.md carries the packed int8x4 type and the target table after the pass reference.
    pages = {"passes": lambda: passes_markdown() + "\n" + int8x4_markdown() + "\n" + targets_markdown(),
             "ops": ops_markdown}
    if args.write:
        cli_inputs.check_output_dir(args.write, "--write")
        for name, page in pages.items():
            with open(os.path.join(args.write, f"{name}.md"), "w") as f:
                f.write(page())
            print(f"wrote {os.path.join(args.write, name + '.md')}")
        return 0
    sys.stdout.write(pages[args.page]())
    return 0


def cmd_ops(args) -> int:
    from tosaic.tools.ops import ops_text

    sys.stdout.write(ops_text())
    return 0


def _target_help() -> str:
    """The --target choices, from the target registry: plain TOSA first, then the NPUs."""
    tosa = [family.short_names for family in targets.FAMILIES if not family.vela]
    npus = [family.short_names for family in targets.FAMILIES if family.vela]
    return f"{', '.join(tosa)}, or an Ethos-U accelerator for Vela: {', '.join(npus)} (default: %(default)s)"


def _vela_defaults(field: str) -> str:
    """The Ethos-U families' Vela default `field`: "ethos-u55: Shared_Sram; ...", or the one
    value they share."""
    values = {family.name: getattr(family.vela, field) for family in targets.FAMILIES if family.vela}
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    return "; ".join(f"{name}: {value}" for name, value in values.items())


def _narrow_bias_targets() -> str:
    """The families whose convolutions keep fewer than 48 bias bits: "ethos-u55: 40, ..."."""
    return ", ".join(f"{family.name}: {family.native_bias_bits}" for family in targets.FAMILIES
                     if family.integer and family.native_bias_bits < 48)


class _Parser(argparse.ArgumentParser):
    """One line for a command-line mistake, not the whole usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tosaic", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="compile a program to TOSA")
    c.add_argument("program", help="PROGRAM.pt2 or file.py:ModelClass")
    c.add_argument("--input-shape", type=_parse_shape, action="append", default=[],
                   help="example input shape for file.py:ModelClass, e.g. 1x3x32x32, or 2x7:int64 for token ids "
                        "(repeat per input)")
    c.add_argument("--target", default="tosa-fp", help=_target_help())
    c.add_argument("-o", "--output", required=True, help="output directory")
    c.add_argument("--scheme", help="quantize a float program for an integer target: a8w8, a8w4 (int4 "
                   "weights), a16w8 (int16 activations), a8w8_u8io, or auto (a per-layer mix from --budget). A quantized .pt2 needs none (int4 "
                   "weights, int16 activations and uint8 IO are detected)")
    c.add_argument("--scheme-config", metavar="FILE",
                   help="quantize per module from a .json/.toml file mapping module names, glob patterns and "
                   "module types to a8w8/a8w4/a16w8/none, with a default (precedence name > glob > type > "
                   "default); --scheme auto writes one as OUTDIR/scheme_config.json")
    c.add_argument("--budget", type=float, metavar="SQNR_DB",
                   help="with --scheme auto: the output SQNR vs the float model (dB) the per-layer choice must "
                   "keep on the held-out quarter of the calibration data")
    c.add_argument("--objective", choices=["flash", "cycles"], default="flash",
                   help="with --scheme auto: what the per-layer choice minimises (default: %(default)s)")
    c.add_argument("--pareto", action="store_true",
                   help="with --scheme auto: also compile all-a8w8, all-a8w4, all-a16w8 and auto at several "
                   "budgets; write OUTDIR/pareto.json, .md and (with matplotlib) .png/.svg: error vs flash and cycles")
    c.add_argument("--io-dtype", choices=["int8", "uint8"],
                   help="with --scheme: quantize the graph inputs and outputs as uint8 [0, 255] (int8 "
                   "inside; the flatbuffer takes and returns raw uint8 bytes) or int8 (default). A quantized "
                   ".pt2 with uint8 Q/DQ at its inputs/outputs is detected without it")
    c.add_argument("--preserve-io-quantization", action=argparse.BooleanOptionalAction, default=True,
                   help="keep the IO dtype the program's boundary Q/DQ state (default): a uint8 input or "
                   "output stays uint8, converted to/from int8 inside by an unsigned RESCALE. With "
                   "--no-preserve-io-quantization uint8 IO becomes the identical int8 (value - 128, zero "
                   "point - 128, same scale), with no rescale. The flatbuffer's IO is always quantized: "
                   "TOSA's integer profile has no float")
    c.add_argument("--int48-bias", choices=["auto", "native", "split"], default="auto",
                   help="int16-activation convolutions: int48 bias in the convolution (native), or "
                   "conv without bias + rescale to int32 + add (split); auto: native, split where a "
                   f"bias needs more than the target's bits ({_narrow_bias_targets()})")
    c.add_argument("--dump-stages", metavar="DIR",
                   help="write the IR at each stage (import, TorchToTosa, each pipeline phase) to DIR, "
                   "each file headed by the tosaic-opt command that makes the next; DIR/replay.sh runs them")
    c.add_argument("--io-packing", choices=["int8x4-4w4c", "int8x4-4h4w"],
                   help="integer targets: the int8 graph inputs/outputs as packed int8x4 int32 words in that "
                   "layout (report.json's packing entry says how; tosaic.int8x4.pack/unpack make and read them)")
    c.add_argument("--emit-c", action="store_true",
                   help="Ethos-U targets: write OUTDIR/<c-name>_data.h/.c, Vela's compiled model as a 16-byte "
                   "aligned const uint8_t array with its length and IO constants (shapes, dtypes, scales, zero points)")
    c.add_argument("--c-name", default="model", help="C name prefix for --emit-c (default: model -> model_data[])")
    c.add_argument("--c-section", default="network_model_sec",
                   help="linker section of the --emit-c array (default: network_model_sec)")
    c.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    c.add_argument("--tensor-names", action=argparse.BooleanOptionalAction, default=True,
                   help="name the flatbuffer's tensors after the user's modules (features.3.conv/conv2d; "
                   "default), or keep tosa-tools' layer_N (--no-tensor-names: what a --dump-stages replay makes)")
    c.add_argument("--debuginfo", action="store_true",
                   help="print locations in model.mlir (as --mlir-print-debuginfo): each op's PyTorch module "
                   "path, FX node and source lines")
    c.add_argument("--timing", action="store_true",
                   help="print the seconds of each stage (also in report.json's \"seconds\")")
    c.add_argument("--io-layout", choices=["nchw", "nhwc"], default="nchw",
                   help="layout of the rank-4 graph inputs and outputs: nchw (PyTorch's, default) or nhwc "
                   "(no boundary transposes, for runtimes that feed NHWC; report.json's io_layout says which)")
    c.add_argument("--calibration", metavar="DIR",
                   help="calibration samples for --scheme: .npy (one input) or .npz files")
    c.add_argument("--system-config", help="Vela system config (default: Vela's for the accelerator family: "
                   f"{_vela_defaults('system_config')})")
    c.add_argument("--memory-mode", help=f"Vela memory mode (default: {_vela_defaults('memory_mode')})")
    c.add_argument("--config", action="append", default=[],
                   help=f"Vela config file (repeatable; default: Vela's bundled {_vela_defaults('config_file')})")
    c.add_argument("--optimise", choices=["Performance", "Size"], help="Vela optimisation goal")
    c.add_argument("--vela-search", action="store_true",
                   help="Ethos-U targets: run Vela with each --optimise strategy and tensor allocator, keep the "
                   "fewest cycles (the summary and report.json's vela_search say what each gave)")
    c.add_argument("--vela-format", choices=["tflite", "raw"], help="Vela output format (default tflite)")
    c.set_defaults(func=cmd_compile)

    dbg = sub.add_parser("debug", help="per-layer numerics: every quantized tensor on the TOSA reference model vs "
                         "the fake-quantized PyTorch program (LSB) and the float program (SQNR)")
    dbg.add_argument("program", help="PROGRAM.pt2 or file.py:ModelClass")
    dbg.add_argument("--input-shape", type=_parse_shape, action="append", default=[],
                     help="example input shape for file.py:ModelClass (repeat per input)")
    dbg.add_argument("--target", default="tosa-int", help=_target_help())
    dbg.add_argument("-o", "--output", required=True, help="output directory (numerics.json, report.html, ...)")
    dbg.add_argument("--scheme", help="quantize a float program (a8w8, a8w4, a16w8, a8w8_u8io)")
    dbg.add_argument("--calibration", metavar="DIR", help="calibration samples (.npy/.npz); also compared on")
    dbg.add_argument("--input", action="append", default=[],
                     help="float input .npy to compare on (repeat per model input)")
    dbg.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    dbg.add_argument("--limit", type=int, default=15, help="rows printed (default 15; numerics.json has all)")
    dbg.set_defaults(func=cmd_debug)

    sens = sub.add_parser("sensitivity", help="per-layer error of int4 weights / int16 activations and their cost")
    sens.add_argument("program", help="file.py:ModelClass (a float model)")
    sens.add_argument("--input-shape", type=_parse_shape, action="append", default=[],
                      help="example input shape, e.g. 1x3x32x32 (repeat per input)")
    sens.add_argument("--calibration", metavar="DIR", required=True,
                      help="calibration samples (.npy/.npz, at least 2): the last quarter is held out")
    sens.add_argument("--target", default="tosa-int", help="an integer target; an Ethos-U accelerator adds "
                      "Vela's per-layer cycles (default: %(default)s)")
    sens.add_argument("-o", "--output", required=True, help="output directory: sensitivity.json")
    sens.add_argument("--no-compile", action="store_true",
                      help="skip the three uniform compiles (no measured flash/cycles, no per-layer cycles)")
    sens.set_defaults(func=cmd_sensitivity)

    r = sub.add_parser("run", help="run a .tosa on the TOSA reference model")
    r.add_argument("flatbuffer")
    r.add_argument("--input", action="append", default=[],
                   help="input .npy (repeat per input): float (quantized with report.json's scale and zero "
                   "point) or raw integers (uint8 arrays for uint8 inputs)")
    r.add_argument("--output-dir", help="write output_N.npy here")
    r.add_argument("--dequantize", action="store_true",
                   help="outputs as float: (q - zero point) * scale, from report.json")
    r.add_argument("--expect", action="append", default=[],
                   help="expected output .npy (repeat per output): exit 1 unless within --atol")
    r.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for --expect (default 0)")
    r.add_argument("--report", help="report.json with the IO quantization (default: next to the flatbuffer)")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="quantize, compile and check the bundled example")
    d.add_argument("-o", "--output", default="out/demo", help="output directory")
    d.add_argument("--target", default="ethos-u55-128", help="an Ethos-U accelerator or tosa-int")
    d.set_defaults(func=cmd_demo)

    pl = sub.add_parser("pipeline", help="print a named pass pipeline")
    pipelines = dict.fromkeys(family.pipeline.name for family in targets.FAMILIES)
    pl.add_argument("name", nargs="?", help=f"a pipeline ({', '.join(pipelines)}) or a --target "
                    "(ethos-u55-128: the pipeline compile runs for it)")
    pl.set_defaults(func=cmd_pipeline)

    doc = sub.add_parser("docs", help="print the pass and target reference or the op table (Markdown), "
                         "generated from the passes, the target registry and the lowering registry")
    doc.add_argument("page", nargs="?", choices=("passes", "ops"), default="passes")
    doc.add_argument("--write", metavar="DIR", help="write every page to DIR (passes.md, ops.md), e.g. docs/")
    doc.set_defaults(func=cmd_docs)

    ops = sub.add_parser("ops", help="print the op table: aten op -> lowering entry -> dtypes -> tests")
    ops.set_defaults(func=cmd_ops)
    return p


def main(argv=None) -> None:
    args = _parser().parse_args(argv)
    # torch and torch-mlir warn about their own internals; users cannot act on it.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="torch")
    for noisy in ("torchao", "torch.utils._pytree"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        code = args.func(args)
    except (TosaicError, KeyError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"tosaic: error: {message}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("tosaic: interrupted", file=sys.stderr)
        code = 130
    except Exception as e:  # noqa: BLE001 - the last-resort net: a bug in tosaic, reported in one line
        if os.environ.get("TOSAIC_TRACEBACK"):
            raise
        where = _innermost_frame(e)
        print(f"tosaic: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
              f"(at {where}; a bug in tosaic: TOSAIC_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        code = 2
    sys.exit(code)


def _innermost_frame(e: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"


if __name__ == "__main__":
    main()
