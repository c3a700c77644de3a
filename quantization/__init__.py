"""PT2E quantization for tosaic (Arm Ethos-U / TOSA integer profiles)."""

from .quantizer import (
    ANNOTATED_OPS,
    SHARED_QPARAM_OPS,
    QuantScheme,
    TosaicQuantizer,
    calibrate,
    get_scheme,
    list_schemes,
    quantize_model,
    register_scheme,
)

__all__ = [
    "ANNOTATED_OPS",
    "SHARED_QPARAM_OPS",
    "QuantScheme",
    "TosaicQuantizer",
    "calibrate",
    "get_scheme",
    "list_schemes",
    "quantize_model",
    "register_scheme",
]
