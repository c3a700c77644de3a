// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-data-movement))' --verify-diagnostics

// The rescale a uint8 input needs would carry zero point 300: outside uint8's [0, 255]
// (TOSA 1.0 RESCALE ERROR_IF), so the requantize is refused, naming the op.
func.func @uint8_zero_point_too_large(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 300>} : (tensor<4xi8>) -> tensor<4xf32>
  // expected-error@+1 {{'tosaic.quantize' op cannot requantize: RESCALE uint8 zero point 300 is outside [0, 255]}}
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
