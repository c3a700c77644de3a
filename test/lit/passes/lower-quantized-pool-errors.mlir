// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-pool))' --verify-diagnostics

// Diagnostic: a pad value that no int8 value at the input's scale represents (0.3 at
// scale 0.5) is refused, naming the pad.
func.func @pad_value_not_representable(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %v = "tosa.const"() <{values = dense<0.3> : tensor<1xf32>}> : () -> tensor<1xf32>
  %padding = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  // expected-error-re@+1 {{'tosa.pad' op pad value {{0\.3[0-9]*}} is not representable in the input's quantization}}
  %padded = tosa.pad %x, %padding, %v : (tensor<1x4x4x2xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x6x6x2xf32>
  %p = tosa.avg_pool2d %padded, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Diagnostic: TOSA needs int16 zero points of 0; an asymmetric int16 average is refused.
func.func @int16_zero_point(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x2x2x2xi16> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 7>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  // expected-error@+1 {{'tosa.avg_pool2d' op int16 values need zero point 0 (TOSA)}}
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 7>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi16>
  return %q : tensor<1x2x2x2xi16>
}
