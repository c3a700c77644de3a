"""The bad-input table for both CLIs (`tosaic`, `tosaic-opt`): every case is run as a user
runs it (a fresh process) and must end in one line naming the problem, a non-zero exit
and no traceback; a missing file must be reported within 1 s (before torch is imported).
A few "ok" rows are inputs that must work (a float `.pt2` with `--scheme a8w8`).

    .venv/bin/python benchmarks/bad_inputs.py                 # every case (~10 min on 2 loaded cores)
    .venv/bin/python benchmarks/bad_inputs.py --fast          # the cases that need no torch fixture
    .venv/bin/python benchmarks/bad_inputs.py -k pt2 --verbose

Classes: `pass` (as expected), `traceback`, `exit 0` (accepted bad input), `signal`,
`hang`, `no message` (non-zero exit without an `error:` line), `slow` (a missing file
reported after more than 1 s of the process's CPU time: on a loaded machine its wall time
is mostly waiting for a core),
`internal error` (tosaic's last-resort line for a bug), `fail` (an "ok" row that failed).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


@dataclass
class Case:
    name: str
    tool: str  # "tosaic" or "tosaic-opt"
    args: list[str]  # {W} is the fixture directory
    expect: str = "error"  # or "ok"
    message: str = ""  # a regex the error line must match
    needs: tuple[str, ...] = ()  # torch-built fixtures: "float_pt2", "quant_pt2", "tosa", "uint8_tosa"
    within: float | None = None  # seconds (missing files: reported before torch is imported)
    stdin: bytes | None = None


MODELS_PY = '''\
import torch


class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x))


class TwoInputs(torch.nn.Module):
    def forward(self, a, b):
        return a + b


class NeedsArgs(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.linear = torch.nn.Linear(width, width)


class Raises(torch.nn.Module):
    def __init__(self):
        super().__init__()
        raise RuntimeError("the constructor is broken")


class NotAModule:
    pass


def a_function(x):
    return x


NUMBER = 3


class ForwardRaises(torch.nn.Module):
    def forward(self, x):
        raise ValueError("forward is broken")


class DataDependent(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        return -x


class Atan(torch.nn.Module):
    def forward(self, x):
        return torch.atan(x)


class ReturnsNothing(torch.nn.Module):
    def forward(self, x):
        return None
'''

IR = """func.func @add(%a: tensor<1x4xf32>, %b: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
"""

BAD_QUANTIZE = """func.func @q(%a: tensor<1x4xf32>) -> tensor<1x4xi8> {
  %0 = "tosaic.quantize"(%a) {scale = array<f64: 0.0>, zero_point = array<i64: 0>, axis = -1 : i64,
        qmin = -128 : i64, qmax = 127 : i64} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %0 : tensor<1x4xi8>
}
"""


def make_fixtures(work: str) -> None:
    """The files every case can use, none of which needs torch."""
    def write(name, data, mode="w"):
        path = os.path.join(work, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(data)

    write("models.py", MODELS_PY)
    write("syntax_error.py", "class Net(:\n")
    write("import_raises.py", "raise ImportError('a dependency is missing')\n")
    write("non_utf8.py", b"# \xff\xfe\x00 not text\nclass Net: pass\n", "wb")
    write("empty.pt2", "")
    write("garbage.pt2", bytes(range(256)) * 64, "wb")
    write("text.pt2", "this is not a program\n")
    write("zip_not_export.pt2", b"PK\x05\x06" + b"\x00" * 18, "wb")  # an empty zip archive
    write("garbage.tosa", b"\x00\x01garbage" * 100, "wb")
    write("empty.tosa", "")
    write("ir.mlir", IR)
    write("bad_syntax.mlir", "func.func @f( {\n")
    write("unregistered.mlir", 'func.func @f() {\n  "foo.bar"() : () -> ()\n  return\n}\n')
    write("bad_quantize.mlir", BAD_QUANTIZE)
    write("binary.mlir", bytes(range(256)) * 16, "wb")
    write("non_utf8.mlir", b"func.func @f\xff\xfe() {\n  return\n}\n", "wb")
    write("nul.mlir", b"func.func @f() {\x00\n  return\n}\n", "wb")
    write("truncated.mlirbc", b"ML\xefR\x00\x01\x02", "wb")
    write("plugin_raises.py", "raise RuntimeError('plugin broken')\n")
    write("plugin_garbage.py", "this is ( not python\n")
    write("bad_expected.mlir", IR.replace("  %0", "  // expected-error@+1 {{an error that never comes}}\n  %0"))
    write("a_file", "x\n")
    os.makedirs(os.path.join(work, "dir.pt2"), exist_ok=True)
    os.makedirs(os.path.join(work, "a_dir"), exist_ok=True)
    os.makedirs(os.path.join(work, "empty_calibration"), exist_ok=True)
    write("x_corrupt.npy", b"\x93NUMPY garbage", "wb")
    write("corrupt_calibration/0.npy", b"\x93NUMPY garbage", "wb")


def make_torch_fixtures(work: str, needed: set[str]) -> None:
    """A float and a quantized `.pt2`, compiled flatbuffers and their inputs (what the
    cases in `needs` use); built once, in this process."""
    import warnings

    warnings.filterwarnings("ignore")
    import numpy as np
    import torch

    import tosaic

    class Conv(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, x):
            return torch.relu(self.conv(x))

    torch.manual_seed(0)
    model = Conv().eval()
    x = torch.randn(1, 3, 8, 8)
    path = lambda name: os.path.join(work, name)  # noqa: E731
    if "float_pt2" in needed or "truncated_pt2" in needed or "state_dict_pt2" in needed:
        torch.export.save(torch.export.export(model, (x,)), path("float.pt2"))
        data = open(path("float.pt2"), "rb").read()
        open(path("truncated.pt2"), "wb").write(data[: len(data) // 2])
        torch.save(model.state_dict(), path("state_dict.pt2"))
        for name, shape in (("cal_good", (1, 3, 8, 8)), ("cal_shape", (1, 4, 8, 8)), ("cal_rank", (3, 8, 8))):
            os.makedirs(path(name), exist_ok=True)
            np.save(os.path.join(path(name), "0.npy"), np.random.default_rng(0).standard_normal(shape).astype(np.float32))
        os.makedirs(path("cal_count"), exist_ok=True)
        np.savez(os.path.join(path("cal_count"), "0.npz"), np.zeros((1, 3, 8, 8), np.float32),
                 np.zeros((1, 3, 8, 8), np.float32))
    if "quant_pt2" in needed:
        from tosaic.quantization import quantize_model

        program = quantize_model(model, (x,), scheme="a8w8")
        torch.export.save(program, path("quant.pt2"))
    if "tosa" in needed:
        tosaic.compile(model, (x,), target="tosa-int", scheme="a8w8", output_dir=path("int8"))
        np.save(path("x_int8.npy"), np.zeros((1, 3, 8, 8), np.int8))  # the program's own layout
        np.save(path("x_int8_wrong_shape.npy"), np.zeros((1, 3, 9, 9), np.int8))
        np.save(path("x_float.npy"), np.zeros((1, 3, 8, 8), np.float32))
        os.makedirs(path("int8_bare"), exist_ok=True)  # the flatbuffer without its report.json
        shutil.copy(path("int8/model.tosa"), path("int8_bare/model.tosa"))
        np.save(path("x_int8_rank.npy"), np.zeros((3, 8, 8), np.int8))
        tosaic.compile(model, (x,), target="tosa-fp", output_dir=path("fp"))
        np.save(path("x_f32_wrong.npy"), np.zeros((1, 3, 4, 4), np.float32))


def cases() -> list[Case]:
    t, o = "tosaic", "tosaic-opt"
    conv = ["{W}/models.py:Conv", "--input-shape", "1x3x8x8"]
    out = ["-o", "{W}/out"]
    F = ("float_pt2",)
    return [
        # --- tosaic compile: the program
        Case("compile: missing .pt2", t, ["compile", "{W}/missing.pt2", *out], message="no such program file", within=1.0),
        Case("compile: missing file.py", t, ["compile", "{W}/missing.py:Net", "--input-shape", "1x3", *out],
             message="no such file", within=1.0),
        Case("compile: empty .pt2", t, ["compile", "{W}/empty.pt2", *out], message="empty"),
        Case("compile: garbage .pt2", t, ["compile", "{W}/garbage.pt2", *out], message="cannot load"),
        Case("compile: text file as .pt2", t, ["compile", "{W}/text.pt2", *out], message="cannot load"),
        Case("compile: empty zip as .pt2", t, ["compile", "{W}/zip_not_export.pt2", *out], message="cannot load"),
        Case("compile: truncated .pt2", t, ["compile", "{W}/truncated.pt2", *out], message="cannot load", needs=F),
        Case("compile: state_dict (torch.save) as .pt2", t, ["compile", "{W}/state_dict.pt2", *out],
             message="cannot load", needs=F),
        Case("compile: a directory", t, ["compile", "{W}/a_dir", *out], message="directory", within=1.0),
        Case("compile: a directory named .pt2", t, ["compile", "{W}/dir.pt2", *out], message="directory", within=1.0),
        Case("compile: a .py without :Class", t, ["compile", "{W}/models.py", *out], message="file.py:ModelClass",
             within=1.0),
        Case("compile: file.py: with no class name", t, ["compile", "{W}/models.py:", *out], message="class",
             within=1.0),
        Case("compile: file.py:Missing", t, ["compile", "{W}/models.py:Missing", "--input-shape", "1x3", *out],
             message="defines no 'Missing'"),
        Case("compile: constructor needs arguments", t, ["compile", "{W}/models.py:NeedsArgs", "--input-shape", "1x3",
             *out], message="NeedsArgs"),
        Case("compile: constructor raises", t, ["compile", "{W}/models.py:Raises", "--input-shape", "1x3", *out],
             message="constructor is broken"),
        Case("compile: class is not an nn.Module", t, ["compile", "{W}/models.py:NotAModule", "--input-shape", "1x3",
             *out], message="nn.Module"),
        Case("compile: a function, not a class", t, ["compile", "{W}/models.py:a_function", "--input-shape", "1x3",
             *out], message="nn.Module"),
        Case("compile: a number, not a class", t, ["compile", "{W}/models.py:NUMBER", "--input-shape", "1x3", *out],
             message="nn.Module"),
        Case("compile: syntax error in file.py", t, ["compile", "{W}/syntax_error.py:Net", "--input-shape", "1x3", *out],
             message="cannot import"),
        Case("compile: file.py raises on import", t, ["compile", "{W}/import_raises.py:Net", "--input-shape", "1x3",
             *out], message="dependency is missing"),
        Case("compile: non-UTF-8 file.py", t, ["compile", "{W}/non_utf8.py:Net", "--input-shape", "1x3", *out],
             message="cannot import"),
        Case("compile: forward raises", t, ["compile", "{W}/models.py:ForwardRaises", "--input-shape", "1x3", *out],
             message="forward is broken"),
        Case("compile: data-dependent control flow", t, ["compile", "{W}/models.py:DataDependent", "--input-shape",
             "1x3", *out], message="export"),
        Case("compile: forward returns None", t, ["compile", "{W}/models.py:ReturnsNothing", "--input-shape", "1x3",
             *out]),
        Case("compile: no --input-shape", t, ["compile", "{W}/models.py:Conv", *out], message="needs --input-shape"),
        # --- the input shape
        Case("compile: --input-shape wrong rank", t, ["compile", "{W}/models.py:Conv", "--input-shape", "1x3x8", *out],
             message="input"),
        Case("compile: --input-shape wrong channels", t, ["compile", "{W}/models.py:Conv", "--input-shape", "1x4x8x8",
             *out], message="input"),
        Case("compile: two shapes for one input", t, ["compile", *conv, "--input-shape", "1x3x8x8", *out],
             message="input"),
        Case("compile: one shape for two inputs", t, ["compile", "{W}/models.py:TwoInputs", "--input-shape", "1x4",
             *out], message="input"),
        Case("compile: huge --input-shape", t, ["compile", "{W}/models.py:Conv", "--input-shape",
             "1x3x100000x100000", *out], message="too large", within=1.0),
        Case("compile: --input-shape with a zero", t, ["compile", *conv[:2], "1x0x8x8", *out], message="shape"),
        Case("compile: --input-shape not a shape", t, ["compile", *conv[:2], "abc", *out], message="shape"),
        Case("compile: --input-shape negative", t, ["compile", *conv[:2], "1x-3x8x8", *out], message="shape"),
        Case("compile: --input-shape for a .pt2", t, ["compile", "{W}/float.pt2", "--input-shape", "1x3x8x8", *out],
             message="input-shape", needs=F),
        # --- target, scheme and options
        Case("compile: unknown target", t, ["compile", *conv, "--target", "tosa-xyz", *out], message="unknown target"),
        Case("compile: unknown scheme", t, ["compile", *conv, "--target", "tosa-int", "--scheme", "a3w3", *out],
             message="a3w3"),
        Case("compile: float program to tosa-int, no scheme", t, ["compile", *conv, "--target", "tosa-int", *out],
             message="scheme"),
        Case("compile: --scheme for tosa-fp", t, ["compile", *conv, "--scheme", "a8w8", *out], message="scheme"),
        Case("compile: --io-dtype for tosa-fp", t, ["compile", *conv, "--io-dtype", "uint8", *out], message="io-dtype"),
        Case("compile: --io-packing for tosa-fp", t, ["compile", *conv, "--io-packing", "int8x4-4w4c", *out],
             message="io-packing"),
        Case("compile: bad --int48-bias", t, ["compile", *conv, "--int48-bias", "wide", *out], message="int48-bias"),
        Case("compile: unsupported op with --scheme", t, ["compile", "{W}/models.py:Atan", "--input-shape", "1x8",
             "--target", "tosa-int", "--scheme", "a8w8", *out], message="atan"),
        Case("compile: quantized .pt2 with --scheme", t, ["compile", "{W}/quant.pt2", "--target", "tosa-int",
             "--scheme", "a8w8", *out], message="already quantized", needs=("quant_pt2",)),
        Case("compile: quantized .pt2 for tosa-fp", t, ["compile", "{W}/quant.pt2", *out], message="quantized",
             needs=("quant_pt2",)),
        Case("compile: unknown Vela system config", t, ["compile", *conv, "--target", "ethos-u55-128", "--scheme",
             "a8w8", "--system-config", "No_Such_Config", *out], message="No_Such_Config"),
        Case("compile: unknown Vela memory mode", t, ["compile", *conv, "--target", "ethos-u55-128", "--scheme",
             "a8w8", "--memory-mode", "No_Such_Mode", *out], message="No_Such_Mode"),
        Case("compile: missing Vela config file", t, ["compile", *conv, "--target", "ethos-u55-128", "--scheme",
             "a8w8", "--config", "{W}/missing.ini", *out], message="missing.ini", within=1.0),
        Case("compile: Vela options for tosa-int", t, ["compile", *conv, "--target", "tosa-int", "--scheme", "a8w8",
             "--memory-mode", "Shared_Sram", *out], message="Vela"),
        # --- calibration data
        Case("compile: --calibration missing", t, ["compile", *conv, "--target", "tosa-int", "--scheme",
             "a8w8", "--calibration", "{W}/missing_dir", *out], message="no such directory", within=1.0),
        Case("compile: --calibration is a file", t, ["compile", *conv, "--target", "tosa-int", "--scheme", "a8w8",
             "--calibration", "{W}/a_file", *out], message="calibration", within=1.0),
        Case("compile: --calibration empty", t, ["compile", *conv, "--target", "tosa-int", "--scheme", "a8w8",
             "--calibration", "{W}/empty_calibration", *out], message="no .npy"),
        Case("compile: --calibration corrupt .npy", t, ["compile", *conv, "--target", "tosa-int", "--scheme", "a8w8",
             "--calibration", "{W}/corrupt_calibration", *out], message="cannot read"),
        Case("compile: --calibration wrong shape", t, ["compile", "{W}/float.pt2", "--target", "tosa-int", "--scheme",
             "a8w8", "--calibration", "{W}/cal_shape", *out], message="calibration", needs=F),
        Case("compile: --calibration wrong rank", t, ["compile", *conv, "--target", "tosa-int", "--scheme", "a8w8",
             "--calibration", "{W}/cal_rank", *out], message="calibration", needs=F),
        Case("compile: --calibration two arrays for one input", t, ["compile", *conv, "--target", "tosa-int",
             "--scheme", "a8w8", "--calibration", "{W}/cal_count", *out], message="calibration", needs=F),
        Case("compile: --calibration for tosa-fp", t, ["compile", *conv, "--calibration", "{W}/cal_good", *out],
             message="calibration", needs=F),
        Case("compile: --calibration without --scheme", t, ["compile", *conv, "--target", "tosa-int", "--calibration",
             "{W}/cal_good", *out], message="scheme", needs=F),
        # --- output paths: checked before the compile
        Case("compile: -o is a file", t, ["compile", *conv, "-o", "{W}/a_file"], message="a_file", within=1.0),
        Case("compile: -o under a file", t, ["compile", *conv, "-o", "{W}/a_file/sub"], message="a_file", within=1.0),
        Case("compile: -o unwritable", t, ["compile", *conv, "-o", "/proc/tosaic-out"], message="tosaic-out",
             within=1.0),
        Case("compile: --dump-stages is a file", t, ["compile", *conv, *out, "--dump-stages", "{W}/a_file"],
             message="a_file", within=1.0),
        Case("compile: -o missing", t, ["compile", *conv], message="required"),
        # --- inputs that must work
        Case("compile: float .pt2 --scheme a8w8 (must work)", t, ["compile", "{W}/float.pt2", "--target", "tosa-int",
             "--scheme", "a8w8", "-o", "{W}/ok1"], expect="ok", needs=F),
        Case("compile: float .pt2 --scheme a8w8 + calibration (must work)", t, ["compile", "{W}/float.pt2", "--target",
             "ethos-u55-128", "--scheme", "a8w8", "--calibration", "{W}/cal_good", "-o", "{W}/ok2"], expect="ok",
             needs=F),
        # --- tosaic run
        Case("run: missing flatbuffer", t, ["run", "{W}/missing.tosa"], message="no such flatbuffer", within=1.0),
        Case("run: a directory", t, ["run", "{W}/a_dir"], message="directory", within=1.0),
        Case("run: garbage flatbuffer", t, ["run", "{W}/garbage.tosa"], message="garbage.tosa"),
        Case("run: empty flatbuffer", t, ["run", "{W}/empty.tosa"], message="empty"),
        Case("run: a .pt2 as flatbuffer", t, ["run", "{W}/float.pt2"], message="float.pt2", needs=F),
        Case("run: missing input", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/missing.npy"],
             message="missing.npy", within=1.0, needs=("tosa",)),
        Case("run: input is a directory", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/a_dir"],
             message="a_dir", within=1.0, needs=("tosa",)),
        Case("run: corrupt input .npy", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/x_corrupt.npy"],
             message="cannot read", needs=("tosa",)),
        Case("run: wrongly-shaped input", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/x_int8_wrong_shape.npy"],
             message="shape", needs=("tosa",)),
        Case("run: wrong-rank input", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/x_int8_rank.npy"],
             message="shape", needs=("tosa",)),
        # with report.json beside it a float input is quantized with its qparams (must work);
        # without one there is nothing to quantize it with
        Case("run: float input for int8 (must work: report.json quantizes it)", t,
             ["run", "{W}/int8/model.tosa", "--input", "{W}/x_float.npy"], expect="ok", needs=("tosa",)),
        Case("run: float input for int8 without report.json", t,
             ["run", "{W}/int8_bare/model.tosa", "--input", "{W}/x_float.npy"],
             message="dtype|float32|report", needs=("tosa",)),
        Case("run: no input", t, ["run", "{W}/int8/model.tosa"], message="input", needs=("tosa",)),
        Case("run: two inputs for one", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/x_int8.npy", "--input",
             "{W}/x_int8.npy"], message="input", needs=("tosa",)),
        Case("run: float wrongly-shaped input", t, ["run", "{W}/fp/model.tosa", "--input", "{W}/x_f32_wrong.npy"],
             message="shape", needs=("tosa",)),
        Case("run: --output-dir is a file", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/x_int8.npy",
             "--output-dir", "{W}/a_file"], message="a_file", needs=("tosa",)),
        Case("run: good input (must work)", t, ["run", "{W}/int8/model.tosa", "--input", "{W}/x_int8.npy"],
             expect="ok", needs=("tosa",)),
        # --- other subcommands
        Case("demo: -o is a file", t, ["demo", "-o", "{W}/a_file"], message="a_file", within=1.0),
        Case("demo: unknown target", t, ["demo", "--target", "tosa-xyz", "-o", "{W}/demo"], message="tosa-xyz",
             within=1.0),
        Case("demo: float target", t, ["demo", "--target", "tosa-fp", "-o", "{W}/demo"], message="tosa-fp",
             within=1.0),
        Case("pipeline: unknown name", t, ["pipeline", "nope"], message="no pipeline named"),
        Case("docs: --write to a file", t, ["docs", "--write", "{W}/a_file"], message="a_file"),
        Case("no subcommand", t, [], message="required"),
        Case("unknown subcommand", t, ["frobnicate"], message="invalid choice"),
        # --- tosaic-opt: the input
        # tosaic-opt imports MLIR before reading its input (its start-up is helper perfc's work)
        Case("opt: missing input", o, ["{W}/missing.mlir"], message="missing.mlir"),
        Case("opt: a directory", o, ["{W}/a_dir"], message="directory"),
        Case("opt: binary garbage", o, ["{W}/binary.mlir", "--canonicalize"], message="binary.mlir"),
        Case("opt: non-UTF-8 text", o, ["{W}/non_utf8.mlir", "--canonicalize"], message="non_utf8.mlir:1"),
        # as mlir-opt: a NUL byte inside the text is whitespace to MLIR's lexer
        Case("opt: NUL byte in text (accepted, as mlir-opt)", o, ["{W}/nul.mlir", "--canonicalize"], expect="ok"),
        Case("opt: a .pt2 as IR", o, ["{W}/float.pt2", "--canonicalize"], message="float.pt2", needs=F),
        Case("opt: truncated bytecode", o, ["{W}/truncated.mlirbc"], message="bytecode|truncated"),
        Case("opt: syntax error", o, ["{W}/bad_syntax.mlir"], message="bad_syntax.mlir:1"),
        Case("opt: unregistered op", o, ["{W}/unregistered.mlir"], message="unregistered"),
        Case("opt: malformed tosaic.quantize", o, ["{W}/bad_quantize.mlir"], message="scale"),
        Case("opt: garbage on stdin", o, ["-"], message="stdin", stdin=b"\xff\xfe garbage\x00"),
        # --- tosaic-opt: the pipeline
        Case("opt: func.func nested in func.func", o, ["{W}/ir.mlir",
             "--pass-pipeline=builtin.module(func.func(func.func(canonicalize)))"], message="func.func"),
        Case("opt: unknown anchor op", o, ["{W}/ir.mlir", "--pass-pipeline=builtin.module(foo.bar(canonicalize))"],
             message="foo.bar"),
        Case("opt: unknown anchor op at the top", o, ["{W}/ir.mlir", "--pass-pipeline=foo.bar(canonicalize)"],
             message="foo.bar"),
        Case("opt: module nested in func.func", o, ["{W}/ir.mlir",
             "--pass-pipeline=builtin.module(func.func(builtin.module(canonicalize)))"], message="builtin.module"),
        Case("opt: unknown pass", o, ["{W}/ir.mlir", "--pass-pipeline=builtin.module(no-such-pass)"],
             message="no-such-pass"),
        Case("opt: unknown pass flag", o, ["{W}/ir.mlir", "--no-such-pass"], message="no-such-pass"),
        Case("opt: unbalanced pipeline", o, ["{W}/ir.mlir", "--pass-pipeline=builtin.module(func.func(canonicalize)"],
             message="pipeline|parenthes|\\)"),
        Case("opt: unknown pass option", o, ["{W}/ir.mlir",
             "--pass-pipeline=builtin.module(func.func(tosaic-fold-transposes{nope=1}))"], message="nope"),
        Case("opt: unknown named pipeline", o, ["{W}/ir.mlir", "--pipeline=nope"], message="nope"),
        Case("opt: --pipeline with --pass-pipeline", o, ["{W}/ir.mlir", "--pipeline=tosa-int",
             "--pass-pipeline=builtin.module(canonicalize)"], message="cannot be combined"),
        # --- tosaic-opt: other files
        Case("opt: -o is a directory", o, ["{W}/ir.mlir", "-o", "{W}/a_dir"], message="a_dir"),
        Case("opt: -o under a file", o, ["{W}/ir.mlir", "-o", "{W}/a_file/out.mlir"], message="a_file"),
        Case("opt: plugin missing", o, ["{W}/ir.mlir", "--load-pass-plugin", "{W}/missing.py"], message="missing.py"),
        Case("opt: plugin raises", o, ["{W}/ir.mlir", "--load-pass-plugin", "{W}/plugin_raises.py"],
             message="plugin broken"),
        Case("opt: plugin is not Python", o, ["{W}/ir.mlir", "--load-pass-plugin", "{W}/plugin_garbage.py"],
             message="plugin_garbage.py"),
        Case("opt: missing response file", o, ["@{W}/missing.rsp"], message="missing.rsp"),
        Case("opt: an expected-error not produced", o, ["{W}/bad_expected.mlir", "--verify-diagnostics"], message="expected"),
        Case("opt: --mlir-print-ir-tree-dir is a file", o, ["{W}/ir.mlir", "--canonicalize",
             "--mlir-print-ir-after-all", "--mlir-print-ir-tree-dir={W}/a_file"], message="a_file"),
        Case("opt: --emit-bytecode with --split-input-file", o, ["{W}/ir.mlir", "--emit-bytecode",
             "--split-input-file"], message="cannot be combined"),
        Case("opt: valid input (must work)", o, ["{W}/ir.mlir", "--canonicalize"], expect="ok"),
    ]


@dataclass
class Outcome:
    case: Case
    verdict: str
    code: int | None
    seconds: float
    line: str = ""
    stderr: str = field(default="", repr=False)
    cpu: float = 0.0


def run_case(case: Case, work: str, timeout: float = 600) -> Outcome:
    argv = [os.path.join(BIN, case.tool), *(a.replace("{W}", work) for a in case.args)]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        proc = subprocess.run(argv, input=case.stdin, capture_output=True, timeout=timeout, cwd=work)
    except subprocess.TimeoutExpired:
        return Outcome(case, "hang", None, time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = time.perf_counter() - start
    # the 1 s bound is on the CPU time the process used: its wall time on a loaded machine
    # is mostly waiting for a core
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stderr = proc.stderr.decode("utf-8", errors="replace")
    lines = [line for line in stderr.splitlines() if line.strip() and "warning" not in line.lower()]
    error_lines = [line for line in lines if "error" in line.lower()]
    line = error_lines[0] if error_lines else (lines[0] if lines else "")
    if proc.returncode < 0:
        verdict = "signal"
    elif "Traceback (most recent call last)" in stderr:
        verdict = "traceback"
    elif "internal error" in stderr:
        verdict = "internal error"
    elif case.expect == "ok":
        verdict = "pass" if proc.returncode == 0 else "fail"
        line = line if proc.returncode else "ok"
    elif proc.returncode == 0:
        verdict = "exit 0"
    elif not error_lines or (case.message and not re.search(case.message, "\n".join(error_lines), re.I)):
        verdict = "no message"
    elif case.within is not None and cpu > case.within:
        verdict = "slow"
    else:
        verdict = "pass"
    return Outcome(case, verdict, proc.returncode, seconds, line.strip(), stderr, cpu)


def run_table(selected: list[Case], work: str, each=None) -> list[Outcome]:
    make_fixtures(work)
    needed = {need for case in selected for need in case.needs}
    if needed:
        make_torch_fixtures(work, needed)
    outcomes = []
    for case in selected:
        outcomes.append(run_case(case, work))
        if each:
            each(outcomes[-1])
    return outcomes


def row(o: Outcome) -> str:
    return f"| {o.case.name} | {o.verdict} | {o.code} | {o.seconds:.2f} | {o.cpu:.2f} | {o.line[:150].replace('|', '/')} |"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fast", action="store_true", help="only the cases that need no torch-built fixture")
    p.add_argument("-k", help="only cases whose name contains this")
    p.add_argument("--timed", action="store_true", help="only the cases with a time bound (reported before torch)")
    p.add_argument("--verbose", action="store_true", help="print each failing case's stderr")
    p.add_argument("--keep", help="build the fixtures in this directory and keep them")
    p.add_argument("--shard", default="0/1", metavar="I/N", help="run every N-th case from the I-th")
    args = p.parse_args(argv)
    index, count = map(int, args.shard.split("/"))
    selected = [c for c in cases() if (not args.fast or not c.needs) and (not args.k or args.k in c.name)
                and (not args.timed or c.within is not None)]
    selected = selected[index::count]
    work = args.keep or tempfile.mkdtemp(prefix="tosaic-bad-inputs-")
    os.makedirs(work, exist_ok=True)
    print("| case | verdict | exit | wall s | CPU s | first error line |\n| --- | --- | --- | --- | --- | --- |", flush=True)

    def each(o: Outcome):
        print(row(o), flush=True)
        if args.verbose and o.verdict != "pass":
            print(o.stderr[-3000:], file=sys.stderr, flush=True)

    try:
        outcomes = run_table(selected, work, each)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    counts = collections.Counter(o.verdict for o in outcomes)
    print("\n" + " | ".join(f"{k} {v}" for k, v in counts.most_common()) + f" | total {len(outcomes)}")
    return 0 if counts["pass"] == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
