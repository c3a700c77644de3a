"""A seeded slice of the differential fuzzer of random quantized models
(benchmarks/fuzz_models.py): each example quantized, compiled twice, run on the reference
model and compared with the fake-quantized program; hypothesis shrinks a failure."""

import os
import sys

from hypothesis import HealthCheck, Phase, given, seed, settings

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import fuzz_models  # noqa: E402


@seed(20261202)
@settings(max_examples=4, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
          suppress_health_check=list(HealthCheck))
@given(fuzz_models.specs(max_layers=3))
def test_random_quantized_model(spec):
    outcome = fuzz_models.check(spec)
    # refused: a clean error for a model outside tosaic's support, never wrong numerics or a crash
    assert outcome.kind in ("0 LSB", "1 LSB", "refused"), (outcome, spec.text())


def test_model_folding_to_identity_runs_on_the_npu():
    """A k=1 max pool folds away: the graph output was its input, which Vela rejected
    ("Output tensor ... does not have any writers"); now a tosa.identity writes it."""
    spec = fuzz_models.Spec((4, 6, 6), (("maxpool1", ()),), "a8w8", "ethos-u55-128", 0)
    outcome = fuzz_models.check(spec)
    assert outcome.kind == "0 LSB", outcome
