"""Benchmark models: tosaic's examples plus a few conv-only networks.

Importable from tosaic's venv and from the ExecuTorch venv alike: it needs torch only, and
loads tosaic's `examples/models.py` by file path (it imports nothing from tosaic), so both
sides build exactly the same modules.

Every model is built deterministically (`build(name)`: fixed seed, non-trivial batchnorm
statistics) and calibrated on a fixed set of inputs (`calibration(name)`).
"""

from __future__ import annotations

import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_examples():
    path = os.path.join(_REPO, "examples", "models.py")
    spec = importlib.util.spec_from_file_location("_tosaic_example_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_examples = _load_examples()


class ConvBlock(nn.Module):
    """One conv + batchnorm + relu: the smallest thing every lowering handles."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ConvStack(nn.Module):
    """A small VGG-like backbone: four conv/bn/relu(6) blocks, two of them strided."""

    def __init__(self):
        super().__init__()
        chans = [(3, 16, 2), (16, 32, 1), (32, 32, 2), (32, 64, 1)]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, stride=s, padding=1) for i, o, s in chans)
        self.bns = nn.ModuleList(nn.BatchNorm2d(o) for _, o, _ in chans)

    def forward(self, x):
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            x = bn(conv(x))
            x = F.relu6(x) if i % 2 else F.relu(x)
        return x


class ConvWide(nn.Module):
    """Wider layers on a 28x28 map: 3x3 and 1x1 convolutions, MAC-bound on the NPU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 1)

    def forward(self, x):
        x = F.relu6(self.bn1(self.conv1(x)))
        x = F.relu(self.conv2(x))
        return self.conv3(x)


# name -> (constructor, input shape); tosaic's examples first.
MODELS = {name: (ctor, shape) for name, (ctor, shape) in _examples.EXAMPLES.items()}
MODELS.update({
    "conv_block": (ConvBlock, (1, 3, 32, 32)),
    "conv_stack": (ConvStack, (1, 3, 64, 64)),
    "conv_wide": (ConvWide, (1, 32, 28, 28)),
})

MODEL_SEED = 0
CALIBRATION_SEED = 1234
CALIBRATION_SAMPLES = 8


def build(name: str) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The eval-mode model and one example input, both from fixed seeds."""
    constructor, shape = MODELS[name]
    torch.manual_seed(MODEL_SEED)
    model = constructor().eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    generator = torch.Generator().manual_seed(MODEL_SEED)
    return model, (torch.randn(*shape, generator=generator),)


def calibration(name: str, samples: int = CALIBRATION_SAMPLES) -> list[tuple[torch.Tensor, ...]]:
    """Fixed calibration inputs: `samples` standard-normal tensors of the model's shape."""
    _, shape = MODELS[name]
    generator = torch.Generator().manual_seed(CALIBRATION_SEED)
    return [(torch.randn(*shape, generator=generator),) for _ in range(samples)]
