"""Small models the end-to-end tests share (not a test module: pytest does not collect it)."""

from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    """linear -> relu -> linear: `MLP(64, 32, 10)` maps 64 features to 10."""

    def __init__(self, features: int = 64, hidden: int = 32, outputs: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
