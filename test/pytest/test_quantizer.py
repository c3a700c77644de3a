"""Tests for tosaic.quantization (PT2E quantizer for TOSA / Ethos-U)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from tosaic.quantization import (
    QuantScheme,
    TosaicQuantizer,
    get_scheme,
    list_schemes,
    quantize_model,
)

qd = torch.ops.quantized_decomposed
aten = torch.ops.aten
Q_PT = qd.quantize_per_tensor.default
DQ_PT = qd.dequantize_per_tensor.default
DQ_PC = qd.dequantize_per_channel.default
CLAMP_ACTS = {aten.relu.default, aten.hardtanh.default, aten.relu6.default, aten.clamp.default}


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class ConvNet(nn.Module):
    """conv+bn+relu -> depthwise/pointwise+relu6 -> add+relu -> pools -> linear."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU()
        )
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.act = nn.ReLU6()
        self.pool = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)
        bn = self.stem[1]
        with torch.no_grad():  # non-trivial BN so folding matters
            bn.running_mean.uniform_(-0.3, 0.3)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        y = self.stem(x)
        z = self.act(self.pw(self.dw(y)))
        y = torch.relu(y + z)
        y = self.pool(y)
        y = self.gap(y).flatten(1)
        return self.fc(y)


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 4)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Zoo(nn.Module):
    """Elementwise/activation ops and every data-movement op we share through."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.c1 = nn.Conv1d(16, 8, 1)
        self.fc = nn.Linear(32, 6)

    def forward(self, x):  # [N, 4, 8, 8]
        y = F.pad(x, (1, 1, 1, 1))
        y = self.conv(y)[:, :, 1:-1, 1:-1]  # [N, 8, 8, 8]
        a = torch.sigmoid(y) * torch.tanh(y)
        b = F.hardswish(y) - F.hardsigmoid(y)
        y = torch.cat([a, b], dim=1)  # [N, 16, 8, 8]
        y = F.avg_pool2d(y, 2)  # [N, 16, 4, 4]
        m = y.mean(dim=3)  # [N, 16, 4]
        m = self.c1(m)  # [N, 8, 4]
        m = m.unsqueeze(1).squeeze(1)
        m = m.permute(0, 2, 1).transpose(1, 2)
        m = m.reshape(m.shape[0], 32).view(-1, 32)
        return F.softmax(self.fc(m), dim=-1)


class Seq(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.ReLU()
        )
        self.classifier = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def _model(cls, seed=0):
    torch.manual_seed(seed)
    return cls().eval()


def _calib(shape, n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(*shape, generator=g),) for _ in range(n)]


IMG = (2, 3, 16, 16)
ZOO = (2, 4, 8, 8)
VEC = (4, 16)
SEQ = (2, 3, 8, 8)

_cache: dict = {}


def _quantized(name: str, cls, shape, scheme="a8w8", quantizer=None):
    """Quantize once per (name) and cache (keeps the suite fast)."""
    if name not in _cache:
        model = _model(cls)
        calib = _calib(shape)
        ep = quantize_model(
            model, calib[0], scheme=scheme, calibration_data=calib, quantizer=quantizer
        )
        _cache[name] = (model, ep)
    return _cache[name]


# ---------------------------------------------------------------------------
# Graph helpers
# ---------------------------------------------------------------------------


def _calls(ep, target):
    return [n for n in ep.graph.nodes if n.op == "call_function" and n.target == target]


def _const(ep, node) -> torch.Tensor:
    """Value of a lifted parameter/buffer/constant placeholder."""
    if not isinstance(node, torch.fx.Node):
        return torch.as_tensor(node)
    sig = ep.graph_signature
    for mapping in (
        sig.inputs_to_parameters,
        sig.inputs_to_buffers,
        sig.inputs_to_lifted_tensor_constants,
    ):
        if node.name in mapping:
            key = mapping[node.name]
            if key in ep.state_dict:
                return ep.state_dict[key]
            return ep.constants[key]
    raise KeyError(f"{node} is not a lifted constant")


def _is_dq(n) -> bool:
    return isinstance(n, torch.fx.Node) and n.op == "call_function" and n.target in (DQ_PT, DQ_PC)


def _qparams(n):
    """(scale, zero_point, qmin, qmax, dtype) of a per-tensor q/dq node."""
    assert n.target in (Q_PT, DQ_PT), n.format_node()
    return (float(n.args[1]), int(n.args[2]), n.args[3], n.args[4], n.args[5])


def _output_q_nodes(n):
    """The quantize nodes after ``n`` (through a fused clamp-like activation)."""
    if len(n.users) == 1:
        (u,) = n.users
        if u.op == "call_function" and u.target in CLAMP_ACTS:
            n = u
    return list(n.users)


def assert_op_quantized(n, n_act_inputs=None):
    """Every float tensor input is a dequantize, every output goes to a quantize."""
    tensor_args = [a for a in n.args if isinstance(a, torch.fx.Node)]
    for a in n.args:
        if isinstance(a, (list, tuple)):
            tensor_args += [b for b in a if isinstance(b, torch.fx.Node)]
    assert tensor_args, n.format_node()
    for a in tensor_args:
        assert _is_dq(a), f"input {a} of {n.format_node()} is not dequantized"
    users = _output_q_nodes(n)
    assert users, f"{n} has no users"
    for u in users:
        assert u.op == "call_function" and u.target == Q_PT, (
            f"output of {n.format_node()} feeds {u.format_node()}, not a quantize"
        )


def assert_shares_qparams(n):
    (src,) = [a for a in n.args[:1]]
    if isinstance(src, (list, tuple)):
        srcs = list(src)
    else:
        srcs = [src]
    users = list(n.users)
    assert users
    ref = _qparams(users[0])
    for u in users:
        assert _qparams(u) == ref
    for s in srcs:
        assert s.target == DQ_PT, f"{n} input {s} is not a per-tensor dequantize"
        assert _qparams(s) == ref, f"{n}: input qparams {_qparams(s)} != output {ref}"


def _rel_err(a, b) -> float:
    return float((a - b).norm() / b.norm())


# ---------------------------------------------------------------------------
# Scheme presets
# ---------------------------------------------------------------------------


def test_scheme_presets():
    assert {"a8w8", "a8w4", "a16w8", "a8w8_u8io"} <= set(list_schemes())
    s = get_scheme("a8w8")
    assert get_scheme("A8W8") is s and get_scheme(s) is s
    act = s.activation_qspec()
    assert (act.dtype, act.quant_min, act.quant_max) == (torch.int8, -128, 127)
    assert act.qscheme == torch.per_tensor_affine
    w = s.weight_qspec()
    assert (w.dtype, w.quant_min, w.quant_max) == (torch.int8, -127, 127)
    assert (w.qscheme, w.ch_axis) == (torch.per_channel_symmetric, 0)
    assert (s.bias_dtype, s.bias_qmin, s.bias_qmax) == (torch.int32, -(2**31), 2**31 - 1)
    assert s.io_qspec() is None

    w4 = get_scheme("a8w4").weight_qspec()
    assert (w4.dtype, w4.quant_min, w4.quant_max) == (torch.int8, -7, 7)

    a16 = get_scheme("a16w8").activation_qspec()
    assert (a16.dtype, a16.quant_min, a16.quant_max) == (torch.int16, -32767, 32767)
    assert a16.qscheme == torch.per_tensor_symmetric

    io = get_scheme("a8w8_u8io").io_qspec()
    assert (io.dtype, io.quant_min, io.quant_max) == (torch.uint8, 0, 255)

    custom = dataclasses.replace(s, weight_qmin=-63, weight_qmax=63)
    assert isinstance(custom, QuantScheme) and custom.weight_qspec().quant_max == 63
    with pytest.raises(KeyError):
        get_scheme("a3w3")


# ---------------------------------------------------------------------------
# a8w8 structure
# ---------------------------------------------------------------------------


def test_convnet_ops_quantized():
    _, ep = _quantized("convnet", ConvNet, IMG)
    assert not _calls(ep, aten.batch_norm.default), "BN was not folded into the conv"
    expected = {
        aten.conv2d.default: 3,
        aten.add.Tensor: 1,
        aten.max_pool2d.default: 1,
        aten.adaptive_avg_pool2d.default: 1,
        aten.flatten.using_ints: 1,
        aten.linear.default: 1,
    }
    for target, count in expected.items():
        nodes = _calls(ep, target)
        assert len(nodes) == count, (target, len(nodes))
        for n in nodes:
            assert_op_quantized(n)
    # relu / relu6 after conv and add are fused: no q/dq between op and activation
    for act in _calls(ep, aten.relu.default) + _calls(ep, aten.hardtanh.default):
        producer = act.args[0]
        assert producer.target in (aten.conv2d.default, aten.add.Tensor), act.format_node()
        assert all(u.target == Q_PT for u in act.users)
    # graph output is dequantized int8
    (out,) = [n for n in ep.graph.nodes if n.op == "output"]
    (res,) = out.args[0]
    assert res.target == DQ_PT and _qparams(res)[4] == torch.int8


def test_activation_qparams_int8_affine():
    _, ep = _quantized("convnet", ConvNet, IMG)
    qs = _calls(ep, Q_PT)
    assert qs
    for q in qs:
        scale, zp, qmin, qmax, dtype = _qparams(q)
        assert (qmin, qmax, dtype) == (-128, 127, torch.int8)
        assert scale > 0 and -128 <= zp <= 127
    # relu outputs are non-negative: an affine observer puts zp at the bottom
    for act in _calls(ep, aten.relu.default):
        for q in act.users:
            assert _qparams(q)[1] == -128


def _weight_and_bias(ep, n):
    x_dq, w_dq, b_dq = n.args[0], n.args[1], n.args[2]
    assert x_dq.target == DQ_PT and w_dq.target == DQ_PC and b_dq.target == DQ_PC
    return x_dq, w_dq, b_dq


@pytest.mark.parametrize("target", [aten.conv2d.default, aten.linear.default])
def test_weights_per_channel_int8(target):
    _, ep = _quantized("convnet", ConvNet, IMG)
    nodes = _calls(ep, target)
    assert nodes
    for n in nodes:
        _, w_dq, _ = _weight_and_bias(ep, n)
        wq, scale_node, zp_node, axis, qmin, qmax, dtype = w_dq.args
        wq, scale, zp = _const(ep, wq), _const(ep, scale_node), _const(ep, zp_node)
        assert (axis, qmin, qmax, dtype) == (0, -127, 127, torch.int8)
        assert wq.dtype == torch.int8
        out_ch = wq.shape[0]
        assert scale.shape == (out_ch,) and zp.shape == (out_ch,)
        assert torch.all(zp == 0)
        assert int(wq.min()) >= -127 and int(wq.max()) <= 127
        # symmetric per-channel max-abs scaling: every channel reaches +-127
        per_ch_max = wq.reshape(out_ch, -1).abs().amax(dim=1)
        assert torch.all(per_ch_max == 127), per_ch_max


def test_depthwise_weight_axis0():
    model, ep = _quantized("convnet", ConvNet, IMG)
    dw = [n for n in _calls(ep, aten.conv2d.default) if len(n.args) > 6 and n.args[6] == 8]
    assert len(dw) == 1
    _, w_dq, _ = _weight_and_bias(ep, dw[0])
    wq = _const(ep, w_dq.args[0])
    assert tuple(wq.shape) == (8, 1, 3, 3)
    assert w_dq.args[3] == 0 and _const(ep, w_dq.args[1]).shape == (8,)
    # dequantized weight is close to the float weight (per channel)
    deq = wq.float() * _const(ep, w_dq.args[1]).reshape(-1, 1, 1, 1)
    ref = model.dw.weight.detach()
    assert torch.allclose(deq, ref, atol=ref.abs().max().item() / 127)


@pytest.mark.parametrize("target", [aten.conv2d.default, aten.linear.default])
def test_bias_int32_derived_scale(target):
    _, ep = _quantized("convnet", ConvNet, IMG)
    for n in _calls(ep, target):
        x_dq, w_dq, b_dq = _weight_and_bias(ep, n)
        in_scale = _qparams(x_dq)[0]
        w_scale = _const(ep, w_dq.args[1]).double()
        bq, b_scale_node, b_zp_node, axis, qmin, qmax, dtype = b_dq.args
        bq, b_scale, b_zp = _const(ep, bq), _const(ep, b_scale_node), _const(ep, b_zp_node)
        assert dtype == torch.int32 and bq.dtype == torch.int32
        assert (axis, qmin, qmax) == (0, -(2**31), 2**31 - 1)
        assert torch.all(b_zp == 0)
        torch.testing.assert_close(
            b_scale.double(), in_scale * w_scale, rtol=1e-5, atol=0.0
        )


def test_folded_bn_bias_value():
    """stem conv has no bias; BN folding creates one, which must be int32 and correct."""
    model, ep = _quantized("convnet", ConvNet, IMG)
    stem = _calls(ep, aten.conv2d.default)[0]
    _, _, b_dq = _weight_and_bias(ep, stem)
    b = _const(ep, b_dq.args[0]).double() * _const(ep, b_dq.args[1]).double()
    bn = model.stem[1]
    ref = bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)
    scale = _const(ep, b_dq.args[1]).double()
    assert torch.all((b - ref.detach().double()).abs() <= scale * 0.5 + 1e-9)


def test_pool_and_flatten_share_qparams():
    _, ep = _quantized("convnet", ConvNet, IMG)
    for target in (aten.max_pool2d.default, aten.flatten.using_ints):
        nodes = _calls(ep, target)
        assert nodes
        for n in nodes:
            assert_shares_qparams(n)


def test_convnet_accuracy():
    model, ep = _quantized("convnet", ConvNet, IMG)
    x = _calib(IMG, n=1, seed=123)[0][0]
    with torch.no_grad():
        err = _rel_err(ep.module()(x), model(x))
    assert err < 0.05, err


# ---------------------------------------------------------------------------
# MLP and op zoo
# ---------------------------------------------------------------------------


def test_mlp_linear_relu_fused_and_accurate():
    model, ep = _quantized("mlp", MLP, VEC)
    linears = _calls(ep, aten.linear.default)
    assert len(linears) == 3
    for n in linears:
        assert_op_quantized(n)
    relus = _calls(ep, aten.relu.default)
    assert len(relus) == 2
    for r in relus:
        assert r.args[0].target == aten.linear.default  # fused: no q/dq in between
    x = _calib(VEC, n=1, seed=7)[0][0]
    with torch.no_grad():
        err = _rel_err(ep.module()(x), model(x))
    assert err < 0.05, err


ZOO_COMPUTE = [
    aten.conv2d.default,
    aten.conv1d.default,
    aten.linear.default,
    aten.sigmoid.default,
    aten.tanh.default,
    aten.hardswish.default,
    aten.hardsigmoid.default,
    aten.mul.Tensor,
    aten.sub.Tensor,
    aten.softmax.int,
    aten.avg_pool2d.default,  # averages observe their own output (see quantizer._UNARY_OPS)
    aten.mean.dim,
]
ZOO_SHARED = [
    aten.pad.default,
    aten.slice.Tensor,
    aten.cat.default,
    aten.unsqueeze.default,
    aten.squeeze.dim,
    aten.permute.default,
    aten.transpose.int,
    aten.reshape.default,
    aten.view.default,
]


def test_zoo_ops_quantized():
    _, ep = _quantized("zoo", Zoo, ZOO)
    for target in ZOO_COMPUTE + ZOO_SHARED:
        nodes = _calls(ep, target)
        assert nodes, f"{target} missing from graph"
        for n in nodes:
            assert_op_quantized(n)


@pytest.mark.parametrize("target", ZOO_SHARED, ids=str)
def test_zoo_data_movement_shares_qparams(target):
    _, ep = _quantized("zoo", Zoo, ZOO)
    for n in _calls(ep, target):
        assert_shares_qparams(n)


def test_zoo_accuracy():
    model, ep = _quantized("zoo", Zoo, ZOO)
    x = _calib(ZOO, n=1, seed=99)[0][0]
    with torch.no_grad():
        err = _rel_err(ep.module()(x), model(x))
    assert err < 0.05, err


# ---------------------------------------------------------------------------
# Per-module configuration
# ---------------------------------------------------------------------------


def _is_float_linear(ep, n):
    return n.args[1].op == "placeholder" and _const(ep, n.args[1]).dtype == torch.float32


def test_set_module_type_none_leaves_linear_float():
    q = TosaicQuantizer().set_global("a8w8").set_module_type(nn.Linear, None)
    _, ep = _quantized("convnet_float_linear", ConvNet, IMG, quantizer=q)
    (lin,) = _calls(ep, aten.linear.default)
    assert _is_float_linear(ep, lin)
    assert not _is_dq(lin.args[2])
    assert all(u.op == "output" for u in lin.users)
    with pytest.raises(AssertionError):
        assert_op_quantized(lin)  # the checker does catch float ops
    for conv in _calls(ep, aten.conv2d.default):
        assert_op_quantized(conv)


def test_set_module_name():
    q = (
        TosaicQuantizer()
        .set_global("a8w8")
        .set_module_name("features.2", None)
        .set_module_name("classifier", "a16w8")
    )
    _, ep = _quantized("seq_names", Seq, SEQ, quantizer=q)
    c0, c2 = _calls(ep, aten.conv2d.default)
    assert_op_quantized(c0)
    assert c0.args[1].target == DQ_PC
    # features.2 runs in float: float weight/bias (its input is the dequantized
    # output of the quantized features.0/1 conv+relu)
    assert c2.args[1].op == "placeholder" and c2.args[2].op == "placeholder"
    assert _const(ep, c2.args[1]).dtype == torch.float32
    with pytest.raises(AssertionError):
        assert_op_quantized(c2)
    (lin,) = _calls(ep, aten.linear.default)
    assert_op_quantized(lin)
    assert _qparams(lin.args[0])[2:] == (-32767, 32767, torch.int16)
    assert lin.args[1].args[6] == torch.int8 and lin.args[2].args[6] == torch.int32


def test_module_name_beats_module_type():
    q = (
        TosaicQuantizer()
        .set_global("a8w8")
        .set_module_type(nn.Conv2d, None)
        .set_module_name("features.0", "a8w8")
    )
    _, ep = _quantized("seq_prec", Seq, SEQ, quantizer=q)
    c0, c2 = _calls(ep, aten.conv2d.default)
    assert c0.args[1].target == DQ_PC
    assert c2.args[1].op == "placeholder"
    assert_op_quantized(_calls(ep, aten.linear.default)[0])


def test_global_none_is_float():
    q = TosaicQuantizer().set_global(None)
    _, ep = _quantized("mlp_none", MLP, VEC, quantizer=q)
    targets = {n.target for n in ep.graph.nodes if n.op == "call_function"}
    assert not any(getattr(t, "namespace", None) == "quantized_decomposed" for t in targets)


# ---------------------------------------------------------------------------
# Other presets
# ---------------------------------------------------------------------------


def test_a16w8():
    model, ep = _quantized("convnet_a16", ConvNet, IMG, scheme="a16w8")
    for q in _calls(ep, Q_PT):
        scale, zp, qmin, qmax, dtype = _qparams(q)
        assert (zp, qmin, qmax, dtype) == (0, -32767, 32767, torch.int16)
    for n in _calls(ep, aten.conv2d.default) + _calls(ep, aten.linear.default):
        assert_op_quantized(n)
        _, w_dq, b_dq = _weight_and_bias(ep, n)
        assert w_dq.args[4:] == (-127, 127, torch.int8)
        assert b_dq.args[6] == torch.int32
    _, ep8 = _quantized("convnet", ConvNet, IMG)
    x = _calib(IMG, n=1, seed=123)[0][0]
    with torch.no_grad():
        ref = model(x)
        err16 = _rel_err(ep.module()(x), ref)
        err8 = _rel_err(ep8.module()(x), ref)
    assert err16 < err8 and err16 < 0.02, (err16, err8)


def test_a8w4_weight_range():
    model, ep = _quantized("mlp_a8w4", MLP, VEC, scheme="a8w4")
    for n in _calls(ep, aten.linear.default):
        assert_op_quantized(n)
        w_dq = n.args[1]
        assert w_dq.args[4:] == (-7, 7, torch.int8)
        wq = _const(ep, w_dq.args[0])
        assert wq.dtype == torch.int8 and int(wq.abs().max()) == 7
    x = _calib(VEC, n=1, seed=7)[0][0]
    with torch.no_grad():
        err = _rel_err(ep.module()(x), model(x))
    assert err < 0.3, err  # 4-bit weights: coarse, but not garbage


def test_uint8_io_boundary():
    _, ep = _quantized("zoo_u8io", Zoo, ZOO, scheme="a8w8_u8io")
    (x,) = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name == "x"]
    (q_in,) = x.users
    assert _qparams(q_in)[2:] == (0, 255, torch.uint8)
    # uint8 -> int8 requantization at the boundary; pad runs on int8
    (dq_in,) = q_in.users
    assert _qparams(dq_in)[2:] == (0, 255, torch.uint8)
    (q_int,) = dq_in.users
    assert q_int.target == Q_PT and _qparams(q_int)[2:] == (-128, 127, torch.int8)
    (pad,) = _calls(ep, aten.pad.default)
    assert _qparams(pad.args[0])[4] == torch.int8
    assert_shares_qparams(pad)
    # every internal q/dq is int8
    (out,) = [n for n in ep.graph.nodes if n.op == "output"]
    (res,) = out.args[0]
    assert res.target == DQ_PT and _qparams(res)[2:] == (0, 255, torch.uint8)
    boundary = {q_in, dq_in, res, res.args[0]}
    for n in _calls(ep, Q_PT) + _calls(ep, DQ_PT):
        if n not in boundary:
            assert _qparams(n)[4] == torch.int8, n.format_node()


def test_quantize_model_defaults_to_example_inputs():
    model = _model(MLP)
    x = torch.randn(*VEC)
    ep = quantize_model(model, (x,))
    assert isinstance(ep, torch.export.ExportedProgram)
    assert _calls(ep, Q_PT) and _calls(ep, DQ_PC)
    # no dead float parameters left behind by convert_pt2e
    assert not ep.graph_signature.inputs_to_parameters
    with torch.no_grad():
        assert _rel_err(ep.module()(x), model(x)) < 0.05


class PoolConvReshape(nn.Module):
    """input -> maxpool -> conv and output <- reshape <- conv: the max pool and the
    reshape share their neighbour's qparams, so they are where uint8 could leak inside."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(F.max_pool2d(x, 2))))
        return y.reshape(y.shape[0], -1)


def test_uint8_io_stops_at_the_boundary():
    """uint8 at the graph input and output only: the first and last Q/DQ pair are uint8,
    each followed/preceded by an int8 requantize; the max pool and the reshape, which
    share qparams, share int8 ones; every other Q/DQ is int8."""
    _, ep = _quantized("pool_conv_reshape_u8io", PoolConvReshape, ZOO, scheme="a8w8_u8io")
    (x,) = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name == "x"]
    (q_in,) = x.users
    (dq_in,) = q_in.users
    (q_pool,) = dq_in.users
    assert _qparams(q_in)[2:] == (0, 255, torch.uint8) and _qparams(dq_in)[2:] == (0, 255, torch.uint8)
    assert q_pool.target == Q_PT and _qparams(q_pool)[2:] == (-128, 127, torch.int8)
    (pool,) = _calls(ep, aten.max_pool2d.default)
    assert_shares_qparams(pool)
    assert _qparams(pool.args[0])[4] == torch.int8
    (reshape,) = _calls(ep, aten.reshape.default) or _calls(ep, aten.view.default)
    assert _qparams(reshape.args[0])[4] == torch.int8
    (out,) = [n for n in ep.graph.nodes if n.op == "output"]
    (res,) = out.args[0]
    assert res.target == DQ_PT and _qparams(res)[2:] == (0, 255, torch.uint8)
    q_out = res.args[0]
    assert _qparams(q_out)[2:] == (0, 255, torch.uint8) and _qparams(q_out.args[0])[4] == torch.int8
    boundary = {q_in, dq_in, q_out, res}
    for n in _calls(ep, Q_PT) + _calls(ep, DQ_PT):
        if n not in boundary:
            assert _qparams(n)[4] == torch.int8, n.format_node()


def test_uint8_io_inputs_or_outputs_only():
    from tosaic.quantization import with_io_dtype

    for inputs, outputs in ((True, False), (False, True)):
        scheme = with_io_dtype("a8w8", "uint8", inputs=inputs, outputs=outputs)
        _, ep = _quantized(f"pool_conv_reshape_u8_{inputs}_{outputs}", PoolConvReshape, ZOO, scheme=scheme)
        (x,) = [n for n in ep.graph.nodes if n.op == "placeholder" and n.name == "x"]
        (q_in,) = x.users
        (out,) = [n for n in ep.graph.nodes if n.op == "output"]
        (res,) = out.args[0]
        assert _qparams(q_in)[4] == (torch.uint8 if inputs else torch.int8)
        assert _qparams(res)[4] == (torch.uint8 if outputs else torch.int8)


def test_a16w8_bias_scale_and_mixed_boundaries():
    """a16w8's int32 bias is at input_scale * weight_scale[c]; where a8w8 and a16w8 regions
    meet, the program requantizes: an int8 dequantize feeds an int16 quantize and back."""
    q = TosaicQuantizer().set_global("a8w8").set_module_name("features.2", "a16w8")
    _, ep = _quantized("seq_mixed16", Seq, SEQ, quantizer=q)
    c0, c2 = _calls(ep, aten.conv2d.default)
    x_dq, w_dq, b_dq = _weight_and_bias(ep, c2)
    assert _qparams(x_dq)[2:] == (-32767, 32767, torch.int16) and _qparams(x_dq)[1] == 0
    w_scale = _const(ep, w_dq.args[1]).double()
    b_scale = _const(ep, b_dq.args[1]).double()
    torch.testing.assert_close(b_scale, _qparams(x_dq)[0] * w_scale, rtol=1e-6, atol=0)
    assert b_dq.args[4:] == (-(2**31), 2**31 - 1, torch.int32)
    # a8w8 -> a16w8: the int16 quantize reads the int8 dequantize of conv0's output.
    q16 = x_dq.args[0]
    assert q16.target == Q_PT and _qparams(q16)[4] == torch.int16
    assert _is_dq(q16.args[0]) and _qparams(q16.args[0])[4] == torch.int8
    # a16w8 -> a8w8: the classifier's int8 input comes from an int16 dequantize.
    (lin,) = _calls(ep, aten.linear.default)
    chain = lin.args[0]
    while not (chain.target == Q_PT and _qparams(chain)[4] == torch.int8):
        chain = chain.args[0]
    source = chain.args[0]
    while not _is_dq(source):
        source = source.args[0]
    assert _qparams(source)[4] == torch.int16
