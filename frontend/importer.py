"""PyTorch in: an nn.Module with example inputs, an ExportedProgram, or a `.pt2` file.

The program goes through torch-mlir's FX importer into torch-backend IR, then through
torch-mlir's TorchToTosa into the TOSA dialect. The entry function is `@main`; its
arguments and results are the program's user inputs and outputs in their own order,
shape and layout.
"""

from __future__ import annotations

import logging
import math
import os
import re
from typing import Any, Sequence

import torch
from torch.export import ExportedProgram
from torch_mlir import ir
from torch_mlir.extras.fx_decomp_util import get_decomposition_table
from torch_mlir.extras.fx_importer import FxImporter, FxImporterHooks

from tosaic.frontend import executorch_ops
from tosaic.driver.errors import FrontendError
from tosaic.driver.locations import attach_module_paths
from tosaic.pipelines.textual import PipelineError, build_pass_manager


def register_quantized_ops() -> None:
    """Register the quantized_decomposed Q/DQ ops a quantized `.pt2` holds: torch's own
    definition of the library (what torchao's pt2e imports too), a tenth of a second
    where importing torchao takes seconds."""
    import torch.ao.quantization.fx._decomposed  # noqa: F401


def load_program(path: str) -> ExportedProgram:
    """Load a `.pt2`; registers the quantized_decomposed ops a quantized program needs,
    and torchao's ops only if the program holds others than those."""
    from tosaic.frontend.fast_load import cached_type_hints

    register_quantized_ops()
    if not os.path.exists(path):
        raise FrontendError(f"no such program file: {path}")
    # torch logs a traceback ("Ran into the following error when deserializing") before
    # trying an older archive format; the error that follows is the user's one line.
    export_log = logging.getLogger("torch.export")
    level = export_log.level
    export_log.setLevel(logging.CRITICAL)
    try:
        with cached_type_hints():
            try:
                return executorch_ops.rewrite(torch.export.load(path))
            except Exception:  # an op only torchao or ExecuTorch registers: load again with them
                import torchao.quantization.pt2e.quantize_pt2e  # noqa: F401

                executorch_ops.register()
                return executorch_ops.rewrite(torch.export.load(path))
    except Exception as e:  # torch raises many kinds for a bad archive
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if "check the warnings above" in first:  # the warnings are the traceback silenced above
            first = "it is not a torch.export archive (a zip without an exported program)"
        raise FrontendError(f"cannot load '{path}' as a torch.export program: {first}") from None
    finally:
        export_log.setLevel(level)


def export_program(
    program: ExportedProgram | torch.nn.Module | str, example_inputs: Sequence[Any] | None
) -> ExportedProgram:
    if isinstance(program, str):
        return load_program(program)
    if isinstance(program, ExportedProgram):
        return executorch_ops.rewrite(program)
    if example_inputs is None:
        raise FrontendError("an nn.Module needs example_inputs to be exported")
    try:
        with torch.no_grad():
            return torch.export.export(program.eval(), tuple(example_inputs), strict=False)
    except Exception as e:  # noqa: BLE001 - the user's forward, traced: its errors are the user's
        shapes = ", ".join("x".join(map(str, getattr(x, "shape", ()))) for x in example_inputs)
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        # An embedding fed the CLI's float example: say how to give integer ids.
        hint = (" (an input of token ids or indices is an integer tensor: give its shape as 2x7:int64)"
                if "indices" in first and "float" in first else "")
        raise FrontendError(f"cannot export {type(program).__name__} with input shape(s) {shapes}: "
                            f"{type(e).__name__}: {first}{hint}") from None


# torch-mlir's own lowering from the FX import to torch-backend IR (its
# `torchdynamo-export-to-torch-backend-pipeline`), as one pipeline of ours.
TORCH_BACKEND_PIPELINE = (
    "builtin.module(func.func(torch-match-quantized-custom-ops),"
    "torchdynamo-export-to-torch-backend-pipeline)"
)
TORCH_TO_TOSA_PIPELINE = "builtin.module(torch-backend-to-tosa-backend-pipeline)"
# For quantized programs: our Q/DQ import first, then torch-mlir's TOSA lowering, minus
# its backend-contract check (the tosaic Q/DQ ops are not part of that contract). Last,
# unsigned storage (torch.uint8: `ui8`) becomes signless `i8` holding the same bits, the
# only 8-bit storage TOSA has; the Q/DQ ops' qmin/qmax (0, 255) keep the unsigned meaning.
QUANTIZED_TORCH_TO_TOSA_PIPELINE = (
    "builtin.module(func.func(tosaic-import-qdq),"
    "func.func(convert-torch-to-tosa{require-full-tosa-conversion=true}),"
    "func.func(tosa-layerwise-constant-fold),func.func(tosa-make-broadcastable),"
    "func.func(canonicalize),func.func(cse),torch-func-backend-type-conversion,"
    "func.func(canonicalize),func.func(torch-finalizing-backend-type-conversion),"
    "func.func(tosa-convert-integer-type-to-signless))"
)


def is_quantized(program: ExportedProgram) -> bool:
    """Whether the program states its quantization with quantized_decomposed Q/DQ ops."""
    return any(
        node.op == "call_function" and "quantized_decomposed" in str(node.target)
        for node in program.graph.nodes
    )


class _ReadableLiterals(FxImporterHooks):
    """Import tensor literals as `dense<...>` rather than `dense_resource<...>`.

    Our passes read weights, biases and per-channel scales from the IR (int4 detection,
    bias quantization, rescale constants); the bindings cannot read resource blobs.
    """

    def resolve_literal(self, gni, literal, info):
        if not isinstance(literal, torch.Tensor) or literal.dtype not in _LITERAL_TYPES:
            return None
        array = literal.detach().contiguous().numpy()
        element_type = _LITERAL_TYPES[literal.dtype]()
        attr = ir.DenseElementsAttr.get(array, type=element_type, shape=list(array.shape))
        return ir.Operation.create(
            "torch.vtensor.literal",
            results=[gni._cc.tensor_to_vtensor_type(literal)],
            attributes={"value": attr},
        ).result


_LITERAL_TYPES = {
    torch.float32: ir.F32Type.get,
    torch.int8: lambda: ir.IntegerType.get_signed(8),
    torch.uint8: lambda: ir.IntegerType.get_unsigned(8),
    torch.int16: lambda: ir.IntegerType.get_signed(16),
    torch.int32: lambda: ir.IntegerType.get_signed(32),
    torch.int64: lambda: ir.IntegerType.get_signed(64),
}


def _slice_copy(x, dim=0, start=None, end=None, step=1):
    return torch.ops.aten.slice.Tensor(x, dim, start, end, step).clone()


def _view_copy(x, size):
    return torch.ops.aten.view.default(x, size).clone()


def _slice_with_step(x, dim=0, start=None, end=None, step=1):
    """A slice with a step as data movement: the step-1 slice, padded at the end to a
    multiple of the step, viewed as [outer, length / step, step * inner], the first
    `inner` columns kept (a step-1 slice) and viewed back. torch-mlir lowers a strided
    slice to a GATHER, which Vela rejects on Ethos-U55."""
    if step == 1:
        return NotImplemented
    shape = list(x.shape)
    dim = dim % len(shape)
    start, end, _ = slice(start, end, step).indices(shape[dim])
    length = max(end - start, 0)
    if length == 0:
        return NotImplemented
    kept = -(-length // step)
    window = torch.ops.aten.slice.Tensor(x, dim, start, end, 1)
    if kept * step != length:
        padding = [0, 0] * (len(shape) - dim - 1) + [0, kept * step - length]
        window = torch.ops.aten.constant_pad_nd.default(window, padding, 0.0)
    outer = math.prod(shape[:dim])
    inner = math.prod(shape[dim + 1:])
    rows = window.reshape(outer, kept, step * inner)
    firsts = torch.ops.aten.slice.Tensor(rows, 2, 0, inner, 1)
    return firsts.reshape(shape[:dim] + [kept] + shape[dim + 1:])


# A flip of a dim this long or shorter becomes one slice per element and a concat;
# longer flips stay a REVERSE (which Vela runs on Ethos-U85 but rejects on Ethos-U55).
MAX_FLIP_SLICES = 16


def _flip(x, dims):
    """flip as data movement Ethos-U55 runs: the elements of each flipped dim sliced one
    by one and concatenated in reverse order."""
    shape = list(x.shape)
    dims = sorted({d % len(shape) for d in dims})
    if any(shape[d] > MAX_FLIP_SLICES for d in dims):
        return NotImplemented
    for d in dims:
        if shape[d] > 1:
            x = torch.cat([torch.ops.aten.slice.Tensor(x, d, i, i + 1, 1) for i in reversed(range(shape[d]))], d)
    return x


def _nearest_sizes(x, output_size, scale_factors) -> list[int]:
    if output_size is not None:
        return [int(size) for size in output_size]
    return [int(size * scale) for size, scale in zip(x.shape[2:], scale_factors)]


def _upsample_nearest2d(x, output_size=None, scale_factors=None):
    """Nearest upsampling by whole factors as data movement: each element repeated
    `s` times along H and W (a broadcast between two reshapes, which TorchToTosa lowers
    to reshape + tile). torch-mlir's own lowering of the op is a float-index GATHER, which
    Vela rejects on Ethos-U55. Other sizes are left to torch-mlir."""
    n, c, h, w = x.shape
    out_h, out_w = _nearest_sizes(x, output_size, scale_factors)
    if out_h % h or out_w % w:
        return NotImplemented
    sh, sw = out_h // h, out_w // w
    # One dim at a time, in rank 3 and 4: Vela splits a rank-6 TILE into hundreds of ops.
    wide = x.reshape(n * c * h, w, 1).expand(n * c * h, w, sw).reshape(n * c, h, 1, out_w)
    return wide.expand(n * c, h, sh, out_w).reshape(n, c, out_h, out_w)


def _upsample_nearest2d_sizes(x, output_size, scales_h=None, scales_w=None):
    return _upsample_nearest2d(x, output_size)


def _index_select_rows(x, dim, index):
    """Rows of a table by a tensor of ids (ExecuTorch's quantizer writes an embedding so) as
    the embedding it is: TorchToTosa lowers that to one GATHER of whole rows, and
    index_select to a GATHER of single elements (16x the indices for 16-wide rows)."""
    if x.dim() == 2 and dim % 2 == 0 and index.dim() == 1:
        return torch.ops.aten.embedding.default(x, index)
    return NotImplemented


def _pow_by_small_integer(x, exponent):
    """x ** n for n in 2..4 as products (a float program): TOSA's POW requires a positive base,
    so torch-mlir's POW of x^3 in tanh-GELU fails on the reference model for x < 0."""
    if isinstance(exponent, (int, float)) and float(exponent) in (2.0, 3.0, 4.0) and x.is_floating_point():
        out = x
        for _ in range(int(exponent) - 1):
            out = torch.ops.aten.mul.Tensor(out, x)
        return out
    return NotImplemented


def _gelu_tanh_f32(x, approximate="none"):
    """tanh-GELU of a float program with x^3 as products (see `_pow_by_small_integer`)."""
    if approximate != "tanh":
        return NotImplemented
    aten = torch.ops.aten
    cube = aten.mul.Tensor(aten.mul.Tensor(x, x), x)
    inner = aten.mul.Tensor(aten.add.Tensor(x, aten.mul.Tensor(cube, 0.044715)), math.sqrt(2.0 / math.pi))
    return aten.mul.Tensor(aten.mul.Tensor(x, 0.5), aten.add.Tensor(aten.tanh.default(inner), 1.0))


def _layer_norm_f32(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """native_layer_norm of a float32 tensor in float32: torch-mlir computes its variance
    in f64 (through casts), which TOSA's floating-point profile does not have. Float
    programs only: the quantized layer-norm lowering matches torch-mlir's own form."""
    if x.dtype != torch.float32:
        return NotImplemented
    dims = list(range(x.dim() - len(normalized_shape), x.dim()))
    mean = torch.ops.aten.mean.dim(x, dims, True)
    centred = x - mean
    rstd = torch.ops.aten.rsqrt.default(torch.ops.aten.mean.dim(centred * centred, dims, True) + eps)
    out = centred * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out, mean, rstd


def decomposition_table(quantized: bool = True) -> dict:
    """torch-mlir's decompositions, plus the `_copy` views that some quantizers'
    programs carry (ExecuTorch's Arm quantizer leaves `slice_copy`, and `view_copy` in
    its batch norm decomposition), which TorchToTosa has no pattern for, and nearest
    upsampling (TorchToTosa does not legalize `aten.__interpolate`, which torch-mlir makes
    of `upsample_nearest2d.vec`), slices with a step and short flips, as data movement
    Ethos-U55 runs, and rows of a 2-D table by ids as an embedding."""
    table = dict(get_decomposition_table())
    table[torch.ops.aten.slice_copy.Tensor] = _slice_copy
    table[torch.ops.aten.view_copy.default] = _view_copy
    table[torch.ops.aten.slice.Tensor] = _slice_with_step
    table[torch.ops.aten.flip.default] = _flip
    table[torch.ops.aten.index_select.default] = _index_select_rows
    table[torch.ops.aten.upsample_nearest2d.vec] = _upsample_nearest2d
    table[torch.ops.aten.upsample_nearest2d.default] = _upsample_nearest2d_sizes
    from tosaic.frontend import decompositions

    table[torch.ops.aten.adaptive_avg_pool2d.default] = decompositions.adaptive_avg_pool2d
    table[torch.ops.aten.group_norm.default] = decompositions.group_norm
    if not quantized:
        table[torch.ops.aten.native_layer_norm.default] = _layer_norm_f32
        table[torch.ops.aten.pow.Tensor_Scalar] = _pow_by_small_integer
        table[torch.ops.aten.gelu.default] = _gelu_tanh_f32
    return table


def _float_composites_rewritten(program: ExportedProgram) -> ExportedProgram:
    """A float program with bilinear upsampling, attention or tril: the rewrites of
    `tosaic.quantization.decompositions.decompose_float_composites` (their constants are
    buffers, which a run_decompositions rule cannot add), and boolean constants as
    comparisons, re-exported. Others are returned as they are."""
    from tosaic.quantization.decompositions import FLOAT_REWRITE_ROOTS, decompose_float_composites

    return _rewritten(program, FLOAT_REWRITE_ROOTS, decompose_float_composites, integer=False)


def _quantized_composites_rewritten(program: ExportedProgram) -> ExportedProgram:
    """A program another quantizer made, with a composite it left whole between a dequantize
    and a quantize (a cumsum): the rewrite into ops the lowerings take, with exactly quantized
    constants (`tosaic.quantization.decompositions.decompose_quantized_composites`), re-exported."""
    from tosaic.quantization.decompositions import QUANTIZED_REWRITES, decompose_quantized_composites

    return _rewritten(program, QUANTIZED_REWRITES, decompose_quantized_composites, integer=True)


def _rewritten(program: ExportedProgram, targets, rewrite, integer: bool) -> ExportedProgram:
    """`rewrite(gm)` of the program's module when it holds one of the ops `targets`, and its
    boolean constants (attention masks) as comparisons of constants, which torch-mlir imports
    (`boolean_constants_as_comparisons`); re-exported when anything changed."""
    from tosaic.quantization.decompositions import boolean_constants_as_comparisons, has_boolean_constants

    has_targets = any(n.op == "call_function" and n.target in targets for n in program.graph.nodes)
    has_booleans = has_boolean_constants(program)
    if not has_targets and not has_booleans:
        return program
    gm = program.module(check_guards=False)
    # The rewrites first: they take a boolean mask buffer as the constant it is.
    changed = rewrite(gm) if has_targets else 0
    changed += boolean_constants_as_comparisons(gm, integer) if has_booleans else 0
    return _reexported(program, gm) if changed else program


def _reexported(program: ExportedProgram, gm) -> ExportedProgram:
    placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
    args = tuple(torch.zeros(placeholders[name].meta["val"].shape, dtype=placeholders[name].meta["val"].dtype)
                 for name in program.graph_signature.user_inputs)
    with torch.no_grad():
        return torch.export.export(gm, args, strict=False)


def import_torch(program: ExportedProgram, context: ir.Context, lap=lambda stage: None) -> ir.Module:
    """FX import into torch-backend IR (the torch dialect, value semantics). `lap(stage)`
    is called after each step: "decompose", "fx_import", "torch_backend".

    The decomposition is run_decompositions' (a whole-program retrace). Tracing only the
    nodes that change (tosaic.frontend.decompose, 4-8x faster on MobileNetV2) is opt-in with
    TOSAIC_DECOMPOSE=nodes: on the merged test suite it still differs from run_decompositions
    on in-place ops, fake-mode mixes and some quantized programs."""
    quantized = is_quantized(program)
    program = _quantized_composites_rewritten(program) if quantized else _float_composites_rewritten(program)
    table = decomposition_table(quantized=quantized)
    if os.environ.get("TOSAIC_DECOMPOSE") == "nodes":
        from tosaic.frontend.decompose import decompose

        decomposed = decompose(program, table)
    else:
        decomposed = program.run_decompositions(table)
    lap("decompose")
    importer = FxImporter(context=context, hooks=_ReadableLiterals())
    attach_module_paths(importer)  # locations name the user's module: tosaic.driver.locations
    importer.import_frozen_program(decomposed, func_name="main")
    module = importer.module
    lap("fx_import")
    run_pipeline(module, TORCH_BACKEND_PIPELINE, "lowering the FX import to torch-backend IR")
    lap("torch_backend")
    return module


def lower_to_tosa(module: ir.Module, quantized: bool = False) -> ir.Module:
    pipeline = QUANTIZED_TORCH_TO_TOSA_PIPELINE if quantized else TORCH_TO_TOSA_PIPELINE
    run_pipeline(module, pipeline, "lowering torch-backend IR to TOSA")
    return module


def run_pipeline(module: ir.Module, pipeline: str, what: str, **printing) -> None:
    """Run a textual pipeline; failures become FrontendError with MLIR's diagnostics."""
    with module.context:
        try:
            pm = build_pass_manager(pipeline, module.context).pass_manager
            pm.run(module.operation)
        except (ir.MLIRError, PipelineError) as e:
            raise FrontendError(f"{what} failed:\n{format_mlir_error(e)}") from None


_FILE_LOCATION = re.compile(r'"([^"]*)":(\d+):(\d+)')


def describe_location(location) -> str:
    """`file:line:col` of a location; for a call stack, the outermost frame outside torch:
    the user's model code rather than torch's internals (nn.Sequential's forward)."""
    frames = _FILE_LOCATION.findall(str(location))
    if not frames:
        return "<unknown location>"
    user = [frame for frame in frames if f"{os.sep}torch{os.sep}" not in frame[0]] or frames
    file, line, col = user[-1]
    return f"{file}:{line}:{col}"


def _in_module(location) -> str:
    """The user's module an op came from, as " (in features.3.conv)", where its location says."""
    from tosaic.driver.locations import layer_of

    layer = layer_of(location)
    return f" (in {layer.label})" if layer else ""


def format_mlir_error(error: Exception) -> str:
    diags = getattr(error, "error_diagnostics", None)
    if not diags:
        return str(error)
    lines = []
    for d in diags:
        lines.append(f"{describe_location(d.location)}: error: {d.message}{_in_module(d.location)}")
        lines.extend(f"{describe_location(n.location)}: note: {n.message}" for n in d.notes)
    return "\n".join(lines)
