"""The Vela stage: TOSA flatbuffer -> Ethos-U command stream, and what Vela reports about it."""

import filecmp
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from tosaic import targets
from tosaic.driver.errors import EmitError
from tosaic.targets import tosa_flatbuffer, vela


def _hex(values: np.ndarray, mlir_type: str, dtype) -> str:
    shape = "x".join(str(d) for d in values.shape)
    return f'dense<"0x{values.astype(dtype).tobytes().hex().upper()}"> : tensor<{shape}x{mlir_type}>'


def _const(name: str, values: str, tensor: str) -> str:
    return f'    %{name} = "tosa.const"() <{{values = {values}}}> : () -> {tensor}\n'


def conv_mlir() -> str:
    """int8 3x3 conv2d, i32 bias, per-channel rescale to int8."""
    rng = np.random.default_rng(0)
    weights = rng.integers(-127, 128, (16, 3, 3, 3))
    bias = rng.integers(-1000, 1000, (16,))
    multiplier = rng.integers(1 << 30, (1 << 31) - 1, (16,))
    shift = np.full(16, 38)
    return (
        "module {\n"
        "  func.func @main(%x: tensor<1x8x8x3xi8>) -> tensor<1x8x8x16xi8> {\n"
        + _const("w", _hex(weights, "i8", np.int8), "tensor<16x3x3x3xi8>")
        + _const("b", _hex(bias, "i32", np.int32), "tensor<16xi32>")
        + _const("izp", "dense<-128> : tensor<1xi8>", "tensor<1xi8>")
        + _const("wzp", "dense<0> : tensor<1xi8>", "tensor<1xi8>")
        + _const("mult", _hex(multiplier, "i32", np.int32), "tensor<16xi32>")
        + _const("shift", _hex(shift, "i8", np.int8), "tensor<16xi8>")
        + _const("rizp", "dense<0> : tensor<1xi32>", "tensor<1xi32>")
        + _const("rozp", "dense<-128> : tensor<1xi8>", "tensor<1xi8>")
        + "    %acc = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, "
        "pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x3xi8>, tensor<16x3x3x3xi8>, "
        "tensor<16xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x16xi32>\n"
        "    %r = tosa.rescale %acc, %mult, %shift, %rizp, %rozp {input_unsigned = false, output_unsigned = false, "
        "per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x8x8x16xi32>, "
        "tensor<16xi32>, tensor<16xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x8x8x16xi8>\n"
        "    return %r : tensor<1x8x8x16xi8>\n"
        "  }\n"
        "}\n"
    )


_RESCALE_ATTRS = (
    "{input_unsigned = false, output_unsigned = false, per_channel = false, "
    "rounding_mode = SINGLE_ROUND, scale32 = true}"
)

# int8 add the TFLite way (rescale to i32, add, rescale back), then a 2x2 max pool.
ADD_POOL_MLIR = f"""module {{
  func.func @main(%a: tensor<1x16x16x8xi8>, %b: tensor<1x16x16x8xi8>) -> tensor<1x8x8x8xi8> {{
    %m = "tosa.const"() <{{values = dense<1073741824> : tensor<1xi32>}}> : () -> tensor<1xi32>
    %s_in = "tosa.const"() <{{values = dense<30> : tensor<1xi8>}}> : () -> tensor<1xi8>
    %s_out = "tosa.const"() <{{values = dense<31> : tensor<1xi8>}}> : () -> tensor<1xi8>
    %zp_a = "tosa.const"() <{{values = dense<-3> : tensor<1xi8>}}> : () -> tensor<1xi8>
    %zp8 = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
    %zp32 = "tosa.const"() <{{values = dense<0> : tensor<1xi32>}}> : () -> tensor<1xi32>
    %a32 = tosa.rescale %a, %m, %s_in, %zp_a, %zp32 {_RESCALE_ATTRS} : (tensor<1x16x16x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x16x16x8xi32>
    %b32 = tosa.rescale %b, %m, %s_in, %zp8, %zp32 {_RESCALE_ATTRS} : (tensor<1x16x16x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x16x16x8xi32>
    %sum = tosa.add %a32, %b32 : (tensor<1x16x16x8xi32>, tensor<1x16x16x8xi32>) -> tensor<1x16x16x8xi32>
    %sum8 = tosa.rescale %sum, %m, %s_out, %zp32, %zp8 {_RESCALE_ATTRS} : (tensor<1x16x16x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x16x16x8xi8>
    %p = tosa.max_pool2d %sum8 {{kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}} : (tensor<1x16x16x8xi8>) -> tensor<1x8x8x8xi8>
    return %p : tensor<1x8x8x8xi8>
  }}
}}
"""

FLOAT_MLIR = """module {
  func.func @main(%a: tensor<1x8x8x4xf32>, %b: tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32> {
    %s = tosa.add %a, %b : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
    %c = tosa.clamp %s {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
    return %c : tensor<1x8x8x4xf32>
  }
}
"""

# int32 division: the U85 has it, the U55 does not.
INTDIV_MLIR = """module {
  func.func @main(%a: tensor<1x8x8x4xi32>, %b: tensor<1x8x8x4xi32>) -> tensor<1x8x8x4xi32> {
    %d = tosa.intdiv %a, %b : (tensor<1x8x8x4xi32>, tensor<1x8x8x4xi32>) -> tensor<1x8x8x4xi32>
    return %d : tensor<1x8x8x4xi32>
  }
}
"""


def serialize(mlir: str, profile: str, path: str) -> str:
    result = subprocess.run(
        [
            tosa_flatbuffer.tosa_opt_executable(),
            "-",
            f"--tosa-attach-target=profiles={profile}",
            "--tosa-validate=strict-op-spec-alignment",
            f"--tosa-serialize=tosa-flatbuffer-filename={path}",
            "-o",
            os.devnull,
        ],
        input=mlir,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("tosa")
    return {
        "conv": serialize(conv_mlir(), "pro_int", str(d / "conv.tosa")),
        "addpool": serialize(ADD_POOL_MLIR, "pro_int", str(d / "addpool.tosa")),
        "float": serialize(FLOAT_MLIR, "pro_fp", str(d / "float.tosa")),
        "intdiv": serialize(INTDIV_MLIR, "pro_int", str(d / "intdiv.tosa")),
    }


@pytest.fixture(scope="module")
def compiled(models, tmp_path_factory):
    cache = {}

    def get(model, accelerator):
        if (model, accelerator) not in cache:
            out = tmp_path_factory.mktemp(f"{model}-{accelerator}")
            cache[model, accelerator] = vela.run_vela(models[model], accelerator, str(out))
        return cache[model, accelerator]

    return get


def test_accelerators_are_velas():
    help_text = subprocess.run(vela.vela_command() + ["--help"], capture_output=True, text=True).stdout
    choices = re.search(r"--accelerator-config \{([^}]*)\}", help_text).group(1).split(",")
    assert list(targets.ACCELERATORS) == choices


def test_default_configs_exist_in_bundled_ini():
    for accelerator in targets.ACCELERATORS:
        defaults = targets.target(accelerator).family.vela
        _, paths = vela._resolve_config_files(defaults.config_file)
        family = accelerator.split("-")[1].upper()  # U55, U65, U85
        assert defaults.system_config in vela._sections(paths, "System_Config") and family in defaults.system_config
        assert defaults.memory_mode in vela._sections(paths, "Memory_Mode")


# (model, NPU ops after Vela fuses the rescales, MACs)
EXPECTED = {"conv": (1, 8 * 8 * 16 * 3 * 3 * 3), "addpool": (2, 8 * 8 * 8 * 2 * 2)}


@pytest.mark.parametrize("accelerator", ["ethos-u55-128", "ethos-u85-256"])
@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_all_on_npu(model, accelerator, compiled):
    r = compiled(model, accelerator)
    npu_ops, macs = EXPECTED[model]
    assert (r.npu_ops, r.cpu_ops) == (npu_ops, 0)
    assert len(r.npu_operators) == npu_ops and r.cpu_operators == []
    assert r.cycles_total > 0 and r.cycles_npu > 0
    assert r.macs == macs
    assert r.accelerator == accelerator
    defaults = targets.target(accelerator).family.vela
    assert (r.system_config, r.memory_mode) == (defaults.system_config, defaults.memory_mode)
    assert r.summary["accelerator_configuration"] == accelerator.replace("ethos-u", "Ethos_U").replace("-", "_")
    assert r.summary["cycles_total"] == r.cycles_total

    # per-layer rows
    assert len(r.layers) == npu_ops
    assert all(layer.target == "NPU" for layer in r.layers)
    assert sum(layer.macs for layer in r.layers) == macs
    assert max(layer.cycles for layer in r.layers) > 0
    if model == "conv":
        assert [layer.original_op for layer in r.layers] == ["Conv2D"]
    else:
        assert [layer.original_op for layer in r.layers] == ["Add", "MaxPool"]

    # memory
    assert r.sram_used_bytes + r.offchip_used_bytes > 0
    if accelerator == "ethos-u55-128":  # Shared_Sram: feature maps in SRAM, weights in flash
        assert r.sram_used_bytes > 0
    if model == "conv":
        assert r.weights_original_bytes == 16 * 3 * 3 * 3
        assert r.weights_encoded_bytes > 0
        assert r.flash_used_bytes + r.dram_used_bytes > 0  # weights live off-chip

    # the compiled model
    assert r.model_path in r.output_files
    with open(r.model_path, "rb") as f:
        assert f.read(8)[4:8] == b"TFL3"
    for path in r.output_files:
        assert os.path.dirname(path) == r.output_dir


def test_report_is_json_and_relative(compiled):
    r = compiled("conv", "ethos-u55-128")
    report = json.loads(json.dumps(r.as_report()))
    assert report["accelerator"] == "ethos-u55-128"
    assert report["model"] == "conv_vela.tflite"
    assert report["placement"]["npu_ops"] == 1 and report["placement"]["cpu_ops"] == 0
    assert report["cycles"]["total"] == r.cycles_total
    assert report["layers"][0]["original_op"] == "Conv2D"
    assert all("/" not in name for name in report["files"])
    assert "conv_per-layer.csv" in report["files"]


def test_deterministic(models, tmp_path):
    first = vela.run_vela(models["conv"], "ethos-u85-256", str(tmp_path / "a"))
    second = vela.run_vela(models["conv"], "ethos-u85-256", str(tmp_path / "b"))
    names = sorted(os.path.basename(p) for p in first.output_files)
    assert names == sorted(os.path.basename(p) for p in second.output_files)
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and errors == [] and match == names
    assert first.as_report() == second.as_report()


def test_raw_output_size_strategy(models, tmp_path):
    r = vela.run_vela(
        models["conv"],
        "ethos-u55-64",
        str(tmp_path),
        system_config="Ethos_U55_Deep_Embedded",
        memory_mode="Sram_Only",
        optimise="Size",
        output_format="raw",
    )
    assert r.model_path.endswith("conv_vela.npz") and os.path.exists(r.model_path)
    assert (r.system_config, r.memory_mode, r.optimise) == ("Ethos_U55_Deep_Embedded", "Sram_Only", "Size")
    assert r.npu_ops == 1 and r.cycles_total > 0
    assert r.summary["system_config"] == "Ethos_U55_Deep_Embedded"


def test_config_file_path_relative_to_caller(models, tmp_path, monkeypatch):
    _, (bundled,) = vela._resolve_config_files(targets.target("ethos-u65-256").family.vela.config_file)
    os.makedirs(tmp_path / "cfg")
    shutil.copy(bundled, tmp_path / "cfg" / "mine.ini")
    monkeypatch.chdir(tmp_path)
    r = vela.run_vela(
        models["conv"], "ethos-u65-256", "out", config_files=["cfg/mine.ini"],
        system_config="Ethos_U65_High_End", memory_mode="Dedicated_Sram",
    )  # fmt: skip
    assert r.npu_ops == 1 and r.summary["system_config"] == "Ethos_U65_High_End"


def test_unknown_accelerator(models, tmp_path):
    with pytest.raises(EmitError, match="unknown Ethos-U accelerator 'ethos-u75-256'.*ethos-u85-2048"):
        vela.run_vela(models["conv"], "ethos-u75-256", str(tmp_path))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"system_config": "Nope"}, "unknown Vela system config 'Nope'.*Ethos_U55_High_End_Embedded"),
        ({"memory_mode": "Nope"}, "unknown Vela memory mode 'Nope'.*Shared_Sram"),
        ({"optimise": "Speed"}, "unknown Vela optimisation"),
        ({"output_format": "elf"}, "unknown Vela output format"),
        ({"config_files": ["missing.ini"]}, "configuration file not found"),
    ],
)
def test_bad_options(models, tmp_path, kwargs, message):
    with pytest.raises(EmitError, match=message):
        vela.run_vela(models["conv"], "ethos-u55-128", str(tmp_path), **kwargs)


def test_missing_file(tmp_path):
    with pytest.raises(EmitError, match="no such TOSA flatbuffer"):
        vela.run_vela(str(tmp_path / "nothing.tosa"), "ethos-u55-128", str(tmp_path))


def test_not_a_flatbuffer(tmp_path):
    path = tmp_path / "junk.tosa"
    path.write_bytes(b"this is not a flatbuffer at all")
    with pytest.raises(EmitError, match="not a TOSA flatbuffer"):
        vela.run_vela(str(path), "ethos-u55-128", str(tmp_path / "out"))


def test_corrupt_flatbuffer(models, tmp_path):
    """Right identifier, broken body: Vela itself fails, and its message (not a traceback) is shown.
    Outputs of an earlier good run in the same directory do not survive to mislead."""
    out = tmp_path / "out"
    path = tmp_path / "conv.tosa"
    shutil.copy(models["conv"], path)
    vela.run_vela(str(path), "ethos-u85-256", str(out))
    assert (out / "conv_vela.tflite").exists()
    data = bytearray(path.read_bytes())
    data[200:600] = b"\xff" * 400
    path.write_bytes(bytes(data))
    with pytest.raises(EmitError) as info:
        vela.run_vela(str(path), "ethos-u85-256", str(out))
    message = str(info.value)
    assert "Vela could not compile" in message and "ethos-u85-256" in message
    assert "TOSA FB Reader error" in message
    assert "Traceback" not in message and 'File "' not in message
    assert not (out / "conv_vela.tflite").exists()


@pytest.mark.parametrize("accelerator", ["ethos-u55-128", "ethos-u85-256"])
def test_float_graph_is_rejected_not_hidden(models, tmp_path, accelerator):
    """Vela has no CPU fallback for TOSA: a float graph fails, naming every operator."""
    with pytest.raises(vela.VelaError) as info:
        vela.run_vela(models["float"], accelerator, str(tmp_path))
    assert isinstance(info.value, EmitError)
    assert info.value.rejected_operators == ["Add", "Clamp"]
    message = str(info.value)
    assert "rejected operators: Add, Clamp" in message
    assert "Input data type not supported" in message
    assert "no floating-point support" in message
    assert not any(name.endswith(("_vela.tflite", ".csv")) for name in os.listdir(tmp_path))


def test_placement_depends_on_the_npu(models, compiled):
    """int32 division runs on the U85; the U55 cannot run it and Vela refuses the graph."""
    r = compiled("intdiv", "ethos-u85-256")
    assert (r.npu_ops, r.cpu_ops) == (1, 0)
    assert [layer.original_op for layer in r.layers] == ["Div"]
    with pytest.raises(vela.VelaError, match=r"could not run on NPU") as info:
        compiled("intdiv", "ethos-u55-128")
    assert info.value.rejected_operators == ["Div"]


@pytest.mark.parametrize("accelerator", targets.ACCELERATORS)
def test_every_accelerator_with_its_default_config(accelerator, compiled):
    r = compiled("conv", accelerator)
    assert (r.npu_ops, r.cpu_ops) == (1, 0)
    assert r.cycles_total > 0
    assert r.warnings == []  # Vela did not have to fall back to its own defaults
