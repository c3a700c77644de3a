"""tosaic-opt: mlir-opt for tosaic. Python passes and upstream passes in one pipeline.

    tosaic-opt in.mlir --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalize)'
    tosaic-opt in.mlir --tosaic-fold-transposes --canonicalize=max-iterations=3
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
from dataclasses import dataclass

from torch_mlir import ir

from tosaic.dialects import new_context
from tosaic.passes.base import registered_passes
from tosaic.tools.verify_diagnostics import DiagnosticVerifier, parse_expected
from tosaic.pipelines.textual import (
    IRPrinting,
    NestedPipeline,
    PassElement,
    PipelineError,
    _is_upstream_pass,
    build_pass_manager,
    parse_pipeline,
    relocate,
    suggest_pass,
    upstream_pass_names,
)

DEFAULT_SPLIT_MARKER = "// -----"


class UsageError(Exception):
    pass


def _argument_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tosaic-opt",
        allow_abbrev=False,
        description="Run a pass pipeline (tosaic's Python passes and upstream MLIR passes) "
        "on MLIR. Any pass is also a flag: --<pass-name> or --<pass-name>='opt=v ...'.",
    )
    p.add_argument("input", nargs="?", default="-", help="input file, '-' for stdin")
    p.add_argument("-o", dest="output", default="-", help="output file (default stdout)")
    p.add_argument("--pass-pipeline", help="textual pipeline, as mlir-opt's")
    p.add_argument("--pipeline", metavar="NAME",
                   help="a named tosaic pipeline (tosa-fp, tosa-int; see `tosaic pipeline`)")
    p.add_argument(
        "--split-input-file", nargs="?", const=DEFAULT_SPLIT_MARKER, default=None,
        help="split the input at '// -----' (or the given marker) and process each chunk",
    )
    p.add_argument("--list-passes", action="store_true", help="list tosaic's passes and exit")
    p.add_argument("--list-upstream-passes", action="store_true",
                   help="list the upstream MLIR passes available in pipelines and exit")
    p.add_argument("--dump-pass-pipeline", action="store_true",
                   help="print the pipeline as run, to stderr")
    p.add_argument("--mlir-print-ir-after-all", action="store_true")
    p.add_argument("--mlir-print-ir-before-all", action="store_true")
    p.add_argument("--mlir-print-ir-before", action="append", default=[], metavar="NAME")
    p.add_argument("--mlir-print-ir-after", action="append", default=[], metavar="NAME")
    p.add_argument("--mlir-print-debuginfo", action="store_true")
    p.add_argument("--mlir-timing", action="store_true", help="print pass timing to stderr")
    p.add_argument("--mlir-disable-threading", action="store_true")
    p.add_argument("--verify-each", default="true", choices=["true", "false", "1", "0"],
                   help="run the verifier after each pass (default true)")
    p.add_argument("--allow-unregistered-dialect", action="store_true")
    p.add_argument(
        "--verify-diagnostics", nargs="?", const="all", default=None, choices=["all", "only-expected"],
        help="check the diagnostics against the input's expected-error/warning/note/remark "
        "comments instead of printing them (only-expected: ignore unexpected ones)",
    )
    return p


def _named_pipeline(name: str) -> str:
    from tosaic.pipelines import PIPELINES

    if name not in PIPELINES:
        raise UsageError(f"unknown pipeline '{name}'; available: {', '.join(sorted(PIPELINES))}")
    return PIPELINES[name]


def _pass_flags_to_pipeline(flags: list[str]) -> NestedPipeline:
    """Turn mlir-opt-style per-pass flags (in order) into a module-level pipeline."""
    ours = registered_passes()
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


@dataclass
class Chunk:
    text: str
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


def run(argv: list[str], stdin=None, stdout=None, stderr=None) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    # A bare --split-input-file must not take the input file that follows as its marker.
    argv = [f"--split-input-file={DEFAULT_SPLIT_MARKER}" if a == "--split-input-file" else a for a in argv]
    argv = ["--verify-diagnostics=all" if a == "--verify-diagnostics" else a for a in argv]
    args, rest = _argument_parser().parse_known_args(argv)
    try:
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
        pipeline = parse_pipeline(args.pass_pipeline) if args.pass_pipeline else _pass_flags_to_pipeline(rest)
        with new_context() as context:  # report pipeline errors once, not once per chunk
            build_pass_manager(pipeline, context)
    except (UsageError, PipelineError) as e:
        stderr.write(f"tosaic-opt: error: {e}\n")
        return 1

    display_name = "<stdin>" if args.input == "-" else args.input
    try:
        source = stdin.read() if args.input == "-" else open(args.input).read()
    except OSError as e:
        stderr.write(f"tosaic-opt: error: cannot read '{args.input}': {e.strerror}\n")
        return 1

    outputs, failed = [], False
    for chunk in split_chunks(source, args.split_input_file):
        verifier = None
        if args.verify_diagnostics:
            try:
                verifier = DiagnosticVerifier(parse_expected(chunk.text, chunk.first_line), display_name,
                                              only_expected=args.verify_diagnostics == "only-expected")
            except ValueError as e:
                stderr.write(f"{display_name}: error: {e}\n")
                return 1
        asm, ok = _process_chunk(chunk, pipeline, args, display_name, stderr, verifier)
        if verifier is not None:
            problems = verifier.finish()
            stderr.writelines(p + "\n" for p in problems)
            ok = not problems
        failed |= not ok
        if asm is not None:
            outputs.append(asm)
    separator = f"\n{args.split_input_file}\n" if args.split_input_file else ""
    text = separator.join(outputs)
    if args.output == "-":
        stdout.write(text)
    else:
        try:
            with open(args.output, "w") as f:
                f.write(text)
        except OSError as e:
            stderr.write(f"tosaic-opt: error: cannot write '{args.output}': {e.strerror}\n")
            return 1
    return 1 if failed else 0


_OP_NOTE = "see current operation:"


def _verify(verifier: DiagnosticVerifier, diag) -> None:
    """Feed a diagnostic and its notes to the verifier. The notes MLIR attaches to print
    the failing op are left out: mlir-opt does not attach them when verifying."""
    for kind, d in [(str(diag.severity).rsplit(".", 1)[-1].lower(), diag)] + [
        ("note", n) for n in diag.notes if not n.message.startswith(_OP_NOTE)
    ]:
        verifier.process(kind, file_location(d.location), d.message)


def _process_chunk(chunk: Chunk, pipeline, args, display_name, stderr, verifier=None) -> tuple[str | None, bool]:
    context = new_context()
    context.allow_unregistered_dialects = args.allow_unregistered_dialect
    printing = IRPrinting(
        before=tuple(args.mlir_print_ir_before),
        after=tuple(args.mlir_print_ir_after),
        debug_info=args.mlir_print_debuginfo,
        display_name=display_name,
    )

    errors = []

    def report(diag):  # every diagnostic, in the order MLIR emits them
        if str(diag.severity).endswith("ERROR"):
            errors.append(diag.message)
        if verifier is not None:
            _verify(verifier, diag)
        else:
            print_diagnostic(diag, display_name, stderr)
        return True

    context.attach_diagnostic_handler(report)
    context.emit_error_diagnostics = True  # errors too reach `report`, not only MLIRError
    with context:
        try:
            # Leading newlines keep line numbers those of the whole input file.
            module = ir.Module.parse("\n" * chunk.first_line + chunk.text)
        except ir.MLIRError:
            return None, False
        from tosaic.dialects import quant

        if quant.verify(module.operation):  # the quantize/dequantize rules IRDL cannot state
            return None, False
        try:
            built = build_pass_manager(pipeline, context, printing)
        except PipelineError as e:
            stderr.write(f"tosaic-opt: error: {e}\n")
            return None, False
        pm = built.pass_manager
        if args.mlir_disable_threading or args.mlir_print_ir_after_all or args.mlir_print_ir_before_all:
            context.enable_multithreading(False)
        if args.mlir_print_ir_after_all or args.mlir_print_ir_before_all:
            pm.enable_ir_printing(
                print_before_all=args.mlir_print_ir_before_all,
                print_after_all=args.mlir_print_ir_after_all,
                print_module_scope=True,
                enable_debug_info=args.mlir_print_debuginfo,
            )
        pm.enable_verifier(args.verify_each in ("true", "1"))
        if args.mlir_timing:
            pm.enable_timing()
        if args.dump_pass_pipeline:
            stderr.write(f"{built.text}\n")
        ok = True
        try:
            stderr.flush()
            pm.run(module.operation)
        except ir.MLIRError as e:
            ok = False
            if not errors and verifier is None:
                stderr.write(f"{display_name}: error: {e}\n")
        del pm, built  # the timing report prints when the pass manager goes away
        gc.collect()
        if not ok:
            return None, False
        asm = module.operation.get_asm(enable_debug_info=args.mlir_print_debuginfo)
        return relocate(asm, display_name), True


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
