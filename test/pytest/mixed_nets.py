"""Small models for the mixed-precision tests (scheme configs, sensitivity, auto search)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.dw = nn.Conv2d(c, c, 3, padding=1, groups=c)

    def forward(self, x):
        return F.relu(self.dw(F.relu(self.conv(x)))) + x


class TinyNet(nn.Module):
    """stem conv, two blocks (conv + depthwise each), a linear head: 6 quantizable layers."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.blocks = nn.Sequential(Block(8), Block(8))
        self.head = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.head(torch.flatten(x, 1))


INPUT_SHAPE = (1, 3, 8, 8)


def data(n=12, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(*INPUT_SHAPE, generator=g),) for _ in range(n)]
