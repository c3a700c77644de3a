"""Named pass pipelines, per scheme and target, as text `tosaic-opt` can replay.

    tosaic-opt model.mlir --pass-pipeline="$(tosaic pipeline tosa-fp)"
"""

from __future__ import annotations

from tosaic import targets

# Cleanup that every TOSA graph gets after torch-mlir's lowering: cancel layout
# transposes, fold constant subgraphs (batchnorm statistics, transposed weights), tidy up.
_CLEANUP = (
    "func.func(tosaic-fold-transposes,tosaic-merge-slices),"
    "func.func(tosa-layerwise-constant-fold),"
    "canonicalize,cse"
)

# int64 graph inputs that torch-mlir casts to int32 indices (token ids): int32 inputs.
_INDEX_INPUTS = "tosaic-narrow-index-inputs,"

# Quantized programs (after tosaic-import-qdq and TorchToTosa): move Q/DQ off layout
# ops, cancel transposes, fold weights, lower DQ -> op -> Q to integer TOSA, make the
# graph's I/O the quantized values, cancel what transposes remain, and refuse any float
# op left over.
# The quantized lowering, every family in the registry's phase order (tosaic.lowering.registry.PHASES).
_INTEGER_LOWERING = "func.func(tosaic-lower-quantized)"


# The integer pipeline variants, by name: what the target families compile with.
_INTEGER_VARIANTS = {family.pipeline.name: family.pipeline for family in targets.FAMILIES if family.integer}


def integer_pipeline(variant: str = "tosa-int", preserve_io_quantization: bool = True,
                     int48_bias: str = "native", native_bias_bits: int = 48) -> str:
    """An integer pipeline (`variant`: tosa-int or a target's variant of it).
    `preserve_io_quantization=False` turns uint8 graph IO into the identical int8 (see
    tosaic-confine-uint8); `int48_bias` ("native" or "split") and `native_bias_bits` are
    tosaic-int48-bias's options: the form of int16 convolutions' bias (see that pass)."""
    confine = "tosaic-confine-uint8" + ("" if preserve_io_quantization else "{preserve-io=false}")
    int48 = "tosaic-int48-bias"
    if (int48_bias, native_bias_bits) != ("native", 48):
        int48 += f"{{form={int48_bias} native-bias-bits={native_bias_bits}}}"
    return (
        # int64 index inputs as the int32 TOSA reads; uint8 only at the graph IO, int8
        # inside, before anything is lowered.
        f"builtin.module({_INDEX_INPUTS}func.func({confine}),"
        # Twice: sinking a transpose through a clamp exposes quantize(transpose) again.
        "func.func(tosaic-form-clamps,tosaic-propagate-qdq,tosaic-fold-transposes,"
        "tosaic-propagate-qdq,tosaic-fold-transposes),"
        # A weight shared by several calls: each transpose/reshape of it folded on its own.
        "func.func(tosaic-fold-shared-constants,tosa-layerwise-constant-fold),"
        f"{_INTEGER_LOWERING},"
        # int16 convolutions: native int48 bias or the bias-split form, on the lowered graph.
        f"func.func({int48}),"
        "func.func(tosaic-propagate-qdq),tosaic-quantize-io,"
        # One slice where torch-mlir trims a strided conv's input per axis (Vela fuses one).
        # Then no transpose left on a widened (int32) tensor where its narrow input would do.
        # A chain of reshapes and transposes (a channel shuffle) as at most one transpose.
        "func.func(tosaic-fold-transposes,tosaic-fold-transposes{sink=false hoist-off-wide=true},"
        "tosaic-merge-slices,tosaic-fold-layout-chains),func.func(tosa-layerwise-constant-fold),"
        # IO rescales next to another rescale become one where that is exact.
        "func.func(tosaic-fuse-rescales),"
        f"{''.join(p + ',' for p in _INTEGER_VARIANTS[variant].extra_passes)}"
        "canonicalize,cse,func.func(tosaic-verify-integer))"
    )


_FLOAT_PIPELINE = f"builtin.module({_INDEX_INPUTS}{_CLEANUP})"

PIPELINES: dict[str, str] = {
    family.pipeline.name: integer_pipeline(family.pipeline.name) if family.integer else _FLOAT_PIPELINE
    for family in targets.FAMILIES
}


def pipeline_for_target(target: str) -> str:
    """The pipeline name for a compile target (tosa-fp, tosa-int, ethos-u55-128, ...)."""
    return targets.target(target).family.pipeline.name


INT48_BIAS_FORMS = ("auto", "native", "split")


def int48_bias_options(requested: str, target: str) -> tuple[str, int]:
    """tosaic-int48-bias's (form, native-bias-bits) for the requested form ("auto",
    "native", "split") on a compile target: "auto" keeps the bias native up to the width
    the target's convolutions take."""
    if requested == "split":
        return "split", 48
    bits = targets.target(target).family.native_bias_bits if requested == "auto" else 48
    return "native", bits


def target_pipeline(target: str, int48_bias: str = "auto", preserve_io_quantization: bool = True) -> str:
    """The pipeline text `tosaic compile --target TARGET` runs (with those options)."""
    family = targets.target(target).family
    if not family.integer:
        return PIPELINES[family.pipeline.name]
    form, bits = int48_bias_options(int48_bias, target)
    return integer_pipeline(family.pipeline.name, preserve_io_quantization, form, bits)


def pipeline_text(name: str) -> str:
    try:
        return PIPELINES[name]
    except KeyError:
        raise KeyError(f"no pipeline named '{name}'; known: {', '.join(sorted(PIPELINES))}") from None
