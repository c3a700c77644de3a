// RUN: not tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv))' 2>&1 | filecheck %s

// An int16 container is not how int4 is stated, whatever its range: this [-7, 7] weight
// stays an i16 weight (which the int8 convolution lowering refuses), never an i4 constant.
// CHECK: int4-weights-int16-container.mlir:[[# @LINE + 8]]:8: error: 'tosa.conv2d' op {{.*}}weight i16
// CHECK-NOT: xi4>
func.func @int16_container(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi16>}> : () -> tensor<2x1x1x3xi16>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi16>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}
