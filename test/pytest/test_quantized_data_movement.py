"""Quantized data movement end to end (tosaic-lower-quantized-data-movement): concat, pad,
slice and friends, and requantizes, on int8 TOSA vs the fake-quantized PyTorch program
(max 1 LSB, >= 99% bit-exact). Programs come from tosaic's quantizer, from torchao's
XNNPACK-style quantizer (float bias, per-channel or per-tensor weights), and from
hand-edited scales where both quantizers would share one quantization."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_mlir import ir

from quantized_check import check_quantized
from tosaic.quantization import TosaicQuantizer

pytestmark = pytest.mark.lowering(
    "concat",
    "requantize",
    "gather.quantized",
    "pad.quantized",
    "reshape.dequantized",
    "reverse.dequantized",
    "slice.quantized",
    "slice.dequantized",
    "tile.quantized",
)

SHAPE = (1, 3, 8, 8)
qd = torch.ops.quantized_decomposed


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)  # the models' initial weights


def _calibration(shape=SHAPE, n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(*shape, generator=g),) for _ in range(n)]


def _pt2e(model, quantizer, edit=None, shape=SHAPE):
    """export -> prepare_pt2e -> calibrate -> convert_pt2e [-> edit the graph] -> export."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    example = (torch.randn(*shape, generator=torch.Generator().manual_seed(0)),)
    ep = torch.export.export(model.eval(), example)
    prepared = prepare_pt2e(ep.module(check_guards=False), quantizer)
    with torch.no_grad():
        for batch in _calibration(shape):
            prepared(*batch)
    converted = convert_pt2e(prepared)
    if edit is not None:
        edit(converted.graph)
        converted.recompile()
    return torch.export.export(converted, example)


def _xnnpack(per_channel):
    from torchao.testing.pt2e._xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config

    return XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=per_channel))


def _check(program, seed=2):
    g = torch.Generator().manual_seed(seed)
    check = check_quantized(program, (torch.randn(*SHAPE, generator=g),))
    check.assert_ok()
    return check


def _ops(check):
    return check.result.report["ops"]


def _quantize_of(graph, conv_index):
    """The per-tensor quantize of the `conv_index`-th conv2d's output."""
    convs = [n for n in graph.nodes if n.target == torch.ops.aten.conv2d.default]
    return next(u for u in convs[conv_index].users if u.target == qd.quantize_per_tensor.default)


def _set_qparams(node, scale, zero_point):
    args = list(node.args)
    args[1], args[2] = scale, zero_point
    node.args = tuple(args)


# ---------------------------------------------------------------------------
# concat
# ---------------------------------------------------------------------------


class TwoBranchCat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 6, 1)
        self.head = nn.Conv2d(10, 4, 1)

    def forward(self, x):
        return self.head(torch.cat([F.relu(self.a(x)), self.b(x)], dim=1))


def test_concat_of_shared_quantization_moves_int8():
    # tosaic's quantizer shares one quantization across a cat's inputs and output: the
    # int8 values are concatenated with no rescale besides the three convolutions'.
    check = _check(_pt2e(TwoBranchCat(), TosaicQuantizer().set_global("a8w8")))
    ops = _ops(check)
    assert ops["tosa.concat"] == 1 and ops["tosa.rescale"] == 3


def test_concat_of_differently_quantized_branches_rescales():
    # Branch b's output quantization edited to another scale and zero point: its values
    # are rescaled to the cat's quantization before the concat.
    def edit(graph):
        q = _quantize_of(graph, 1)
        scale, zero_point = q.args[1] * 1.2345, q.args[2] + 9
        for node in [q, *q.users]:
            _set_qparams(node, scale, zero_point)

    check = _check(_pt2e(TwoBranchCat(), TosaicQuantizer().set_global("a8w8"), edit))
    ops = _ops(check)
    assert ops["tosa.concat"] == 1 and ops["tosa.rescale"] == 4


# ---------------------------------------------------------------------------
# requantize, pad, slice and other data movement
# ---------------------------------------------------------------------------


class TwoConvs(nn.Module):
    def __init__(self, between=lambda y: y):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 4, 1)
        self.between = between

    def forward(self, x):
        return self.c2(self.between(self.c1(x)))


def _requantize_after(conv_index, factor, zero_point_shift):
    """An edit inserting quantize/dequantize (scale * factor, zero point + shift) after the
    dequantize of the `conv_index`-th conv's output."""

    def edit(graph):
        q = _quantize_of(graph, conv_index)
        dq = next(iter(q.users))
        qparams = (q.args[1] * factor, q.args[2] + zero_point_shift, -128, 127, torch.int8)
        with graph.inserting_after(dq):
            q2 = graph.call_function(qd.quantize_per_tensor.default, (dq, *qparams))
        with graph.inserting_after(q2):
            dq2 = graph.call_function(qd.dequantize_per_tensor.default, (q2, *qparams))
        dq.replace_all_uses_with(dq2, delete_user_cb=lambda user: user is not q2)

    return edit


def test_requantize_is_one_rescale():
    # An extra quantize/dequantize pair (other scale and zero point) between the convs:
    # quantize(dequantize(x)) is one rescale.
    check = _check(_pt2e(TwoConvs(), TosaicQuantizer().set_global("a8w8"), _requantize_after(0, 0.8123, -11)))
    assert _ops(check)["tosa.rescale"] == 3


class OneConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


@pytest.mark.xfail(strict=True, reason="known gap: at an exact tie RESCALE rounds half up, torch's "
                   "quantize half to even; a requantize by exactly 0.5 differs by 1 LSB on 1/4 of the codes")
def test_requantize_by_one_half_is_bit_exact():
    program = _pt2e(OneConv(), TosaicQuantizer().set_global("a8w8"), _requantize_after(0, 2.0, 0))
    g = torch.Generator().manual_seed(2)
    check = check_quantized(program, (torch.randn(*SHAPE, generator=g),))
    assert check.max_lsb <= 1  # never more than 1 LSB
    check.assert_ok()


class PadNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3)
        self.c2 = nn.Conv2d(8, 4, 3)

    def forward(self, x):
        y = self.c1(F.pad(x, (1, 2, 0, 1)))  # pads the graph input with 0.0
        return self.c2(F.pad(y, (1, 1, 2, 0), value=0.25))


def test_pad_then_conv():
    check = _check(_pt2e(PadNet(), TosaicQuantizer().set_global("a8w8")))
    ops = _ops(check)
    assert ops["tosa.pad"] == 2 and ops["tosa.rescale"] == 2


def _moves(y):
    y = y[:, :, 1:7, :]  # slice
    y = y[:, :, ::2, 1::2]  # strided slice: reshapes and slices (+ a pad), no gather
    y = torch.cat(torch.chunk(y, 2, dim=1)[::-1], dim=1)  # slices and a concat
    y = torch.flip(y, dims=[3])  # slices and a concat, no reverse
    return y.repeat(1, 1, 2, 1)  # tile


def test_slice_gather_concat_reverse_tile_between_convs():
    # tosaic's quantizer shares the slices' and the cat's quantization; flip and repeat it
    # leaves unannotated (a float chain between one dequantize and one quantize, moved as
    # int8 all the same), and the chunk's two pieces it quantizes anew for the cat: each
    # piece is sliced and then rescaled. So 2 + 2 rescales.
    check = _check(_pt2e(TwoConvs(_moves), TosaicQuantizer().set_global("a8w8")))
    ops = _ops(check)
    for moved in ("tosa.slice", "tosa.concat", "tosa.tile"):
        assert moved in ops, ops
    assert "tosa.gather" not in ops and "tosa.reverse" not in ops, ops
    assert ops["tosa.rescale"] == 4


# ---------------------------------------------------------------------------
# torchao's XNNPACK-style quantizer: float bias, cat/pad/slice not shared
# ---------------------------------------------------------------------------


class XnnpackNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 4, 1)
        self.c = nn.Conv2d(8, 8, 3)

    def forward(self, x):
        y = torch.cat([F.relu(self.a(x)), self.b(x)], dim=1)
        z = F.relu(self.c(F.pad(y, (1, 1, 1, 1))))
        return F.max_pool2d(F.relu(y + z), 2)[:, :, 1:, :]


@pytest.mark.parametrize("per_channel", [True, False], ids=["per-channel", "per-tensor"])
def test_xnnpack_quantized_conv_relu_cat_pad_add_maxpool_slice(per_channel):
    # XNNPACK annotates neither cat nor pad nor slice: the cat's inputs keep their convs'
    # quantizations and its result, used by the pad and by the add, is quantized for both
    # with one quantization, so the concat's inputs are rescaled to it. The slice of the
    # max pool's output moves int8 and the graph output is the int8 slice.
    check = _check(_pt2e(XnnpackNet(), _xnnpack(per_channel)))
    ops = _ops(check)
    for op in ("tosa.concat", "tosa.pad", "tosa.add", "tosa.max_pool2d", "tosa.slice"):
        assert op in ops, ops
    assert ops["tosa.conv2d"] == 3
    assert all(s.dtype == "i8" for s in check.result.inputs + check.result.outputs)


# ---------------------------------------------------------------------------
# diagnostics
# ---------------------------------------------------------------------------

_PER_CHANNEL_REQUANTIZE = """
func.func @f(%arg0: tensor<2x4xi8>) -> tensor<2x4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = 1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1, 0.2, 0.3, 0.4>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<2x4xi8>
  return %q : tensor<2x4xi8>
}
"""

_SCALE_TOO_LARGE = """
func.func @f(%arg0: tensor<2x4xi8>) -> tensor<2x4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0e9>, zero_point = array<i64: 0>} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<2x4xi8>
  return %q : tensor<2x4xi8>
}
"""


@pytest.mark.parametrize(
    "text, message",
    [
        (_PER_CHANNEL_REQUANTIZE, "'tosaic.quantize' op requantizes per-channel quantized values"),
        (_SCALE_TOO_LARGE, "'tosaic.quantize' op cannot requantize: RESCALE scale 20000000000.0 is too large"),
    ],
    ids=["per-channel", "scale-too-large"],
)
def test_refusal_names_the_op(text, message):
    from tosaic.dialects import new_context
    from tosaic.pipelines.textual import build_pass_manager

    with new_context() as context:
        module = ir.Module.parse(text)
        pm = build_pass_manager("builtin.module(func.func(tosaic-lower-quantized-data-movement))", context)
        with pytest.raises(ir.MLIRError) as info:
            pm.pass_manager.run(module.operation)
    diagnostics = [(d.message, str(d.location)) for d in info.value.error_diagnostics]
    assert any(text.startswith(message) and ":4:8" in loc for text, loc in diagnostics), diagnostics
