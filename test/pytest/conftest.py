import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


@pytest.fixture
def bin_dir():
    return BIN


def pytest_configure(config):
    # Which lowering registry entries a test exercises end to end; tosaic/tools/ops.py reads
    # these marks into the op table, test_lowering_coverage.py checks them.
    config.addinivalue_line("markers", "lowering(*entries): the lowering entries this test checks end to end")
