"""Two real architectures from benchmarks/architectures.py, small enough for the test suite
(the full set is benchmarks/coverage.py): the keyword-spotting conv1d net as it is, and a
narrow BERT-style encoder layer (layer norm, GELU, attention with an additive float mask).

Each: `tosa-fp` on the reference model vs PyTorch; quantized by tosaic's quantizer (a8w8)
and compiled for Ethos-U55-128 and Ethos-U85-256: <= 1 LSB and >= 99% bit-exact vs the
fake-quantized program, every operator on the NPU.
"""

import importlib.util
import os

import numpy as np
import pytest
import torch

import tosaic
from quantized_check import check_quantized
from tosaic.quantization import quantize_model

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _architectures():
    path = os.path.join(_REPO, "benchmarks", "architectures.py")
    spec = importlib.util.spec_from_file_location("_tosaic_benchmark_architectures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


architectures = _architectures()


class TinyBertEncoderLayer(architectures.BertEncoderLayer):
    """The benchmark's encoder layer at width 32 (2 heads, FFN 64), sequence 8, 2 keys masked."""

    INPUT_SHAPE = (1, 8, 32)
    DIM, HEADS, FFN, MASKED = 32, 2, 64, 2


MODELS = {"kws-conv1d": architectures.KWSConv1d, "bert-encoder-layer": TinyBertEncoderLayer}


def _build(name):
    cls = MODELS[name]
    torch.manual_seed(0)
    model = cls().eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    shape = cls.INPUT_SHAPE

    def sample(seed):
        return (torch.randn(*shape, generator=torch.Generator().manual_seed(seed)),)

    return model, sample


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float_tosa_matches_pytorch(name):
    model, sample = _build(name)
    result = tosaic.compile(model, sample(0), target="tosa-fp")
    for seed in (0, 1):
        (x,) = sample(seed)
        (got,) = tosaic.run(result.flatbuffer, [x.numpy()])
        with torch.no_grad():
            want = model(x).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_quantized_matches_fake_quant_on_the_npu(name):
    model, sample = _build(name)
    program = quantize_model(model, sample(0), "a8w8", [sample(s) for s in range(10, 16)])
    check = check_quantized(program, sample(1), target="ethos-u55-128")
    check.assert_ok(max_lsb=1, bit_exact=0.99)
    assert check.result.vela.cpu_ops == 0 and check.result.vela.npu_ops > 0
    u85 = tosaic.compile(program, target="ethos-u85-256")
    assert u85.vela.cpu_ops == 0 and u85.vela.npu_ops > 0


class TinyGRU(architectures.GRUUnrolled):
    INPUT_SHAPE = (1, 3, 8)
    STEPS, FEATURES, HIDDEN = 3, 8, 16


class TinyLSTM(architectures.LSTMUnrolled):
    INPUT_SHAPE = (1, 3, 8)
    STEPS, FEATURES, HIDDEN = 3, 8, 16


@pytest.mark.parametrize("cls", [TinyGRU, TinyLSTM], ids=["gru", "lstm"])
def test_unrolled_recurrent_cell_quantized(cls):
    """nn.GRUCell / nn.LSTMCell (aten.gru_cell / lstm_cell) are rewritten as their math before
    quantization, and their weights, shared by every time step, still fold into constants."""
    from tosaic.quantization.recurrent import decompose_recurrent_cells

    torch.manual_seed(0)
    model = cls().eval()

    def sample(seed):
        return (torch.randn(*cls.INPUT_SHAPE, generator=torch.Generator().manual_seed(seed)),)

    gm = torch.export.export(model, sample(0)).module(check_guards=False)
    assert decompose_recurrent_cells(gm) == cls.STEPS
    with torch.no_grad():
        torch.testing.assert_close(gm(*sample(1)), model(*sample(1)))
    program = quantize_model(model, sample(0), "a8w8", [sample(s) for s in range(10, 16)])
    check = check_quantized(program, sample(1))
    check.assert_ok(max_lsb=1, bit_exact=0.99)
