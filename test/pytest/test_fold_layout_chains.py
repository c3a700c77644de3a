"""tosaic-fold-layout-chains' composition of reshapes and transposes, checked on index arrays
against numpy applying the same chain (random chains, seeded), and a channel-shuffle net's
numerics and transposes end to end."""

import math
import random

import numpy as np
import torch

from quantized_check import check_quantized
from tosaic.passes.fold_layout_chains import compose
from tosaic.quantization import quantize_model


def _random_chain(rng: random.Random, shape: list[int]):
    steps = []
    for _ in range(rng.randint(2, 5)):
        if rng.random() < 0.5:
            perms = list(range(len(shape)))
            rng.shuffle(perms)
            steps.append(("transpose", perms))
            shape = [shape[p] for p in perms]
        else:  # split one axis in two, or join two neighbours
            if len(shape) > 1 and rng.random() < 0.5:
                i = rng.randrange(len(shape) - 1)
                shape = shape[:i] + [shape[i] * shape[i + 1]] + shape[i + 2:]
            else:
                i = rng.randrange(len(shape))
                factors = [f for f in range(2, shape[i]) if shape[i] % f == 0]
                if not factors:
                    continue
                f = rng.choice(factors)
                shape = shape[:i] + [f, shape[i] // f] + shape[i + 1:]
            steps.append(("reshape", list(shape)))
    return steps


def test_compose_equals_the_chain():
    rng = random.Random(7)
    checked = 0
    for _ in range(300):
        shape = [rng.choice([1, 2, 3, 4, 6, 8]) for _ in range(rng.randint(1, 4))]
        steps = _random_chain(rng, shape)
        x = np.arange(math.prod(shape)).reshape(shape)
        y = x
        for kind, arg in steps:
            y = y.transpose(arg) if kind == "transpose" else y.reshape(arg)
        plan = compose(shape, steps)
        if plan is None:  # a reshape whose axis boundaries do not nest with the atoms' ([8, 3] -> [6, 4])
            continue
        sizes, perm = plan
        np.testing.assert_array_equal(x.reshape(sizes).transpose(perm).reshape(y.shape), y)
        checked += 1
    assert checked >= 250, checked


class _Shuffle(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a = torch.nn.Conv2d(4, 16, 1)
        self.b = torch.nn.Conv2d(16, 8, 1)

    def forward(self, x):
        y = self.a(x)
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        return self.b(y)


def test_channel_shuffle_between_convolutions_has_one_transpose():
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(1, 4, 8, 8, generator=g),) for _ in range(5)]
    program = quantize_model(_Shuffle().eval(), batches[0], "a8w8", batches[:-1])
    check = check_quantized(program, batches[-1], target="ethos-u55-128")
    check.assert_ok()
    # The graph IO's NCHW <-> NHWC transposes, and the shuffle's one.
    assert check.result.report["ops"]["tosa.transpose"] == 3
    assert check.result.report["vela"]["placement"]["cpu_ops"] == 0
