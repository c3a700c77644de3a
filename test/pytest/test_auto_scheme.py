"""Sensitivity analysis and `--scheme auto --budget`: a small search on a tiny model, the
replay of its scheme_config.json, and the numerics of the chosen mix."""

import json
import os
import subprocess
import sys

import pytest

import tosaic
from tosaic.driver.checks import check_quantized
from tosaic.driver.errors import TosaicError
from tosaic.quantization.scheme_config import SchemeConfig, load, quantize_with_config
from tosaic.quantization.sensitivity import Evaluator, analyse

from mixed_nets import TinyNet, data

BIN = os.path.dirname(sys.executable)
NETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mixed_nets.py")
CALIBRATION = data(12)


@pytest.fixture(scope="module")
def evaluator():
    return Evaluator(TinyNet().eval(), CALIBRATION[0], CALIBRATION)


def test_reused_observer_states_equal_an_own_calibration(evaluator):
    for config in (SchemeConfig(default="a16w8", names={"blocks.0.dw": "a8w4", "head": "a8w8"}),
                   SchemeConfig(names={"blocks.1.conv": "a16w8", "stem": "a8w4"})):
        assert evaluator.measure(config) == evaluator.measure(config, exact=True)


def test_sensitivity_rows(evaluator):
    sens = analyse(evaluator.model, CALIBRATION[0], CALIBRATION, evaluator=evaluator, compile_uniform=False)
    report = sens.as_dict()
    assert report["samples"] == {"calibration": 9, "holdout": 3}
    assert [row["layer"] for row in report["layers"]] == ["stem", "blocks.0.conv", "blocks.0.dw", "blocks.1.conv",
                                                          "blocks.1.dw", "head"]
    head = report["layers"][-1]
    assert head["a8w4"]["weight_bytes_delta"] == -(8 * 4 * 4 * 10) // 2
    assert head["a8w4"]["delta_holdout_db"] < -3  # int4 weights on the biggest layer cost
    u = report["uniform"]
    assert u["a8w4"]["sqnr_holdout_db"] < u["a8w8"]["sqnr_holdout_db"] < u["a16w8"]["sqnr_holdout_db"]
    assert "stem" in sens.table()


@pytest.fixture(scope="module")
def auto(tmp_path_factory, evaluator):
    out = tmp_path_factory.mktemp("auto")
    sens = analyse(evaluator.model, CALIBRATION[0], CALIBRATION, evaluator=evaluator, compile_uniform=False)
    budget = round(sens.sqnr(sens.uniform["a8w8"]) - 1, 2)
    result = tosaic.compile(TinyNet().eval(), CALIBRATION[0], target="tosa-int", scheme="auto", budget=budget,
                            calibration_data=CALIBRATION, output_dir=str(out))
    return result, budget, sens, out


def test_auto_meets_the_budget_with_less_flash(auto):
    result, budget, sens, out = auto
    section = result.report["scheme_config"]
    search = section["search"]
    assert search["measured"]["sqnr_holdout_db"] >= budget
    all_a8w8 = sum(layer.bytes_w8 for layer in sens.layers)
    assert result.report["weights"]["total_bytes"] == search["measured"]["weight_bytes"] < all_a8w8
    assert {layer["scheme"] for layer in section["layers"]} & {"a8w4"}
    config = json.loads((out / "scheme_config.json").read_text())
    assert set(config) <= {"default", "modules"}


def test_scheme_config_json_replays_to_the_identical_flatbuffer(auto, tmp_path):
    result, _, _, out = auto
    replay = tosaic.compile(TinyNet().eval(), CALIBRATION[0], target="tosa-int",
                            scheme_config=str(out / "scheme_config.json"), calibration_data=CALIBRATION)
    assert replay.flatbuffer == result.flatbuffer
    assert [e["scheme"] for e in replay.report["scheme_config"]["layers"]] == \
        [e["scheme"] for e in result.report["scheme_config"]["layers"]]


def test_chosen_mix_numerics_within_one_lsb(auto):
    _, _, evaluator_sens, out = auto
    import torch

    model = TinyNet().eval()
    exported = torch.export.export(model, CALIBRATION[0])
    program, _ = quantize_with_config(load(str(out / "scheme_config.json")), exported, model, CALIBRATION[0],
                                      CALIBRATION, None, "tosa-int")
    for seed in (5, 6):
        check_quantized(program, data(1, seed=seed)[0]).assert_ok()


def test_auto_errors(evaluator):
    model = TinyNet().eval()
    with pytest.raises(TosaicError, match="needs --budget"):
        tosaic.compile(model, CALIBRATION[0], target="tosa-int", scheme="auto", calibration_data=CALIBRATION)
    with pytest.raises(TosaicError, match="needs calibration data"):
        tosaic.compile(model, CALIBRATION[0], target="tosa-int", scheme="auto", budget=20)
    with pytest.raises(TosaicError, match="--objective cycles needs Vela's per-layer cycles"):
        tosaic.compile(model, CALIBRATION[0], target="tosa-int", scheme="auto", budget=20, objective="cycles",
                       calibration_data=CALIBRATION)
    with pytest.raises(TosaicError, match="--budget 90.0 dB is not reachable"):
        tosaic.compile(model, CALIBRATION[0], target="tosa-int", scheme="auto", budget=90.0,
                       calibration_data=CALIBRATION)


def test_cli_sensitivity(tmp_path):
    import numpy as np

    for i, (x,) in enumerate(data(4)):
        np.save(tmp_path / f"{i}.npy", x.numpy())
    run = subprocess.run([os.path.join(BIN, "tosaic"), "sensitivity", f"{NETS}:TinyNet", "--input-shape", "1x3x8x8",
                          "--calibration", str(tmp_path), "--no-compile", "-o", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "blocks.1.dw" in run.stdout and "held-out" in run.stdout
    report = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    assert len(report["layers"]) == 6 and report["samples"] == {"calibration": 3, "holdout": 1}


def test_pareto_table_and_plot(tmp_path):
    from tosaic.quantization import pareto

    rows = [{"scheme": f"all-{s}", "budget_db": None, "sqnr_holdout_db": q, "weight_bytes": w, "cycles": c}
            for s, q, w, c in (("a8w8", 30.0, 1000, 900), ("a8w4", 18.0, 500, 800), ("a16w8", 33.0, 1000, 1500))]
    rows.append({"scheme": "auto", "budget_db": 29.0, "sqnr_holdout_db": 29.4, "weight_bytes": 640, "cycles": 950,
                 "layers": {"a16w8": 2, "a8w4": 3}})
    rows.append({"scheme": "auto", "budget_db": 40.0, "error": "--budget 40.0 dB is not reachable"})
    written = pareto.write({"target": "ethos-u55-128", "rows": rows}, str(tmp_path))
    table = (tmp_path / "pareto.md").read_text()
    assert "| auto | 29.0 | 29.40 | 640 |  | 950 | a16w8 2, a8w4 3 |" in table
    assert "| auto | 40.0 | --budget 40.0 dB is not reachable" in table
    assert {os.path.basename(p) for p in written} == {"pareto.json", "pareto.md", "pareto.png", "pareto.svg"}
    assert (tmp_path / "pareto.png").read_bytes()[:4] == b"\x89PNG"
