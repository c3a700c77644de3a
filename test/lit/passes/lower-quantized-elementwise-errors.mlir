// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise))' --verify-diagnostics

// Diagnostic: an add of a per-channel quantized input is refused, naming the op.
func.func @per_channel_input(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = 3 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5, 0.25>, zero_point = array<i64: 0, 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  // expected-error@+1 {{'tosa.add' op needs per-tensor 8- or 16-bit quantized inputs}}
  %s = tosa.add %a, %b : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Diagnostic: a constant too large to add in int32 at the input's scale.
func.func @huge_constant(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %c = "tosa.const"() <{values = dense<1.0e+10> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  // expected-error@+1 {{'tosa.add' op a constant operand is too large for an int32 sum at the inputs' scale}}
  %s = tosa.add %x, %c : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Diagnostic: an int16 input with a nonzero zero point (TOSA's RESCALE needs 0).
func.func @int16_zero_point(%arg0: tensor<1x4xi16>, %arg1: tensor<1x4xi16>) -> tensor<1x4xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 9>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  // expected-error@+1 {{'tosa.add' op int16 values need zero point 0 (TOSA)}}
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi16>
  return %q : tensor<1x4xi16>
}
