"""The `tosaic` CLI as a user runs it: exit codes, files written, errors without tracebacks."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

BIN = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tosaic(*args, cwd=None):
    return subprocess.run([os.path.join(BIN, "tosaic"), *args], capture_output=True, text=True, cwd=cwd)


def test_compile_file_class_and_run(tmp_path):
    out = tmp_path / "out"
    result = tosaic("compile", f"{REPO}/examples/models.py:ResidualBlock", "--input-shape", "1x3x16x16",
                    "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "transposes: 4 after torch-mlir -> 2 final" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"] == [{"shape": [1, 3, 16, 16], "dtype": "f32"}]
    assert (out / "model.mlir").read_text().count("tosa.conv2d") == 3

    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    run = tosaic("run", str(out / "model.tosa"), "--input", str(tmp_path / "x.npy"),
                 "--output-dir", str(tmp_path / "ran"))
    assert run.returncode == 0, run.stderr
    assert "output 0: shape 1x16x16x16 float32" in run.stdout
    got = np.load(tmp_path / "ran" / "output_0.npy")
    assert got.shape == (1, 16, 16, 16) and got.min() >= 0.0  # the block ends in a relu


def test_compile_pt2_is_deterministic(tmp_path):
    from tosaic.examples.models import example

    model, inputs = example("depthwise")
    torch.export.save(torch.export.export(model, inputs), tmp_path / "m.pt2")
    for name in ("a", "b"):
        assert tosaic("compile", str(tmp_path / "m.pt2"), "-o", str(tmp_path / name)).returncode == 0
    assert (tmp_path / "a" / "model.tosa").read_bytes() == (tmp_path / "b" / "model.tosa").read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["compile", "missing.pt2", "-o", "x"], "no such program file: missing.pt2"),
        (["compile", "examples/models.py:NoSuchClass", "--input-shape", "1x3", "-o", "x"], "defines no 'NoSuchClass'"),
        (["compile", "examples/models.py:MLP", "-o", "x"], "needs --input-shape"),
        (["compile", "examples/models.py:MLP", "--input-shape", "1x64", "--target", "tosa-xyz", "-o", "x"], "unknown target 'tosa-xyz'"),
        (["compile", "examples/models.py:MLP", "--input-shape", "1x64", "--target", "tosa-int", "-o", "x"], "needs a quantization scheme"),
        (["run", "missing.tosa"], "no such flatbuffer"),
        (["pipeline", "nope"], "no pipeline named 'nope'"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args, message, tmp_path):
    result = tosaic(*args, cwd=REPO)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_shape_argument_is_validated():
    result = tosaic("compile", "examples/models.py:MLP", "--input-shape", "1xfoo", "-o", "x", cwd=REPO)
    assert result.returncode == 2 and "not a shape" in result.stderr


def test_docs_are_generated_from_pass_declarations():
    result = tosaic("docs")
    assert result.returncode == 0
    assert "## `tosaic-fold-transposes`" in result.stdout
    assert "| `sink` | bool | `true` |" in result.stdout
    with open(os.path.join(REPO, "docs", "passes.md")) as f:
        assert f.read() == result.stdout, "docs/passes.md is stale: run `tosaic docs > docs/passes.md`"


def test_compile_uint8_io_and_run_raw_uint8(tmp_path):
    """--scheme a8w8 --io-dtype uint8: report and summary state uint8 with scale and zero
    point; `tosaic run` takes the raw uint8 .npy and writes the uint8 output."""
    out = tmp_path / "out"
    result = tosaic("compile", f"{REPO}/examples/models.py:MLP", "--input-shape", "1x64", "--target", "tosa-int",
                    "--scheme", "a8w8", "--io-dtype", "uint8", "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    (inp,), (outp,) = report["inputs"], report["outputs"]
    for entry in (inp, outp):
        assert entry["dtype"] == "i8" and entry["quantization"]["dtype"] == "uint8"
        assert 0 <= entry["quantization"]["zero_point"] <= 255 and entry["quantization"]["scale"] > 0
    q = inp["quantization"]
    assert f"inputs : 1x64 uint8 (scale {q['scale']:.6g}, zero point {q['zero_point']}; storage i8)" in result.stdout

    x = np.random.default_rng(0).integers(0, 256, (1, 64)).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    run = tosaic("run", str(out / "model.tosa"), "--input", str(tmp_path / "x.npy"), "--output-dir", str(tmp_path / "ran"))
    assert run.returncode == 0, run.stderr
    assert "output 0: shape 1x10 uint8" in run.stdout
    got = np.load(tmp_path / "ran" / "output_0.npy")
    assert got.dtype == np.uint8 and got.shape == (1, 10)


def test_io_dtype_needs_a_float_program_and_an_integer_target(tmp_path):
    result = tosaic("compile", f"{REPO}/examples/models.py:MLP", "--input-shape", "1x64", "--io-dtype", "uint8",
                    "-o", str(tmp_path / "x"))
    assert result.returncode == 1 and "needs an integer target" in result.stderr
    assert "Traceback" not in result.stderr


def test_compile_a16w8_native_and_split_for_ethos_u(tmp_path):
    """--scheme a16w8 with both --int48-bias forms: int16 I/O, the form in the report and
    the summary, everything on the NPU."""
    reports = {}
    for form in ("native", "split"):
        out = tmp_path / form
        result = tosaic("compile", f"{REPO}/examples/models.py:MLP", "--input-shape", "1x64",
                        "--target", "ethos-u55-128", "--scheme", "a16w8", "--int48-bias", form, "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert f"int48 bias form: {form} (requested {form})" in result.stdout
        reports[form] = json.loads((out / "report.json").read_text())
    for form, report in reports.items():
        assert report["activation_types"] == ["int16"]
        assert report["inputs"][0]["dtype"] == "i16" and report["inputs"][0]["quantization"]["dtype"] == "int16"
        assert report["int48_bias"] == {"requested": form, "form": form, "native_bias_bits": 48}
        assert report["vela"]["placement"]["cpu_ops"] == 0
    assert "tosa.add" in reports["split"]["ops"] and "tosa.add" not in reports["native"]["ops"]


def test_quantized_pt2_with_int16_activations_needs_no_flag(tmp_path):
    from tosaic.examples.models import example
    from tosaic.quantization import quantize_model

    model, inputs = example("depthwise")
    program = quantize_model(model, inputs, "a16w8")
    torch.export.save(program, tmp_path / "q16.pt2")
    result = tosaic("compile", str(tmp_path / "q16.pt2"), "--target", "tosa-int", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "quantized activations: int16; int48 bias form: native (requested auto)" in result.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["activation_types"] == ["int16"] and report["tosa"]["extensions"] == ["int16"]
    assert "acc_type = i48" in (tmp_path / "out" / "model.mlir").read_text()


def test_compile_a8w4_for_ethos_u(tmp_path):
    out = tmp_path / "out"
    result = tosaic("compile", f"{REPO}/examples/models.py:MLP", "--input-shape", "1x64", "--scheme", "a8w4",
                    "--target", "ethos-u55-128", "-o", str(out))
    assert result.returncode == 0, result.stderr
    weights = 128 * 64 + 64 * 128 + 10 * 64
    assert f"weights: {weights // 2} bytes (i4 {weights // 2})" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert [layer["dtype"] for layer in report["weights"]["layers"]] == ["i4"] * 3
    assert report["tosa"]["extensions"] == ["int4"]
    assert report["vela"]["placement"]["cpu_ops"] == 0


def test_quantized_pt2_with_int4_weights_needs_no_flag(tmp_path):
    from tosaic.examples.models import MLP
    from tosaic.quantization import quantize_model

    torch.manual_seed(0)
    program = quantize_model(MLP().eval(), (torch.randn(1, 64),), "a8w4")
    torch.export.save(program, tmp_path / "mlp_a8w4.pt2")
    result = tosaic("compile", str(tmp_path / "mlp_a8w4.pt2"), "--target", "tosa-int", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [layer["dtype"] for layer in report["weights"]["layers"]] == ["i4"] * 3
    assert "xi4>" in (tmp_path / "out" / "model.mlir").read_text()
