"""What the compile-time work must not change: the node-by-node decomposition gives the
graph run_decompositions gives; the lazy pass lookup finds every pass where the full
import does; `--timing` reports each stage. (The speed itself is a benchmark:
benchmarks/compile_speed.py.)"""

import json
import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from tosaic.frontend.decompose import decompose
from tosaic.frontend.importer import decomposition_table
from tosaic.passes.base import pass_index, pass_lookup, registered_passes

BIN = os.path.dirname(sys.executable)


class _Mixed(nn.Module):
    """Ops the table rewrites (conv2d, linear, adaptive_avg_pool2d, a strided slice), a
    CIA op export does not keep (flatten), and ops left as they are (relu, add)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)  # same signature as nothing else: traced once each
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = F.relu(self.conv(x))
        y = y + self.conv2(y)
        y = y[:, :, ::2]
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


def _ops(program):
    return [(str(node.target), tuple(node.meta["val"].shape) if hasattr(node.meta.get("val"), "shape") else None)
            for node in program.graph.nodes if node.op == "call_function"]


def test_decompose_gives_the_graph_run_decompositions_gives():
    torch.manual_seed(0)
    x = torch.randn(1, 3, 8, 8)
    program = torch.export.export(_Mixed().eval(), (x,))
    before = _ops(program)
    table = decomposition_table()
    ours = decompose(program, table)
    assert _ops(ours) == _ops(program.run_decompositions(table))
    assert _ops(program) == before  # the caller's program is left as it was
    assert "aten.conv2d.default" not in {op for op, _ in _ops(ours)}
    torch.testing.assert_close(ours.module()(x), program.module()(x))
    # the replacements carry the source line of the node they replace
    assert all(node.meta.get("stack_trace") for node in ours.graph.nodes
               if node.op == "call_function" and "convolution" in str(node.target))


def test_pass_lookup_finds_every_pass_in_its_module():
    passes = registered_passes()
    index = pass_index()
    assert "tosaic-fold-transposes" in index
    assert all(passes[name].__module__ == module for name, module in index.items())
    lookup = pass_lookup()
    assert all(name in lookup and lookup[name] is cls for name, cls in passes.items())
    assert "tosaic-no-such-pass" not in lookup


def test_tosaic_opt_imports_only_the_named_pass():
    code = ("import sys; from tosaic.tools.opt import run; "
            "rc = run(['-', '--tosaic-fold-transposes', '-o', '-']); "
            "print(rc, 'tosaic.passes.lower_quantized' in sys.modules, 'torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], input="func.func @f() { return }\n",
                          capture_output=True, text=True)
    assert proc.stdout.split()[-3:] == ["0", "False", "False"], proc.stderr


def test_compile_timing_reports_every_stage(tmp_path):
    from tosaic.examples.models import example

    model, inputs = example("depthwise")
    torch.export.save(torch.export.export(model, inputs), tmp_path / "m.pt2")
    proc = subprocess.run([os.path.join(BIN, "tosaic"), "compile", str(tmp_path / "m.pt2"), "-o", str(tmp_path / "out"),
                           "--timing"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    stages = ["startup", "load", "decompose", "fx_import", "torch_backend", "torch_to_tosa", "passes",
              "validate", "serialize"]
    assert set(report["seconds"]) == set(stages) and set(report["cpu_seconds"]) == set(stages)  # sorted keys
    for stage in stages:
        assert f"    {stage} " in proc.stdout
