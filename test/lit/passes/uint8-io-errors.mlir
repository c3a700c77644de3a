// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-data-movement))' --verify-diagnostics

// A zero point of 300 fits no 8-bit storage (signed or uint8's [0, 255]): the op itself is
// malformed, and tosaic's verifier rejects it, naming it, before any pass runs.
func.func @uint8_zero_point_too_large(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.dequantize' op a zero point of [300] does not fit i8}}
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 300>} : (tensor<4xi8>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// Writing uint8 with a negative zero point: refused the same way.
func.func @uint8_zero_point_negative(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  // expected-error@+1 {{'tosaic.quantize' op cannot requantize: RESCALE uint8 zero point -5 is outside [0, 255]}}
  %q = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -5>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}
