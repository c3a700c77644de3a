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

from op_table import OPS, build, samples
from quantized_check import check_quantized
from tosaic.quantization import quantize_model
from vela_batch import run_batch

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")

# The lowering entries each case applies (the tests' coverage marks; tools/ops.py reads them).
MARKS = {
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
    check = check_quantized(program, tuple(x.clamp(lo[i], hi[i]) for i, x in enumerate(test_input)))
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
            for name, path in sorted(_FLATBUFFERS.items()) for accelerator in ACCELERATORS]
    results = run_batch(jobs)
    return {(os.path.basename(path)[:-5], accelerator): r for (path, accelerator, _), r in zip(jobs, results)}


@pytest.mark.parametrize("name", list(OPS))
def test_op_on_npu(name, placements, tmp_path_factory, monkeypatch):
    """All on the NPU. A case whose test_op did not run here (deselected) compiles now."""
    if (name, ACCELERATORS[0]) not in placements:
        _compile(name, tmp_path_factory.mktemp(name), monkeypatch)
        path = _FLATBUFFERS[name]
        results = run_batch([(path, a, path + "." + a) for a in ACCELERATORS])
        placements.update({(name, a): r for a, r in zip(ACCELERATORS, results)})
    for accelerator in ACCELERATORS:
        result = placements[(name, accelerator)]
        assert "error" not in result, result
        assert result["npu_ops"] > 0 and result["cpu_ops"] == 0, (accelerator, result["cpu_operators"])
