"""--scheme-config: parsing, precedence, validation, and replay to the identical flatbuffer."""

import json
import os
import subprocess
import sys

import pytest
import torch

import tosaic
from tosaic.driver.errors import TosaicError
from tosaic.quantization import TosaicQuantizer, quantize_model
from tosaic.quantization import scheme_config as sc

from mixed_nets import INPUT_SHAPE, TinyNet, data

BIN = os.path.dirname(sys.executable)
NETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mixed_nets.py")

CONFIG = {"default": "a8w8", "modules": {"blocks.0.conv": "a16w8", "blocks.*.dw": "a8w4", "blocks.1.dw": "a8w8"},
          "types": {"Linear": "a8w4"}}
TOML = """default = "a8w8"
[modules]
"blocks.0.conv" = "a16w8"
"blocks.*.dw" = "a8w4"
"blocks.1.dw" = "a8w8"
[types]
Linear = "a8w4"
"""


def _graph():
    return torch.export.export(TinyNet().eval(), data(1)[0]).graph


def test_json_and_toml_parse_alike(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps(CONFIG))
    (tmp_path / "c.toml").write_text(TOML)
    a, b = sc.load(str(tmp_path / "c.json")), sc.load(str(tmp_path / "c.toml"))
    assert a.as_dict() == b.as_dict() == CONFIG
    assert a.globs == {"blocks.*.dw": "a8w4"} and a.names == {"blocks.0.conv": "a16w8", "blocks.1.dw": "a8w8"}
    a.write(str(tmp_path / "w.toml"))
    assert sc.load(str(tmp_path / "w.toml")).as_dict() == CONFIG


def test_precedence_name_glob_type_default():
    config = sc.parse({"default": "a8w8", "modules": {"blocks.*": "a16w8", "blocks.0.dw": "a8w4",
                                                      "blocks.1.*": "a8w4"},
                       "types": {"Conv2d": "none"}})
    conv = "torch.nn.modules.conv.Conv2d"
    block = "mixed_nets.Block"
    assert config.rule_for([("blocks.0", block), ("blocks.0.dw", conv)]) == ("a8w4", "name:blocks.0.dw")
    # the innermost path a glob matches, the longest pattern among those
    assert config.rule_for([("blocks.1", block), ("blocks.1.conv", conv)]) == ("a8w4", "glob:blocks.1.*")
    assert config.rule_for([("blocks.0", block), ("blocks.0.conv", conv)]) == ("a16w8", "glob:blocks.*")
    assert config.rule_for([("stem", conv)]) == ("none", "type:Conv2d")
    assert config.rule_for([("head", "torch.nn.modules.linear.Linear")]) == ("a8w8", "default")
    assert config.rule_for([]) == ("a8w8", "default")


@pytest.mark.parametrize("data_, message", [
    ({"default": "a8w3"}, "default: unknown scheme 'a8w3'; known: a8w8, a8w4, a16w8, none"),
    ({"modules": {"stem": "int4"}}, "modules.stem: unknown scheme 'int4'"),
    ({"layers": {}}, "unknown key(s) 'layers'"),
    ({"types": ["Conv2d"]}, "'types' must be a table"),
])
def test_bad_config_is_refused(data_, message):
    with pytest.raises(TosaicError, match=None) as e:
        sc.parse(data_, source="c.json")
    assert message in str(e.value) and str(e.value).startswith("c.json: ")


@pytest.mark.parametrize("config, message", [
    ({"modules": {"blocks.0.cnv": "a8w4"}}, "unknown module name 'blocks.0.cnv' (did you mean blocks.0.conv"),
    ({"modules": {"features.*": "a8w4"}}, "pattern 'features.*' matches no module"),
    ({"types": {"BatchNorm2d": "a8w4"}}, "no module of type 'BatchNorm2d'"),
])
def test_names_must_exist_in_the_model(config, message):
    with pytest.raises(TosaicError) as e:
        sc.validate(sc.parse(config), _graph())
    assert message in str(e.value)


def test_none_fails_clearly_for_an_integer_target():
    with pytest.raises(TosaicError) as e:
        tosaic.compile(TinyNet().eval(), data(1)[0], target="tosa-int", scheme_config={"modules": {"head": "none"}})
    assert "scheme 'none' leaves module(s) 'head' (name:head) float" in str(e.value)
    assert "tosa-int is an integer target" in str(e.value)
    with pytest.raises(TosaicError, match="needs an integer target"):
        tosaic.compile(TinyNet().eval(), data(1)[0], target="tosa-fp", scheme_config=CONFIG)


def test_config_replays_to_the_identical_flatbuffer(tmp_path):
    """JSON file, TOML file, dict and the equivalent hand-built TosaicQuantizer: one flatbuffer."""
    (tmp_path / "c.json").write_text(json.dumps(CONFIG))
    (tmp_path / "c.toml").write_text(TOML)
    calibration = data(8)
    results = [tosaic.compile(TinyNet().eval(), calibration[0], target="tosa-int", calibration_data=calibration,
                              scheme_config=c) for c in (str(tmp_path / "c.json"), str(tmp_path / "c.toml"), CONFIG)]
    by_hand = (TosaicQuantizer().set_global("a8w8").set_module_name("blocks.0.conv", "a16w8")
               .set_module_name("blocks.0.dw", "a8w4").set_module_name("head", "a8w4"))
    program = quantize_model(TinyNet().eval(), calibration[0], calibration_data=calibration, quantizer=by_hand)
    results.append(tosaic.compile(program, target="tosa-int"))
    assert len({r.flatbuffer for r in results}) == 1
    layers = {entry["layer"]: (entry["scheme"], entry["rule"]) for entry in results[0].report["scheme_config"]["layers"]}
    assert layers == {"stem": ("a8w8", "default"), "blocks.0.conv": ("a16w8", "name:blocks.0.conv"),
                      "blocks.0.dw": ("a8w4", "glob:blocks.*.dw"), "blocks.1.conv": ("a8w8", "default"),
                      "blocks.1.dw": ("a8w8", "name:blocks.1.dw"), "head": ("a8w4", "type:Linear")}
    weights = results[0].report["weights"]["by_dtype"]
    assert "i4" in weights and "i8" in weights


def test_cli_scheme_config(tmp_path):
    (tmp_path / "c.toml").write_text(TOML)
    run = subprocess.run([os.path.join(BIN, "tosaic"), "compile", f"{NETS}:TinyNet", "--input-shape",
                          "x".join(map(str, INPUT_SHAPE)), "--target", "tosa-int", "--scheme-config",
                          str(tmp_path / "c.toml"), "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "schemes (" in run.stdout and "a16w8 1, a8w4 2, a8w8 3 layer(s)" in run.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [e["scheme"] for e in report["scheme_config"]["layers"]] == ["a8w8", "a16w8", "a8w4", "a8w8", "a8w8", "a8w4"]
    (tmp_path / "bad.json").write_text('{"modules": {"stem": "a4w4"}}')
    bad = subprocess.run([os.path.join(BIN, "tosaic"), "compile", f"{NETS}:TinyNet", "--input-shape", "1x3x8x8",
                          "--target", "tosa-int", "--scheme-config", str(tmp_path / "bad.json"), "-o",
                          str(tmp_path / "bad")], capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "modules.stem: unknown scheme 'a4w4'" in bad.stderr
