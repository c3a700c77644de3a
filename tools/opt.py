"""tosaic-opt: mlir-opt for tosaic. Python passes and upstream passes in one pipeline.

    tosaic-opt in.mlir --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalize)'
    tosaic-opt in.mlir --tosaic-fold-transposes --canonicalize=max-iterations=3
    tosaic-opt in.mlir -tosaic-fold-transposes -mlir-print-ir-after-all -o out.mlir

The flags are mlir-opt's (single or double dash, as LLVM's command line takes them);
see `tosaic-opt --help`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import os
import re
import shlex
import sys
from dataclasses import dataclass

from torch_mlir import ir

from tosaic.dialects import new_context
from tosaic.passes.base import pass_lookup, registered_passes
from tosaic.pipelines.textual import (
    NestedPipeline,
    PassElement,
    PipelineError,
    _is_upstream_pass,
    build_pass_manager,
    merge_nests,
    parse_pipeline,
    relocate,
    suggest_pass,
    upstream_pass_names,
)
from tosaic.tools.instrumentation import captured_stderr, filter_dumps, statistics_report
from tosaic.tools.verify_diagnostics import DiagnosticVerifier, parse_expected

DEFAULT_SPLIT_MARKER = "// -----"
BYTECODE_MAGIC = b"ML\xefR"


class UsageError(Exception):
    pass


def _argument_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tosaic-opt",
        allow_abbrev=False,
        description="Run a pass pipeline (tosaic's Python passes and upstream MLIR passes) "
        "on MLIR text or bytecode. Any pass is also a flag: --<pass-name> or "
        "--<pass-name>='opt=v ...'. Flags take one dash or two, as in mlir-opt.",
    )
    p.add_argument("input", nargs="?", default="-", help="input file (text or bytecode), '-' for stdin")
    p.add_argument("-o", dest="output", default="-", help="output file (default stdout)")
    p.add_argument("--version", action="store_true", help="print the versions and exit")
    p.add_argument("--pass-pipeline", help="textual pipeline, as mlir-opt's")
    p.add_argument("--pipeline", metavar="NAME",
                   help="a named tosaic pipeline (tosa-fp, tosa-int; see `tosaic pipeline`)")
    p.add_argument("--load-pass-plugin", action="append", default=[], metavar="FILE.py",
                   help="import a Python file first: its Pass subclasses become passes of this run")
    p.add_argument(
        "--split-input-file", nargs="?", const=DEFAULT_SPLIT_MARKER, default=None,
        help="split the input at '// -----' (or the given marker) and process each chunk",
    )
    p.add_argument(
        "--verify-diagnostics", nargs="?", const="all", default=None, choices=["all", "only-expected"],
        help="check the diagnostics against the input's expected-error/warning/note/remark "
        "comments instead of printing them (only-expected: ignore unexpected ones)",
    )
    p.add_argument("--list-passes", action="store_true", help="list tosaic's passes and exit")
    p.add_argument("--list-upstream-passes", action="store_true",
                   help="list the upstream MLIR passes available in pipelines and exit")
    p.add_argument("--show-dialects", action="store_true", help="print the registered dialects and exit")
    p.add_argument("--dump-pass-pipeline", action="store_true",
                   help="print the pipeline as run to stderr, as text --pass-pipeline takes")
    ir_dumps = p.add_argument_group("IR dumps (on stderr)")
    ir_dumps.add_argument("--mlir-print-ir-after-all", action="store_true")
    ir_dumps.add_argument("--mlir-print-ir-before-all", action="store_true")
    ir_dumps.add_argument("--mlir-print-ir-before", action="append", default=[], metavar="PASS")
    ir_dumps.add_argument("--mlir-print-ir-after", action="append", default=[], metavar="PASS")
    ir_dumps.add_argument("--mlir-print-ir-after-change", action="store_true",
                          help="when printing the IR after a pass, only if the pass changed it")
    ir_dumps.add_argument("--mlir-print-ir-after-failure", action="store_true",
                          help="print the IR after the pass that failed, only")
    ir_dumps.add_argument("--mlir-print-ir-module-scope", action="store_true",
                          help="print the whole module, not the op the pass runs on")
    ir_dumps.add_argument("--mlir-print-ir-tree-dir", metavar="DIR",
                          help="write the dumps to a file tree under DIR instead")
    printing = p.add_argument_group("printing (the output and the IR dumps)")
    printing.add_argument("--mlir-print-debuginfo", action="store_true")
    printing.add_argument("--mlir-print-op-generic", action="store_true", help="print the generic op form")
    printing.add_argument("--mlir-elide-elementsattrs-if-larger", type=int, metavar="N",
                          help='print ElementsAttrs with more than N elements as "..."')
    printing.add_argument("--emit-bytecode", action="store_true", help="write MLIR bytecode")
    p.add_argument("--mlir-timing", action="store_true", help="print pass timing to stderr")
    p.add_argument("--mlir-pass-statistics", action="store_true",
                   help="print the passes' statistics to stderr")
    p.add_argument("--mlir-pass-statistics-display", choices=["list", "pipeline"], default="pipeline")
    p.add_argument("--mlir-disable-threading", action="store_true")
    p.add_argument("--verify-each", nargs="?", const="true", default="true",
                   choices=["true", "false", "1", "0"],
                   help="run the verifier after each pass (default true)")
    p.add_argument("--allow-unregistered-dialect", action="store_true")
    return p


# Flags whose value is optional: bare, they must not take the next argument (the input).
_OPTIONAL_VALUES = {
    "--split-input-file": DEFAULT_SPLIT_MARKER,
    "--verify-diagnostics": "all",
    "--verify-each": "true",
}


def normalize_arguments(argv: list[str]) -> list[str]:
    """mlir-opt's spellings: `-flag` is `--flag` (LLVM takes both), `-o=FILE` is `-o FILE`,
    and `@FILE` is the arguments written in FILE (a response file, quoted as in a shell)."""
    out = []
    for arg in _expand_response_files(argv):
        if arg.startswith("-o="):
            out += ["-o", arg[3:]]
            continue
        if len(arg) > 2 and arg[0] == "-" and arg[1].isalpha():
            arg = "-" + arg
        out.append(f"{arg}={_OPTIONAL_VALUES[arg]}" if arg in _OPTIONAL_VALUES else arg)
    return out


def _expand_response_files(argv: list[str], depth: int = 0) -> list[str]:
    out = []
    for arg in argv:
        if arg.startswith("@") and os.path.isfile(arg[1:]) and depth < 10:
            with open(arg[1:]) as f:
                out += _expand_response_files(shlex.split(f.read()), depth + 1)
        else:
            out.append(arg)
    return out


def _named_pipeline(name: str) -> str:
    from tosaic.pipelines import PIPELINES

    if name not in PIPELINES:
        raise UsageError(f"unknown pipeline '{name}'; available: {', '.join(sorted(PIPELINES))}")
    return PIPELINES[name]


def _pass_flags_to_pipeline(flags: list[str]) -> NestedPipeline:
    """Turn mlir-opt-style per-pass flags (in order) into a module-level pipeline."""
    ours = pass_lookup()
    elements = []
    for flag in flags:
        if not flag.startswith("--") or flag == "--":
            raise UsageError(f"unexpected argument '{flag}'")
        name, _, options = flag[2:].partition("=")
        # Ask MLIR about this one name: listing every upstream pass runs two tools' --help.
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or (
            name not in ours and not _is_upstream_pass(name)
        ):
            raise UsageError(f"unknown option or pass '--{name}'" + suggest_pass(name))
        element = PassElement(name, options)
        anchor = ours[name].anchor if name in ours else _upstream_anchor(element)
        if anchor not in ("builtin.module", "any"):
            elements.append(NestedPipeline(anchor, [element]))  # nest like mlir-opt's implicit nesting
        else:
            elements.append(element)
    return NestedPipeline("builtin.module", elements)


def _upstream_anchor(element: PassElement) -> str:
    """The op an upstream pass is restricted to, as MLIR's own nesting check reports it."""
    from torch_mlir import passmanager

    with new_context():
        try:
            passmanager.PassManager("builtin.module").add(element.text())
        except ValueError as e:
            m = re.search(r"restricted to '([^']+)'", str(e))
            if m:
                return m.group(1)
    return "builtin.module"


def list_passes(out) -> None:
    for name, cls in registered_passes().items():
        out.write(f"{name}  -  {cls.summary}  (runs on {cls.anchor})\n")
        for opt in cls.options.values():
            default = opt.format(opt.default)
            out.write(f"    {opt.flag}: {opt.type_name} = {default}  -  {opt.help}\n")


def load_pass_plugin(path: str) -> None:
    """Import a Python file; the Pass subclasses it defines register themselves."""
    if not os.path.exists(path):
        raise UsageError(f"cannot load pass plugin '{path}': no such file")
    name = "tosaic_pass_plugin_" + re.sub(r"\W", "_", os.path.abspath(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise UsageError(f"cannot load pass plugin '{path}': {type(e).__name__}: {e}") from None
    sys.modules[name] = module


def version_text() -> str:
    from importlib import metadata

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "unknown"

    return (f"tosaic-opt (tosaic {version('tosaic')})\n"
            f"  MLIR from torch-mlir {version('torch-mlir')} (Python bindings and passes)\n")


# Dialects without a Python module in torch_mlir.dialects that a build may register.
_OTHER_DIALECTS = (
    "amx", "arm_neon", "pdl_interp", "arm_sme", "arm_sve", "chlo", "dlti", "mesh", "mpi", "polynomial", "ptr",
    "quant", "stablehlo", "tm_tensor", "torch_c", "tosaic", "vcix", "vhlo", "wasmssa", "x86vector",
    "xegpu", "xevm",
)


def dialect_names() -> list[str]:
    """The dialects tosaic-opt's context knows: each candidate name, asked of MLIR."""
    import torch_mlir.dialects

    names = set(_OTHER_DIALECTS)
    for directory in torch_mlir.dialects.__path__:  # a namespace package
        for file in os.listdir(directory):
            if file.endswith(".py"):
                with open(os.path.join(directory, file), errors="replace") as f:
                    names.update(re.findall(r'DIALECT_NAMESPACE = "([A-Za-z0-9_.]+)"', f.read()))
    context = new_context()
    found = []
    for name in sorted(names):
        try:
            context.get_dialect_descriptor(name)
            found.append(name)
        except ValueError:
            pass
    return found


@dataclass
class Chunk:
    text: str | bytes  # bytes: an MLIR bytecode file, never split
    first_line: int  # 0-based line of the chunk's start in the whole input


def split_chunks(source: str, marker: str | None) -> list[Chunk]:
    if marker is None:
        return [Chunk(source, 0)]
    chunks, current, start = [], [], 0
    for index, line in enumerate(source.splitlines(keepends=True)):
        if line.strip() == marker:
            chunks.append(Chunk("".join(current), start))
            current, start = [], index + 1
        else:
            current.append(line)
    chunks.append(Chunk("".join(current), start))
    return chunks


_LOC_RE = re.compile(r'"([^"]*)":(\d+):(\d+)')


def file_location(location: ir.Location) -> tuple[str, int, int] | None:
    """The first `file:line:col` in a location (parsed input is called "-")."""
    m = _LOC_RE.search(str(location))
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def format_location(location: ir.Location, display_name: str) -> str:
    found = file_location(location)
    if not found:
        return display_name
    file = display_name if found[0] == "-" else found[0]
    return f"{file}:{found[1]}:{found[2]}"


def print_diagnostic(diag, display_name: str, err) -> None:
    severity = str(diag.severity).rsplit(".", 1)[-1].lower()
    err.write(f"{format_location(diag.location, display_name)}: {severity}: {diag.message}\n")
    for note in diag.notes:
        err.write(f"{format_location(note.location, display_name)}: note: {note.message}\n")


def _read_input(path: str, stdin) -> bytes:
    if path != "-":
        with open(path, "rb") as f:
            return f.read()
    data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    return data.encode() if isinstance(data, str) else data


def run(argv: list[str], stdin=None, stdout=None, stderr=None) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args, rest = _argument_parser().parse_known_args(normalize_arguments(argv))
    try:
        if args.version:
            stdout.write(version_text())
            return 0
        for plugin in args.load_pass_plugin:
            load_pass_plugin(plugin)
        if args.show_dialects:
            stdout.write("Available Dialects: " + ",".join(dialect_names()) + "\n")
            return 0
        if args.list_passes:
            list_passes(stdout)
            return 0
        if args.list_upstream_passes:
            stdout.write("\n".join(upstream_pass_names()) + "\n")
            return 0
        if args.pipeline:
            if args.pass_pipeline:
                raise UsageError("--pipeline and --pass-pipeline cannot be combined")
            args.pass_pipeline = _named_pipeline(args.pipeline)
        if args.pass_pipeline and rest:
            raise UsageError("--pass-pipeline cannot be combined with per-pass flags " + " ".join(rest))
        tree_dir = args.mlir_print_ir_tree_dir
        if tree_dir and os.path.exists(tree_dir) and not os.path.isdir(tree_dir):
            raise UsageError(f"--mlir-print-ir-tree-dir {tree_dir}: exists and is not a directory")
        if args.emit_bytecode and args.split_input_file:
            raise UsageError("--emit-bytecode writes one module; it cannot be combined with --split-input-file")
        pipeline = parse_pipeline(args.pass_pipeline) if args.pass_pipeline else _pass_flags_to_pipeline(rest)
        with new_context() as context:  # report pipeline errors once, not once per chunk
            from tosaic.pipelines.anchors import check_anchors

            check_anchors(pipeline, context)
            build_pass_manager(pipeline, context)
    except (UsageError, PipelineError) as e:
        stderr.write(f"tosaic-opt: error: {e}\n")
        return 1

    display_name = "<stdin>" if args.input == "-" else args.input
    try:
        data = _read_input(args.input, stdin)
    except OSError as e:
        stderr.write(f"tosaic-opt: error: cannot read '{args.input}': {e.strerror}\n")
        return 1
    if data.startswith(BYTECODE_MAGIC):
        chunks = [Chunk(data, 0)]
    else:
        chunks = split_chunks(data.decode("utf-8", errors="replace"), args.split_input_file)

    outputs, failed = [], False
    for chunk in chunks:
        verifier = None
        if args.verify_diagnostics and isinstance(chunk.text, str):
            try:
                verifier = DiagnosticVerifier(parse_expected(chunk.text, chunk.first_line), display_name,
                                              only_expected=args.verify_diagnostics == "only-expected")
            except ValueError as e:
                stderr.write(f"{display_name}: error: {e}\n")
                return 1
        result, ok = _process_chunk(chunk, pipeline, args, display_name, stderr, verifier)
        if verifier is not None:
            problems = verifier.finish()
            stderr.writelines(p + "\n" for p in problems)
            ok = not problems
        failed |= not ok
        if result is not None:
            outputs.append(result)
        elif not args.emit_bytecode:
            outputs.append("")  # as mlir-opt: a failed chunk's output is empty
    return _write_output(args, outputs, stdout, stderr) or (1 if failed else 0)


def _write_output(args, outputs: list, stdout, stderr) -> int:
    if args.emit_bytecode:
        data = b"".join(outputs)
        if args.output == "-":
            if not hasattr(stdout, "buffer"):
                stderr.write("tosaic-opt: error: bytecode needs a binary output; use -o FILE\n")
                return 1
            stdout.flush()
            stdout.buffer.write(data)
            stdout.buffer.flush()
            return 0
        mode, text = "wb", data
    else:
        # mlir-opt's layout: each chunk's IR and a blank line, chunks separated by the marker.
        separator = f"{args.split_input_file}\n" if args.split_input_file else ""
        mode, text = "w", separator.join(outputs)
        if args.output == "-":
            stdout.write(text)
            return 0
    try:
        with open(args.output, mode) as f:
            f.write(text)
    except OSError as e:
        stderr.write(f"tosaic-opt: error: cannot write '{args.output}': {e.strerror}\n")
        return 1
    return 0


_OP_NOTE = "see current operation:"


def _verify(verifier: DiagnosticVerifier, diag) -> None:
    """Feed a diagnostic and its notes to the verifier. The notes MLIR attaches to print
    the failing op are left out: mlir-opt does not attach them when verifying."""
    for kind, d in [(str(diag.severity).rsplit(".", 1)[-1].lower(), diag)] + [
        ("note", n) for n in diag.notes if not n.message.startswith(_OP_NOTE)
    ]:
        verifier.process(kind, file_location(d.location), d.message)


@dataclass
class _DumpSettings:
    """mlir-opt's --mlir-print-ir-* flags, as the bindings' enable_ir_printing takes them,
    and which dumps to keep when only some passes were named."""

    mlir: dict
    before: tuple[str, ...]  # passes named by --mlir-print-ir-before (empty: all or none)
    after: tuple[str, ...]
    selective: bool

    def keep(self, when: str, argument: str) -> bool:
        names = self.before if when == "Before" else self.after
        return not names or argument in names


def _dump_settings(args) -> _DumpSettings | None:
    before_all = args.mlir_print_ir_before_all
    # As mlir-opt: --mlir-print-ir-after-failure prints after every pass, when it fails.
    after_all = args.mlir_print_ir_after_all or args.mlir_print_ir_after_failure
    before = () if before_all else tuple(args.mlir_print_ir_before)
    after = () if after_all else tuple(args.mlir_print_ir_after)
    if not (before_all or after_all or before or after):
        return None
    mlir = dict(
        print_before_all=before_all or bool(before),
        print_after_all=after_all or bool(after),
        print_module_scope=args.mlir_print_ir_module_scope,
        print_after_change=args.mlir_print_ir_after_change,
        print_after_failure=args.mlir_print_ir_after_failure,
        large_elements_limit=args.mlir_elide_elementsattrs_if_larger,
        enable_debug_info=args.mlir_print_debuginfo,
        print_generic_op_form=args.mlir_print_op_generic,
        tree_printing_dir_path=args.mlir_print_ir_tree_dir,
    )
    return _DumpSettings(mlir, before, after, selective=bool(before or after))


def _process_chunk(chunk: Chunk, pipeline, args, display_name, stderr, verifier=None):
    """(the chunk's output: text, bytecode or None after a failure, whether it succeeded)"""
    context = new_context()
    context.allow_unregistered_dialects = args.allow_unregistered_dialect
    errors = []
    diagnostics_out = [stderr]

    def report(diag):  # every diagnostic, in the order MLIR emits them
        if str(diag.severity).endswith("ERROR"):
            errors.append(diag.message)
        if verifier is not None:
            _verify(verifier, diag)
        else:
            print_diagnostic(diag, display_name, diagnostics_out[0])
        return True

    context.attach_diagnostic_handler(report)
    context.emit_error_diagnostics = True  # errors too reach `report`, not only MLIRError
    with context:
        try:
            # Leading newlines keep line numbers those of the whole input file.
            text = chunk.text if isinstance(chunk.text, bytes) else "\n" * chunk.first_line + chunk.text
            module = ir.Module.parse(text)
        except ir.MLIRError:
            return None, False
        from tosaic.dialects import quant

        if quant.verify(module.operation):  # the quantize/dequantize rules IRDL cannot state
            return None, False
        try:
            built = build_pass_manager(pipeline, context)
        except PipelineError as e:
            stderr.write(f"tosaic-opt: error: {e}\n")
            return None, False
        pm = built.pass_manager
        dumps = _dump_settings(args)
        if args.mlir_disable_threading or dumps:
            context.enable_multithreading(False)
        if dumps:
            pm.enable_ir_printing(**dumps.mlir)
        pm.enable_verifier(args.verify_each in ("true", "1"))
        if args.mlir_timing:
            pm.enable_timing()
        if args.dump_pass_pipeline:
            stderr.write(f"{built.text}\n")
        # Dumps of only some passes, or with locations naming the input, go through a
        # capture of the run's stderr.
        capture = dumps is not None and not args.mlir_print_ir_tree_dir and (
            dumps.selective or (args.mlir_print_debuginfo and display_name != "-"))
        ok = _run_pass_manager(pm, module, capture, dumps, display_name, stderr, diagnostics_out)
        if not ok and not errors and verifier is None:
            stderr.write(f"{display_name}: error: the pass pipeline failed\n")
        statistics = (merge_nests(parse_pipeline(built.text)), built.python_passes)
        del pm, built  # the timing report prints when the pass manager goes away
        gc.collect()
        if args.mlir_pass_statistics:
            stderr.write(statistics_report(*statistics, display=args.mlir_pass_statistics_display))
        if not ok:
            return None, False
        return _output(module, args, display_name), True


def _run_pass_manager(pm, module, capture: bool, dumps, display_name, stderr, diagnostics_out) -> bool:
    stderr.flush()
    if not capture:
        try:
            pm.run(module.operation)
            return True
        except ir.MLIRError:
            return False
    original = sys.stderr
    ok = True
    with captured_stderr() as captured:
        if stderr is original:
            diagnostics_out[0] = sys.stderr  # marked, so the filter knows our lines
        try:
            pm.run(module.operation)
        except ir.MLIRError:
            ok = False
    diagnostics_out[0] = stderr
    stderr.write(relocate(filter_dumps(captured[0], dumps.keep), display_name))
    return ok


def _output(module: ir.Module, args, display_name: str) -> str | bytes:
    flags = dict(
        enable_debug_info=args.mlir_print_debuginfo,
        print_generic_op_form=args.mlir_print_op_generic,
        large_elements_limit=args.mlir_elide_elementsattrs_if_larger,
    )
    if args.emit_bytecode:
        # Bytecode keeps every location; give them the input's name, as for text.
        named = ir.Module.parse(relocate(module.operation.get_asm(enable_debug_info=True), display_name))
        buffer = io.BytesIO()
        named.operation.write_bytecode(buffer)
        return buffer.getvalue()
    return relocate(module.operation.get_asm(**flags), display_name) + "\n"


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
