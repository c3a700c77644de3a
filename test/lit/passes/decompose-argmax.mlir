// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-decompose-argmax))' | filecheck %s

// int8 argmax over 8 elements: keys (x + 128) * 8 + (7 - i) in int32, maximised in int16
// (256 * 8 fits), minus the largest code's (x_max + 128) * 8, from 7.
// CHECK-LABEL: func.func @argmax_int8
// CHECK-DAG: %[[POS:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}7], [6], [5], [4], [3], [2], [1], [0]]]> : tensor<1x8x1xi32>}>
// CHECK: %[[SCALED:.*]] = tosa.rescale %arg0
// CHECK-SAME: -> tensor<1x8x4xi32>
// CHECK: %[[KEYS:.*]] = tosa.add %[[SCALED]], %[[POS]] : (tensor<1x8x4xi32>, tensor<1x8x1xi32>) -> tensor<1x8x4xi32>
// CHECK: %[[NARROW:.*]] = tosa.rescale %[[KEYS]]
// CHECK-SAME: -> tensor<1x8x4xi16>
// CHECK: %[[BEST_KEY:.*]] = tosa.reduce_max %[[NARROW]] {axis = 1 : i32} : (tensor<1x8x4xi16>) -> tensor<1x1x4xi16>
// CHECK: %[[WIDE:.*]] = tosa.rescale %[[BEST_KEY]]
// CHECK: %[[BEST:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<1x8x4xi8>) -> tensor<1x1x4xi8>
// CHECK: %[[BEST_SCALED:.*]] = tosa.rescale %[[BEST]]
// CHECK: %[[OFFSET:.*]] = tosa.sub %[[WIDE]], %[[BEST_SCALED]]
// CHECK: %[[INDEX:.*]] = tosa.sub %{{.*}}, %[[OFFSET]]
// CHECK: %[[R:.*]] = tosa.reshape %[[INDEX]]
// CHECK-NOT: tosa.argmax
// CHECK: return %[[R]] : tensor<1x4xi32>
func.func @argmax_int8(%arg0: tensor<1x8x4xi8>) -> tensor<1x4xi32> {
  %0 = tosa.argmax %arg0 {axis = 1 : i32} : (tensor<1x8x4xi8>) -> tensor<1x4xi32>
  return %0 : tensor<1x4xi32>
}

// -----

// A float argmax (the floating-point profile) is left alone.
// CHECK-LABEL: func.func @argmax_float
// CHECK: tosa.argmax
func.func @argmax_float(%arg0: tensor<1x8xf32>) -> tensor<1xi32> {
  %0 = tosa.argmax %arg0 {axis = 1 : i32} : (tensor<1x8xf32>) -> tensor<1xi32>
  return %0 : tensor<1xi32>
}
