"""uint8 graph inputs and outputs, int8 inside, end to end.

Each model is compiled for tosa-int and checked on the TOSA reference model against the
fake-quantized PyTorch program, fed raw uint8 inputs and read as uint8 (max 1 LSB, >= 99%
bit-exact), then compiled by Vela for an Ethos-U55 and an Ethos-U85: every op on the NPU.
Models: a conv net and an MLP quantized by tosaic with uint8 IO, uint8 input only and
uint8 output only; programs from ExecuTorch's Arm quantizer with its uint8 IO config
(data/README.md); and a program from an independent all-uint8 torchao quantizer written
here, whose internal uint8 tensors tosaic must turn into int8.
"""

import os

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.observer import MinMaxObserver, PerChannelMinMaxObserver
from torchao.quantization.pt2e.quantizer import (
    DerivedQuantizationSpec,
    QuantizationAnnotation,
    QuantizationSpec,
    Quantizer,
    SharedQuantizationSpec,
)

from quantized_check import check_quantized, user_input_shapes
from tosaic.targets import vela
from tosaic.quantization import quantize_model, with_io_dtype
from nets import MLP

DATA = os.path.join(os.path.dirname(__file__), "data")
ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.conv3 = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        return self.conv3(F.relu6(self.conv2(F.relu(self.conv1(x)))))


MODELS = {"conv": (ConvNet, (1, 3, 12, 12)), "mlp": (lambda: MLP(32, 48), (1, 32))}
IO = {"both": (True, True), "input": (True, False), "output": (False, True)}


def _inputs(shape, seed, n=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(*shape, generator=g),) for _ in range(n)]


def _quantize(name, inputs_uint8, outputs_uint8):
    cls, shape = MODELS[name]
    torch.manual_seed(0)
    calibration = _inputs(shape, 1, 8)
    scheme = with_io_dtype("a8w8", "uint8", inputs=inputs_uint8, outputs=outputs_uint8)
    return quantize_model(cls().eval(), calibration[0], scheme, calibration)


def _assert_all_on_npu(check, tmp_path):
    path = tmp_path / "model.tosa"
    path.write_bytes(check.result.flatbuffer)
    for accelerator in ACCELERATORS:
        result = vela.run_vela(str(path), accelerator, str(tmp_path / accelerator))
        assert result.npu_ops > 0 and result.cpu_ops == 0, (accelerator, result.npu_ops, result.cpu_ops)


def _dtypes(signatures):
    return [s.quantization["dtype"] for s in signatures]


def _rescale_flags(mlir: str):
    return mlir.count("input_unsigned = true"), mlir.count("output_unsigned = true")


@pytest.mark.parametrize("io", sorted(IO))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_tosaic_quantized_uint8_io(name, io, tmp_path):
    inputs_uint8, outputs_uint8 = IO[io]
    program = _quantize(name, inputs_uint8, outputs_uint8)
    check = check_quantized(program, _inputs(MODELS[name][1], 7)[0])
    check.assert_ok()
    result = check.result
    assert _dtypes(result.inputs) == ["uint8" if inputs_uint8 else "int8"]
    assert _dtypes(result.outputs) == ["uint8" if outputs_uint8 else "int8"]
    assert [s.dtype for s in result.inputs + result.outputs] == ["i8", "i8"]  # signless storage
    assert result.inputs[0].shape == list(MODELS[name][1])
    assert 0 <= result.inputs[0].quantization["zero_point"] <= 255 or not inputs_uint8
    # The feed really is raw uint8 bytes, the unsigned flags sit only at the IO.
    assert check.feeds[0].dtype == (np.uint8 if inputs_uint8 else np.int8)
    assert _rescale_flags(result.mlir) == (int(inputs_uint8), int(outputs_uint8))
    _assert_all_on_npu(check, tmp_path)


def test_uint8_io_costs_only_the_io_rescales():
    """Against the same model with int8 IO: exactly one more rescale per uint8 input and
    output, everything else identical."""
    int8 = check_quantized(_quantize("conv", False, False), _inputs((1, 3, 12, 12), 7)[0])
    uint8 = check_quantized(_quantize("conv", True, True), _inputs((1, 3, 12, 12), 7)[0])
    ops8, opsu8 = dict(int8.result.report["ops"]), dict(uint8.result.report["ops"])
    assert opsu8.pop("tosa.rescale") == ops8.pop("tosa.rescale") + 2
    opsu8.pop("tosa.const"), ops8.pop("tosa.const")
    assert opsu8 == ops8


def test_without_preserved_io_quantization_uint8_becomes_int8():
    """--no-preserve-io-quantization: the identical int8 IO (zero point - 128), no IO rescale."""
    program = _quantize("mlp", True, True)
    preserved = check_quantized(program, _inputs((1, 32), 7)[0])
    check = check_quantized(program, _inputs((1, 32), 7)[0], preserve_io_quantization=False)
    check.assert_ok()
    assert _dtypes(check.result.inputs + check.result.outputs) == ["int8", "int8"]
    for kept, dropped in zip(preserved.result.inputs + preserved.result.outputs,
                             check.result.inputs + check.result.outputs):
        assert dropped.quantization["zero_point"] == kept.quantization["zero_point"] - 128
        assert dropped.quantization["scale"] == kept.quantization["scale"]
    assert _rescale_flags(check.result.mlir) == (0, 0)
    assert check.result.report["ops"]["tosa.rescale"] == preserved.result.report["ops"]["tosa.rescale"] - 2


@pytest.mark.parametrize("name", ["conv_pool", "mlp"])
def test_executorch_uint8_io_program(name, tmp_path):
    """ExecuTorch's Arm quantizer with `set_io(get_uint8_io_quantization_config())`: the
    uint8 IO is detected from the program's own Q/DQ, no flag needed."""
    program = torch.export.load(os.path.join(DATA, f"executorch_arm_{name}_uint8_io.pt2"))
    shapes = user_input_shapes(program)
    for seed in range(2):
        g = torch.Generator().manual_seed(seed)
        check = check_quantized(program, tuple(torch.randn(*s, generator=g) for s in shapes))
        check.assert_ok()
    assert _dtypes(check.result.inputs + check.result.outputs) == ["uint8", "uint8"]
    _assert_all_on_npu(check, tmp_path)


# An independent quantizer: uint8 affine activations everywhere (as pre-PT2E PyTorch
# quantization did), int8 symmetric per-channel weights, int32 bias. Its internal uint8
# tensors must become int8 inside tosaic; only the graph IO stays uint8.

def _uint8_act():
    return QuantizationSpec(dtype=torch.uint8, quant_min=0, quant_max=255, qscheme=torch.per_tensor_affine,
                            is_dynamic=False, observer_or_fake_quant_ctr=MinMaxObserver.with_args())


def _int8_weight():
    return QuantizationSpec(dtype=torch.int8, quant_min=-127, quant_max=127, qscheme=torch.per_channel_symmetric,
                            ch_axis=0, is_dynamic=False,
                            observer_or_fake_quant_ctr=PerChannelMinMaxObserver.with_args())


def _bias_qparams(observers):
    act, weight = observers
    scale = act.calculate_qparams()[0].reshape(-1)[0] * weight.calculate_qparams()[0].reshape(-1)
    return scale.to(torch.float32), torch.zeros(scale.shape, dtype=torch.int32)


class AllUint8Quantizer(Quantizer):
    def annotate(self, model):
        aten = torch.ops.aten
        for n in model.graph.nodes:
            if n.op != "call_function":
                continue
            if n.target in (aten.conv2d.default, aten.linear.default):
                x, w = n.args[0], n.args[1]
                qmap = {x: _uint8_act(), w: _int8_weight()}
                if len(n.args) > 2 and n.args[2] is not None:
                    qmap[n.args[2]] = DerivedQuantizationSpec(
                        derived_from=[(x, n), (w, n)], derive_qparams_fn=_bias_qparams, dtype=torch.int32,
                        quant_min=-(2**31), quant_max=2**31 - 1, qscheme=torch.per_channel_symmetric, ch_axis=0)
                n.meta["quantization_annotation"] = QuantizationAnnotation(
                    input_qspec_map=qmap, output_qspec=_uint8_act(), _annotated=True)
            elif n.target in (aten.relu.default, aten.max_pool2d.default):
                x = n.args[0]
                n.meta["quantization_annotation"] = QuantizationAnnotation(
                    input_qspec_map={x: SharedQuantizationSpec(x) if x.op != "placeholder" else _uint8_act()},
                    output_qspec=SharedQuantizationSpec((x, n)), _annotated=True)
        return model

    def validate(self, model):
        pass


class ConvReluPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x):
        return self.conv2(F.max_pool2d(F.relu(self.conv1(x)), 2))


def test_independent_all_uint8_quantizer(tmp_path):
    torch.manual_seed(0)
    model = ConvReluPool().eval()
    calibration = _inputs((1, 3, 8, 8), 1, 8)
    exported = torch.export.export(model, calibration[0])
    prepared = prepare_pt2e(exported.module(check_guards=False), AllUint8Quantizer())
    for batch in calibration:
        prepared(*batch)
    program = torch.export.export(convert_pt2e(prepared), calibration[0])
    uint8_qdq = [n for n in program.graph.nodes if n.op == "call_function" and "quantize_per_tensor" in str(n.target)
                 and n.args[-1] == torch.uint8]
    assert len(uint8_qdq) >= 6  # uint8 inside the program, not only at its IO
    for seed in range(2):
        check = check_quantized(program, _inputs((1, 3, 8, 8), 10 + seed)[0])
        check.assert_ok()
    assert _dtypes(check.result.inputs + check.result.outputs) == ["uint8", "uint8"]
    assert _rescale_flags(check.result.mlir) == (1, 1)  # unsigned only at the IO
    _assert_all_on_npu(check, tmp_path)
