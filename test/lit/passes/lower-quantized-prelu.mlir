// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table))' | filecheck %s
// LOWERING: prelu

// A slope per channel (all <= 1, one negative): the channel moved last, RESCALE by s and per
// channel by |w| s, the negative slope's branch negated, MAXIMUM, a unit RESCALE, moved back.
// CHECK-LABEL: func.func @prelu_per_channel
// CHECK: %[[X:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>}
// CHECK: %[[A:.*]] = tosa.rescale %[[X]]
// CHECK-SAME: per_channel = false
// CHECK-SAME: -> tensor<1x8x8x4xi32>
// CHECK: %[[B:.*]] = tosa.rescale %[[X]]
// CHECK-SAME: per_channel = true
// CHECK: %[[SIGNED:.*]] = tosa.mul %[[B]]
// CHECK: %[[MAX:.*]] = tosa.maximum %[[A]], %[[SIGNED]]
// CHECK: %[[Y:.*]] = tosa.rescale %[[MAX]]
// CHECK-SAME: -> tensor<1x8x8x4xi8>
// CHECK: %[[R:.*]] = tosa.transpose %[[Y]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NOT: tosa.select
// CHECK: return %[[R]]
func.func @prelu_per_channel(%arg0: tensor<1x4x8x8xi8>) -> tensor<1x4x8x8xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-5.000000e-01]], [[0.0]], [[0.25]], [[0.9]]]]> : tensor<1x4x1x1xf32>}> : () -> tensor<1x4x1x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zero = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.028>, zero_point = array<i64: -17>} : (tensor<1x4x8x8xi8>) -> tensor<1x4x8x8xf32>
  %gt = tosa.greater %x, %zero : (tensor<1x4x8x8xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x8x8xi1>
  %wx = tosa.mul %w, %x, %shift : (tensor<1x4x1x1xf32>, tensor<1x4x8x8xf32>, tensor<1xi8>) -> tensor<1x4x8x8xf32>
  %sel = tosa.select %gt, %x, %wx : (tensor<1x4x8x8xi1>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %q = "tosaic.quantize"(%sel) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.027>, zero_point = array<i64: -24>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xi8>
  return %q : tensor<1x4x8x8xi8>
}

// -----

// Slopes all >= 1: MINIMUM, no sign MUL.
// CHECK-LABEL: func.func @prelu_steep
// CHECK-NOT: tosa.mul
// CHECK: tosa.minimum
func.func @prelu_steep(%arg0: tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1.5]], [[2.0]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zero = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.028>, zero_point = array<i64: 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32>
  %gt = tosa.greater %x, %zero : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x2x4x4xi1>
  %wx = tosa.mul %w, %x, %shift : (tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32>, tensor<1xi8>) -> tensor<1x2x4x4xf32>
  %sel = tosa.select %gt, %x, %wx : (tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %q = "tosaic.quantize"(%sel) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.08>, zero_point = array<i64: 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xi8>
  return %q : tensor<1x2x4x4xi8>
}
