"""Embeddings: token ids as an int64 graph input (int32 in the flatbuffer), float and quantized,
from tosaic's quantizer and from ExecuTorch's, on both Ethos-U NPUs, and from the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import tosaic
from quantized_check import check_quantized
from tosaic.frontend.importer import load_program
from tosaic.quantization import quantize_model

DATA = os.path.join(os.path.dirname(__file__), "data")
BIN = os.path.dirname(sys.executable)
ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


class TokenEmbedding(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.table = torch.nn.Embedding(50, 16)

    def forward(self, ids):
        return self.table(ids)


def _ids(seed: int) -> torch.Tensor:
    return torch.randint(0, 50, (2, 7), generator=torch.Generator().manual_seed(seed))


def test_float_embedding_matches_pytorch():
    """tosa-fp: the ids input is int32, the rows exactly PyTorch's; moving int32 ids needs the
    integer profile next to the floating-point one."""
    model = TokenEmbedding().eval()
    result = tosaic.compile(model, (_ids(0),), target="tosa-fp")
    assert [s.dtype for s in result.inputs] == ["i32"]
    assert result.report["tosa"]["profile"] == "pro_fp,pro_int"
    ids = _ids(1)
    (got,) = tosaic.run(result.flatbuffer, [ids.numpy().astype(np.int32)])
    np.testing.assert_array_equal(got, model(ids).detach().numpy())


@pytest.mark.lowering("gather.quantized")
def test_quantized_embedding_on_both_npus():
    """a8w8: the table quantized per tensor, the output sharing it; each Ethos-U pipeline's
    one-hot convolution is bit-exact and all on the NPU (Vela runs no GATHER there)."""
    model = TokenEmbedding().eval()
    program = quantize_model(model, (_ids(0),), "a8w8", [(_ids(s),) for s in range(4)])
    check = check_quantized(program, (_ids(9),))
    assert (check.max_lsb, check.bit_exact) == (0, 1.0)
    assert "tosa.gather" in check.result.report["ops"]
    for accelerator in ACCELERATORS:
        check = check_quantized(program, (_ids(9),), target=accelerator)
        assert (check.max_lsb, check.bit_exact) == (0, 1.0), accelerator
        assert "tosa.gather" not in check.result.report["ops"]
        placement = check.result.report["vela"]["placement"]
        assert placement["cpu_ops"] == 0 and placement["npu_ops"] > 0, (accelerator, placement)


def test_executorch_arm_embedding():
    """ExecuTorch's quantizer casts the ids with its own `dim_order_ops._to_dim_order_copy` and
    writes the embedding as index_select: the program loads without ExecuTorch, and compiles
    bit-exactly to both NPUs."""
    program = load_program(os.path.join(DATA, "executorch_arm_embedding.pt2"))
    assert not any("dim_order_ops" in str(n.target) for n in program.graph.nodes)
    for accelerator in ACCELERATORS:
        check = check_quantized(program, (_ids(3),), target=accelerator)
        assert (check.max_lsb, check.bit_exact) == (0, 1.0), accelerator
        placement = check.result.report["vela"]["placement"]
        assert placement["cpu_ops"] == 0 and placement["npu_ops"] > 0, (accelerator, placement)


def test_cli_int64_input_shape_and_run(tmp_path):
    """`--input-shape 2x7:int64` exports with ids; `tosaic run` takes an int64 .npy for the
    int32 input."""
    model_file = tmp_path / "emb.py"
    model_file.write_text("import torch\n\nclass Emb(torch.nn.Module):\n    def __init__(self):\n"
                          "        super().__init__()\n        self.table = torch.nn.Embedding(50, 16)\n\n"
                          "    def forward(self, ids):\n        return self.table(ids)\n")
    out = tmp_path / "out"
    compiled = subprocess.run([os.path.join(BIN, "tosaic"), "compile", f"{model_file}:Emb", "--input-shape",
                               "2x7:int64", "--target", "ethos-u55-128", "--scheme", "a8w8", "-o", str(out),
                               "--quiet"], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"][0]["dtype"] == "i32"
    np.save(tmp_path / "ids.npy", np.arange(14, dtype=np.int64).reshape(2, 7))
    ran = subprocess.run([os.path.join(BIN, "tosaic"), "run", str(out / "model.tosa"), "--input",
                          str(tmp_path / "ids.npy")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert "int64, as the int32" in ran.stdout + ran.stderr
    bad = subprocess.run([os.path.join(BIN, "tosaic"), "compile", f"{model_file}:Emb", "--input-shape",
                          "2x7:int8", "--target", "tosa-fp", "-o", str(tmp_path / "bad")], capture_output=True, text=True)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "dtype must be one of" in bad.stderr
    floats = subprocess.run([os.path.join(BIN, "tosaic"), "compile", f"{model_file}:Emb", "--input-shape", "2x7",
                             "--target", "tosa-fp", "-o", str(tmp_path / "floats")], capture_output=True, text=True)
    assert floats.returncode != 0 and "Traceback" not in floats.stderr and "2x7:int64" in floats.stderr
