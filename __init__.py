"""tosaic: PyTorch to Arm Ethos-U NPUs through MLIR's TOSA dialect, with Python passes.

    import tosaic
    result = tosaic.compile(model, example_inputs=(x,), target="tosa-fp", output_dir="out")
    outputs = tosaic.run("out/model.tosa", [x.numpy()])
"""

from tosaic.driver.errors import TosaicError


def compile(program, example_inputs=None, target="tosa-fp", output_dir=None, scheme=None,
            calibration_data=None, vela_options=None, io_dtype=None, preserve_io_quantization=True,
            int48_bias="auto", dump_stages=None, io_packing=None, io_layout="nchw", vela_search=False,
            scheme_config=None, budget=None, objective="flash", **options):
    """Compile a PyTorch program; see `tosaic.driver.compiler.compile` (`options`: its
    further keywords, e.g. debuginfo, tensor_names)."""
    from tosaic.driver.compiler import compile as _compile

    return _compile(program, example_inputs=example_inputs, target=target,
                    output_dir=output_dir, scheme=scheme, calibration_data=calibration_data,
                    vela_options=vela_options, io_dtype=io_dtype,
                    preserve_io_quantization=preserve_io_quantization, int48_bias=int48_bias,
                    dump_stages=dump_stages, io_packing=io_packing, io_layout=io_layout,
                    vela_search=vela_search, scheme_config=scheme_config,
                    budget=budget, objective=objective, **options)


def debug(program, example_inputs=None, target="tosa-int", output_dir=None, scheme=None,
          calibration_data=None, inputs=None, **options):
    """Per-layer numerics of a quantized program on the TOSA reference model; see
    `tosaic.driver.debugger.debug`."""
    from tosaic.driver.debugger import debug as _debug

    return _debug(program, example_inputs=example_inputs, target=target, output_dir=output_dir,
                  scheme=scheme, calibration_data=calibration_data, inputs=inputs, **options)


def run(flatbuffer, inputs):
    """Run a `.tosa` file (path or bytes) on the TOSA reference model. uint8 inputs are
    fed as the bytes they are (8-bit storage is signless in TOSA)."""
    from tosaic.targets.reference_model import run_reference

    return run_reference(flatbuffer, inputs)


__all__ = ["compile", "debug", "run", "TosaicError"]
