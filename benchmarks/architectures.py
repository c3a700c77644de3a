"""Real network architectures, written by hand (torchvision does not install beside torch 2.13.0).

Each class builds with no arguments (random weights from a fixed seed, see `build`) and
has an `INPUT_SHAPE`; `example_input(cls)` gives its example input. Resolutions are small
and the large networks are width-scaled, so that each compiles in reasonable time on a
small machine; the structure (block types, strides, SE, activations, groups, shuffles,
skips) is the published one. Usable from the command line:

    tosaic compile benchmarks/architectures.py:MobileNetV2 --input-shape 1x3x64x64 \
        --target ethos-u55-128 --scheme a8w8 -o out/mnv2

Importable from tosaic's venv and from the ExecuTorch venv alike: it needs torch only.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 10


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Channel counts rounded to a multiple of 8, never below 90% of the request (as in the papers' code)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _conv_bn(cin, cout, kernel, stride=1, groups=1, activation=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: global average pool, two 1x1 convs, a sigmoid-like gate."""

    def __init__(self, channels, squeezed, activation=nn.ReLU, gate=nn.Hardsigmoid):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.activation = activation()
        self.expand = nn.Conv2d(squeezed, channels, 1)
        self.gate = gate()

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.expand(self.activation(self.reduce(s))))


class _Classifier(nn.Module):
    """Global average pool + linear head."""

    def __init__(self, channels, hidden=None, activation=nn.ReLU, num_classes=NUM_CLASSES):
        super().__init__()
        if hidden:
            self.head = nn.Sequential(nn.Linear(channels, hidden), activation(), nn.Linear(hidden, num_classes))
        else:
            self.head = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


# --------------------------------------------------------------------------- MobileNetV2


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand, kernel=3, activation=nn.ReLU6, se=None):
        super().__init__()
        hidden = _make_divisible(cin * expand) if isinstance(expand, float) else cin * expand
        layers = []
        if hidden != cin:
            layers.append(_conv_bn(cin, hidden, 1, activation=activation))
        layers.append(_conv_bn(hidden, hidden, kernel, stride, groups=hidden, activation=activation))
        if se is not None:
            layers.append(se(hidden))
        layers.append(_conv_bn(hidden, cout, 1, activation=None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    """MobileNetV2 x0.5 (Sandler et al. 2018): 17 inverted residuals with ReLU6."""

    INPUT_SHAPE = (1, 3, 64, 64)
    WIDTH = 0.5
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self):
        super().__init__()
        cin = _make_divisible(32 * self.WIDTH)
        layers = [_conv_bn(3, cin, 3, 2, activation=nn.ReLU6)]
        for t, c, n, s in self.SETTINGS:
            cout = _make_divisible(c * self.WIDTH)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        last = 1280
        layers.append(_conv_bn(cin, last, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = _Classifier(last)

    def forward(self, x):
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------- MobileNetV3


class MobileNetV3(nn.Module):
    """MobileNetV3 (Howard et al. 2019): inverted residuals with SE (hardsigmoid gate) and hardswish."""

    INPUT_SHAPE = (1, 3, 64, 64)
    WIDTH = 1.0
    # kernel, expanded, out, SE, activation ("RE" relu / "HS" hardswish), stride
    SETTINGS: list = []
    LAST = 1024

    def __init__(self):
        super().__init__()
        cin = _make_divisible(16 * self.WIDTH)
        layers = [_conv_bn(3, cin, 3, 2, activation=nn.Hardswish)]
        for kernel, expanded, out, se, act, stride in self.SETTINGS:
            hidden, cout = _make_divisible(expanded * self.WIDTH), _make_divisible(out * self.WIDTH)
            activation = nn.Hardswish if act == "HS" else nn.ReLU
            se_block = (lambda c: SqueezeExcite(c, _make_divisible(c // 4))) if se else None
            layers.append(_MBV3Block(cin, hidden, cout, kernel, stride, activation, se_block))
            cin = cout
        last_conv = 6 * cin
        layers.append(_conv_bn(cin, last_conv, 1, activation=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.classifier = _Classifier(last_conv, hidden=self.LAST, activation=nn.Hardswish)

    def forward(self, x):
        return self.classifier(self.features(x))


class _MBV3Block(nn.Module):
    def __init__(self, cin, hidden, cout, kernel, stride, activation, se):
        super().__init__()
        layers = []
        if hidden != cin:
            layers.append(_conv_bn(cin, hidden, 1, activation=activation))
        layers.append(_conv_bn(hidden, hidden, kernel, stride, groups=hidden, activation=activation))
        if se is not None:
            layers.append(se(hidden))
        layers.append(_conv_bn(hidden, cout, 1, activation=None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV3Small(MobileNetV3):
    """MobileNetV3-Small x1.0: 11 blocks."""

    SETTINGS = [
        (3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
        (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
        (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
        (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1),
    ]
    LAST = 1024


class MobileNetV3Large(MobileNetV3):
    """MobileNetV3-Large x0.5: 15 blocks."""

    WIDTH = 0.5
    SETTINGS = [
        (3, 16, 16, False, "RE", 1), (3, 64, 24, False, "RE", 2), (3, 72, 24, False, "RE", 1),
        (5, 72, 40, True, "RE", 2), (5, 120, 40, True, "RE", 1), (5, 120, 40, True, "RE", 1),
        (3, 240, 80, False, "HS", 2), (3, 200, 80, False, "HS", 1), (3, 184, 80, False, "HS", 1),
        (3, 184, 80, False, "HS", 1), (3, 480, 112, True, "HS", 1), (3, 672, 112, True, "HS", 1),
        (5, 672, 160, True, "HS", 2), (5, 960, 160, True, "HS", 1), (5, 960, 160, True, "HS", 1),
    ]
    LAST = 1280


# --------------------------------------------------------------------------- EfficientNet-B0


class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers.append(_conv_bn(cin, hidden, 1, activation=nn.SiLU))
        layers.append(_conv_bn(hidden, hidden, kernel, stride, groups=hidden, activation=nn.SiLU))
        layers.append(SqueezeExcite(hidden, max(1, cin // 4), activation=nn.SiLU, gate=nn.Sigmoid))
        layers.append(_conv_bn(hidden, cout, 1, activation=None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class EfficientNetB0(nn.Module):
    """EfficientNet-B0 x0.5 width (Tan & Le 2019): MBConv with SiLU and sigmoid-gated SE, 16 blocks."""

    INPUT_SHAPE = (1, 3, 64, 64)
    WIDTH = 0.5
    # expand, channels, repeats, stride, kernel
    SETTINGS = [(1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3),
                (6, 112, 3, 1, 5), (6, 192, 4, 2, 5), (6, 320, 1, 1, 3)]

    def __init__(self):
        super().__init__()
        cin = _make_divisible(32 * self.WIDTH)
        layers = [_conv_bn(3, cin, 3, 2, activation=nn.SiLU)]
        for t, c, n, s, k in self.SETTINGS:
            cout = _make_divisible(c * self.WIDTH)
            for i in range(n):
                layers.append(MBConv(cin, cout, k, s if i == 0 else 1, t))
                cin = cout
        last = _make_divisible(1280 * self.WIDTH)
        layers.append(_conv_bn(cin, last, 1, activation=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.classifier = _Classifier(last)

    def forward(self, x):
        return self.classifier(self.features(x))


# --------------------------------------------------------------------------- ResNet


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = _conv_bn(cin, planes, 3, stride)
        self.conv2 = _conv_bn(planes, planes, 3, activation=None)
        cout = planes * self.expansion
        self.downsample = _conv_bn(cin, cout, 1, stride, activation=None) if stride != 1 or cin != cout else None

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv2(self.conv1(x)) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = _conv_bn(cin, planes, 1)
        self.conv2 = _conv_bn(planes, planes, 3, stride)
        self.conv3 = _conv_bn(planes, cout, 1, activation=None)
        # the 1x1 stride-2 projection of the torchvision ResNet (v1.5: stride on the 3x3)
        self.downsample = _conv_bn(cin, cout, 1, stride, activation=None) if stride != 1 or cin != cout else None

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class _ResNet(nn.Module):
    INPUT_SHAPE = (1, 3, 64, 64)
    BLOCK: type = BasicBlock
    LAYERS = (2, 2, 2, 2)
    WIDTH = 1.0

    def __init__(self):
        super().__init__()
        base = int(64 * self.WIDTH)
        self.stem = nn.Sequential(_conv_bn(3, base, 7, 2), nn.MaxPool2d(3, 2, 1))
        layers, cin = [], base
        for i, n in enumerate(self.LAYERS):
            planes = base * 2**i
            for j in range(n):
                layers.append(self.BLOCK(cin, planes, 2 if j == 0 and i > 0 else 1))
                cin = planes * self.BLOCK.expansion
        self.layers = nn.Sequential(*layers)
        self.classifier = _Classifier(cin)

    def forward(self, x):
        return self.classifier(self.layers(self.stem(x)))


class ResNet18(_ResNet):
    """ResNet-18 x0.5 width (He et al. 2016): basic blocks, 1x1 stride-2 projections."""

    WIDTH = 0.5


class ResNet50(_ResNet):
    """ResNet-50 x0.25 width: bottleneck blocks (3, 4, 6, 3), 1x1 stride-2 projections."""

    BLOCK = Bottleneck
    LAYERS = (3, 4, 6, 3)
    WIDTH = 0.25


# --------------------------------------------------------------------------- ShuffleNetV2


def channel_shuffle(x, groups: int):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        branch = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                _conv_bn(cin, cin, 3, stride, groups=cin, activation=None), _conv_bn(cin, branch, 1))
        else:
            self.branch1 = None
        first = cin if stride > 1 else branch
        self.branch2 = nn.Sequential(
            _conv_bn(first, branch, 1), _conv_bn(branch, branch, 3, stride, groups=branch, activation=None),
            _conv_bn(branch, branch, 1))

    def forward(self, x):
        if self.stride == 1:
            a, b = x.chunk(2, dim=1)
            out = torch.cat((a, self.branch2(b)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 x0.5 (Ma et al. 2018): channel split, concatenation and channel shuffle."""

    INPUT_SHAPE = (1, 3, 64, 64)
    REPEATS = (4, 8, 4)
    CHANNELS = (24, 48, 96, 192, 1024)

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, self.CHANNELS[0], 3, 2), nn.MaxPool2d(3, 2, 1))
        layers, cin = [], self.CHANNELS[0]
        for repeats, cout in zip(self.REPEATS, self.CHANNELS[1:4]):
            for i in range(repeats):
                layers.append(ShuffleUnit(cin, cout, 2 if i == 0 else 1))
                cin = cout
        layers.append(_conv_bn(cin, self.CHANNELS[4], 1))
        self.stages = nn.Sequential(*layers)
        self.classifier = _Classifier(self.CHANNELS[4])

    def forward(self, x):
        return self.classifier(self.stages(self.stem(x)))


# --------------------------------------------------------------------------- SqueezeNet 1.1


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3 = nn.Conv2d(squeeze, expand, 3, padding=1)

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        return torch.cat((F.relu(self.expand1(s)), F.relu(self.expand3(s))), dim=1)


class SqueezeNet11(nn.Module):
    """SqueezeNet 1.1 (Iandola et al. 2016): fire modules, ceil-mode max pools, conv classifier."""

    INPUT_SHAPE = (1, 3, 64, 64)

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(64, 16, 64), Fire(128, 16, 64), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(128, 32, 128), Fire(256, 32, 128), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256),
        )
        self.classifier = nn.Conv2d(512, NUM_CLASSES, 1)

    def forward(self, x):
        x = F.relu(self.classifier(self.features(x)))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


# --------------------------------------------------------------------------- MNASNet


class MNASNet(nn.Module):
    """MNASNet-A1-style B1 x0.5 (Tan et al. 2019, torchvision's mnasnet0_5): inverted residuals, 3x3/5x5."""

    INPUT_SHAPE = (1, 3, 64, 64)
    WIDTH = 0.5
    # expand, channels, repeats, stride, kernel
    SETTINGS = [(3, 24, 3, 2, 3), (3, 40, 3, 2, 5), (6, 80, 3, 2, 5), (6, 96, 2, 1, 3),
                (6, 192, 4, 2, 5), (6, 320, 1, 1, 3)]

    def __init__(self):
        super().__init__()
        c32, c16 = _make_divisible(32 * self.WIDTH), _make_divisible(16 * self.WIDTH)
        layers = [_conv_bn(3, c32, 3, 2), _conv_bn(c32, c32, 3, groups=c32), _conv_bn(c32, c16, 1, activation=None)]
        cin = c16
        for t, c, n, s, k in self.SETTINGS:
            cout = _make_divisible(c * self.WIDTH)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t, kernel=k, activation=nn.ReLU))
                cin = cout
        layers.append(_conv_bn(cin, 1280, 1))
        self.layers = nn.Sequential(*layers)
        self.classifier = _Classifier(1280)

    def forward(self, x):
        return self.classifier(self.layers(x))


# --------------------------------------------------------------------------- RegNetX-400MF


class XBlock(nn.Module):
    """RegNet's X block: 1x1, grouped 3x3 (group width 16), 1x1, residual."""

    def __init__(self, cin, cout, stride, group_width):
        super().__init__()
        self.a = _conv_bn(cin, cout, 1)
        self.b = _conv_bn(cout, cout, 3, stride, groups=cout // group_width)
        self.c = _conv_bn(cout, cout, 1, activation=None)
        self.proj = _conv_bn(cin, cout, 1, stride, activation=None) if stride != 1 or cin != cout else None

    def forward(self, x):
        identity = x if self.proj is None else self.proj(x)
        return F.relu(self.c(self.b(self.a(x))) + identity)


class RegNetX400MF(nn.Module):
    """RegNetX-400MF (Radosavovic et al. 2020): widths 32-64-160-400, depths 1-2-7-12, grouped convs."""

    INPUT_SHAPE = (1, 3, 64, 64)
    DEPTHS = (1, 2, 7, 12)
    WIDTHS = (32, 64, 160, 400)
    GROUP_WIDTH = 16

    def __init__(self):
        super().__init__()
        self.stem = _conv_bn(3, 32, 3, 2)
        layers, cin = [], 32
        for depth, width in zip(self.DEPTHS, self.WIDTHS):
            for i in range(depth):
                layers.append(XBlock(cin, width, 2 if i == 0 else 1, self.GROUP_WIDTH))
                cin = width
        self.trunk = nn.Sequential(*layers)
        self.classifier = _Classifier(cin)

    def forward(self, x):
        return self.classifier(self.trunk(self.stem(x)))


# --------------------------------------------------------------------------- transformers


class SelfAttention(nn.Module):
    """Multi-head self-attention written out: qkv linear, q @ k^T * scale (+ mask), softmax, @ v."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        if mask is not None:
            scores = scores + mask
        out = scores.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class ViTBlock(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)); x + mlp(ln(x)) with GELU."""

    def __init__(self, dim, heads, mlp_ratio=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Linear(dim * mlp_ratio, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTTiny(nn.Module):
    """DeiT-Tiny's width (dim 192, 3 heads, MLP 768) at 32x32 with 4x4 patches (64 tokens + class
    token), 4 of its 12 blocks: patch-embedding conv, learned position embedding, layer norm, GELU."""

    INPUT_SHAPE = (1, 3, 32, 32)
    DIM, HEADS, DEPTH, PATCH = 192, 3, 4, 4

    def __init__(self):
        super().__init__()
        tokens = (self.INPUT_SHAPE[2] // self.PATCH) * (self.INPUT_SHAPE[3] // self.PATCH)
        self.patch_embed = nn.Conv2d(3, self.DIM, self.PATCH, self.PATCH)
        self.cls_token = nn.Parameter(torch.randn(1, 1, self.DIM) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, tokens + 1, self.DIM) * 0.02)
        self.blocks = nn.Sequential(*[ViTBlock(self.DIM, self.HEADS) for _ in range(self.DEPTH)])
        self.norm = nn.LayerNorm(self.DIM)
        self.head = nn.Linear(self.DIM, NUM_CLASSES)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


class BertEncoderLayer(nn.Module):
    """One BERT-base-style post-norm encoder layer at width 128 (4 heads, FFN 512), sequence 32:
    attention with an additive float padding mask (the last 8 positions masked), GELU FFN.

    The mask's masked value is -32, not BERT's -10000: a huge constant would take the whole
    int8 range of the masked scores. The mask is a buffer, so the model has one input."""

    INPUT_SHAPE = (1, 32, 128)
    DIM, HEADS, FFN, MASKED = 128, 4, 512, 8

    def __init__(self):
        super().__init__()
        self.attn = SelfAttention(self.DIM, self.HEADS)
        self.norm1 = nn.LayerNorm(self.DIM)
        self.ffn = nn.Sequential(nn.Linear(self.DIM, self.FFN), nn.GELU(), nn.Linear(self.FFN, self.DIM))
        self.norm2 = nn.LayerNorm(self.DIM)
        mask = torch.zeros(1, 1, 1, self.INPUT_SHAPE[1])
        mask[..., -self.MASKED:] = -32.0
        self.register_buffer("mask", mask)

    def forward(self, x):
        x = self.norm1(x + self.attn(x, self.mask))
        return self.norm2(x + self.ffn(x))


# --------------------------------------------------------------------------- audio, segmentation, recurrent


class KWSConv1d(nn.Module):
    """A keyword-spotting net on 40 MFCCs x 49 frames: five conv1d/batchnorm/relu (two strided,
    one depthwise-separable pair), global average pool, 12-way linear head."""

    INPUT_SHAPE = (1, 40, 49)

    def __init__(self):
        super().__init__()

        def block(cin, cout, k, stride=1, groups=1):
            return nn.Sequential(nn.Conv1d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                                 nn.BatchNorm1d(cout), nn.ReLU())

        self.features = nn.Sequential(
            block(40, 64, 5, 2), block(64, 64, 3, groups=64), block(64, 96, 1), block(96, 96, 3, 2), block(96, 128, 3))
        self.head = nn.Linear(128, 12)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=-1))


class UNet(nn.Module):
    """A small U-Net on 32x32: three levels, max-pool down; up once by ConvTranspose2d (2x2 stride 2)
    and once by nearest upsampling + conv; skip concatenations; a 1x1 conv to 2 classes."""

    INPUT_SHAPE = (1, 3, 32, 32)

    def __init__(self):
        super().__init__()

        def double(cin, cout):
            return nn.Sequential(_conv_bn(cin, cout, 3), _conv_bn(cout, cout, 3))

        self.enc1, self.enc2, self.bottom = double(3, 16), double(16, 32), double(32, 64)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, 2)
        self.dec2 = double(64, 32)
        self.up1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(32, 16, 3, padding=1))
        self.dec1 = double(32, 16)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottom(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat((self.up2(b), e2), dim=1))
        d1 = self.dec1(torch.cat((self.up1(d2), e1), dim=1))
        return self.out(d1)


class GRUUnrolled(nn.Module):
    """A GRU cell (input 32, hidden 64) unrolled over 4 time steps from a zero state, linear head."""

    INPUT_SHAPE = (1, 4, 32)
    STEPS, FEATURES, HIDDEN = 4, 32, 64

    def __init__(self):
        super().__init__()
        self.cell = nn.GRUCell(self.FEATURES, self.HIDDEN)
        self.head = nn.Linear(self.HIDDEN, NUM_CLASSES)

    def forward(self, x):
        h = torch.zeros(x.shape[0], self.HIDDEN)
        for t in range(self.STEPS):
            h = self.cell(x[:, t], h)
        return self.head(h)


class GRUGates(nn.Module):
    """GRUUnrolled's cell written out as its two gate layers (as GRU implementations for
    microcontrollers often are): r, z = sigmoid(W_i x + W_h h), n = tanh(W_in x + r (W_hn h)),
    h' = n + z (h - n), the same function as nn.GRUCell's. Other quantizers annotate each step
    (ExecuTorch's leaves an nn.GRUCell float)."""

    INPUT_SHAPE = (1, 4, 32)
    STEPS, FEATURES, HIDDEN = 4, 32, 64

    def __init__(self):
        super().__init__()
        self.x_gates = nn.Linear(self.FEATURES, 3 * self.HIDDEN)
        self.h_gates = nn.Linear(self.HIDDEN, 3 * self.HIDDEN)
        self.head = nn.Linear(self.HIDDEN, NUM_CLASSES)

    def forward(self, x):
        h = torch.zeros(x.shape[0], self.HIDDEN)
        for t in range(self.STEPS):
            x_r, x_z, x_n = self.x_gates(x[:, t]).chunk(3, dim=-1)
            h_r, h_z, h_n = self.h_gates(h).chunk(3, dim=-1)
            r = torch.sigmoid(x_r + h_r)
            z = torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            h = n + z * (h - n)
        return self.head(h)


class LSTMGates(nn.Module):
    """LSTMUnrolled's cell written out as its two gate layers: i, f, o = sigmoid(.), g = tanh(.)
    of W_i x + W_h h, c' = f c + i g, h' = o tanh(c'), the same function as nn.LSTMCell's
    (ExecuTorch's quantizer fails on an nn.LSTMCell; it annotates these steps)."""

    INPUT_SHAPE = (1, 4, 32)
    STEPS, FEATURES, HIDDEN = 4, 32, 64

    def __init__(self):
        super().__init__()
        self.x_gates = nn.Linear(self.FEATURES, 4 * self.HIDDEN)
        self.h_gates = nn.Linear(self.HIDDEN, 4 * self.HIDDEN)
        self.head = nn.Linear(self.HIDDEN, NUM_CLASSES)

    def forward(self, x):
        h = torch.zeros(x.shape[0], self.HIDDEN)
        c = torch.zeros(x.shape[0], self.HIDDEN)
        for t in range(self.STEPS):
            i, f, g, o = (self.x_gates(x[:, t]) + self.h_gates(h)).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.head(h)


class LSTMUnrolled(nn.Module):
    """An LSTM cell (input 32, hidden 64) unrolled over 4 time steps from a zero state, linear head."""

    INPUT_SHAPE = (1, 4, 32)
    STEPS, FEATURES, HIDDEN = 4, 32, 64

    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(self.FEATURES, self.HIDDEN)
        self.head = nn.Linear(self.HIDDEN, NUM_CLASSES)

    def forward(self, x):
        h = torch.zeros(x.shape[0], self.HIDDEN)
        c = torch.zeros(x.shape[0], self.HIDDEN)
        for t in range(self.STEPS):
            h, c = self.cell(x[:, t], (h, c))
        return self.head(h)


ARCHITECTURES: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (MobileNetV2, MobileNetV3Small, MobileNetV3Large, EfficientNetB0, ResNet18, ResNet50,
                ShuffleNetV2, SqueezeNet11, MNASNet, RegNetX400MF, ViTTiny, BertEncoderLayer, KWSConv1d,
                UNet, GRUUnrolled, GRUGates, LSTMUnrolled, LSTMGates)
}

MODEL_SEED = 0
CALIBRATION_SEED = 1234
CALIBRATION_SAMPLES = 8


def example_input(cls) -> tuple[torch.Tensor, ...]:
    """One example input of the architecture's shape (a fixed seed)."""
    generator = torch.Generator().manual_seed(MODEL_SEED)
    return (torch.randn(*cls.INPUT_SHAPE, generator=generator),)


def build(name: str) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The eval-mode model (fixed seed, non-trivial batchnorm statistics) and its example input."""
    cls = ARCHITECTURES[name]
    torch.manual_seed(MODEL_SEED)
    model = cls().eval()
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model, example_input(cls)


def calibration(name: str, samples: int = CALIBRATION_SAMPLES) -> list[tuple[torch.Tensor, ...]]:
    """Fixed calibration inputs: `samples` standard-normal tensors of the model's shape."""
    shape = ARCHITECTURES[name].INPUT_SHAPE
    generator = torch.Generator().manual_seed(CALIBRATION_SEED)
    return [(torch.randn(*shape, generator=generator),) for _ in range(samples)]
