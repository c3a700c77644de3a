"""PT2E quantization for tosaic (Arm Ethos-U / TOSA integer profiles).

The quantizer needs torch and torchao; it loads on first use, so passes that only need
the quantization math (`tosaic.quantization.qmath`) stay light.
"""

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
    "with_io_dtype",
]


def __getattr__(name):
    if name in __all__:
        from tosaic.quantization import quantizer

        return getattr(quantizer, name)
    raise AttributeError(f"module 'tosaic.quantization' has no attribute '{name}'")
