"""Back ends: what a TOSA module becomes for each compile target (a validated TOSA
flatbuffer, run on the TOSA reference model or compiled by Vela for an Ethos-U NPU).

The targets themselves are records in `registry.py`; look one up with `target(name)`.
"""

from tosaic.targets.registry import (
    ACCELERATORS,
    FAMILIES,
    TARGETS,
    PipelineVariant,
    Target,
    TargetFamily,
    TosaTarget,
    VelaDefaults,
    target,
)

__all__ = ["ACCELERATORS", "FAMILIES", "TARGETS", "PipelineVariant", "Target", "TargetFamily", "TosaTarget",
           "VelaDefaults", "target"]
