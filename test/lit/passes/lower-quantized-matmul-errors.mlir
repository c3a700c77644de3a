// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-matmul))' --verify-diagnostics

// Diagnostic: a linear weight quantized per input feature (rows of [1, in, out]), which
// no per-output-channel rescale can express.
func.func @weight_per_row(%arg0: tensor<1x1x2xi8>) -> tensor<1x1x3xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<1x2x3xi8>}> : () -> tensor<1x2x3xi8>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x1x2xi8>) -> tensor<1x1x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 1 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<1x2x3xi8>) -> tensor<1x2x3xf32>
  // expected-error@+1 {{'tosa.matmul' op second operand is quantized along axis 1, not its columns}}
  %m = tosa.matmul %x, %wd, %zp, %zp : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x1x3xf32>) -> tensor<1x1x3xi8>
  return %q : tensor<1x1x3xi8>
}

// -----

// Diagnostic: a per-channel quantized first operand.
func.func @per_channel_lhs(%arg0: tensor<1x2x2xi8>, %arg1: tensor<1x2x2xi8>) -> tensor<1x2x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = 1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5, 0.25>, zero_point = array<i64: 0, 0>} : (tensor<1x2x2xi8>) -> tensor<1x2x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2xi8>) -> tensor<1x2x2xf32>
  // expected-error@+1 {{'tosa.matmul' op needs a per-tensor quantized first operand}}
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2xf32>) -> tensor<1x2x2xi8>
  return %q : tensor<1x2x2xi8>
}

// -----

// Diagnostic: TOSA multiplies int16 activations only with int16 (or int8 constant weights).
func.func @int16_by_int8(%arg0: tensor<1x2x2xi16>, %arg1: tensor<1x2x2xi8>) -> tensor<1x2x2xi16> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2xi16>) -> tensor<1x2x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2xi8>) -> tensor<1x2x2xf32>
  // expected-error@+1 {{'tosa.matmul' op lowers int8 x int8, int16 x int8 weights and int16 x int16 only (i16 x i8)}}
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2xf32>) -> tensor<1x2x2xi16>
  return %q : tensor<1x2x2xi16>
}
