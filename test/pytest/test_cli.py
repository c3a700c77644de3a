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
