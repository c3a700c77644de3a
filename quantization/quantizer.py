"""PT2E quantizer for Arm Ethos-U (TOSA) targets.

The quantizer annotates the ATen graph produced by
``torch.export.export(model, args).module(check_guards=False)`` so that
``torchao.quantization.pt2e.quantize_pt2e.prepare_pt2e`` / ``convert_pt2e``
insert ``quantized_decomposed`` quantize/dequantize pairs with the numerics
TOSA integer profiles expect:

* activations: per-tensor (affine int8 for ``a8w8``/``a8w4``, symmetric int16
  for ``a16w8``),
* weights: per-output-channel symmetric (``ch_axis`` 0 for conv/linear
  weights, including depthwise ``[C*mult, 1, kh, kw]``; 1 for transposed conv),
* bias: int32 with ``scale[c] = input_scale * weight_scale[c]`` and zero
  point 0 (a :class:`DerivedQuantizationSpec`), so it can be added straight
  into the int32 accumulator,
* optional uint8 graph IO with int8 inside (``io_dtype``).

Quick use::

    from tosaic.quantization import TosaicQuantizer, get_scheme, quantize_model

    ep = quantize_model(model, (x,), scheme="a8w8", calibration_data=batches)

    q = TosaicQuantizer().set_global("a8w8").set_module_type(nn.Linear, None)
    ep = quantize_model(model, (x,), quantizer=q)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

import torch
from torch.fx import GraphModule, Node

# Importing quantize_pt2e registers the ``quantized_decomposed`` op library.
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.observer import (
    HistogramObserver,
    MinMaxObserver,
    PerChannelMinMaxObserver,
)
from torchao.quantization.pt2e.quantizer import (
    DerivedQuantizationSpec,
    QuantizationAnnotation,
    QuantizationSpec,
    QuantizationSpecBase,
    Quantizer,
    SharedQuantizationSpec,
)
from torchao.quantization.pt2e.quantizer.quantizer import Q_ANNOTATION_KEY

__all__ = [
    "QuantScheme",
    "TosaicQuantizer",
    "get_scheme",
    "list_schemes",
    "register_scheme",
    "with_io_dtype",
    "calibrate",
    "quantize_model",
    "ANNOTATED_OPS",
    "SHARED_QPARAM_OPS",
]

from tosaic.lowering import registry as _registry
from tosaic.quantization.decompositions import decompose_attention, decompose_composites  # noqa: F401
from tosaic.quantization.recurrent import decompose_recurrent_cells

aten = torch.ops.aten

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


# ---------------------------------------------------------------------------
# Scheme configuration
# ---------------------------------------------------------------------------


def _derive_bias_qparams(obs_or_fqs: list) -> tuple[torch.Tensor, torch.Tensor]:
    """bias scale = input_scale * weight_scale (per channel), zero point 0."""
    act_obs, weight_obs = obs_or_fqs
    act_scale, _ = act_obs.calculate_qparams()
    weight_scale, _ = weight_obs.calculate_qparams()
    act_scale = torch.as_tensor(act_scale, dtype=torch.float32).reshape(-1)[0]
    weight_scale = torch.as_tensor(weight_scale, dtype=torch.float32).reshape(-1)
    scale = (act_scale * weight_scale).to(torch.float32)
    zero_point = torch.zeros(scale.shape, dtype=torch.int32)
    return scale, zero_point


@dataclass(frozen=True)
class QuantScheme:
    """A quantization scheme: dtypes/ranges/observers for one region of a graph.

    Presets (see :func:`get_scheme`) differ only in these fields, so new ones are
    derived with :func:`dataclasses.replace`, e.g.
    ``dataclasses.replace(get_scheme("a8w8"), act_observer=MinMaxObserver)``.

    Fields:
      act_*:    per-tensor activation quantization (affine unless ``act_symmetric``;
                symmetric schemes get zero point 0).
      weight_*: symmetric weight quantization, per output channel unless
                ``weight_per_channel`` is False. A narrow range (e.g. [-7, 7]) in
                an int8 container expresses int4 weights.
      bias_*:   bias dtype/range; scale is derived (input_scale * weight_scale).
      io_*:     if ``io_dtype`` is set, graph inputs/outputs are quantized with
                this dtype/range (affine), while everything inside uses ``act_*``.
                A rescale (dq -> q pair) is left at the boundary; qparam sharing
                never crosses it.
    """

    name: str = "custom"
    act_dtype: torch.dtype = torch.int8
    act_qmin: int = -128
    act_qmax: int = 127
    act_symmetric: bool = False
    act_observer: Any = HistogramObserver
    weight_dtype: torch.dtype = torch.int8
    weight_qmin: int = -127
    weight_qmax: int = 127
    weight_per_channel: bool = True
    weight_observer: Any = PerChannelMinMaxObserver
    bias_dtype: torch.dtype = torch.int32
    bias_qmin: int = INT32_MIN
    bias_qmax: int = INT32_MAX
    io_dtype: Optional[torch.dtype] = None
    io_qmin: Optional[int] = None
    io_qmax: Optional[int] = None
    io_observer: Any = HistogramObserver
    io_inputs: bool = True  # the IO dtype applies to the graph inputs
    io_outputs: bool = True  # ... and to the graph outputs

    # -- QuantizationSpec factories ------------------------------------------------

    def activation_qspec(self) -> QuantizationSpec:
        return QuantizationSpec(
            dtype=self.act_dtype,
            quant_min=self.act_qmin,
            quant_max=self.act_qmax,
            qscheme=(
                torch.per_tensor_symmetric
                if self.act_symmetric
                else torch.per_tensor_affine
            ),
            is_dynamic=False,
            observer_or_fake_quant_ctr=self.act_observer.with_args(),
        )

    def io_qspec(self) -> Optional[QuantizationSpec]:
        if self.io_dtype is None:
            return None
        info = torch.iinfo(self.io_dtype)
        qmin = info.min if self.io_qmin is None else self.io_qmin
        qmax = info.max if self.io_qmax is None else self.io_qmax
        return QuantizationSpec(
            dtype=self.io_dtype,
            quant_min=qmin,
            quant_max=qmax,
            qscheme=torch.per_tensor_affine,
            is_dynamic=False,
            observer_or_fake_quant_ctr=self.io_observer.with_args(),
        )

    def weight_qspec(self, ch_axis: int = 0) -> QuantizationSpec:
        if self.weight_per_channel:
            return QuantizationSpec(
                dtype=self.weight_dtype,
                quant_min=self.weight_qmin,
                quant_max=self.weight_qmax,
                qscheme=torch.per_channel_symmetric,
                ch_axis=ch_axis,
                is_dynamic=False,
                observer_or_fake_quant_ctr=self.weight_observer.with_args(),
            )
        observer = self.weight_observer
        if "PerChannel" in getattr(observer, "__name__", ""):
            observer = MinMaxObserver
        return QuantizationSpec(
            dtype=self.weight_dtype,
            quant_min=self.weight_qmin,
            quant_max=self.weight_qmax,
            qscheme=torch.per_tensor_symmetric,
            is_dynamic=False,
            observer_or_fake_quant_ctr=observer.with_args(),
        )

    def bias_qspec(
        self, act_edge: tuple[Node, Node], weight_edge: tuple[Node, Node], ch_axis: int = 0
    ) -> DerivedQuantizationSpec:
        # bias is 1-D [C_out] so its channel axis is always 0, whatever the weight's.
        del ch_axis
        return DerivedQuantizationSpec(
            derived_from=[act_edge, weight_edge],
            derive_qparams_fn=_derive_bias_qparams,
            dtype=self.bias_dtype,
            quant_min=self.bias_qmin,
            quant_max=self.bias_qmax,
            qscheme=(
                torch.per_channel_symmetric
                if self.weight_per_channel
                else torch.per_tensor_symmetric
            ),
            ch_axis=0 if self.weight_per_channel else None,
        )


_SCHEMES: dict[str, QuantScheme] = {}


def register_scheme(scheme: QuantScheme, name: Optional[str] = None) -> QuantScheme:
    """Register a preset under ``name`` (default ``scheme.name``)."""
    key = (name or scheme.name).lower()
    if scheme.name != key:
        scheme = dataclasses.replace(scheme, name=key)
    _SCHEMES[key] = scheme
    return scheme


A8W8 = register_scheme(QuantScheme(name="a8w8"))
# int4 weights in an int8 container (symmetric [-7, 7]).
A8W4 = register_scheme(dataclasses.replace(A8W8, name="a8w4", weight_qmin=-7, weight_qmax=7))
# int16 symmetric activations; a 16-bit grid is fine enough that MinMax (no
# clipping) beats the histogram search, which is also slow for 2**16 bins.
A16W8 = register_scheme(
    dataclasses.replace(
        A8W8,
        name="a16w8",
        act_dtype=torch.int16,
        act_qmin=-32767,
        act_qmax=32767,
        act_symmetric=True,
        act_observer=MinMaxObserver,
    )
)
# uint8 [0, 255] graph inputs/outputs, int8 inside.
A8W8_U8IO = register_scheme(
    dataclasses.replace(A8W8, name="a8w8_u8io", io_dtype=torch.uint8, io_qmin=0, io_qmax=255)
)


def with_io_dtype(scheme: Union[str, QuantScheme], io_dtype: Union[str, torch.dtype, None],
                  inputs: bool = True, outputs: bool = True) -> QuantScheme:
    """``scheme`` with its graph inputs and/or outputs quantized as ``io_dtype``: "uint8"
    (affine [0, 255]; int8 inside), or "int8"/None (the scheme's own activation
    quantization)."""
    scheme = get_scheme(scheme)
    name = str(io_dtype).removeprefix("torch.") if io_dtype is not None else None
    if name in (None, "int8"):
        return dataclasses.replace(scheme, io_dtype=None, io_qmin=None, io_qmax=None)
    if name != "uint8":
        raise KeyError(f"unknown IO dtype {io_dtype!r}; known: int8, uint8")
    return dataclasses.replace(scheme, io_dtype=torch.uint8, io_qmin=0, io_qmax=255,
                               io_inputs=inputs, io_outputs=outputs)


def list_schemes() -> list[str]:
    return sorted(_SCHEMES)


def get_scheme(name: Union[str, QuantScheme]) -> QuantScheme:
    """Return the preset scheme ``name`` ("a8w8", "a8w4", "a16w8", "a8w8_u8io")."""
    if isinstance(name, QuantScheme):
        return name
    key = str(name).lower().replace("-", "_")
    if key not in _SCHEMES:
        raise KeyError(f"unknown quantization scheme {name!r}; known: {list_schemes()}")
    return _SCHEMES[key]


SchemeLike = Union[str, QuantScheme, None]


def _as_scheme(s: SchemeLike) -> Optional[QuantScheme]:
    if s is None:
        return None
    return get_scheme(s)


# ---------------------------------------------------------------------------
# Op tables: derived from the lowering registry (tosaic.lowering.registry), where each
# lowering names the aten ops (as they appear after torch.export + ep.module()) the
# quantizer must annotate for it, and how. Supporting an op is one registry entry.
# ---------------------------------------------------------------------------


def _annotation_table() -> dict:
    """aten OpOverload -> annotation kind (registry.WEIGHTED, SHARED, ...)."""
    from tosaic.lowering import registry

    table = {}
    for name, (how, _entry) in registry.annotations().items():
        _, op_name, overload = name.split(".")
        table[getattr(getattr(aten, op_name), overload)] = how
    return table


def _ops(*kinds: str) -> frozenset:
    return frozenset(op for op, how in _ANNOTATION.items() if how in kinds)


_ANNOTATION = _annotation_table()
_FUSABLE_ACTIVATIONS = _ops(_registry.FUSED_ACTIVATION)
ANNOTATED_OPS = frozenset(op for op, how in _ANNOTATION.items() if how not in (_registry.SHARED, _registry.CONCAT)) \
    | _ops(_registry.CONCAT)
SHARED_QPARAM_OPS = _ops(_registry.SHARED, _registry.SHARED_ALWAYS, _registry.CONCAT)


# ---------------------------------------------------------------------------
# Graph helpers
# ---------------------------------------------------------------------------


def _is_float_tensor(n: Any) -> bool:
    if not isinstance(n, Node):
        return False
    val = n.meta.get("val")
    return isinstance(val, torch.Tensor) and val.is_floating_point()


def _is_bool_tensor(n: Any) -> bool:
    val = n.meta.get("val") if isinstance(n, Node) else None
    return isinstance(val, torch.Tensor) and val.dtype == torch.bool


def _is_annotated(n: Node) -> bool:
    ann = n.meta.get(Q_ANNOTATION_KEY)
    return ann is not None and ann._annotated


def _has_output_qspec(n: Node) -> bool:
    ann = n.meta.get(Q_ANNOTATION_KEY)
    return ann is not None and ann.output_qspec is not None


def _is_infinite_fill(n) -> bool:
    """`n` is where(cond, x, -inf) / where(cond, -inf, x) / masked_fill(x, m, -inf)."""
    if not isinstance(n, Node) or n.op != "call_function":
        return False
    if n.target in (aten.where.ScalarOther, aten.where.ScalarSelf):
        fills = n.args[1:3]
    elif n.target == aten.masked_fill.Scalar:
        fills = n.args[2:3]
    else:
        return False
    return any(isinstance(v, (int, float)) and math.isinf(v) for v in fills)


def _set_annotation(
    n: Node,
    input_qspec_map: dict[Node, Optional[QuantizationSpecBase]],
    output_qspec: Optional[QuantizationSpecBase] = None,
) -> None:
    n.meta[Q_ANNOTATION_KEY] = QuantizationAnnotation(
        input_qspec_map=input_qspec_map, output_qspec=output_qspec, _annotated=True
    )


def _normalize_path(path: str) -> str:
    # Older capture APIs prefixed paths with "L['self']."; export uses "a.b.0".
    if path.startswith("L['self']."):
        path = path[len("L['self'].") :]
    return path


def _type_name(t: Any) -> str:
    if isinstance(t, type):
        return f"{t.__module__}.{t.__qualname__}"
    return str(t)


def _module_stack(n: Node) -> list[tuple[str, str]]:
    """(path, type name) pairs from outermost to innermost module."""
    stack = n.meta.get("nn_module_stack") or {}
    return [(_normalize_path(p), _type_name(t)) for p, t in stack.values()]


def _conv_groups(n: Node) -> int:
    # conv_transpose{1,2}d: input, weight, bias, stride, padding, output_padding, groups, dilation
    if len(n.args) > 6:
        return int(n.args[6])
    return int(n.kwargs.get("groups", 1))


# ---------------------------------------------------------------------------
# Quantizer
# ---------------------------------------------------------------------------


class TosaicQuantizer(Quantizer):
    """PT2E quantizer for TOSA / Ethos-U.

    Configuration precedence per node (like ``QConfigMapping``):
    ``set_module_name`` (longest matching name) > ``set_module_type`` (innermost
    matching module) > ``set_global``. A ``None`` config leaves the region float.
    Module types match exactly (``f"{cls.__module__}.{cls.__qualname__}"`` against
    the ``nn_module_stack`` metadata); subclasses do not match.
    """

    def __init__(self, scheme: SchemeLike = None) -> None:
        super().__init__()
        self.global_config: Optional[QuantScheme] = _as_scheme(scheme)
        self.module_type_config: dict[str, Optional[QuantScheme]] = {}
        self.module_name_config: dict[str, Optional[QuantScheme]] = {}

    # -- configuration -------------------------------------------------------------

    def set_global(self, scheme_or_config: SchemeLike) -> "TosaicQuantizer":
        self.global_config = _as_scheme(scheme_or_config)
        return self

    def set_module_type(
        self, module_type: Union[type, str], scheme_or_config: SchemeLike
    ) -> "TosaicQuantizer":
        self.module_type_config[_type_name(module_type)] = _as_scheme(scheme_or_config)
        return self

    def set_module_name(
        self, module_name: str, scheme_or_config: SchemeLike
    ) -> "TosaicQuantizer":
        self.module_name_config[_normalize_path(module_name)] = _as_scheme(
            scheme_or_config
        )
        return self

    def config_for_node(self, n: Node) -> Optional[QuantScheme]:
        stack = _module_stack(n)
        if self.module_name_config and stack:
            paths = {p for p, _ in stack}
            best: Optional[str] = None
            for name in self.module_name_config:
                if name in paths and (best is None or len(name) > len(best)):
                    best = name
            if best is not None:
                return self.module_name_config[best]
        if self.module_type_config:
            for _, tp in reversed(stack):
                if tp in self.module_type_config:
                    return self.module_type_config[tp]
        return self.global_config

    # -- Quantizer API ---------------------------------------------------------------

    def annotate(self, model: GraphModule) -> GraphModule:
        node_cfg: dict[Node, QuantScheme] = {}
        for n in list(model.graph.nodes):
            if n.op != "call_function" or _is_annotated(n):
                continue
            cfg = self.config_for_node(n)
            if cfg is None:
                continue
            self._annotate_node(n, cfg, node_cfg)
        self._annotate_io(model, node_cfg)
        return model

    def validate(self, model: GraphModule) -> None:
        return None

    # -- per-op annotation -----------------------------------------------------------

    def _fused_activation(self, n: Node) -> Optional[Node]:
        """The clamp-like activation that is the single user of ``n``, if any."""
        if len(n.users) != 1:
            return None
        user = next(iter(n.users))
        if (
            user.op == "call_function"
            and user.target in _FUSABLE_ACTIVATIONS
            and user.args[0] is n
            and not _is_annotated(user)
            and self.config_for_node(user) is not None
        ):
            return user
        return None

    def _annotate_node(self, n: Node, cfg: QuantScheme, node_cfg: dict) -> None:
        how = _ANNOTATION.get(n.target)
        if how == _registry.WEIGHTED:
            self._annotate_weighted(n, cfg, node_cfg, ch_axis=0)
        elif how == _registry.WEIGHTED_TRANSPOSED:
            if _conv_groups(n) == 1:
                # torch layout [C_in, C_out, k...]: output channels on axis 1
                self._annotate_weighted(n, cfg, node_cfg, ch_axis=1)
        elif how in (_registry.BINARY, _registry.PRODUCT):
            self._annotate_binary(n, cfg, node_cfg, fuse=how == _registry.BINARY)
        elif how in (_registry.OWN_OUTPUT, _registry.FUSED_ACTIVATION):
            # A clamp-like activation no producer took (see _fused_activation) gets its own output.
            self._annotate_unary(n, cfg, node_cfg)
        elif how == _registry.SHARED_ALWAYS:
            self._annotate_shared(n, cfg, node_cfg, always=True)
        elif how == _registry.SHARED:
            self._annotate_shared(n, cfg, node_cfg, always=False)
        elif how == _registry.CONCAT:
            self._annotate_cat(n, cfg, node_cfg)
        elif how == _registry.SELECT:
            self._annotate_select(n, cfg, node_cfg)
        elif how == _registry.COMPARE:
            self._annotate_compare(n, cfg)

    def _finish_output(self, n: Node, cfg: QuantScheme, node_cfg: dict, fuse: bool) -> None:
        """Put the output qspec on ``n`` or on its fused clamp-like activation."""
        act = self._fused_activation(n) if fuse else None
        out = cfg.activation_qspec()
        if act is not None:
            _set_annotation(act, {}, out)
            node_cfg[act] = cfg
        else:
            n.meta[Q_ANNOTATION_KEY].output_qspec = out
        node_cfg[n] = cfg

    def _annotate_weighted(
        self, n: Node, cfg: QuantScheme, node_cfg: dict, ch_axis: int
    ) -> None:
        x = n.args[0]
        w = n.args[1] if len(n.args) > 1 else n.kwargs.get("weight")
        b = n.args[2] if len(n.args) > 2 else n.kwargs.get("bias")
        if not (_is_float_tensor(x) and _is_float_tensor(w)) or x is w:
            return
        qmap: dict[Node, Optional[QuantizationSpecBase]] = {
            x: cfg.activation_qspec(),
            w: cfg.weight_qspec(ch_axis),
        }
        if _is_float_tensor(b) and b is not x and b is not w:
            qmap[b] = cfg.bias_qspec((x, n), (w, n))
        _set_annotation(n, qmap)
        self._finish_output(n, cfg, node_cfg, fuse=True)

    def _annotate_binary(self, n: Node, cfg: QuantScheme, node_cfg: dict, fuse: bool) -> None:
        tensor_args = [a for a in n.args[:2] if isinstance(a, Node)]
        if not tensor_args or not all(_is_float_tensor(a) for a in tensor_args):
            return
        if not _is_float_tensor(n):
            return
        qmap = {a: cfg.activation_qspec() for a in tensor_args}
        _set_annotation(n, qmap)
        self._finish_output(n, cfg, node_cfg, fuse=fuse)

    def _annotate_select(self, n: Node, cfg: QuantScheme, node_cfg: dict) -> None:
        """where(cond, a, b): a and b (tensors) quantized, the boolean cond left alone. A -inf
        fill (an attention mask before softmax) is left float: the softmax takes it."""
        if _is_infinite_fill(n):
            return
        data = [a for a in n.args[1:3] if isinstance(a, Node)]
        if not data or not all(_is_float_tensor(a) for a in data) or not _is_float_tensor(n):
            return
        _set_annotation(n, {a: cfg.activation_qspec() for a in data}, cfg.activation_qspec())
        node_cfg[n] = cfg

    def _annotate_compare(self, n: Node, cfg: QuantScheme) -> None:
        """a > b (any comparison): the float tensor inputs quantized, so the lowering compares
        the integer values the program compares; the boolean output is not quantized."""
        data = [a for a in n.args[:2] if isinstance(a, Node) and _is_float_tensor(a) and a.op != "get_attr"]
        if data:
            _set_annotation(n, {a: cfg.activation_qspec() for a in data})

    def _annotate_unary(self, n: Node, cfg: QuantScheme, node_cfg: dict) -> None:
        x = n.args[0]
        if not _is_float_tensor(x) or not _is_float_tensor(n):
            return
        if _is_infinite_fill(n):
            return  # left float: the softmax below takes it
        if n.target in (aten.softmax.int, aten._softmax.default) and _is_infinite_fill(x):
            # softmax of masked scores: the scores' own quantization reaches it through the
            # -inf fill, which the integer softmax lowers with the constant mask
            _set_annotation(n, {}, cfg.activation_qspec())
            node_cfg[n] = cfg
            return
        _set_annotation(n, {x: cfg.activation_qspec()}, cfg.activation_qspec())
        node_cfg[n] = cfg

    def _annotate_shared(
        self, n: Node, cfg: QuantScheme, node_cfg: dict, always: bool
    ) -> None:
        x = n.args[0]
        if not _is_float_tensor(x) or not _is_float_tensor(n):
            return
        if x.op != "placeholder" and _has_output_qspec(x):
            in_qspec: QuantizationSpecBase = SharedQuantizationSpec(x)
        elif always or x.op == "placeholder":
            # Graph inputs are never shared with: with uint8 IO the placeholder
            # carries the IO qparams and the boundary must rescale.
            in_qspec = cfg.activation_qspec()
        else:
            return  # input is float (unquantized producer): stay float
        _set_annotation(n, {x: in_qspec}, SharedQuantizationSpec((x, n)))
        node_cfg[n] = cfg

    def _annotate_cat(self, n: Node, cfg: QuantScheme, node_cfg: dict) -> None:
        inputs = n.args[0]
        if not isinstance(inputs, (list, tuple)) or not inputs:
            return
        if not all(_is_float_tensor(a) for a in inputs) or not _is_float_tensor(n):
            return
        first = inputs[0]
        qmap: dict[Node, Optional[QuantizationSpecBase]] = {first: cfg.activation_qspec()}
        shared = SharedQuantizationSpec((first, n))
        for a in inputs[1:]:
            if a not in qmap:
                qmap[a] = shared
        _set_annotation(n, qmap, shared)
        node_cfg[n] = cfg

    # -- graph IO ------------------------------------------------------------------

    def _annotate_io(self, model: GraphModule, node_cfg: dict) -> None:
        """Quantize graph inputs/outputs with the IO dtype of schemes that set one."""
        for n in model.graph.nodes:
            if n.op == "placeholder":
                if not _is_float_tensor(n) or _is_annotated(n):
                    continue
                for user in n.users:
                    ann = user.meta.get(Q_ANNOTATION_KEY)
                    cfg = node_cfg.get(user)
                    if (
                        ann is not None
                        and ann.input_qspec_map.get(n) is not None
                        and cfg is not None
                        and cfg.io_dtype is not None
                        and cfg.io_inputs
                    ):
                        _set_annotation(n, {}, cfg.io_qspec())
                        break
            elif n.op == "output":
                qmap: dict[Node, Optional[QuantizationSpecBase]] = {}
                for arg in n.all_input_nodes:
                    cfg = node_cfg.get(arg)
                    if (
                        cfg is not None
                        and cfg.io_dtype is not None
                        and cfg.io_outputs
                        and _is_float_tensor(arg)
                        and _has_output_qspec(arg)
                    ):
                        qmap[arg] = cfg.io_qspec()
                if qmap:
                    _set_annotation(n, qmap)


def unannotated_ops(program) -> list[Node]:
    """The aten ops of `program` (an ExportedProgram or GraphModule) that compute a float
    tensor and that this quantizer has no annotation for: quantized by it, they stay
    float. In graph order."""
    graph = program.graph
    return [n for n in graph.nodes
            if n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload)
            and n.target.namespace == "aten" and n.target not in _ANNOTATION and _is_float_tensor(n)]


# ---------------------------------------------------------------------------
# Export -> prepare -> calibrate -> convert -> export
# ---------------------------------------------------------------------------


def _as_args(batch: Any) -> tuple:
    if isinstance(batch, tuple):
        return batch
    if isinstance(batch, list):
        return tuple(batch)
    return (batch,)


def calibrate(prepared: torch.nn.Module, calibration_data: Iterable[Any]) -> int:
    """Run ``prepared`` on each batch (a tuple of inputs, or a single tensor).

    Returns the number of batches seen.
    """
    count = 0
    with torch.no_grad():
        for batch in calibration_data:
            prepared(*_as_args(batch))
            count += 1
    return count


def quantize_model(
    model: torch.nn.Module,
    example_inputs: Any,
    scheme: SchemeLike = "a8w8",
    calibration_data: Optional[Iterable[Any]] = None,
    quantizer: Optional[Quantizer] = None,
    *,
    dynamic_shapes: Any = None,
) -> torch.export.ExportedProgram:
    """Post-training quantize ``model`` and return the quantized ExportedProgram.

    Steps: ``torch.export.export`` -> ``.module(check_guards=False)`` ->
    ``prepare_pt2e`` -> calibration (``calibration_data`` or, if None, just the
    example inputs) -> ``convert_pt2e`` -> ``torch.export.export`` again. The result
    holds ``quantized_decomposed`` quantize/dequantize ops around quantized ops,
    with weights and biases folded to int8/int32 constants.

    ``quantizer`` overrides ``scheme`` (default ``TosaicQuantizer().set_global(scheme)``).
    """
    example_inputs = _as_args(example_inputs)
    if quantizer is None:
        quantizer = TosaicQuantizer().set_global(scheme)
    if not _is_unlifted_export(model):  # an ExportedProgram's module() is traced in eval mode already
        model = model.eval()
    ep = torch.export.export(model, example_inputs, dynamic_shapes=dynamic_shapes)
    gm = ep.module(check_guards=False)
    decompose_attention(gm)
    decompose_recurrent_cells(gm)
    decompose_composites(gm)
    prepared = prepare_pt2e(gm, quantizer)
    n = calibrate(prepared, calibration_data if calibration_data is not None else [example_inputs])
    if n == 0:
        raise ValueError("calibration_data yielded no batches")
    converted = convert_pt2e(prepared)
    _drop_unused_attributes(converted)
    return torch.export.export(converted, example_inputs, dynamic_shapes=dynamic_shapes)


def _is_unlifted_export(model: torch.nn.Module) -> bool:
    """Whether `model` is `ExportedProgram.module()` (a loaded `.pt2`), whose train()/eval()
    raise: its graph was traced in the mode it was exported in."""
    try:
        model.eval()
    except NotImplementedError:
        return True
    return False


def _drop_unused_attributes(gm: GraphModule) -> None:
    """Delete parameters/buffers no get_attr reads any more.

    convert_pt2e folds quantized weights into new ``_frozen_param*`` constants
    and leaves the float originals behind; re-exporting would lift them as dead
    inputs of the ExportedProgram.
    """
    used: set[str] = set()
    for prefix, mod in gm.named_modules(remove_duplicate=False):
        if isinstance(mod, GraphModule):  # includes control-flow subgraphs
            for n in mod.graph.nodes:
                if n.op == "get_attr":
                    used.add(f"{prefix}.{n.target}" if prefix else str(n.target))
    names = [name for name, _ in gm.named_parameters(remove_duplicate=False)]
    names += [name for name, _ in gm.named_buffers(remove_duplicate=False)]
    for name in names:
        if name in used or any(name.startswith(u + ".") for u in used):
            continue
        owner_path, _, attr = name.rpartition(".")
        owner = gm.get_submodule(owner_path) if owner_path else gm
        if hasattr(owner, attr):
            delattr(owner, attr)
