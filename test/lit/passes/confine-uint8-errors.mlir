// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-confine-uint8))' --verify-diagnostics

// uint8 values that no quantize op made (here a constant) cannot be moved to int8 by
// changing quantization parameters alone: refused, naming the op.
func.func @uint8_constant() -> tensor<2xi8> {
  %c = "tosa.const"() <{values = dense<[-56, 10]> : tensor<2xi8>}> : () -> tensor<2xi8>
  // expected-error@+1 {{'tosaic.dequantize' op dequantizes uint8 values that no quantize op made (nor a graph input): they cannot be rewritten to int8}}
  %d = "tosaic.dequantize"(%c) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 128>} : (tensor<2xi8>) -> tensor<2xf32>
  %r = tosa.clamp %d {max_val = 3.0 : f32, min_val = 0.0 : f32} : (tensor<2xf32>) -> tensor<2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<2xf32>) -> tensor<2xi8>
  return %q : tensor<2xi8>
}
