"""Issue 14: layers named after the user's modules (locations -> flatbuffer tensor names ->
Vela rows), `tosaic debug`'s per-layer numerics, report.html in a real browser, --emit-c."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import torch
import torch.nn as nn

import tosaic
from tosaic.quantization import quantize_model
from tosaic.targets.tensor_names import tensor_names


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x))) + x


class Net(nn.Module):
    """stem conv, two residual blocks (features.0/1), pool, fc: named modules at two depths."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.features = nn.Sequential(Block(8), Block(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.features(torch.relu(self.stem(x)))
        return self.fc(self.pool(x).flatten(1))


def _model():
    torch.manual_seed(0)
    model = Net().eval()
    generator = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(1, 3, 16, 16, generator=generator),) for _ in range(4)]
    return model, calibration


@pytest.fixture(scope="module")
def debugged(tmp_path_factory):
    """`tosaic.debug` for ethos-u55-128 (a compile with Vela, report.html, and the debug build)."""
    model, calibration = _model()
    out = str(tmp_path_factory.mktemp("debug"))
    result = tosaic.debug(model, calibration[0], target="ethos-u55-128", output_dir=out, scheme="a8w8",
                          calibration_data=calibration)
    return result, out


@pytest.fixture(scope="module")
def program():
    model, calibration = _model()
    return quantize_model(model, calibration[0], scheme="a8w8", calibration_data=calibration), calibration


def test_vela_rows_are_named_after_modules(debugged):
    result, out = debugged
    rows = result.compile_result.report["vela"]["layers"]
    names = [row["name"] for row in rows]
    assert not any(re.fullmatch(r"layer_\d+", name) for name in names), names
    layers = {row.get("layer") for row in rows}
    assert {"stem", "features.0.relu", "features.0", "features.1.relu", "features.1", "pool", "fc"} <= layers
    with open(os.path.join(out, "model_per-layer.csv")) as f:
        csv_text = f.read()
    assert "features.1.relu/rescale" in csv_text and "layer_" not in csv_text
    assert all(row["source"].endswith(".py:" + row["source"].rsplit(":", 1)[1]) for row in rows if row.get("source"))


def test_tensor_names_change_nothing_but_names(program):
    quantized, calibration = program
    plain = tosaic.compile(quantized, target="tosa-int", tensor_names=False)
    named = tosaic.compile(quantized, target="tosa-int", debuginfo=True)
    old, new = tensor_names(plain.flatbuffer), tensor_names(named.flatbuffer)
    assert len(old) == len(new) and len(set(new)) == len(new)
    assert "features.0.conv/conv2d" in new and "stem/conv2d" in new
    assert all(re.fullmatch(r"layer_\d+|TosaInput_\d+|TosaOutput_\d+", name) for name in old)
    q = named.inputs[0].quantization
    x = calibration[1][0].numpy()
    feed = np.clip(np.round(x / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8)
    for a, b in zip(plain.run_reference([feed]), named.run_reference([feed])):
        np.testing.assert_array_equal(a, b)
    assert '"features.0.conv"' in named.mlir and "loc(" not in plain.mlir


def test_debug_numerics_per_layer(debugged):
    result, out = debugged
    with open(os.path.join(out, "numerics.json")) as f:
        numerics = json.load(f)
    rows = numerics["layers"]
    assert {r["layer"] for r in rows} >= {"x", "relu", "features.0.relu", "features.0", "pool", "fc"}
    for row in rows:
        assert row["max_lsb"] <= 1 and row["exact_percent"] >= 99.0, row
        assert row["sqnr_db"] is None or row["sqnr_db"] > 25.0, row
    assert all(r["vela_cycles"] for r in rows if r["layer"] in ("features.0", "features.0.relu", "fc"))
    assert numerics["summary"]["most_cycles_layer"] in {"features.0", "features.1"}
    assert result.worst(1)[0] == min(rows, key=lambda r: (-r["max_lsb"], r["exact_percent"],
                                                          r["sqnr_db"] if r["sqnr_db"] is not None else 1e9))


def test_debug_names_the_first_layer_with_lsb_error():
    """int16 activations: the reference model's single rounding differs from PyTorch's by
    1 LSB here and there; the debugger must see it and say where it starts."""
    model, calibration = _model()
    result = tosaic.debug(model, calibration[0], target="tosa-int", scheme="a16w8", calibration_data=calibration)
    assert all(r["dtype"] == "int16" for r in result.rows)
    lsb = [r for r in result.rows if r["max_lsb"] > 0]
    assert lsb and all(r["max_lsb"] <= 1 and r["exact_percent"] >= 99.0 for r in lsb)
    assert result.first_lsb_error == min(lsb, key=lambda r: r["depth"])


def test_debug_sqnr_of_a_float_program_is_against_the_float_model():
    """a8w4: SQNR against the float model includes the int4 weights' error, so a conv
    layer's SQNR is strictly below the one against the program with dequantized weights
    (all that an already-quantized program, with no float model, can be compared with)."""
    model, calibration = _model()
    from_float = tosaic.debug(model, calibration[0], target="tosa-int", scheme="a8w4", calibration_data=calibration)
    quantized = quantize_model(model, calibration[0], scheme="a8w4", calibration_data=calibration)
    from_quantized = tosaic.debug(quantized, calibration[0], target="tosa-int", inputs=calibration)
    assert {r["reference"] for r in from_float.rows} == {"float_model"}
    assert {r["reference"] for r in from_quantized.rows} == {"dequantized_weights"}
    assert from_float.summary["sqnr_reference"] == {"float_model": len(from_float.rows), "dequantized_weights": 0}
    assert "already quantized" in from_quantized.summary["sqnr_reference_note"]
    weights_only = {r["quantize"]: r for r in from_quantized.rows}
    assert weights_only.keys() == {r["quantize"] for r in from_float.rows}
    convs = [r for r in from_float.rows if r["layer"] in ("relu", "features.0.relu", "features.1.relu")]
    assert len(convs) == 3  # the stem's and the blocks' conv (+ folded BatchNorm) + ReLU
    for row in convs:
        # measured: 19.6-23.4 dB against the float model, 38.9-40.6 dB with dequantized weights
        assert row["sqnr_db"] < weights_only[row["quantize"]]["sqnr_db"] - 6.0, (row, weights_only[row["quantize"]])
    # the graph input's quantize sees the same float value either way
    assert from_float.rows[0]["op"] == "input" and from_float.rows[0]["sqnr_db"] == weights_only[from_float.rows[0]["quantize"]]["sqnr_db"]


def test_debug_matches_a_conv_with_folded_batchnorm_to_the_batchnorm_output():
    """PT2E folds an eval BatchNorm into the conv before it: the quantized graph's `conv2d`
    computes the float graph's `batch_norm`, not its `conv2d`."""
    from tosaic.driver.debugger import _float_counterparts
    from tosaic.frontend import importer

    class ConvBatchNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)

        def forward(self, x):
            return torch.sigmoid(self.bn(self.conv(x)))

    model, example = ConvBatchNorm().eval(), (torch.randn(1, 3, 8, 8),)
    quantized = quantize_model(model, example, scheme="a8w8")
    counterparts = _float_counterparts(importer.export_program(model, example).module(), quantized)
    producers = {n.name: n.args[0].name for n in quantized.graph.nodes if n.name in counterparts}
    assert {producers[q]: f for q, f in counterparts.items()} == {"x": "x", "conv2d": "batch_norm", "sigmoid": "sigmoid"}


def test_debug_does_not_trust_names_a_decomposition_renumbered():
    """Attention is decomposed before quantization and the quantized program re-exported:
    its `mul_1` is the float graph's `mul` (x * 2 after attention), not the float `mul_1`
    (* 3). Every `mul` falls back to the dequantized-weights reference; `linear` keeps its
    float counterpart."""
    from tosaic.driver.debugger import _float_counterparts
    from tosaic.frontend import importer

    class AttentionThenScale(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(8, 8)

        def forward(self, x):
            y = torch.nn.functional.scaled_dot_product_attention(x, x, x) * 2
            return self.linear(y) * 3 + torch.sigmoid(x) * 4

    model, example = AttentionThenScale().eval(), (torch.randn(1, 4, 8),)
    quantized = quantize_model(model, example, scheme="a8w8")
    counterparts = _float_counterparts(importer.export_program(model, example).module(), quantized)
    by_producer = {n.args[0].name: counterparts.get(n.name) for n in quantized.graph.nodes
                   if n.op == "call_function" and "quantize_per_tensor" in str(n.target)
                   and "dequantize" not in str(n.target)}
    assert {"mul", "mul_1", "mul_2", "linear", "sigmoid"} <= by_producer.keys()
    assert not any(by_producer[name] for name in by_producer if name.startswith("mul"))
    assert by_producer["linear"] == "linear" and by_producer["sigmoid"] == "sigmoid"


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="no chromium for the headless-browser check (apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(debugged):
    _, out = debugged
    page = os.path.join(out, "report.html")
    with open(page) as f:
        text = f.read()
    # self-contained: nothing loaded from anywhere (XML namespace URIs are names, not loads)
    assert not re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:|//)', text) and "<link" not in text
    with tempfile.TemporaryDirectory() as profile:
        common = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                  "--enable-logging=stderr", "--v=0"]
        dom = subprocess.run(common + ["--dump-dom", "file://" + page], capture_output=True, text=True, timeout=120)
        shot = os.path.join(out, "report.png")
        subprocess.run(common + ["--window-size=1200,2000", f"--screenshot={shot}", "file://" + page],
                       capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    charts = re.findall(r'<figure class="chart" data-chart="([^"]*)"><svg', dom.stdout)
    assert {"Vela cycles per layer", "SRAM staging per layer", "numerics", "TOSA ops"} <= set(charts)
    assert "features.0.relu" in dom.stdout and "First layer with LSB error" in dom.stdout
    console_errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not console_errors, console_errors
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_emit_c_compiles_to_velas_bytes(debugged, tmp_path):
    from tosaic.driver.emit_c import write_c

    result, out = debugged
    compiled = result.compile_result
    header, source = write_c(compiled, str(tmp_path), c_name="net", section=".rodata.net_model")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "net_data.h"\n'
        "int main(int argc, char **argv) {\n"
        '  FILE *f = fopen(argv[1], "wb");\n'
        "  fwrite(net_data, 1, net_data_len, f); fclose(f);\n"
        '  printf("%d %d %d %d %g %d\\n", (int)((uintptr_t)net_data % NET_ALIGNMENT), NET_INPUT0_RANK,\n'
        "         (int)net_input0_shape[1], NET_NUM_OUTPUTS, (double)NET_OUTPUT0_SCALE, NET_OUTPUT0_ZERO_POINT);\n"
        "  return 0;\n}\n")
    binary = tmp_path / "net"
    build = subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-o", str(binary), str(tmp_path / "main.c"), source],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    dumped = tmp_path / "dumped.bin"
    run = subprocess.run([str(binary), str(dumped)], capture_output=True, text=True, check=True)
    with open(os.path.join(out, "model_vela.tflite"), "rb") as f:
        vela_bytes = f.read()
    assert dumped.read_bytes() == vela_bytes == compiled.vela_model
    alignment, rank, channels, outputs, scale, zero_point = run.stdout.split()
    q = compiled.outputs[0].quantization
    assert (alignment, rank, channels, outputs) == ("0", "4", "3", "1")
    assert float(scale) == pytest.approx(q["scale"], rel=1e-5) and int(zero_point) == q["zero_point"]
    objdump = shutil.which("objdump")
    if objdump:  # the array sits in the section asked for (the object file's; a link may merge it)
        obj = tmp_path / "net_data.o"
        subprocess.run(["cc", "-c", "-o", str(obj), source], check=True)
        sections = subprocess.run([objdump, "-h", str(obj)], capture_output=True, text=True).stdout
        assert re.search(r"\.rodata\.net_model\s+([0-9a-f]+)", sections), sections
        size = int(re.search(r"\.rodata\.net_model\s+([0-9a-f]+)", sections).group(1), 16)
        assert size == len(vela_bytes)


def test_emit_c_bad_options_fail_before_compiling(tmp_path):
    cli = [os.path.join(os.path.dirname(sys.executable), "tosaic"), "compile", "missing.pt2", "-o", str(tmp_path)]
    for extra, message in ((["--target", "ethos-u55-128", "--emit-c", "--c-name", "9net"], "C identifier"),
                           (["--target", "tosa-int", "--emit-c"], "needs an Ethos-U target")):
        proc = subprocess.run(cli + extra, capture_output=True, text=True)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_report_records_versions_and_the_vela_command(debugged):
    result, out = debugged
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    assert set(report["versions"]) == {"tosaic", "torch", "torch-mlir", "torchao", "tosa-tools", "vela"}
    assert all(report["versions"].values())
    command = report["vela_command"]
    assert "--accelerator-config" in command and command[command.index("--accelerator-config") + 1] == "ethos-u55-128"
    assert report["command"] and report["numerics"]["compared"] == len(result.rows)


def test_stale_outputs_are_removed_and_nothing_else(tmp_path):
    from tosaic.driver.provenance import clean_stale_outputs

    for name in ("report.json", "model_vela.tflite", "model_summary_X.csv", "notes.txt", "mine_data.c"):
        (tmp_path / name).write_text("x\n")
    (tmp_path / "net_data.h").write_text("/* net_data.h: written by tosaic (--emit-c) for ethos-u55-128 */\n")
    assert clean_stale_outputs(str(tmp_path)) == ["model_summary_X.csv", "model_vela.tflite", "net_data.h",
                                                   "report.json"]
    assert sorted(os.listdir(tmp_path)) == ["mine_data.c", "notes.txt"]
    assert clean_stale_outputs(str(tmp_path)) == []  # no report.json: not a tosaic output directory


def test_run_takes_float_inputs_dequantizes_and_checks_expectations(debugged, tmp_path):
    _, out = debugged
    model, calibration = _model()
    x = calibration[2][0]
    with torch.no_grad():
        want = model(x).numpy()
    np.save(tmp_path / "x.npy", x.numpy())
    np.save(tmp_path / "y.npy", want)
    cli = [os.path.join(os.path.dirname(sys.executable), "tosaic"), "run", os.path.join(out, "model.tosa")]
    tolerance = str(0.1 * float(np.ptp(want)))
    good = subprocess.run(cli + ["--input", str(tmp_path / "x.npy"), "--dequantize", "--expect",
                                 str(tmp_path / "y.npy"), "--atol", tolerance, "--output-dir", str(tmp_path / "a")],
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "float, quantized to int8" in good.stdout and "-> OK" in good.stdout and " min " in good.stdout
    bad = subprocess.run(cli + ["--input", str(tmp_path / "x.npy"), "--dequantize", "--expect",
                                str(tmp_path / "y.npy"), "--atol", "0"], capture_output=True, text=True)
    assert bad.returncode == 1 and "MISMATCH" in bad.stdout
    # raw integers quantized by hand give the same (integer) outputs as the float input
    with open(os.path.join(out, "report.json")) as f:
        q = json.load(f)["inputs"][0]["quantization"]
    np.save(tmp_path / "xq.npy", np.clip(np.round(x.numpy() / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8))
    raw = subprocess.run(cli + ["--input", str(tmp_path / "xq.npy"), "--output-dir", str(tmp_path / "b")],
                         capture_output=True, text=True)
    floats = subprocess.run(cli + ["--input", str(tmp_path / "x.npy"), "--output-dir", str(tmp_path / "c")],
                            capture_output=True, text=True)
    assert raw.returncode == floats.returncode == 0 and "raw int8" in raw.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "b" / "output_0.npy"), np.load(tmp_path / "c" / "output_0.npy"))


@pytest.mark.parametrize("fixture", ["executorch_arm_residual", "executorch_arm_conv_pool_uint8_io"])
def test_debug_foreign_quantizers_programs(fixture):
    """ExecuTorch's Arm quantizer's programs (int8, and uint8 graph IO), as they are."""
    path = os.path.join(os.path.dirname(__file__), "data", fixture + ".pt2")
    result = tosaic.debug(path, target="tosa-int")
    assert result.rows and result.summary["compared"] == result.summary["quantized_tensors"]
    for row in result.rows:
        assert row["max_lsb"] <= 1 and row["exact_percent"] >= 99.0, row
    if "uint8" in fixture:
        assert "uint8" in {row["dtype"] for row in result.rows}


class _Atan(nn.Module):
    def forward(self, x):
        return torch.atan(x)  # quantized by nobody, no integer lowering


def test_errors_name_the_users_module():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 1), _Atan()).eval()
    program = quantize_model(model, (torch.randn(1, 3, 4, 4),), "a8w8")
    with pytest.raises(tosaic.TosaicError) as raised:
        tosaic.compile(program, target="tosa-int")
    errors = [line for line in str(raised.value).splitlines() if ": error: " in line]
    assert errors and all(line.endswith("(in 1)") for line in errors), errors
    assert all(line.startswith(__file__) for line in errors), errors
