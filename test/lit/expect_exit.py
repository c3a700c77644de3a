"""Run a command and succeed only if it exits with the given code.

    RUN: %expect-exit 1 tosaic-opt bad.mlir 2>&1 | filecheck %s

lit's `not` accepts any failure; this pins the exit code (an uncaught Python exception
also exits with 1, so pair it with `CHECK-NOT: Traceback`). The command's stdout and
stderr pass through unchanged.
"""

import subprocess
import sys

expected, command = int(sys.argv[1]), sys.argv[2:]
code = subprocess.call(command)
if code != expected:
    sys.stderr.write(f"expect_exit: '{command[0]}' exited with {code}, expected {expected}\n")
    sys.exit(1)
