# -*- Python -*-
"""lit configuration for tosaic's FileCheck tests.

Run from the repository root with the venv's lit:

    .venv/bin/lit -v test/lit

The tools come from the bin directory of the Python running lit (the venv), so a RUN
line can say `tosaic-opt` and `filecheck` (the `filecheck` package's command). `not` is
a builtin of lit's internal shell, which ShTest uses: it succeeds when the command
fails without crashing. `%expect-exit N cmd ...` succeeds only if `cmd` exits with N.
"""

import os
import sys

import lit.formats

config.name = "tosaic"
config.test_format = lit.formats.ShTest()
config.suffixes = [".mlir"]
config.excludes = ["Output", "Inputs", "lit.cfg.py", "lit.site.cfg.py"]

config.test_source_root = os.path.dirname(os.path.abspath(__file__))
config.test_exec_root = config.test_source_root  # %t lives in <dir>/Output/

# Not resolved through symlinks: the venv's python is a link to the base interpreter.
bin_dir = os.path.dirname(os.path.abspath(sys.executable))


def _tool(name):
    path = os.path.join(bin_dir, name)
    if not os.path.exists(path):
        lit_config.fatal(f"'{name}' not found in {bin_dir}; install tosaic with the dev extras")
    return path


# A tool name is replaced only as a whole word that is not part of a path, a flag or a
# longer name (as llvm-lit's ToolSubst does), so e.g. `--tosaic-opt-foo` stays.
for name in ("tosaic-opt", "filecheck"):
    config.substitutions.append(
        (r"(?<![-./\\<=])\b%s\b(?![-.])" % name.replace("-", r"\-"), _tool(name))
    )
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    ("%expect-exit", f'"{sys.executable}" "{os.path.join(config.test_source_root, "expect_exit.py")}"')
)

config.environment["PATH"] = os.pathsep.join(
    [bin_dir, config.environment.get("PATH", os.environ.get("PATH", ""))]
)
# Which lowering entries fire (tosaic.lowering.registry.LoweringRun.record): passed through.
if "TOSAIC_TRACE_LOWERINGS" in os.environ:
    config.environment["TOSAIC_TRACE_LOWERINGS"] = os.environ["TOSAIC_TRACE_LOWERINGS"]
