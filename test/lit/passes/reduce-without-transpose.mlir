// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-reduce-without-transpose))' | filecheck %s

// A mean over time after a conv1d (ExecuTorch's form): the NHWC output transposed back to
// [N, C, 1, W], reshaped, widened by a RESCALE by 1 and summed over W. The sum runs on the
// untransposed tensor, as a depthwise window sum with weights 1 and the input zero point.
// CHECK-LABEL: func.func @mean_over_time
// CHECK-NOT: tosa.transpose
// CHECK: %[[SUM:.*]] = tosa.depthwise_conv2d %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {acc_type = i32, {{.*}}} : (tensor<1x1x13x8xi8>, tensor<1x13x8x1xi8>, tensor<8xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x8xi32>
// CHECK-NOT: tosa.reduce_sum
// CHECK: %[[R:.*]] = tosa.reshape %[[SUM]], %{{.*}} : (tensor<1x1x1x8xi32>, !tosa.shape<4>) -> tensor<1x1x8x1xi32>
// CHECK: return %[[R]]
func.func @mean_over_time(%arg0: tensor<1x1x13x8xi8>) -> tensor<1x1x8x1xi32> {
  %s = tosa.const_shape {values = dense<[1, 1, 8, 13]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %sh = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %t = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x13x8xi8>) -> tensor<1x8x1x13xi8>
  %r = tosa.reshape %t, %s : (tensor<1x8x1x13xi8>, !tosa.shape<4>) -> tensor<1x1x8x13xi8>
  %w = tosa.rescale %r, %m, %sh, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x1x8x13xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x1x8x13xi32>
  %sum = tosa.reduce_sum %w {axis = 3 : i32} : (tensor<1x1x8x13xi32>) -> tensor<1x1x8x1xi32>
  return %sum : tensor<1x1x8x1xi32>
}

// -----

// Negative: the axes left after the sum change order (a real transpose of the result).
// CHECK-LABEL: func.func @kept_axes_reordered
// CHECK: tosa.transpose
// CHECK: tosa.reduce_sum
func.func @kept_axes_reordered(%arg0: tensor<1x4x6x8xi32>) -> tensor<1x8x4x1xi32> {
  %t = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x6x8xi32>) -> tensor<1x8x4x6xi32>
  %sum = tosa.reduce_sum %t {axis = 3 : i32} : (tensor<1x8x4x6xi32>) -> tensor<1x8x4x1xi32>
  return %sum : tensor<1x8x4x1xi32>
}

// -----

// Negative: a rescale by 2 is not a widening; the sum over W stays a REDUCE_SUM.
// CHECK-LABEL: func.func @scaled_sum
// CHECK: tosa.reduce_sum
// CHECK-NOT: tosa.depthwise_conv2d
func.func @scaled_sum(%arg0: tensor<1x1x13x8xi8>) -> tensor<1x1x1x8xi32> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %sh = "tosa.const"() <{values = dense<29> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %w = tosa.rescale %arg0, %m, %sh, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x1x13x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x1x13x8xi32>
  %sum = tosa.reduce_sum %w {axis = 2 : i32} : (tensor<1x1x13x8xi32>) -> tensor<1x1x1x8xi32>
  return %sum : tensor<1x1x1x8xi32>
}
