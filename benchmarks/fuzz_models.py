"""Differential fuzzer of random quantized models (property-based, with hypothesis).

    .venv/bin/python benchmarks/fuzz_models.py --models 500 --seed 1 --out /tmp/fuzz-models
    .venv/bin/python benchmarks/fuzz_models.py --models 20 --seed 3 --targets tosa-int

Each example is a random small net (`Spec`: an input shape and 1-4 layers drawn from
conv, depthwise conv, linear, activations, residual add, mul, cat, max/avg pools,
softmax, mean, reshape), built from a fixed torch seed, quantized by tosaic's quantizer
with one of the schemes (a8w8, a8w4, a16w8, a8w8_u8io) on 4 random calibration inputs,
compiled for one of the targets, run on the TOSA reference model and compared with the
fake-quantized PyTorch program (`tosaic.driver.checks.check_quantized`, in output LSB);
every model is compiled twice and the flatbuffers must be byte-identical. For an
Ethos-U target Vela must accept the flatbuffer and place every op on the NPU.

Classes: `0 LSB`, `1 LSB`, `>1 LSB` (wrong numerics), `refused` (a clean TosaicError:
the model is outside what tosaic supports; the signature is the message), `crash` (any
other exception), `vela` (Vela failed or left ops on the CPU), `nondeterministic`.
The long run records every example (no shrinking); the test suite's slice
(test/pytest/test_fuzz_models.py) asserts and lets hypothesis shrink a failure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import time
import traceback
from dataclasses import asdict, dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

SCHEMES = ("a8w8", "a8w4", "a16w8", "a8w8_u8io")
TARGETS = ("tosa-int", "ethos-u55-128", "ethos-u85-256")
LAYERS = ("conv", "depthwise", "linear", "act", "residual", "mul", "cat", "maxpool", "avgpool", "softmax",
          "mean", "reshape")
ACTIVATIONS = ("relu", "relu6", "sigmoid", "tanh", "hardswish", "leaky_relu")
CLASSES = ("0 LSB", "1 LSB", ">1 LSB", "refused", "crash", "vela", "nondeterministic")


@dataclass(frozen=True)
class Spec:
    """A random model: input (channels, height, width) and layers, each (kind, params)."""
    shape: tuple[int, int, int]
    layers: tuple[tuple[str, tuple], ...]
    scheme: str
    target: str
    torch_seed: int

    def text(self) -> str:
        return json.dumps(asdict(self))


@st.composite
def specs(draw, schemes=SCHEMES, targets=TARGETS, max_layers=4) -> Spec:
    c, h, w = draw(st.integers(1, 8)), draw(st.integers(2, 10)), draw(st.integers(2, 10))
    shape = (c, h, w)
    layers = []
    for _ in range(draw(st.integers(1, max_layers))):
        kind = draw(st.sampled_from(LAYERS))
        if kind == "conv":
            k = draw(st.sampled_from((1, 3)))
            stride = draw(st.sampled_from((1, 2)))
            pad = draw(st.sampled_from((0, 1)))
            if h + 2 * pad < k or w + 2 * pad < k:
                continue
            out = draw(st.integers(1, 8))
            layers.append((kind, (out, k, stride, pad, draw(st.booleans()))))
            c, h, w = out, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        elif kind == "depthwise":
            layers.append((kind, (c,)))
        elif kind == "linear":
            out = draw(st.integers(1, 12))
            layers.append((kind, (w, out)))
            w = out
        elif kind == "act":
            layers.append((kind, (draw(st.sampled_from(ACTIVATIONS)),)))
        elif kind == "residual":
            layers.append((kind, (c,)))
        elif kind == "mul":
            layers.append((kind, (c, draw(st.booleans()))))  # x * conv(x), or x * x
        elif kind == "cat":
            extra = draw(st.integers(1, 4))
            layers.append((kind, (c, extra)))
            c += extra
        elif kind in ("maxpool", "avgpool"):
            k = draw(st.sampled_from((2, 3)))
            stride = draw(st.sampled_from((1, 2)))
            pad = draw(st.sampled_from((0, 1))) if k == 3 else 0
            ceil = draw(st.booleans())
            if h + 2 * pad < k or w + 2 * pad < k:
                continue
            params = (k, stride, pad, ceil) if kind == "maxpool" else (k, stride, pad, ceil, draw(st.booleans()))
            layers.append((kind, params))
            size = lambda n: _pool_size(n, k, stride, pad, ceil)  # noqa: E731
            h, w = size(h), size(w)
        elif kind == "softmax":
            layers.append((kind, ()))
        elif kind == "mean":
            layers.append((kind, ()))
            h = w = 1
        elif kind == "reshape":
            layers.append((kind, (c * h * w,)))
            c, h, w = 1, 1, c * h * w
    if not layers:
        layers.append(("act", ("relu",)))
    return Spec(shape, tuple(layers), draw(st.sampled_from(schemes)), draw(st.sampled_from(targets)),
                draw(st.integers(0, 2**16)))


def _pool_size(n: int, k: int, stride: int, pad: int, ceil: bool) -> int:
    import math

    size = (n + 2 * pad - k) / stride + 1
    out = math.ceil(size) if ceil else math.floor(size)
    if ceil and (out - 1) * stride >= n + pad:  # PyTorch drops a last window starting in the padding
        out -= 1
    return int(out)


def build(spec: Spec):
    """The float nn.Module of a spec (weights from spec.torch_seed)."""
    import torch
    from torch import nn

    torch.manual_seed(spec.torch_seed)
    activations = {"relu": nn.ReLU, "relu6": nn.ReLU6, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                   "hardswish": nn.Hardswish, "leaky_relu": lambda: nn.LeakyReLU(0.1)}

    class Residual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, padding=1)

        def forward(self, x):
            return x + self.conv(x)

    class Mul(nn.Module):
        def __init__(self, c, square):
            super().__init__()
            self.square = square
            self.conv = nn.Conv2d(c, c, 1)

        def forward(self, x):
            return x * x if self.square else x * self.conv(x)

    class Cat(nn.Module):
        def __init__(self, c, extra):
            super().__init__()
            self.conv = nn.Conv2d(c, extra, 1)

        def forward(self, x):
            return torch.cat([x, self.conv(x)], dim=1)

    class Lambda(nn.Module):
        def __init__(self, name, *args):
            super().__init__()
            self.name, self.args = name, args

        def forward(self, x):
            if self.name == "softmax":
                return torch.softmax(x, dim=-1)
            if self.name == "mean":
                return x.mean(dim=(2, 3), keepdim=True)
            return x.reshape(1, 1, 1, self.args[0])

    layers = []
    for kind, params in spec.layers:
        if kind == "conv":
            out, k, stride, pad, bias = params
            layers.append(nn.Conv2d(len_channels(layers, spec), out, k, stride=stride, padding=pad, bias=bias))
        elif kind == "depthwise":
            (c,) = params
            layers.append(nn.Conv2d(c, c, 3, padding=1, groups=c))
        elif kind == "linear":
            layers.append(nn.Linear(*params))
        elif kind == "act":
            layers.append(activations[params[0]]())
        elif kind == "residual":
            layers.append(Residual(*params))
        elif kind == "mul":
            layers.append(Mul(*params))
        elif kind == "cat":
            layers.append(Cat(*params))
        elif kind == "maxpool1":  # k=1: folds to nothing
            layers.append(nn.MaxPool2d(1))
        elif kind == "maxpool":
            k, stride, pad, ceil = params
            layers.append(nn.MaxPool2d(k, stride, pad, ceil_mode=ceil))
        elif kind == "avgpool":
            k, stride, pad, ceil, include_pad = params
            layers.append(nn.AvgPool2d(k, stride, pad, ceil_mode=ceil, count_include_pad=include_pad))
        else:
            layers.append(Lambda(kind, *params))
    return nn.Sequential(*layers).eval()


def len_channels(layers, spec) -> int:
    """The channel count entering the next layer (what the spec's layers so far make)."""
    c = spec.shape[0]
    for kind, params in spec.layers[: len(layers)]:
        if kind == "conv":
            c = params[0]
        elif kind == "cat":
            c += params[1]
        elif kind == "reshape":
            c = 1
    return c


@dataclass
class Outcome:
    kind: str
    detail: str = ""
    max_lsb: int | None = None
    bit_exact: float | None = None
    seconds: float = 0.0


def signature(message: str) -> str:
    lines = message.strip().splitlines()
    # "the <target> pipeline failed:" heads the diagnostics: the first error line is the finding
    errors = [line.split("error:", 1)[1].strip() for line in lines if "error:" in line]
    first = errors[0] if errors else (lines[0] if lines else "")
    first = re.sub(r"loc\([^)]*\)|/\S+\.py:\d+(:\d+)?", "", first)
    return re.sub(r"-?\d+(\.\d+)?(e[+-]?\d+)?", "N", first)[:160]


def check(spec: Spec) -> Outcome:
    """Quantize, compile (twice), run and compare one random model."""
    import warnings

    warnings.filterwarnings("ignore")
    import torch

    import tosaic
    from tosaic.driver.checks import check_quantized
    from tosaic.quantization import quantize_model

    start = time.perf_counter()
    model = build(spec)
    generator = torch.Generator().manual_seed(spec.torch_seed)
    example = (torch.randn(1, *spec.shape, generator=generator),)
    calibration = [(torch.randn(1, *spec.shape, generator=generator),) for _ in range(4)]
    try:
        program = quantize_model(model, example, scheme=spec.scheme, calibration_data=calibration)
        result = check_quantized(program, example, target=spec.target)
        again = tosaic.compile(program, target=spec.target)
    except tosaic.TosaicError as e:
        kind = "vela" if "vela" in str(e).lower() else "refused"
        return Outcome(kind, signature(str(e)), seconds=time.perf_counter() - start)
    except Exception as e:  # noqa: BLE001 - the finding
        frame = traceback.extract_tb(e.__traceback__)[-1]
        return Outcome("crash", f"{type(e).__name__}: {signature(str(e))} [{os.path.basename(frame.filename)}:"
                       f"{frame.lineno}]", seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if again.flatbuffer != result.result.flatbuffer:
        return Outcome("nondeterministic", "", result.max_lsb, result.bit_exact, seconds)
    vela = result.result.report.get("vela")
    if vela and vela["placement"]["cpu_ops"]:
        return Outcome("vela", f"{vela['placement']['cpu_ops']} op(s) on the CPU", result.max_lsb,
                       result.bit_exact, seconds)
    kind = {0: "0 LSB", 1: "1 LSB"}.get(result.max_lsb, ">1 LSB")
    return Outcome(kind, "", result.max_lsb, result.bit_exact, seconds)


def fuzz(models: int, seed_value: int, schemes=SCHEMES, targets=TARGETS, out: str | None = None,
         progress: int = 0) -> list[tuple[Spec, Outcome]]:
    """`models` examples drawn by hypothesis from `seed_value`, each checked and recorded."""
    records: list[tuple[Spec, Outcome]] = []

    @seed(seed_value)
    @settings(max_examples=models, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(specs(schemes, targets))
    def one(spec):
        outcome = check(spec)
        records.append((spec, outcome))
        if out:
            with open(os.path.join(out, "models.jsonl"), "a") as f:
                f.write(json.dumps({"spec": asdict(spec), "outcome": asdict(outcome)}) + "\n")
        if progress and len(records) % progress == 0:
            counts = collections.Counter(o.kind for _, o in records)
            print(f"{len(records)} models: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                  file=sys.stderr, flush=True)

    if out:
        os.makedirs(out, exist_ok=True)
    one()
    return records


def table(records) -> str:
    lines = ["| scheme | target | " + " | ".join(CLASSES) + " |", "| --- | --- |" + " --- |" * len(CLASSES)]
    groups = collections.defaultdict(collections.Counter)
    for spec, outcome in records:
        groups[(spec.scheme, spec.target)][outcome.kind] += 1
        groups[("all", "all")][outcome.kind] += 1
    for (scheme, target), counts in sorted(groups.items(), key=lambda kv: kv[0] == ("all", "all")):
        lines.append(f"| {scheme} | {target} | " + " | ".join(str(counts.get(k, 0)) for k in CLASSES) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--schemes", nargs="+", default=list(SCHEMES))
    p.add_argument("--targets", nargs="+", default=list(TARGETS))
    p.add_argument("--out", help="directory for models.jsonl (every spec and its outcome)")
    p.add_argument("--progress", type=int, default=10, metavar="N")
    p.add_argument("--summarize", metavar="JSONL", help="print the table of a (running or finished) run's models.jsonl")
    args = p.parse_args(argv)
    if args.summarize:
        with open(args.summarize) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        records = [(Spec(tuple(r["spec"]["shape"]), tuple((k, tuple(v)) for k, v in r["spec"]["layers"]),
                         r["spec"]["scheme"], r["spec"]["target"], r["spec"]["torch_seed"]), Outcome(**r["outcome"]))
                   for r in rows]
        print(table(records))
        return 0
    records = fuzz(args.models, args.seed, tuple(args.schemes), tuple(args.targets), args.out, args.progress)
    print(table(records))
    signatures = collections.Counter((o.kind, o.detail) for _, o in records if o.detail or o.kind in
                                     (">1 LSB", "crash", "nondeterministic"))
    for (kind, detail), n in signatures.most_common():
        example = next(s for s, o in records if (o.kind, o.detail) == (kind, detail))
        print(f"{n:4d}  {kind}: {detail}\n      e.g. {example.text()}")
    worst = [(o.max_lsb, s) for s, o in records if o.kind == ">1 LSB"]
    for lsb, spec in sorted(worst, key=lambda x: -x[0])[:10]:
        print(f"  {lsb} LSB: {spec.text()}")
    bad = sum(1 for _, o in records if o.kind in (">1 LSB", "crash", "vela", "nondeterministic"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
