"""Hand-written TOSA programs in the tests: the i48 -> i32 narrowing tail of an int16
convolution, and a program's flatbuffer after a test pipeline."""

from torch_mlir import ir

from tosaic import targets
from tosaic.dialects import new_context
from tosaic.driver.compiler import op_counts
from tosaic.frontend.importer import run_pipeline
from tosaic.targets import tosa_flatbuffer


def return_accumulator(acc: str, out: str) -> str:
    """The end of a function returning `%acc` (of element type `acc`, shape `out`) as i32:
    as it is, or an i48 accumulator narrowed exactly (RESCALE by 2^0, scale32 = false)."""
    if acc == "i32":
        return f"  return %acc : tensor<{out}xi32>\n}}"
    return f"""  %m = "tosa.const"() <{{values = dense<16384> : tensor<1xi16>}}> : () -> tensor<1xi16>
  %s = "tosa.const"() <{{values = dense<14> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %z48 = "tosa.const"() <{{values = dense<0> : tensor<1xi48>}}> : () -> tensor<1xi48>
  %z32 = "tosa.const"() <{{values = dense<0> : tensor<1xi32>}}> : () -> tensor<1xi32>
  %r = tosa.rescale %acc, %m, %s, %z48, %z32 {{input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false}} : (tensor<{out}xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<{out}xi32>
  return %r : tensor<{out}xi32>
}}"""


def flatbuffer(text: str, passes: str):
    """(flatbuffer, op counts) of `text` after canonicalize, `passes` (each ending in a
    comma, or empty), canonicalize and cse, for the integer profile."""
    module = ir.Module.parse(text, new_context())
    run_pipeline(module, f"builtin.module(canonicalize,{passes}canonicalize,cse)", "test pipeline")
    target = tosa_flatbuffer.target_for(module, targets.target("tosa-int").family.tosa)
    tosa_flatbuffer.attach_and_validate(module, target)
    return tosa_flatbuffer.serialize(module, target), op_counts(module)
