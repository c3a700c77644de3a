"""Seeded slices of the three fuzzers in benchmarks/ (their long runs and tables are in
benchmarks/README.md). Each fails on any internal error, traceback, signal or hang."""

import os
import random
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import bad_inputs  # noqa: E402
import fuzz_opt  # noqa: E402


def test_tosaic_opt_mutation_slice():
    result = fuzz_opt.fuzz(runs=120, seed=5)
    bad = {k: result["counts"][k] for k in ("internal-error", "traceback", "signal", "hang")}
    assert not any(bad.values()), (bad, result["signatures"])
    assert result["counts"]["error"] > 0 and result["counts"]["ok"] > 0  # the mutations reach both


def _bad_input_slice():
    """Every case answered before torch is imported (the 1 s ones), and a seeded sample of
    the other cases that need no torch-built fixture."""
    fast = [c for c in bad_inputs.cases() if not c.needs]
    timed = [c for c in fast if c.within is not None]
    others = [c for c in fast if c.within is None]
    return timed + random.Random(7).sample(others, 8)


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("bad_inputs"))
    bad_inputs.make_fixtures(work)
    return work


@pytest.mark.parametrize("case", _bad_input_slice(), ids=lambda c: c.name)
def test_bad_input(case, fixture_dir):
    outcome = bad_inputs.run_case(case, fixture_dir, timeout=300)
    # the 1 s bound is the benchmark's: a loaded test machine may take longer to start Python
    verdict = "pass" if outcome.verdict == "slow" else outcome.verdict
    assert verdict == "pass", f"{outcome.verdict}: {outcome.stderr[-2000:]}"


def test_float_pt2_with_a8w8_compiles(tmp_path):
    """A float .pt2 from torch.export.save, quantized on the command line (it used to fail:
    `NotImplementedError: Calling eval() is not supported yet`); bad calibration data is
    refused against the program's signature."""
    work = str(tmp_path)
    bad_inputs.make_fixtures(work)
    bad_inputs.make_torch_fixtures(work, {"float_pt2"})
    names = ("compile: float .pt2 --scheme a8w8 (must work)", "compile: --calibration wrong shape")
    for case in (c for c in bad_inputs.cases() if c.name in names):
        outcome = bad_inputs.run_case(case, work, timeout=600)
        assert outcome.verdict == "pass", f"{case.name}: {outcome.verdict}: {outcome.stderr[-2000:]}"
