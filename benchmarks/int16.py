"""int16 activations (a16w8): numerics and Vela cycles of the native (int48 bias) and the
bias-split form, against the same models in a8w8.

For each model: the reference model vs the fake-quantized program over 5 inputs (max int16
LSB, lowest bit-exact fraction) in both forms, the error vs the float model (max and mean
absolute, in the output's units, over the same inputs) in a16w8 and in a8w8, and Vela
5.2.0's cycle estimate for ethos-u55-128 and ethos-u85-256 (native, split, a8w8) with the
NPU placement.

    .venv/bin/python benchmarks/int16.py [model ...]

Not a timed test: it prints a Markdown table (about 5 minutes for all models).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("torchao").setLevel(logging.ERROR)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "pytest"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tosaic  # noqa: E402
from tosaic.driver.checks import check_quantized  # noqa: E402
from tosaic.quantization import quantize_model  # noqa: E402
from test_int16_conv import MODELS as CONV_MODELS, mixed_quantizer  # noqa: E402

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")
SEEDS = range(5)


def _models() -> dict:
    models = {name: (cls, shape, quantizer) for name, (cls, shape, quantizer) in CONV_MODELS.items()}
    try:  # the non-convolution int16 lowerings' e2e models
        from test_int16_ops import Activation, ConvResidual

        models["residual"] = (ConvResidual, (1, 4, 8, 8), None)
        models["sigmoid"] = (lambda: Activation(torch.sigmoid), (1, 4, 8, 8), None)
    except ImportError:
        pass
    return models


def _program(make, shape, scheme, quantizer=None):
    torch.manual_seed(0)
    model = make().eval()
    g = torch.Generator().manual_seed(1)
    calibration = [(torch.randn(*shape, generator=g),) for _ in range(8)]
    program = quantize_model(model, calibration[0], scheme, calibration, quantizer=quantizer)
    return model, program


def _numerics(model, program, shape, **options):
    """(max LSB, min bit-exact, max |error vs float|, mean |error vs float|) over SEEDS."""
    worst, exact, max_err, mean_errs = 0, [], 0.0, []
    for seed in SEEDS:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(100 + seed))
        check = check_quantized(program, (x,), **options)
        worst, exact = max(worst, check.max_lsb), exact + [check.bit_exact]
        (got,) = tosaic.run(check.result.flatbuffer, check.feeds)
        q = check.result.outputs[0].quantization
        with torch.no_grad():
            want = model(x).numpy().astype(np.float64)
        error = np.abs((got.astype(np.float64) - q["zero_point"]) * q["scale"] - want)
        max_err, mean_errs = max(max_err, float(error.max())), mean_errs + [float(error.mean())]
    return worst, min(exact), max_err, float(np.mean(mean_errs))


def _vela(program, **options) -> dict:
    cycles = {}
    for accelerator in ACCELERATORS:
        report = tosaic.compile(program, target=accelerator, **options).report
        placement = report["vela"]["placement"]
        cycles[accelerator] = (report["vela"]["cycles"]["total"], placement["npu_ops"], placement["cpu_ops"])
    return cycles


def _cell(cycles) -> str:
    total, npu, cpu = cycles
    return f"{total}" + ("" if cpu == 0 else f" ({cpu} CPU ops!)")


def main(names) -> None:
    models = _models()
    header = ("| model | form | max LSB | bit-exact (min) | max err vs float | mean err vs float | "
              + " | ".join(f"{a} cycles" for a in ACCELERATORS) + " |")
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for name in names or list(models):
        make, shape, quantizer = models[name]
        model, program16 = _program(make, shape, "a16w8", quantizer() if quantizer else None)
        for form in ("native", "split"):
            lsb, exact, max_err, mean_err = _numerics(model, program16, shape, int48_bias=form)
            cycles = _vela(program16, int48_bias=form)
            print(f"| {name} | a16w8 {form} | {lsb} | {exact:.2%} | {max_err:.3g} | {mean_err:.3g} | "
                  + " | ".join(_cell(cycles[a]) for a in ACCELERATORS) + " |", flush=True)
        model8, program8 = _program(make, shape, "a8w8")
        lsb, exact, max_err, mean_err = _numerics(model8, program8, shape)
        cycles = _vela(program8)
        print(f"| {name} | a8w8 | {lsb} (int8) | {exact:.2%} | {max_err:.3g} | {mean_err:.3g} | "
              + " | ".join(_cell(cycles[a]) for a in ACCELERATORS) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
