"""Run a TOSA flatbuffer on the TOSA reference model (tosa-tools)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Sequence

import numpy as np

from tosaic.driver.errors import ReferenceModelError


def run_reference(flatbuffer: bytes | str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of the graph for `inputs` (in the graph's input order).

    uint8/uint16 inputs are fed as their bits (the graph's storage is signless); outputs
    come back as the graph's signless types (view a uint8 output with `.view(np.uint8)`).
    Raises ReferenceModelError unless the reference model reports a valid graph.
    """
    import tosa_reference_model

    if isinstance(flatbuffer, str):
        with open(flatbuffer, "rb") as f:
            flatbuffer = f.read()
    # TOSA 8/16-bit storage is signless: unsigned inputs (raw uint8 bytes for a uint8
    # graph input) are passed as the same bits.
    arrays = [np.ascontiguousarray(x).view(_SIGNED_VIEW.get(np.asarray(x).dtype, np.asarray(x).dtype))
              for x in inputs]
    said: list[str] = []
    try:
        with _stdout_silenced(said):  # the model prints a version notice on every run
            outputs, status = tosa_reference_model.run(flatbuffer, arrays)
    except ValueError as e:
        given = ", ".join(f"{x.dtype} {'x'.join(map(str, x.shape))}" for x in arrays)
        raise ReferenceModelError(f"the reference model rejected the inputs ({str(e).strip()}): given {given}; "
                                  "each input must have the graph input's dtype and shape (a float input for "
                                  "an integer graph needs the report.json with its quantization)") from None
    if status != tosa_reference_model.GraphStatus.TOSA_VALID:
        # what it printed on stderr (e.g. "An error occurred while loading the TOSA model."), in our one line
        detail = " ".join(line.strip() for line in "".join(said).splitlines() if line.strip())
        raise ReferenceModelError(f"the reference model ended with graph status {status.name}"
                                  + (f": {detail[:300]}" if detail else ""))
    return list(outputs)


_SIGNED_VIEW = {np.dtype(np.uint8): np.int8, np.dtype(np.uint16): np.int16}


@contextlib.contextmanager
def _stdout_silenced(stderr_text: list[str]):
    """Silence fd 1; capture fd 2 into `stderr_text` (the C++ model writes there directly)."""
    import tempfile

    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile(mode="w+") as captured:
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
            os.dup2(captured.fileno(), 2)
            yield
        finally:
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            captured.seek(0)
            stderr_text.append(captured.read())
