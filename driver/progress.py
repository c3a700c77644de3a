"""Progress on stderr while a compile or a debug run works: a spinner with the elapsed time,
and a line per finished stage (export, quantize, import, passes, Vela, debug samples).

Off unless the CLI turns it on (`display(enabled=...)`: stderr is a terminal and no
--quiet); the API stays silent. Drawn by rich, on stderr only, so stdout stays the result.
"""

from __future__ import annotations

import contextlib
import sys

_active = None  # (rich Progress, task id) while a display is on


@contextlib.contextmanager
def display(title: str, enabled: bool | None = None):
    """Show progress for the enclosed work; `enabled` None: when stderr is a terminal."""
    global _active
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    with progress:
        _active = (progress, progress.add_task(title, total=None))
        try:
            yield
        finally:
            _active = None


def finished(stage: str, seconds: float | None = None, working_on: str | None = None) -> None:
    """A stage is done: print it (with its seconds) above the spinner."""
    if _active is None:
        return
    progress, task = _active
    progress.console.print(f"  {stage}" + (f": {seconds:.1f} s" if seconds is not None else ""),
                           style="dim", highlight=False)
    if working_on:
        progress.update(task, description=working_on)
