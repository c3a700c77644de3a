"""Numerics and NPU placement per quantized test model: max LSB and min bit-exact over
5 inputs vs the fake-quantized program, and Vela placement/cycles on U55-128 and U85-256.

    .venv/bin/python benchmarks/accuracy.py [model ...]
"""
import sys, logging, time, warnings
warnings.filterwarnings("ignore"); logging.getLogger("torchao").setLevel(logging.ERROR)
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "pytest"))
import torch, numpy as np
from tosaic.driver.checks import check_quantized
from tosaic.quantization import quantize_model
import tosaic
from test_quantized_e2e import ConvReluNet
from test_quantized_elementwise_pool import Residual, MaxPoolRelu, AvgPool, AdaptiveAvgPool, Mul
from test_quantized_linear_conv import MLP, DepthwiseSeparable, Grouped
from test_quantized_activations import ConvActivation, Softmax
from test_quantized_data_movement import TwoBranchCat, PadNet
from tosaic.examples.models import example, ConvPoolNet
models = {
  "conv_bn_relu": (lambda: ConvReluNet(), (1,3,16,16)),
  "residual_add": (lambda: Residual(), (1,3,12,12)),
  "depthwise_sep": (lambda: DepthwiseSeparable(), (1,8,12,12)),
  "grouped": (lambda: Grouped(), (1,8,8,8)),
  "mlp": (lambda: MLP(), (1,64)),
  "maxpool_relu": (lambda: MaxPoolRelu(), (1,3,12,12)),
  "avgpool2x2": (lambda: AvgPool(2), (1,3,12,12)),
  "adaptive_pool": (lambda: AdaptiveAvgPool(), (1,3,7,7)),
  "mul": (lambda: Mul(), (1,3,8,8)),
  "concat": (lambda: TwoBranchCat(), (1,3,8,8)),
  "pad_conv": (lambda: PadNet(), (1,3,8,8)),
  "sigmoid": (lambda: ConvActivation(torch.nn.Sigmoid()), (1,3,8,8)),
  "hardswish": (lambda: ConvActivation(torch.nn.Hardswish()), (1,3,8,8)),
  "softmax": (lambda: Softmax(), (1,16,32)),
  "example_convpool": (lambda: example("conv_pool")[0], (1,3,28,28)),
}
only = sys.argv[1:] or list(models)
for name in only:
    ctor, shape = models[name]
    try:
        torch.manual_seed(0); m = ctor().eval()
        g = torch.Generator().manual_seed(1)
        calib = [(torch.randn(*shape, generator=g),) for _ in range(8)]
        prog = quantize_model(m, calib[0], "a8w8", calib)
        worst, exact = 0, []
        for seed in range(5):
            x = torch.randn(*shape, generator=torch.Generator().manual_seed(100+seed))
            c = check_quantized(prog, (x,))
            worst = max(worst, c.max_lsb); exact.append(c.bit_exact)
        row = [name, f"maxLSB={worst}", f"bitexact_min={min(exact):.2%}"]
        for acc in ("ethos-u55-128", "ethos-u85-256"):
            r = tosaic.compile(prog, target=acc)
            v = r.report["vela"]
            row.append(f"{acc}: NPU {v['placement']['npu_ops']}/{v['placement']['npu_ops']+v['placement']['cpu_ops']} cycles {v['cycles']['total']}")
        print(" | ".join(row), flush=True)
    except Exception as e:
        print(name, "FAILED", str(e).splitlines()[0][:200], flush=True)
