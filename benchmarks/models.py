"""Benchmark models: tosaic's examples, a few conv-only networks and two MobileNets.

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


def _depthwise_separable(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin), nn.BatchNorm2d(cin), nn.ReLU6(),
        nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout), nn.ReLU6(),
    )


class MobileNetish(nn.Module):
    """A MobileNet-v1-like classifier: strided stem, five depthwise-separable blocks,
    global average pool, linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            _depthwise_separable(16, 32, 1), _depthwise_separable(32, 64, 2), _depthwise_separable(64, 64, 1),
            _depthwise_separable(64, 128, 2), _depthwise_separable(128, 128, 1),
        )
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Channel rounding of the MobileNetV2 reference code: nearest multiple of `divisor`,
    never more than 10% below `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, relu6: bool = True) -> list[nn.Module]:
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU6()] if relu6 else layers


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expansion (skipped for t = 1), 3x3 depthwise, linear 1x1
    projection; identity shortcut when the stride is 1 and the width is unchanged."""

    def __init__(self, cin: int, cout: int, stride: int, expansion: int):
        super().__init__()
        hidden = cin * expansion
        layers = _conv_bn(cin, hidden, 1) if expansion != 1 else []
        layers += _conv_bn(hidden, hidden, 3, stride, groups=hidden)
        layers += _conv_bn(hidden, cout, 1, relu6=False)
        self.body = nn.Sequential(*layers)
        self.shortcut = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.shortcut else self.body(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 (Sandler et al. 2018, table 2) with a width multiplier: 3x3/2 stem of
    32 channels, 17 inverted residual blocks (expansion t = 6 except the first, t = 1),
    1x1 conv to 1280 channels (not narrowed below 1.0), global average pool, linear head.
    Channels are scaled by `width` and rounded to multiples of 8, as the reference code does."""

    # (expansion t, output channels c, repeats n, first stride s), from the paper
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, width: float = 0.35, num_classes: int = 2):
        super().__init__()
        cin = _make_divisible(32 * width)
        last = _make_divisible(1280 * max(1.0, width))
        layers: list[nn.Module] = _conv_bn(3, cin, 3, 2)
        for t, c, n, s in self.SETTINGS:
            cout = _make_divisible(c * width)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        layers += _conv_bn(cin, last, 1)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(last, num_classes)

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


class _ResidualStage(nn.Module):
    """ResNet basic block: two 3x3 convs, identity shortcut or a 1x1 strided projection."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(*_conv_bn(cin, cout, 3, stride)[:2], nn.ReLU(), *_conv_bn(cout, cout, 3, relu6=False))
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else nn.Conv2d(cin, cout, 1, stride)

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


class ResNet8(nn.Module):
    """MLPerf Tiny's ResNet-8 (CIFAR-10, 32x32): 3x3 stem of 16, three basic blocks of
    16/32/64 channels, the last two with stride 2 and a 1x1 stride-2 projection shortcut."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(*_conv_bn(3, 16, 3)[:2], nn.ReLU())
        self.stages = nn.Sequential(_ResidualStage(16, 16, 1), _ResidualStage(16, 32, 2), _ResidualStage(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1).flatten(1))


# name -> (constructor, input shape); tosaic's examples first.
MODELS = {name: (ctor, shape) for name, (ctor, shape) in _examples.EXAMPLES.items()}
MODELS.update({
    "conv_block": (ConvBlock, (1, 3, 32, 32)),
    "conv_stack": (ConvStack, (1, 3, 64, 64)),
    "conv_wide": (ConvWide, (1, 32, 28, 28)),
})
# compare.py's default set: the models above.
COMPARE_MODELS = list(MODELS)
# MobileNet-class networks at the Ethos-U55 person-detection input size (uint8_io.py):
# MobileNetV2 x0.35 with a 2-class (person / no person) head, as in Visual Wake Words.
MODELS.update({
    "mobilenet_ish": (MobileNetish, (1, 3, 96, 96)),
    "mobilenet_v2_035": (MobileNetV2, (1, 3, 96, 96)),
    "resnet8": (ResNet8, (1, 3, 32, 32)),
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
