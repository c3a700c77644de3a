"""Packed int8x4: the numpy reference, the IR type, the materialised TOSA on the reference
model, and graph IO packing (`--io-packing`) end to end.

The end-to-end checks compile a conv net (C = 3 and 5, W = 7: not multiples of 4) and a
matmul net for tosa-int twice, unpacked and with packed IO, and require the packed build's
outputs, read with `tosaic.int8x4.unpack`, to be bit-identical to the unpacked build's on
the TOSA reference model, the packed output words to equal `tosaic.int8x4.pack` of the
unpacked output (padding included), and the packed compile to be deterministic.
"""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_mlir import ir

import tosaic
import tosaic.int8x4 as int8x4
from tosaic.dialects import int8x4 as dialect, new_context
from tosaic.frontend import importer
from tosaic.targets import tosa_flatbuffer
from tosaic.targets.reference_model import run_reference
from tosaic.targets.registry import TosaTarget

ODD_SHAPES = {
    "4W4C": [(1, 5, 7, 3), (2, 1, 1, 1), (1, 3, 8, 4), (1, 2, 9, 6)],
    "4H4W": [(5, 7), (1, 5, 7), (2, 3, 9), (1, 3, 5, 6), (4, 4)],
}


def _cases():
    return [(layout, shape) for layout, shapes in ODD_SHAPES.items() for shape in shapes]


def _random_int8(shape, seed=0):
    return np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)


# The numpy reference ------------------------------------------------------------------


@pytest.mark.parametrize("layout,shape", _cases())
def test_reference_round_trip(layout, shape):
    x = _random_int8(shape)
    words = int8x4.pack(x, layout, padding=-7)
    assert words.dtype == np.int32 and list(words.shape) == int8x4.physical_shape(shape, layout)
    np.testing.assert_array_equal(int8x4.unpack(words, layout, shape), x)


def test_reference_byte_positions_4w4c():
    """Byte k of word [n, h, wb, cb, j] is x[n, h, 4*wb + j, 4*cb + k], little-endian."""
    x = np.arange(1 * 2 * 5 * 6, dtype=np.int64).reshape(1, 2, 5, 6).astype(np.int8)
    words = int8x4.pack(x, "4W4C", padding=-1)
    assert words.shape == (1, 2, 2, 2, 4)
    raw = words.astype("<i4").view(np.uint8).reshape(1, 2, 2, 2, 4, 4)
    for h in range(2):
        for w in range(8):
            for c in range(8):
                expected = x[0, h, w, c] if w < 5 and c < 6 else -1
                assert np.int8(raw[0, h, w // 4, c // 4, w % 4, c % 4].astype(np.int8)) == expected
    # word 0: channels 0..3 of pixel (0, 0), channel 0 least significant
    assert int(words[0, 0, 0, 0, 0]) == int.from_bytes(bytes(x[0, 0, 0, :4].view(np.uint8)), "little", signed=True)


def test_reference_byte_positions_4h4w():
    """Byte k of word [b, hb, wb, j] is x[b, 4*hb + j, 4*wb + k]: a word is four columns of a row."""
    x = _random_int8((1, 6, 5), seed=3)
    words = int8x4.pack(x, "4H4W", padding=9)
    raw = words.astype("<i4").view(np.int8).reshape(1, 2, 2, 4, 4)
    for h in range(8):
        for w in range(8):
            expected = x[0, h, w] if h < 6 and w < 5 else 9
            assert raw[0, h // 4, w // 4, h % 4, w % 4] == expected


def test_reference_padding_is_the_given_value():
    x = np.zeros((1, 1, 1, 1), np.int8)
    words = int8x4.pack(x, "4W4C", padding=-3)
    assert words.shape == (1, 1, 1, 1, 4)
    # word 0 holds channel 0 (0) and three padding channels (-3 = 0xfd)
    assert int(words[0, 0, 0, 0, 0]) & 0xFFFFFFFF == 0xFDFDFD00
    assert all(int(w) & 0xFFFFFFFF == 0xFDFDFDFD for w in words[0, 0, 0, 0, 1:])


def test_reference_rejects():
    with pytest.raises(TypeError):
        int8x4.pack(np.zeros((1, 2, 3, 4), np.int16), "4W4C")
    with pytest.raises(ValueError, match="unknown layout"):
        int8x4.pack(np.zeros((1, 2, 3, 4), np.int8), "4C4W")
    with pytest.raises(ValueError, match="does not apply"):
        int8x4.pack(np.zeros((2, 3), np.int8), "4W4C")
    with pytest.raises(ValueError, match="packed shape"):
        int8x4.unpack(np.zeros((1, 2, 1, 1, 4), np.int32), "4W4C", (1, 2, 5, 3))


# The IR type -------------------------------------------------------------------------


def test_packed_type_round_trip():
    with new_context(), ir.Location.unknown():
        packed = dialect.PackedType("4W4C", (1, 5, 7, 3), -3)
        t = packed.tensor_type()
        assert str(t) == 'tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>'
        assert dialect.packed_type(ir.Type.parse(str(t))) == packed
        assert dialect.type_problem(t) is None


# The materialised ops on the reference model -----------------------------------------


def _serialize(module):
    target = tosa_flatbuffer.target_for(module, TosaTarget("pro_int"))
    tosa_flatbuffer.attach_and_validate(module, target)
    return tosa_flatbuffer.serialize(module, target)


def _function(shape, layout, padding, direction):
    with ir.Location.unknown():
        packed = dialect.PackedType(layout, tuple(shape), padding)
        logical, words = packed.logical_type(), packed.tensor_type()
    name = "pack_int8x4" if direction == "pack" else "unpack_int8x4"
    src, dst = (logical, words) if direction == "pack" else (words, logical)
    return (f"func.func @main(%x: {src}) -> {dst} {{\n"
            f"  %y = \"tosaic.{name}\"(%x) : ({src}) -> {dst}\n  return %y : {dst}\n}}\n")


@pytest.mark.parametrize("bitwise", [False, True])
@pytest.mark.parametrize("layout,shape", [("4W4C", (1, 5, 7, 3)), ("4W4C", (1, 2, 4, 9)),
                                          ("4H4W", (1, 5, 7)), ("4H4W", (1, 3, 6, 5))])
def test_materialized_ops_match_reference(layout, shape, bitwise):
    x = _random_int8(shape, seed=1)
    x.reshape(-1)[:4] = [-128, -1, 127, 0]  # the sign bit in every byte lane
    for direction in ("pack", "unpack"):
        with new_context():
            module = ir.Module.parse(_function(shape, layout, -5, direction))
            materialize = f"tosaic-materialize-int8x4{{bitwise={'true' if bitwise else 'false'}}}"
            importer.run_pipeline(module, f"builtin.module(func.func({materialize}))", "materialize")
            assert "tosaic." not in str(module).replace("tosaic.int8x4 =", "")
            flatbuffer = _serialize(module)
        words = int8x4.pack(x, layout, padding=-5)
        if direction == "pack":
            np.testing.assert_array_equal(run_reference(flatbuffer, [x])[0], words)
        else:
            np.testing.assert_array_equal(run_reference(flatbuffer, [words])[0], x)


# Graph IO packing end to end ------------------------------------------------------------


class OddConvNet(nn.Module):
    """Channels 3 -> 6 -> 5 and width 7: no dim the layouts block is a multiple of 4."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, padding=1)
        self.c2 = nn.Conv2d(6, 5, 3, padding=1)

    def forward(self, x):
        return self.c2(F.relu(self.c1(x)))


class OddMatmulNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(7, 6)
        self.fc2 = nn.Linear(6, 5)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def _quantize_input(x, signature):
    q = signature.quantization
    return np.clip(np.round(x / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8)


def _compile(model, shape, io_packing=None):
    torch.manual_seed(0)
    calibration = [(torch.randn(*shape, generator=torch.Generator().manual_seed(s)),) for s in range(4)]
    return tosaic.compile(model, calibration[0], target="tosa-int", scheme="a8w8",
                          calibration_data=calibration, io_packing=io_packing)


@pytest.mark.parametrize("net,shape,packing,layout", [
    (OddConvNet, (1, 3, 5, 7), "int8x4-4w4c", "4W4C"),
    (OddConvNet, (1, 3, 5, 7), "int8x4-4h4w", "4H4W"),
    (OddMatmulNet, (1, 5, 7), "int8x4-4h4w", "4H4W"),
])
def test_packed_io_bit_identical_to_unpacked_build(net, shape, packing, layout):
    torch.manual_seed(0)
    model = net().eval()
    plain = _compile(model, shape)
    packed = _compile(model, shape, packing)
    assert packed.report["io_packing"] == packing
    (in_sig,), (out_sig,) = packed.inputs, packed.outputs
    assert in_sig.dtype == "i32" and out_sig.dtype == "i32"
    assert in_sig.packing["layout"] == layout and out_sig.packing["layout"] == layout
    perms = in_sig.packing.get("program_to_logical_permutation")
    assert (perms == [0, 2, 3, 1]) == (len(shape) == 4)
    assert in_sig.packing["padding"] == in_sig.quantization["zero_point"]
    assert in_sig.quantization == plain.inputs[0].quantization
    assert out_sig.quantization == plain.outputs[0].quantization

    for seed in range(3):
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(100 + seed)).numpy()
        q = _quantize_input(x, plain.inputs[0])
        expected = plain.run_reference([q])[0]
        logical_in = q.transpose(perms) if perms else q
        words = int8x4.pack(logical_in, layout, padding=in_sig.packing["padding"])
        assert list(words.shape) == in_sig.shape
        out_words = packed.run_reference([words])[0]
        logical_out = expected.transpose(out_sig.packing.get("program_to_logical_permutation") or
                                         list(range(expected.ndim)))
        # The words themselves: the numpy reference's packing, padding bytes included.
        np.testing.assert_array_equal(out_words, int8x4.pack(logical_out, layout, out_sig.packing["padding"]))
        got = int8x4.unpack(out_words, layout, out_sig.packing["logical_shape"])
        if perms:
            got = got.transpose(np.argsort(perms))
        np.testing.assert_array_equal(got, expected)


def test_packed_io_compile_is_deterministic():
    torch.manual_seed(0)
    model = OddConvNet().eval()
    first = _compile(model, (1, 3, 5, 7), "int8x4-4w4c")
    second = _compile(model, (1, 3, 5, 7), "int8x4-4w4c")
    assert first.flatbuffer == second.flatbuffer and first.mlir == second.mlir


def test_io_packing_needs_an_integer_target():
    with pytest.raises(tosaic.TosaicError, match="io-packing"):
        tosaic.compile(OddConvNet().eval(), (torch.randn(1, 3, 5, 7),), target="tosa-fp", io_packing="int8x4-4w4c")


# Folding on the example models ------------------------------------------------------------


def _fold_benchmark():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "int8x4_fold.py")
    spec = importlib.util.spec_from_file_location("int8x4_fold", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fold_removes_conversions_on_the_conv_example():
    counts = _fold_benchmark().fold_counts("conv_pool")
    assert counts["inserted"] - counts["remaining"] == counts["removed"]
    assert counts["removed"] > 0 and counts["remaining"] < counts["inserted"]


@pytest.mark.parametrize("accelerator", ["ethos-u55-128", "ethos-u85-256"])
def test_packed_io_conv_net_all_on_the_npu(accelerator):
    """The materialised pack/unpack (default form) are NPU ops for Vela 5.2.0 on both."""
    torch.manual_seed(0)
    shape = (1, 3, 5, 7)
    calibration = [(torch.randn(*shape, generator=torch.Generator().manual_seed(s)),) for s in range(2)]
    result = tosaic.compile(OddConvNet().eval(), calibration[0], target=accelerator, scheme="a8w8",
                            calibration_data=calibration, io_packing="int8x4-4w4c")
    placement = result.report["vela"]["placement"]
    assert placement["cpu_ops"] == 0 and placement["npu_ops"] > 0


def test_cli_io_packing_writes_the_packing_to_report_json(tmp_path):
    import json
    import os
    import subprocess
    import sys

    model_file = tmp_path / "net.py"
    model_file.write_text(
        "import torch.nn as nn, torch.nn.functional as F\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.c = nn.Conv2d(3, 5, 3, padding=1)\n"
        "    def forward(self, x):\n"
        "        return F.relu(self.c(x))\n")
    out = tmp_path / "out"
    tosaic_cli = os.path.join(os.path.dirname(sys.executable), "tosaic")
    run = subprocess.run([tosaic_cli, "compile", f"{model_file}:Net", "--input-shape", "1x3x5x7", "--target", "tosa-int",
                          "--scheme", "a8w8", "--io-packing", "int8x4-4w4c", "-o", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "int8x4 4W4C of 1x5x7x3" in run.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["io_packing"] == "int8x4-4w4c"
    (entry,) = report["inputs"]
    assert entry["dtype"] == "i32" and entry["shape"] == [1, 5, 2, 1, 4]
    assert entry["packing"] == {
        "format": "int8x4", "layout": "4W4C", "logical_shape": [1, 5, 7, 3], "physical_shape": [1, 5, 2, 1, 4],
        "element": "int8", "word": "int32 little-endian", "padding": entry["quantization"]["zero_point"],
        "program_to_logical_permutation": [0, 2, 3, 1]}
    bad = subprocess.run([tosaic_cli, "compile", f"{model_file}:Net", "--input-shape", "1x3x5x7", "--io-packing",
                          "int8x4-4c4w", "-o", str(out)], capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
