"""`--io-layout nhwc` (graph IO in NHWC, no boundary transposes) and `--vela-search`."""

import numpy as np
import pytest
import torch
import torch.nn as nn

import tosaic
from tosaic.driver.errors import TosaicError


class ResidualConv(nn.Module):
    """conv -> add (the input) -> relu -> conv: NHWC inside, so NHWC IO needs no transpose."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(8, 8, 3, 1, 1)
        self.b = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.b(torch.relu(self.a(x) + x))


def _inputs():
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(1, 8, 8, 8, generator=g),) for _ in range(4)]


@pytest.mark.parametrize("target", ["tosa-fp", "tosa-int"])
def test_nhwc_io_is_the_nchw_program_transposed(target):
    torch.manual_seed(0)
    model = ResidualConv().eval()
    calibration = _inputs()
    scheme = "a8w8" if target == "tosa-int" else None
    kwargs = dict(target=target, scheme=scheme, calibration_data=calibration if scheme else None)
    nchw = tosaic.compile(model, calibration[0], **kwargs)
    nhwc = tosaic.compile(model, calibration[0], io_layout="nhwc", **kwargs)
    assert nchw.report["io_layout"] == "nchw" and nhwc.report["io_layout"] == "nhwc"
    assert nhwc.report["inputs"][0]["shape"] == [1, 8, 8, 8] and nhwc.report["outputs"][0]["shape"] == [1, 8, 8, 4]
    assert nchw.report["transposes"]["final"] >= 2 and nhwc.report["transposes"]["final"] == 0
    assert nhwc.report["transposes"]["final_bytes"] == 0

    x = np.random.default_rng(1).standard_normal((1, 8, 8, 8)).astype(np.float32)
    if scheme:
        io = nchw.report["inputs"][0]["quantization"]
        x = np.clip(np.round(x / io["scale"]) + io["zero_point"], -128, 127).astype(np.int8)
    want = tosaic.run(nchw.flatbuffer, [x])[0]
    got = tosaic.run(nhwc.flatbuffer, [np.ascontiguousarray(x.transpose(0, 2, 3, 1))])[0]
    np.testing.assert_array_equal(got, want.transpose(0, 2, 3, 1))  # same ops, same order: bit-identical


def test_io_layout_errors():
    model = ResidualConv().eval()
    with pytest.raises(TosaicError, match="unknown IO layout 'nhcw'"):
        tosaic.compile(model, _inputs()[0], io_layout="nhcw")
    with pytest.raises(TosaicError, match="cannot be combined with --io-layout nhwc"):
        tosaic.compile(model, _inputs()[0], target="tosa-int", scheme="a8w8", io_layout="nhwc",
                       io_packing="int8x4-4w4c")


def test_vela_search_keeps_the_fewest_cycles(tmp_path):
    torch.manual_seed(0)
    calibration = _inputs()
    result = tosaic.compile(ResidualConv().eval(), calibration[0], target="ethos-u55-128", scheme="a8w8",
                            calibration_data=calibration, vela_search=True, output_dir=str(tmp_path))
    search = result.report["vela_search"]
    tried = search["candidates"]
    assert len(tried) == 6 and all("cycles" in c for c in tried)
    assert search["cycles"] == min(c["cycles"] for c in tried) == result.report["vela"]["cycles"]["total"]
    first_best = next(c for c in tried if c["cycles"] == search["cycles"])
    assert search["chosen"] == {"optimise": first_best["optimise"], "tensor_allocator": first_best["tensor_allocator"]}
    assert result.report["vela"]["optimise"] == first_best["optimise"]
    assert (tmp_path / "model_vela.tflite").exists()
