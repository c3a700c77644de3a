"""Per-layer sensitivity to int4 weights and int16 activations: `tosaic sensitivity`.

For each quantizable layer (each op with a weight: conv, depthwise, linear, ...; a layer
is its innermost module) and each candidate (a8w4: int4 weights, a16w8: int16
activations), the program is quantized with only that layer changed from the all-a8w8
baseline, and its output is compared with the float model's: the SQNR (dB) on the
calibration slice and on a held-out slice of the calibration data, and its change from
the baseline. Cost effects: weight bytes as the flatbuffer stores them (int4 packed two per
byte) and, for an Ethos-U target, the layer's cycles in Vela's per-layer estimates of the
uniform all-a8w8 / all-a8w4 / all-a16w8 compiles.

The evaluation is the fake-quantized PyTorch program (the converted PT2E graph, whose
Q/DQ ops run in PyTorch), which the compiled flatbuffer matches to 1 LSB: one calibration
per candidate, no compile. An int4-weight candidate reuses the calibrated baseline (weight
observers do not see data; only the changed layer's weight range differs).

SQNR = 10 log10(sum(y_float^2) / sum((y_quant - y_float)^2)) over every output element of
the slice. The held-out slice is the last quarter of the calibration samples (at least one);
the calibration of every candidate uses the rest.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import torch

from tosaic.driver.errors import TosaicError
from tosaic.quantization.scheme_config import SchemeConfig, layer_name, module_stack, weighted_nodes

CANDIDATES = ("a8w4", "a16w8")
BASELINE = "a8w8"
UNIFORM = ("a8w8", "a8w4", "a16w8")


def split(calibration_data, holdout: float = 0.25):
    """(calibration slice, held-out slice): the last `holdout` share (at least one sample)."""
    data = list(calibration_data)
    if len(data) < 2:
        raise TosaicError("the sensitivity analysis and --scheme auto need at least 2 calibration samples "
                          "(--calibration DIR): the last quarter is held out to measure the error")
    held = max(1, round(len(data) * holdout))
    return data[:-held], data[-held:]


@contextlib.contextmanager
def one_thread():
    """Small eager ops run far faster on one intra-op thread than on several fighting for
    a loaded machine's cores (40x measured for a small conv net on 2 busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _args(batch) -> tuple:
    return tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)


def _flat(outputs) -> torch.Tensor:
    if isinstance(outputs, torch.Tensor):
        return outputs.detach().reshape(-1).double()
    return torch.cat([_flat(o) for o in outputs])


def _observers(prepared) -> list[tuple[tuple[str, str], Any]]:
    """((observed tensor's node name, observer class), observer) for each observer call in
    a prepared graph; an observer fed by another observer sees the same tensor."""
    from torchao.quantization.pt2e.observer import ObserverBase

    def observer_of(node):
        if node.op != "call_module":
            return None
        module = prepared.get_submodule(node.target)
        return module if isinstance(module, ObserverBase) else None

    sites = []
    for node in prepared.graph.nodes:
        observer = observer_of(node)
        if observer is None:
            continue
        source = node.args[0]
        while isinstance(source, torch.fx.Node) and observer_of(source) is not None:
            source = source.args[0]
        sites.append(((source.name, type(observer).__name__), observer))
    return sites


@dataclass
class Layer:
    name: str
    type: str
    op: str
    weight_elements: int
    out_channels: int

    @property
    def bytes_w8(self) -> int:
        return self.weight_elements

    @property
    def bytes_w4(self) -> int:
        return (self.weight_elements + 1) // 2

    def weight_bytes(self, scheme: str) -> int:
        return self.bytes_w4 if scheme == "a8w4" else self.bytes_w8


def sqnr_db(signal: float, noise: float) -> float:
    if noise <= 0:
        return math.inf
    return 10 * math.log10(signal / noise)


@dataclass
class Measure:
    """Noise power (mean squared error per element) on both slices."""

    noise_calibration: float
    noise_holdout: float


class Evaluator:
    """The float model's outputs on both slices, and the fake-quantized error of a config."""

    def __init__(self, model: torch.nn.Module, example_inputs, calibration_data, holdout: float = 0.25):
        self.model = model.eval()
        self.example_inputs = _args(example_inputs)
        self.calibration, self.holdout = split(calibration_data, holdout)
        self.exported = torch.export.export(self.model, self.example_inputs)
        with torch.no_grad():
            self.float_calibration = self._outputs(self.model, self.calibration)
            self.float_holdout = self._outputs(self.model, self.holdout)
        self.signal_calibration = float((self.float_calibration ** 2).mean())
        self.signal_holdout = float((self.float_holdout ** 2).mean())
        self.layers = self._layers()
        self._observer_states = None
        self.evaluations = 0

    def _outputs(self, module, batches) -> torch.Tensor:
        return torch.cat([_flat(module(*_args(b))) for b in batches])

    def _layers(self) -> list[Layer]:
        layers, seen = [], set()
        for node in weighted_nodes(self.exported.graph):
            name = layer_name(node)
            if name in seen or not name:
                continue  # a module applied twice is one layer (one config entry)
            seen.add(name)
            weight = node.args[1].meta["val"]
            channels = weight.shape[1] if "transpose" in str(node.target) else weight.shape[0]
            layers.append(Layer(name, module_stack(node)[-1][1].rsplit(".", 1)[-1], str(node.target),
                                int(weight.numel()), int(channels)))
        if not layers:
            raise TosaicError("the model has no quantizable layer (conv, linear, ...) to choose a scheme for")
        return layers

    # -- quantize and measure -------------------------------------------------------

    def _prepare(self, config: SchemeConfig, calibrate_it: bool = True):
        from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e

        from tosaic.quantization.quantizer import calibrate, decompose_attention
        from tosaic.quantization.scheme_config import ConfigQuantizer

        gm = self.exported.module(check_guards=False)
        decompose_attention(gm)
        prepared = prepare_pt2e(gm, ConfigQuantizer(config))
        if calibrate_it:
            calibrate(prepared, self.calibration)
        return prepared

    def _calibrated_observers(self):
        """(observed tensor, observer class) -> a calibrated observer, from one calibration of
        the all-a8w8 and the all-a16w8 programs. Calibration runs the float model with
        observers that only record, so an observer's state depends only on the tensor it
        sees and its class: any config's observers can take these states instead of a
        calibration of their own (the same numbers, a fraction of the time)."""
        if self._observer_states is None:
            self._observer_states = {}
            for scheme in ("a8w8", "a16w8"):
                prepared = self._prepare(SchemeConfig(default=scheme))
                for key, observer in _observers(prepared):
                    self._observer_states.setdefault(key, observer.state_dict())
        return self._observer_states

    def _prepare_from_cache(self, config: SchemeConfig):
        states = self._calibrated_observers()
        prepared = self._prepare(config, calibrate_it=False)
        sites = _observers(prepared)
        if any(key not in states for key, _ in sites):
            return self._prepare(config)  # an observer no uniform program has: calibrate this one
        for key, observer in sites:
            observer.load_state_dict(states[key])
        return prepared

    def _measure(self, prepared) -> Measure:
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

        converted = convert_pt2e(prepared)
        self.evaluations += 1
        with torch.no_grad():
            calibration = self._outputs(converted, self.calibration)
            holdout = self._outputs(converted, self.holdout)
        return Measure(float(((calibration - self.float_calibration) ** 2).mean()),
                       float(((holdout - self.float_holdout) ** 2).mean()))

    def measure(self, config: SchemeConfig, exact: bool = False) -> Measure:
        """The error of the program quantized with `config`: its observers take the states of
        the uniform programs' calibration (`_calibrated_observers`), or, with `exact`, the
        program is calibrated on its own."""
        with one_thread():
            return self._measure(self._prepare(config) if exact else self._prepare_from_cache(config))

    def sqnr(self, m: Measure) -> tuple[float, float]:
        return sqnr_db(self.signal_calibration, m.noise_calibration), sqnr_db(self.signal_holdout, m.noise_holdout)


@dataclass
class Sensitivity:
    """What `analyse` measured (see `as_dict` for the JSON)."""

    layers: list[Layer]
    signal: dict[str, float]  # calibration/holdout mean square of the float output
    uniform: dict[str, Measure]  # scheme -> its all-layers error
    deltas: dict[str, dict[str, Measure]]  # layer -> candidate -> its error (only that layer changed)
    cycles: Optional[dict[str, dict[str, int]]] = None  # layer -> scheme -> Vela cycles (uniform compiles)
    uniform_compiles: dict[str, dict] = field(default_factory=dict)  # scheme -> measured figures
    seconds: float = 0.0
    evaluations: int = 0
    samples: dict[str, int] = field(default_factory=dict)

    def sqnr(self, m: Measure, slice_: str = "holdout") -> float:
        noise = m.noise_holdout if slice_ == "holdout" else m.noise_calibration
        return sqnr_db(self.signal[slice_], noise)

    def as_dict(self) -> dict:
        base = self.uniform[BASELINE]
        rows = []
        for layer in self.layers:
            row: dict[str, Any] = {"layer": layer.name, "type": layer.type, "op": layer.op,
                                   "weight_bytes": {"a8w8": layer.bytes_w8, "a8w4": layer.bytes_w4,
                                                    "a16w8": layer.bytes_w8}}
            for candidate in CANDIDATES:
                m = self.deltas[layer.name][candidate]
                row[candidate] = {
                    "sqnr_calibration_db": round(self.sqnr(m, "calibration"), 3),
                    "sqnr_holdout_db": round(self.sqnr(m), 3),
                    "delta_calibration_db": round(self.sqnr(m, "calibration") - self.sqnr(base, "calibration"), 3),
                    "delta_holdout_db": round(self.sqnr(m) - self.sqnr(base), 3),
                    "weight_bytes_delta": layer.weight_bytes(candidate) - layer.bytes_w8,
                }
                if self.cycles and layer.name in self.cycles:
                    c = self.cycles[layer.name]
                    row[candidate]["cycles_delta"] = c[candidate] - c[BASELINE]
            if self.cycles and layer.name in self.cycles:
                row["cycles"] = self.cycles[layer.name]
            rows.append(row)
        return {
            "baseline": BASELINE,
            "samples": self.samples,
            "uniform": {s: {"sqnr_calibration_db": round(self.sqnr(m, "calibration"), 3),
                            "sqnr_holdout_db": round(self.sqnr(m), 3),
                            "weight_bytes": sum(layer.weight_bytes(s) for layer in self.layers),
                            **self.uniform_compiles.get(s, {})}
                        for s, m in self.uniform.items()},
            "layers": rows,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 2),
        }

    def table(self) -> str:
        """The per-layer table `tosaic sensitivity` prints."""
        base = self.uniform[BASELINE]
        lines = [f"baseline a8w8: SQNR {self.sqnr(base, 'calibration'):.2f} dB (calibration), "
                 f"{self.sqnr(base):.2f} dB (held-out); all-a8w4 {self.sqnr(self.uniform['a8w4']):.2f} dB, "
                 f"all-a16w8 {self.sqnr(self.uniform['a16w8']):.2f} dB (held-out)",
                 "delta SQNR vs a8w8 (dB) when only that layer changes, calibration / held-out; cost change",
                 f"{'layer':<28} {'type':<8} {'w8 bytes':>9} {'w4 dSQNR cal/held':>18} {'w4 dbytes':>9} "
                 f"{'a16 dSQNR cal/held':>19}" + (f" {'w4 dcyc':>8} {'a16 dcyc':>8}" if self.cycles else "")]
        data = self.as_dict()
        for row in data["layers"]:
            w4, a16 = row["a8w4"], row["a16w8"]
            line = (f"{row['layer'][:28]:<28} {row['type'][:8]:<8} {row['weight_bytes']['a8w8']:>9} "
                    f"{w4['delta_calibration_db']:>8.2f} / {w4['delta_holdout_db']:<7.2f} {w4['weight_bytes_delta']:>9} "
                    f"{a16['delta_calibration_db']:>8.2f} / {a16['delta_holdout_db']:<8.2f}")
            if self.cycles:
                line += f" {w4.get('cycles_delta', ''):>8} {a16.get('cycles_delta', ''):>8}"
            lines.append(line)
        lines.append(f"{len(self.layers)} layers, {self.evaluations} fake-quantized evaluations in {self.seconds:.1f} s")
        return "\n".join(lines)


def vela_layer_cycles(report: dict, layers: list[Layer]) -> Optional[list[int]]:
    """Each layer's cycles in a compile's Vela per-layer rows: the weighted rows (conv,
    depthwise, fully connected), in program order, matched to the layers in graph order;
    None when the counts differ (then no per-layer cycles are given)."""
    vela = report.get("vela")
    if not vela:
        return None
    weighted = [row for row in vela["layers"]
                if any(k in row["original_op"].upper() for k in ("CONV", "FULLY_CONNECTED", "MATMUL"))]
    if len(weighted) != len(report["weights"]["layers"]) or len(weighted) != len(layers):
        return None
    return [int(row["cycles"]) for row in weighted]


def uniform_compile(model, example_inputs, calibration, scheme: str, target: str, vela_options=None) -> dict:
    """A real compile of the all-`scheme` program: its report."""
    from tosaic.driver.compiler import compile as compile_program

    result = compile_program(model, example_inputs, target=target, calibration_data=calibration,
                             scheme_config=SchemeConfig(default=scheme, source=f"all-{scheme}"),
                             vela_options=vela_options)
    return result.report


def measured_figures(report: dict) -> dict:
    """Flash/cycles figures of a compile report (Vela's when there is Vela)."""
    figures = {"weight_bytes": report["weights"]["total_bytes"], "flatbuffer_bytes": report["flatbuffer_bytes"]}
    vela = report.get("vela")
    if vela:
        figures["vela_weight_bytes"] = vela["weights_bytes"]["encoded"]
        figures["cycles"] = vela["cycles"]["total"]
        figures["npu_ops"] = vela["placement"]["npu_ops"]
        figures["cpu_ops"] = vela["placement"]["cpu_ops"]
    return figures


def analyse(model: torch.nn.Module, example_inputs, calibration_data, target: str = "tosa-int",
            holdout: float = 0.25, vela_options=None, evaluator: Optional[Evaluator] = None,
            compile_uniform: bool = True) -> Sensitivity:
    """Measure every layer's sensitivity (see the module docstring). With an Ethos-U
    `target` and `compile_uniform`, the three uniform programs are compiled (calibrated on
    the calibration slice) for Vela's per-layer cycles and their measured flash/cycles."""
    start = time.perf_counter()
    ev = evaluator or Evaluator(model, example_inputs, calibration_data, holdout)
    uniform = {s: ev.measure(SchemeConfig(default=s)) for s in UNIFORM}
    deltas = {}
    for layer in ev.layers:
        deltas[layer.name] = {
            "a8w4": ev.measure(SchemeConfig(default=BASELINE, names={layer.name: "a8w4"})),
            "a16w8": ev.measure(SchemeConfig(default=BASELINE, names={layer.name: "a16w8"})),
        }
    cycles, compiles = None, {}
    if compile_uniform:
        from tosaic import targets

        reports = {s: uniform_compile(ev.model, ev.example_inputs, ev.calibration, s, target, vela_options)
                   for s in UNIFORM}
        compiles = {s: measured_figures(r) for s, r in reports.items()}
        if targets.target(target).accelerator:
            per_scheme = {s: vela_layer_cycles(r, ev.layers) for s, r in reports.items()}
            if all(v is not None for v in per_scheme.values()):
                cycles = {layer.name: {s: per_scheme[s][i] for s in UNIFORM} for i, layer in enumerate(ev.layers)}
    return Sensitivity(ev.layers, {"calibration": ev.signal_calibration, "holdout": ev.signal_holdout}, uniform,
                       deltas, cycles, compiles, time.perf_counter() - start, ev.evaluations,
                       {"calibration": len(ev.calibration), "holdout": len(ev.holdout)})


def run_cli(args, program, example_inputs, calibration) -> int:
    """`tosaic sensitivity`: print the table, write OUT/sensitivity.json."""
    import json
    import os

    from tosaic import targets

    if not isinstance(program, torch.nn.Module):
        raise TosaicError("tosaic sensitivity takes a float model as file.py:ModelClass")
    if not targets.target(args.target).family.integer:
        raise TosaicError(f"tosaic sensitivity needs an integer target (tosa-int or an Ethos-U accelerator), "
                          f"not {args.target}")
    sens = analyse(program, example_inputs, calibration, args.target, compile_uniform=not args.no_compile)
    print(sens.table())
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "sensitivity.json")
    with open(path, "w") as f:
        json.dump({"target": args.target, **sens.as_dict()}, f, indent=2)
        f.write("\n")
    print(f"wrote {path}")
    return 0
