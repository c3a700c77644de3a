"""Named pass pipelines, per scheme and target, as text `tosaic-opt` can replay.

    tosaic-opt model.mlir --pass-pipeline="$(tosaic pipeline tosa-fp)"
"""

from __future__ import annotations

# Cleanup that every TOSA graph gets after torch-mlir's lowering: cancel layout
# transposes, fold constant subgraphs (batchnorm statistics, transposed weights), tidy up.
_CLEANUP = (
    "func.func(tosaic-fold-transposes),"
    "func.func(tosa-layerwise-constant-fold),"
    "canonicalize,cse"
)

# Quantized programs (after tosaic-import-qdq and TorchToTosa): move Q/DQ off layout
# ops, cancel transposes, fold weights, lower DQ -> op -> Q to integer TOSA, make the
# graph's I/O the quantized values, cancel what transposes remain, and refuse any float
# op left over.
# The quantized lowering, every family in the registry's phase order (tosaic.lowering.registry.PHASES).
_INTEGER_LOWERING = "func.func(tosaic-lower-quantized)"


# Passes a pipeline variant runs on the finished integer graph, before the final cleanup.
# Every Ethos-U: Vela 5.2.0 does not fuse the output RESCALE into a TRANSPOSE_CONV2D (and
# cannot run an int16 one on the U55), so it becomes a conv2d over the zero-inserted input.
_ETHOS_U = "func.func(tosaic-decompose-transpose-conv2d),"
_TARGET_PASSES = {
    "tosa-int": "",
    # Ethos-U55 and U65 (one NPU architecture to Vela): Vela 5.2.0 runs CONV3D there only
    # with kernel depth 1.
    "tosa-int-ethos-u55": "func.func(tosaic-decompose-conv3d)," + _ETHOS_U,
    "tosa-int-ethos-u85": _ETHOS_U,
}


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
        # uint8 only at the graph IO, int8 inside, before anything is lowered.
        f"builtin.module(func.func({confine}),"
        # Twice: sinking a transpose through a clamp exposes quantize(transpose) again.
        "func.func(tosaic-form-clamps,tosaic-propagate-qdq,tosaic-fold-transposes,"
        "tosaic-propagate-qdq,tosaic-fold-transposes),"
        "func.func(tosa-layerwise-constant-fold),"
        f"{_INTEGER_LOWERING},"
        # int16 convolutions: native int48 bias or the bias-split form, on the lowered graph.
        f"func.func({int48}),"
        "func.func(tosaic-propagate-qdq),tosaic-quantize-io,"
        "func.func(tosaic-fold-transposes),func.func(tosa-layerwise-constant-fold),"
        # IO rescales next to another rescale become one where that is exact.
        "func.func(tosaic-fuse-rescales),"
        f"{_TARGET_PASSES[variant]}canonicalize,cse,func.func(tosaic-verify-integer))"
    )


PIPELINES: dict[str, str] = {
    "tosa-fp": f"builtin.module({_CLEANUP})",
    **{variant: integer_pipeline(variant) for variant in _TARGET_PASSES},
}

# The pipeline variant of each accelerator family (the Ethos-U85 runs any conv3d).
_ACCELERATOR_PIPELINES = {"ethos-u55": "tosa-int-ethos-u55", "ethos-u65": "tosa-int-ethos-u55",
                          "ethos-u85": "tosa-int-ethos-u85"}


def pipeline_for_target(target: str) -> str:
    """The pipeline name for a compile target: tosa-fp, tosa-int, or an Ethos-U
    accelerator such as ethos-u55-128 (its family decides)."""
    if target in ("tosa-fp", "tosa-int"):
        return target
    return _ACCELERATOR_PIPELINES.get(target.rsplit("-", 1)[0], "tosa-int")


# Ethos-U55/U65 convolutions take a 40-bit bias (Vela 5.2.0 drops the rest of an int48 bias
# without a word, and those NPUs accumulate in 40 bits); the Ethos-U85 keeps 48.
_NATIVE_BIAS_BITS = {"ethos-u55": 40, "ethos-u65": 40}
INT48_BIAS_FORMS = ("auto", "native", "split")


def int48_bias_options(requested: str, target: str) -> tuple[str, int]:
    """tosaic-int48-bias's (form, native-bias-bits) for the requested form ("auto",
    "native", "split") on a compile target."""
    if requested == "split":
        return "split", 48
    bits = _NATIVE_BIAS_BITS.get(target.rsplit("-", 1)[0], 48) if requested == "auto" else 48
    return "native", bits


def target_pipeline(target: str, int48_bias: str = "auto", preserve_io_quantization: bool = True) -> str:
    """The pipeline text `tosaic compile --target TARGET` runs (with those options)."""
    name = pipeline_for_target(target)
    if name == "tosa-fp":
        return pipeline_text(name)
    form, bits = int48_bias_options(int48_bias, target)
    return integer_pipeline(name, preserve_io_quantization, form, bits)


def pipeline_text(name: str) -> str:
    try:
        return PIPELINES[name]
    except KeyError:
        raise KeyError(f"no pipeline named '{name}'; known: {', '.join(sorted(PIPELINES))}") from None
