// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-reduce))' --verify-diagnostics

// Diagnostic: a per-channel quantized input is refused at the reduction.
func.func @per_channel(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x1x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = 3 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5, 0.25>, zero_point = array<i64: 0, 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  // expected-error@+1 {{'tosa.reduce_max' op needs per-tensor quantization}}
  %m = tosa.reduce_max %a {axis = 1 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x1x4x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x1x4x2xf32>) -> tensor<1x1x4x2xi8>
  return %q : tensor<1x1x4x2xi8>
}

// -----

// Diagnostic: TOSA rescales int16 only with zero point 0; an int16 amin into other,
// asymmetric qparams is refused.
func.func @int16_zero_point(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x1x4x2xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  // expected-error@+1 {{'tosa.reduce_min' op cannot requantize the reduction's result}}
  %m = tosa.reduce_min %a {axis = 1 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x1x4x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 7>} : (tensor<1x1x4x2xf32>) -> tensor<1x1x4x2xi16>
  return %q : tensor<1x1x4x2xi16>
}

// -----

// Diagnostic: per-channel codes do not order like the values across channels.
func.func @argmax_per_channel(%arg0: tensor<1x4x2xi8>) -> tensor<1x2xi64> {
  %a = "tosaic.dequantize"(%arg0) {axis = 1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5, 0.25, 0.1, 0.2>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<1x4x2xi8>) -> tensor<1x4x2xf32>
  // expected-error@+1 {{'tosa.argmax' op argmax of a per-channel quantized tensor}}
  %i = tosa.argmax %a {axis = 1 : i32} : (tensor<1x4x2xf32>) -> tensor<1x2xi64>
  return %i : tensor<1x2xi64>
}
