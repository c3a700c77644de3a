"""Make the ExecuTorch softmax / log_softmax / layer_norm / batch_norm fixtures (see README.md). Run in the
benchmark's ExecuTorch venv:

    benchmarks/.venv-executorch/bin/python test/pytest/data/make_executorch_softmax_norm.py test/pytest/data
"""
import os
import sys

import torch
import torch.nn as nn
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

from executorch.backends.arm.ethosu import EthosUCompileSpec
from executorch.backends.arm.quantizer import EthosUQuantizer, get_symmetric_quantization_config


class Softmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)


class LogSoftmax(nn.Module):
    def forward(self, x):
        return torch.log_softmax(x, dim=-1)


class LayerNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(32)

    def forward(self, x):
        return self.ln(x)


class BatchNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(4)
        self.bn.running_mean.copy_(torch.randn(4) * 0.2)
        self.bn.running_var.copy_(torch.rand(4) + 0.5)
        self.bn.weight.data = torch.randn(4) * 0.5 + 1
        self.bn.bias.data = torch.randn(4) * 0.3

    def forward(self, x):
        return self.bn(x)


torch.manual_seed(0)
out = sys.argv[1]
models = [("softmax", Softmax(), (1, 16, 32)), ("log_softmax", LogSoftmax(), (1, 16, 32)),
          ("layer_norm", LayerNorm(), (1, 16, 32)), ("batch_norm", BatchNorm(), (1, 4, 8, 8))]
for name, model, shape in models:
    g = torch.Generator().manual_seed(1)
    inputs = (torch.randn(*shape, generator=g),)
    quantizer = EthosUQuantizer(EthosUCompileSpec("ethos-u55-128"))
    quantizer.set_global(get_symmetric_quantization_config())
    exported = torch.export.export(model.eval(), inputs, strict=False)
    prepared = prepare_pt2e(exported.module(), quantizer)
    for _ in range(4):
        prepared(torch.randn(*shape, generator=g))
    program = torch.export.export(convert_pt2e(prepared), inputs, strict=False)
    torch.export.save(program, os.path.join(out, f"executorch_arm_{name}.pt2"))
    print(name, "ok")
