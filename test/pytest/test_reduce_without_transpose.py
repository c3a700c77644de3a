"""tosaic-reduce-without-transpose end to end: a mean over time after a conv1d, on the
Ethos-U pipelines, sums the conv output itself as a depthwise window sum (no TRANSPOSE, no
REDUCE_SUM left) and matches the fake-quantized program."""

import pytest
import torch
import torch.nn as nn

from quantized_check import check_quantized
from tosaic.quantization import quantize_model


class ConvMeanOverTime(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv1d(6, 16, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x)).mean(dim=-1)


@pytest.mark.parametrize("target", ["ethos-u55-128", "ethos-u85-256"])
def test_mean_over_time_is_a_window_sum(target):
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randn(1, 6, 20, generator=g),) for _ in range(5)]
    program = quantize_model(ConvMeanOverTime().eval(), batches[0], "a8w8", batches[:-1])
    check = check_quantized(program, batches[-1], target=target)
    check.assert_ok()
    ops = check.result.report["ops"]
    assert "tosa.reduce_sum" not in ops and "tosa.depthwise_conv2d" in ops, ops
    assert check.result.report["vela"]["placement"]["cpu_ops"] == 0
