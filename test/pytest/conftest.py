import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


@pytest.fixture
def bin_dir():
    return BIN


def pytest_configure(config):
    # @pytest.mark.lowering("<registry entry>"): an end-to-end numeric test of that quantized
    # lowering (tosaic.lowering.registry); the op coverage table is generated from these.
    config.addinivalue_line("markers", "lowering(name): end-to-end numeric test of a registered quantized lowering")
