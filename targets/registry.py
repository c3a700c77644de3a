"""Every compile target, one record per family, so that a target's facts live in one place.

A target name is a family (`tosa-fp`, `tosa-int`) or a family and one of its accelerator
configs (`ethos-u55-128`: an Ethos-U55 with 128 MACs per cycle, Vela's
`--accelerator-config`). `target(name)` is the one place a name is resolved; compile(),
`tosaic pipeline`, the CLI's help, Vela and `tosaic docs` all read these records.
"""

from __future__ import annotations

from dataclasses import dataclass

from tosaic.driver.errors import TosaicError


@dataclass(frozen=True)
class TosaTarget:
    """What `tosa-attach-target` states. The compile adds the extensions the module's
    element types need (int4 weights, int16 activations) to these."""

    profile: str
    extensions: tuple[str, ...] = ()
    level: str = "8k"

    @property
    def integer(self) -> bool:
        return self.profile == "pro_int"


@dataclass(frozen=True)
class PipelineVariant:
    """The named pipeline a family compiles with (`tosaic pipeline NAME`): the float or
    integer pipeline (by the family's profile), plus passes the family needs on the
    finished integer graph, before the final cleanup."""

    name: str
    extra_passes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VelaDefaults:
    """What Vela itself falls back to for the family without --system-config or
    --memory-mode (ethosu/vela/architecture_features.py), passed explicitly so that Vela
    does not warn and the choice is recorded. Both are sections of `config_file`."""

    system_config: str
    memory_mode: str
    config_file: str = "Arm/vela.ini"  # Vela's bundled configuration


@dataclass(frozen=True)
class TargetFamily:
    """Everything tosaic knows about compiling for one target family."""

    name: str
    summary: str
    tosa: TosaTarget
    pipeline: PipelineVariant
    # The widest int48 bias its int16 convolutions keep (tosaic-int48-bias splits a wider one
    # under --int48-bias auto).
    native_bias_bits: int = 48
    # Vela compiles the family's flatbuffer for its NPU, with these defaults; without them
    # the flatbuffer itself is the product (the TOSA reference model runs it).
    vela: VelaDefaults | None = None
    # Its accelerator configs, MACs per cycle (target `<name>-<macs>`); none: the family
    # name is the one target.
    macs: tuple[int, ...] = ()

    @property
    def integer(self) -> bool:
        return self.tosa.integer

    def targets(self) -> list[Target]:
        if not self.macs:
            return [Target(self.name, self)]
        return [Target(f"{self.name}-{macs}", self, macs) for macs in self.macs]

    @property
    def short_names(self) -> str:
        """`ethos-u55-32/64/128/256`, as the help and the docs list it."""
        return f"{self.name}-{'/'.join(map(str, self.macs))}" if self.macs else self.name


@dataclass(frozen=True)
class Target:
    """One compile target: its family's record and, for an accelerator, its MACs per cycle."""

    name: str
    family: TargetFamily
    macs: int | None = None

    @property
    def accelerator(self) -> str | None:
        """Vela's --accelerator-config for the target; None when Vela does not run."""
        return self.name if self.family.vela else None


_INTEGER = TosaTarget("pro_int")
_TOSA_INT_PIPELINE = PipelineVariant("tosa-int")
# Vela 5.2.0 runs CONV3D on the Ethos-U55 and U65 (one NPU architecture to Vela) only with
# kernel depth 1: their pipeline decomposes a deeper conv3d.
# Every Ethos-U: Vela 5.2.0 does not fuse the output RESCALE into a TRANSPOSE_CONV2D (and
# cannot run an int16 one on the U55), so it becomes a conv2d over the zero-inserted input.
# Every Ethos-U: no TRANSPOSE feeds a conv1d directly (tosaic-squeeze-transposes), Vela runs that slowly.
# A repeat's rank-6 TILE as one TILE of the tensor (tosaic-fold-tile-reshapes), Vela's faster form.
# Every Ethos-U: a sum over time sums the conv output itself, not its transpose (tosaic-reduce-without-transpose).
# Every Ethos-U: Vela 5.2.0 runs a GATHER of a constant table (an embedding) on the CPU, on the
# U55 any GATHER: a one-hot 1x1 convolution instead (tosaic-decompose-gather).
_ETHOS_U_PASSES = ("func.func(tosaic-decompose-transpose-conv2d,tosaic-decompose-gather)",
                   "func.func(tosaic-squeeze-transposes,tosaic-fold-tile-reshapes,tosaic-reduce-without-transpose)")
# Ethos-U55/U65: no ARGMAX in Vela 5.2.0 (tosaic-decompose-argmax: reductions of int32 keys).
_ETHOS_U55_PIPELINE = PipelineVariant("tosa-int-ethos-u55",
                                      extra_passes=("func.func(tosaic-decompose-conv3d,tosaic-decompose-argmax)",)
                                      + _ETHOS_U_PASSES)
# Ethos-U85 only: a negating int8 TABLE runs faster as NEGATE (on the U55 the TABLE wins).
_ETHOS_U85_PIPELINE = PipelineVariant("tosa-int-ethos-u85",
                                      extra_passes=_ETHOS_U_PASSES + ("func.func(tosaic-table-to-negate)",))
# Ethos-U55/U65 convolutions take a 40-bit bias: those NPUs accumulate in 40 bits, and Vela
# 5.2.0 drops the rest of an int48 bias without a word. The Ethos-U85 keeps 48.
_ETHOS_U55_BIAS_BITS = 40

FAMILIES: tuple[TargetFamily, ...] = (
    TargetFamily(
        name="tosa-fp",
        summary="TOSA 1.0 floating-point profile, for float programs",
        tosa=TosaTarget("pro_fp"),
        pipeline=PipelineVariant("tosa-fp"),
    ),
    TargetFamily(
        name="tosa-int",
        summary="TOSA 1.0 integer profile, for quantized programs",
        tosa=_INTEGER,
        pipeline=_TOSA_INT_PIPELINE,
    ),
    TargetFamily(
        name="ethos-u55",
        summary="Arm Ethos-U55 NPU, through Vela (conv3d only with kernel depth 1, 40-bit accumulators)",
        tosa=_INTEGER,
        pipeline=_ETHOS_U55_PIPELINE,
        native_bias_bits=_ETHOS_U55_BIAS_BITS,
        vela=VelaDefaults("Ethos_U55_High_End_Embedded", "Shared_Sram"),
        macs=(32, 64, 128, 256),
    ),
    TargetFamily(
        name="ethos-u65",
        summary="Arm Ethos-U65 NPU, through Vela (the U55's architecture to Vela)",
        tosa=_INTEGER,
        pipeline=_ETHOS_U55_PIPELINE,
        native_bias_bits=_ETHOS_U55_BIAS_BITS,
        vela=VelaDefaults("Ethos_U65_Client_Server", "Dedicated_Sram_384KB"),
        macs=(256, 512),
    ),
    TargetFamily(
        name="ethos-u85",
        summary="Arm Ethos-U85 NPU, through Vela",
        tosa=_INTEGER,
        pipeline=_ETHOS_U85_PIPELINE,
        vela=VelaDefaults("Ethos_U85_SYS_DRAM_Mid", "Dedicated_Sram_384KB"),
        macs=(128, 256, 512, 1024, 2048),
    ),
)

_BY_NAME: dict[str, Target] = {t.name: t for family in FAMILIES for t in family.targets()}

# Every target name, in the families' order.
TARGETS: tuple[str, ...] = tuple(_BY_NAME)
# The targets Vela compiles for (its --accelerator-config values).
ACCELERATORS: tuple[str, ...] = tuple(name for name, t in _BY_NAME.items() if t.accelerator)


def target(name: str) -> Target:
    """The target called `name` ("tosa-int", "ethos-u55-128", ...); an unknown name is a
    TosaicError listing the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TosaicError(f"unknown target '{name}'; available: {', '.join(TARGETS)}") from None
