// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{sink=false hoist-off-wide=true}))' | filecheck %s

// A widening rescale (int8 -> int32, the input of a residual add) whose result is
// transposed: the transpose moves before it, onto the int8 tensor (a quarter of the bytes).
// CHECK-LABEL: func.func @hoist_off_int32(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x4x4x8xi8>)
// CHECK: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ARG]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi8>) -> tensor<1x8x4x4xi8>
// CHECK-NEXT: %[[R:[a-z0-9_]+]] = tosa.rescale %[[T]], {{.*}} -> tensor<1x8x4x4xi32>
// CHECK-NEXT: return %[[R]]
func.func @hoist_off_int32(%arg0: tensor<1x4x4x8xi8>) -> tensor<1x8x4x4xi32> {
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %shift = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %0 = tosa.rescale %arg0, %mult, %shift, %izp, %ozp {rounding_mode = SINGLE_ROUND, per_channel = false, scale32 = true, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi32>
  return %1 : tensor<1x8x4x4xi32>
}

// -----

// Negative: a narrowing rescale (int32 -> int8) keeps the transpose after it, where it
// is already on the narrow tensor.
// CHECK-LABEL: func.func @keep_after_narrowing(
// CHECK: %[[R:[a-z0-9_]+]] = tosa.rescale %arg0
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[R]]
// CHECK-NEXT: return %[[T]]
func.func @keep_after_narrowing(%arg0: tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi8> {
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %shift = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.rescale %arg0, %mult, %shift, %izp, %ozp {rounding_mode = SINGLE_ROUND, per_channel = false, scale32 = true, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi8>) -> tensor<1x8x4x4xi8>
  return %1 : tensor<1x8x4x4xi8>
}

// -----

// Negative: the widened value has another user, so the wide tensor stays anyway.
// CHECK-LABEL: func.func @shared_wide_value(
// CHECK: %[[R:[a-z0-9_]+]] = tosa.rescale %arg0
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[R]]
func.func @shared_wide_value(%arg0: tensor<1x4x4x8xi8>) -> (tensor<1x8x4x4xi32>, tensor<1x4x4x8xi32>) {
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %shift = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %0 = tosa.rescale %arg0, %mult, %shift, %izp, %ozp {rounding_mode = SINGLE_ROUND, per_channel = false, scale32 = true, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi32>
  return %1, %0 : tensor<1x8x4x4xi32>, tensor<1x4x4x8xi32>
}
