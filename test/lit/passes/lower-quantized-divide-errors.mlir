// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise))' --verify-diagnostics

// An int16 (a16w8) division is refused: b's reciprocal is a table of its 256 int8 codes.
func.func @divide_int16(%arg0: tensor<1x4xi16>, %arg1: tensor<1x4xi16>) -> tensor<1x4xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %r = tosa.reciprocal %b : (tensor<1x4xf32>) -> tensor<1x4xf32>
  // expected-error@+1 {{division by a tensor needs a per-tensor int8 output}}
  %y = tosa.mul %a, %r, %shift : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi16>
  return %q : tensor<1x4xi16>
}
