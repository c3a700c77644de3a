// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise))' --verify-diagnostics

// Diagnostic: TOSA rescales int16 only with zero point 0: an asymmetric int16 maximum is refused.
func.func @maximum_int16_zero_point(%arg0: tensor<1x4x4x2xi16>, %arg1: tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 5>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  // expected-error@+1 {{'tosa.maximum' op int16 values need zero point 0 (TOSA)}}
  %m = tosa.maximum %a, %b : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi16>
  return %q : tensor<1x4x4x2xi16>
}
