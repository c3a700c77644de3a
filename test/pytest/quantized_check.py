"""The tests' handle on the quantized numeric check (it lives in the package: the demo uses it too)."""

from tosaic.checks import QuantizedCheck, check_quantized  # noqa: F401
