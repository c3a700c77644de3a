"""`--vela-search`: run Vela with each candidate setting and keep the fewest cycles.

The candidates are Vela's two `--optimise` strategies times its three tensor allocators
(`tosaic.targets.vela.OPTIMISE`, `TENSOR_ALLOCATORS`); the system config, memory mode and
config files stay the caller's. Each candidate runs in a scratch directory; the winner
(fewest `cycles_total`, ties to the earlier candidate, so Vela's defaults win a tie) runs
once more into the output directory, so its files are the ones written. The report lists
every candidate's cycles and memory, or its error.
"""

from __future__ import annotations

import tempfile
from typing import Callable

from tosaic.driver.errors import TosaicError
from tosaic.targets.vela import OPTIMISE, TENSOR_ALLOCATORS


def candidates(options: dict) -> list[dict]:
    """The Vela option sets to try, defaults (Performance, HillClimb) first."""
    return [{**options, "optimise": optimise, "tensor_allocator": allocator}
            for optimise in OPTIMISE for allocator in TENSOR_ALLOCATORS]


def search_vela(run: Callable[[dict, str | None], object], options: dict):
    """(the winner's VelaResult written by `run(options, None)`, the report entry).
    `run(options, directory)` runs Vela into `directory` (None: the compile's output)."""
    tried, best = [], None
    with tempfile.TemporaryDirectory(prefix="tosaic-vela-search-") as scratch:
        for i, candidate in enumerate(candidates(options)):
            setting = {"optimise": candidate["optimise"], "tensor_allocator": candidate["tensor_allocator"]}
            try:
                result = run(candidate, f"{scratch}/{i}")
            except TosaicError as e:
                tried.append({**setting, "error": str(e).splitlines()[0]})
                continue
            tried.append({**setting, "cycles": result.cycles_total, "memory_used_bytes": result.memory_used_bytes})
            if best is None or result.cycles_total < best[1]:
                best = (candidate, result.cycles_total, setting)
    if best is None:
        raise TosaicError("--vela-search: Vela failed with every candidate setting:\n" +
                          "\n".join(f"  {t['optimise']}/{t['tensor_allocator']}: {t['error']}" for t in tried))
    winner = run(best[0], None)
    return winner, {"chosen": best[2], "cycles": winner.cycles_total, "candidates": tried}
