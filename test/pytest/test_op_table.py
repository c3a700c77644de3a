"""Issue 11's per-op table, driven by the registry's coverage marks: one single-op model per op
row tosaic lowers (test/pytest/op_table.py: unary, binary and selection, reductions,
normalisation, softmax family, convolution and matmul, pooling and resize, data movement).

Each case quantizes its model with tosaic's quantizer, compiles it to TOSA and compares the
reference model's output with the fake-quantized PyTorch program (<= 1 LSB, >= 99% bit-exact),
and checks that the lowering entries that ran are exactly the case's mark. Then one batched
Vela run (test/pytest/vela_batch.py: one process for every flatbuffer) checks that every
operator of every case is on the NPU for Ethos-U55-128 and Ethos-U85-256.
"""

import os

import pytest
import torch
import torch.nn.functional as F

from op_table import OPS, build, samples
from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from vela_batch import run_batch

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")

# The lowering entries each case applies (the tests' coverage marks; tools/ops.py reads them).
MARKS = {
    "neg": pytest.mark.lowering("table"),
    "exp": pytest.mark.lowering("table"),
    "sin": pytest.mark.lowering("table"),
    "cos": pytest.mark.lowering("table"),
    "tanh": pytest.mark.lowering("table"),
    "sigmoid": pytest.mark.lowering("table"),
    "silu": pytest.mark.lowering("table"),
    "gelu": pytest.mark.lowering("table"),
    "gelu-tanh": pytest.mark.lowering("table"),
    "elu": pytest.mark.lowering("table"),
    "hardswish": pytest.mark.lowering("table"),
    "hardsigmoid": pytest.mark.lowering("table"),
    "softplus": pytest.mark.lowering("table"),
    "erf": pytest.mark.lowering("table"),
    "floor": pytest.mark.lowering("table"),
    "ceil": pytest.mark.lowering("table"),
    "round": pytest.mark.lowering("table"),
    "sign": pytest.mark.lowering("table"),
    "log": pytest.mark.lowering("table"),
    "sqrt": pytest.mark.lowering("table"),
    "rsqrt": pytest.mark.lowering("table"),
    "reciprocal": pytest.mark.lowering("table"),
    "abs": pytest.mark.lowering("abs"),
    "leaky_relu": pytest.mark.lowering("leaky_relu"),
    "prelu": pytest.mark.lowering("prelu"),
    "prelu-steep": pytest.mark.lowering("prelu"),
    "prelu-single": pytest.mark.lowering("table"),
    "relu": pytest.mark.lowering("clamp"),
    "relu6": pytest.mark.lowering("clamp"),
    "hardtanh": pytest.mark.lowering("clamp"),
    "clamp": pytest.mark.lowering("clamp"),
    "add": pytest.mark.lowering("add"),
    "sub": pytest.mark.lowering("sub"),
    "rsub": pytest.mark.lowering("sub"),
    "mul": pytest.mark.lowering("mul"),
    "div-constant": pytest.mark.lowering("mul"),
    "div-tensor": pytest.mark.lowering("div.tensor"),
    "div-tensor-positive": pytest.mark.lowering("abs", "add", "div.tensor"),
    "pow-2": pytest.mark.lowering("table"),
    "maximum": pytest.mark.lowering("maximum"),
    "minimum": pytest.mark.lowering("minimum"),
    "where-gt": pytest.mark.lowering("where"),
    "where-ge": pytest.mark.lowering("where"),
    "where-lt": pytest.mark.lowering("where"),
    "where-le": pytest.mark.lowering("where"),
    "where-eq": pytest.mark.lowering("table", "where"),
    "where-ne": pytest.mark.lowering("table", "where"),
    "where-scalar": pytest.mark.lowering("where"),
    "where-constant": pytest.mark.lowering("where"),
    "masked_fill": pytest.mark.lowering("where"),
    "logical_and": pytest.mark.lowering("where"),
    "logical_or": pytest.mark.lowering("where"),
    "logical_not": pytest.mark.lowering("where"),
    "sum": pytest.mark.lowering("mean"),
    "mean": pytest.mark.lowering("mean"),
    "amax": pytest.mark.lowering("amax"),
    "argmax": pytest.mark.lowering("argmax"),
    "argmax-last": pytest.mark.lowering("argmax"),
    "cumsum": pytest.mark.lowering("matmul"),
    "cumsum-dim1": pytest.mark.lowering("matmul"),
    "amin": pytest.mark.lowering("amin"),
    "layer_norm": pytest.mark.lowering("layer_norm"),
    "rms_norm": pytest.mark.lowering("layer_norm"),
    "softmax": pytest.mark.lowering("softmax"),
    "log_softmax": pytest.mark.lowering("log_softmax"),
    "sdpa": pytest.mark.lowering("matmul", "mul", "softmax"),
    "sdpa-causal": pytest.mark.lowering("matmul", "mul", "softmax"),
    "sdpa-bool-mask": pytest.mark.lowering("matmul", "mul", "softmax"),
    "multihead_attention": pytest.mark.lowering("matmul", "mul", "slice.quantized", "softmax"),
    "conv1d": pytest.mark.lowering("conv2d"),
    "conv2d": pytest.mark.lowering("conv2d"),
    "conv2d-stride-dilation": pytest.mark.lowering("conv2d"),
    "depthwise_conv2d": pytest.mark.lowering("depthwise_conv2d"),
    "grouped_conv2d": pytest.mark.lowering("grouped_conv2d"),
    "transpose_conv2d": pytest.mark.lowering("transpose_conv2d"),
    "linear": pytest.mark.lowering("matmul"),
    "addmm": pytest.mark.lowering("add", "matmul"),
    "mm": pytest.mark.lowering("matmul"),
    "bmm": pytest.mark.lowering("matmul"),
    "matmul-4d": pytest.mark.lowering("matmul"),
    "glu": pytest.mark.lowering("mul", "slice.quantized", "table"),
    "max_pool1d": pytest.mark.lowering("max_pool2d"),
    "max_pool2d": pytest.mark.lowering("max_pool2d"),
    "avg_pool2d": pytest.mark.lowering("avg_pool2d"),
    "upsample_nearest2d": pytest.mark.lowering("reshape.dequantized", "tile.dequantized", "tile.quantized",
                                               "upsample_nearest.resize"),
    "upsample_bilinear2d": pytest.mark.lowering("matmul"),
    "upsample_bilinear2d-align": pytest.mark.lowering("matmul"),
    "upsample_bilinear2d-size": pytest.mark.lowering("matmul"),
    "pixel_shuffle": pytest.mark.lowering(),
    "pixel_unshuffle": pytest.mark.lowering(),
    "cat": pytest.mark.lowering("concat", "requantize"),
    "stack": pytest.mark.lowering("concat", "requantize"),
    "split": pytest.mark.lowering("slice.quantized"),
    "chunk": pytest.mark.lowering("slice.quantized"),
    "unbind": pytest.mark.lowering("slice.quantized"),
    "slice": pytest.mark.lowering("slice.quantized"),
    "select": pytest.mark.lowering("slice.quantized"),
    "index_select": pytest.mark.lowering("gather.constant-indices", "requantize"),
    "embedding": pytest.mark.lowering("gather.quantized"),
    "permute": pytest.mark.lowering(),
    "transpose": pytest.mark.lowering(),
    "view": pytest.mark.lowering(),
    "flatten": pytest.mark.lowering(),
    "unflatten": pytest.mark.lowering(),
    "squeeze": pytest.mark.lowering(),
    "unsqueeze": pytest.mark.lowering(),
    "expand": pytest.mark.lowering("tile.quantized"),
    "repeat": pytest.mark.lowering("tile.quantized"),
    "flip": pytest.mark.lowering("concat", "requantize", "slice.dequantized"),
    "constant_pad_nd": pytest.mark.lowering("pad.quantized"),
    "tril": pytest.mark.lowering("where"),
}

_FLATBUFFERS: dict[str, str] = {}  # case -> the compiled flatbuffer's path, for the Vela batch


def _compile(name: str, directory, monkeypatch):
    trace = os.path.join(directory, "lowerings.txt")
    monkeypatch.setenv("TOSAIC_TRACE_LOWERINGS", trace)
    batches = samples(name)
    calibration, test_input = batches[:-1], batches[-1]
    program = quantize_model(build(name), calibration[0], "a8w8", calibration)
    # Within the calibrated range (the quantization's own clamp is not what this checks).
    lo = [min(float(b[i].min()) for b in calibration) for i in range(len(test_input))]
    hi = [max(float(b[i].max()) for b in calibration) for i in range(len(test_input))]
    check = check_quantized(program, tuple(x.clamp(lo[i], hi[i]) if x.is_floating_point() else x
                                           for i, x in enumerate(test_input)))
    path = os.path.join(directory, f"{name}.tosa")
    with open(path, "wb") as f:
        f.write(check.result.flatbuffer)
    _FLATBUFFERS[name] = path
    applied = set(open(trace).read().split()) if os.path.exists(trace) else set()
    return check, applied


@pytest.mark.parametrize("name", [pytest.param(name, marks=MARKS[name]) for name in OPS])
def test_op(name, tmp_path_factory, monkeypatch):
    check, applied = _compile(name, tmp_path_factory.mktemp(name), monkeypatch)
    assert check.max_lsb <= 1 and check.bit_exact >= 0.99, (check.max_lsb, check.bit_exact)
    assert applied == set(MARKS[name].args), sorted(applied)


@pytest.fixture(scope="module")
def placements(tmp_path_factory):
    """Vela's placement of every flatbuffer compiled so far, per (case, accelerator), in one batch."""
    root = tmp_path_factory.mktemp("vela")
    jobs = [(path, accelerator, str(root / f"{name}-{accelerator}"))
            for name, path in sorted(_FLATBUFFERS.items()) if not OPS[name].per_target
            for accelerator in ACCELERATORS]
    results = run_batch(jobs)
    return {(os.path.basename(path)[:-5], accelerator): r for (path, accelerator, _), r in zip(jobs, results)}


@pytest.mark.parametrize("name", list(OPS))
def test_op_on_npu(name, placements, tmp_path_factory, monkeypatch):
    """All on the NPU. A case whose test_op did not run here (deselected) compiles now."""
    if OPS[name].per_target:  # each Ethos-U pipeline's own flatbuffer, numerics and Vela's placement
        batches = samples(name)
        program = quantize_model(build(name), batches[0], "a8w8", batches[:-1])
        for accelerator in ACCELERATORS:
            check = check_quantized(program, batches[-1], target=accelerator)
            assert check.max_lsb == 0, (accelerator, check.max_lsb)  # an index: exact
            placement = check.result.report["vela"]["placement"]
            assert placement["npu_ops"] > 0 and placement["cpu_ops"] == 0, (accelerator, placement)
        return
    if (name, ACCELERATORS[0]) not in placements:
        _compile(name, tmp_path_factory.mktemp(name), monkeypatch)
        path = _FLATBUFFERS[name]
        results = run_batch([(path, a, path + "." + a) for a in ACCELERATORS])
        placements.update({(name, a): r for a, r in zip(ACCELERATORS, results)})
    for accelerator in ACCELERATORS:
        result = placements[(name, accelerator)]
        assert "error" not in result, result
        assert result["npu_ops"] > 0 and result["cpu_ops"] == 0, (accelerator, result["cpu_operators"])


@pytest.mark.parametrize("size, out, align_corners, scale", [
    (8, 16, False, 2.0), (8, 16, True, None), (5, 11, False, None), (7, 13, True, None), (6, 9, False, 1.5),
    (9, 4, False, None), (1, 3, False, None), (4, 1, True, None)])
def test_bilinear_matrix_matches_pytorch(size, out, align_corners, scale):
    """The decomposition's interpolation matrix, applied to an input, is F.interpolate's result."""
    from tosaic.frontend.decompositions import bilinear_matrix

    x = torch.randn(1, 1, 1, size, dtype=torch.float64, generator=torch.Generator().manual_seed(size))
    kwargs = {"scale_factor": (1.0, scale)} if scale else {"size": (1, out)}
    want = F.interpolate(x, mode="bilinear", align_corners=align_corners, **kwargs)
    got = x @ bilinear_matrix(size, out, align_corners, scale).T
    assert torch.allclose(got, want, atol=1e-12), (got - want).abs().max()


@pytest.mark.parametrize("name", list(OPS))
def test_op_float(name):
    """The same model compiled for tosa-fp (the floating-point profile) matches PyTorch on the
    reference model (relative to the output's largest magnitude; index outputs exactly)."""
    import numpy as np

    import tosaic

    model, batches = build(name), samples(name, 2)
    result = tosaic.compile(model, batches[0], target="tosa-fp")
    feeds = [x.numpy() if x.is_floating_point() else x.numpy().astype(np.int32) for x in batches[1]]
    got = tosaic.run(result.flatbuffer, feeds)
    with torch.no_grad():
        expected = model(*batches[1])
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    for actual, want in zip(got, expected):
        want = want.numpy().astype(np.float64)
        error = np.abs(actual.astype(np.float64) - want).max() / max(1e-6, np.abs(want).max())
        assert error <= (0 if not np.issubdtype(actual.dtype, np.floating) else 1e-5), error
