"""Float models end to end: PyTorch -> TOSA -> flatbuffer -> reference model == PyTorch."""

import numpy as np
import pytest
import torch

import tosaic
from tosaic import targets
from tosaic.examples.models import EXAMPLES, example
from tosaic.targets import tosa_flatbuffer


@pytest.fixture(scope="module")
def compiled():
    cache = {}

    def get(name):
        if name not in cache:
            model, inputs = example(name)
            cache[name] = (model, inputs, tosaic.compile(model, inputs, target="tosa-fp"))
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_reference_model_matches_pytorch(name, compiled):
    model, inputs, result = compiled(name)
    with torch.no_grad():
        expected = model(*inputs).numpy()
    # A fresh input, not the one the program was exported with.
    torch.manual_seed(123)
    fresh = tuple(torch.randn_like(x) for x in inputs)
    with torch.no_grad():
        expected_fresh = model(*fresh).numpy()
    for args, want in ((inputs, expected), (fresh, expected_fresh)):
        (got,) = tosaic.run(result.flatbuffer, [x.numpy() for x in args])
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_io_keeps_model_shapes(name, compiled):
    model, inputs, result = compiled(name)
    assert [s.shape for s in result.inputs] == [list(x.shape) for x in inputs]
    assert [s.shape for s in result.outputs] == [list(model(*inputs).shape)]
    assert "func.func @main" in result.mlir


def test_convolution_transposes_are_cancelled(compiled):
    # Only the NCHW input's transpose into NHWC remains; the rest cancel. (conv_pool's
    # adaptive_avg_pool2d is decomposed before torch-mlir, which then emits one transpose.)
    def counts(name):
        transposes = compiled(name)[2].report["transposes"]
        return transposes["after_torch_mlir"], transposes["final"]

    assert counts("conv_pool") == (1, 1)
    assert counts("residual") == (4, 2)


def test_compile_is_deterministic():
    model, inputs = example("residual")
    first = tosaic.compile(model, inputs).flatbuffer
    model2, inputs2 = example("residual")
    second = tosaic.compile(model2, inputs2).flatbuffer
    assert first == second


def test_flatbuffer_round_trip(compiled):
    model, inputs, _ = compiled("conv_pool")
    # tensors keep tosa-tools' names: renaming them after the modules is a later step
    result = tosaic.compile(model, inputs, target="tosa-fp", tensor_names=False)
    text = tosa_flatbuffer.deserialize(result.flatbuffer)
    assert "tosa.conv2d" in text and "tosa.max_pool2d" in text
    # Serializing what we read back gives the same graph, op for op and byte for byte
    # in every constant.
    from torch_mlir import ir

    from tosaic.dialects import new_context

    with new_context():
        module = ir.Module.parse(text)
        again = tosa_flatbuffer.serialize(module, targets.target("tosa-fp").family.tosa)
    assert again == result.flatbuffer


def test_multiple_inputs_and_outputs_keep_order():
    class TwoInTwoOut(torch.nn.Module):
        def forward(self, a, b):
            return a - 2 * b, torch.relu(b)

    a, b = torch.randn(2, 3), torch.randn(3)
    result = tosaic.compile(TwoInTwoOut(), (a, b))
    assert [s.shape for s in result.inputs] == [[2, 3], [3]]
    got = tosaic.run(result.flatbuffer, [a.numpy(), b.numpy()])
    np.testing.assert_allclose(got[0], (a - 2 * b).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], torch.relu(b).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(scale_factor=2, align_corners=True),
                                    dict(size=(11, 13)), dict(size=(11, 13), align_corners=True)])
def test_bilinear_upsample_matches_pytorch(kwargs):
    """torch's own decomposition of upsample_bilinear2d casts int64 indices, which the float
    profile cannot; the two constant-matrix matmuls of the quantized path are taken instead."""
    class Up(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.interpolate(x, mode="bilinear", **kwargs)

    x = torch.randn(1, 3, 5, 7, generator=torch.Generator().manual_seed(5))
    result = tosaic.compile(Up(), (x,), target="tosa-fp")
    (got,) = tosaic.run(result.flatbuffer, [x.numpy()])
    np.testing.assert_allclose(got, Up()(x).numpy(), rtol=1e-5, atol=1e-6)
