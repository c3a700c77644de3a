// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-squeeze-transposes))' | filecheck %s

// conv1d's input as torch-mlir lowers it: reshape to [N, C, 1, W], transpose to NHWC. The
// rank-3 tensor is transposed instead, and the unit dim is inserted after.
// CHECK-LABEL: func.func @before_conv
// CHECK: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 1>} : (tensor<1x16x64xi8>) -> tensor<1x64x16xi8>
// CHECK: %[[R:.*]] = tosa.reshape %[[T]], %{{.*}} : (tensor<1x64x16xi8>, !tosa.shape<4>) -> tensor<1x1x64x16xi8>
// CHECK-NEXT: return %[[R]]
func.func @before_conv(%arg0: tensor<1x16x64xi8>) -> tensor<1x1x64x16xi8> {
  %s = tosa.const_shape {values = dense<[1, 16, 1, 64]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %0 = tosa.reshape %arg0, %s : (tensor<1x16x64xi8>, !tosa.shape<4>) -> tensor<1x16x1x64xi8>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x16x1x64xi8>) -> tensor<1x1x64x16xi8>
  return %1 : tensor<1x1x64x16xi8>
}

// -----

// conv1d's output: transpose NHWC [N, 1, W, O] back to [N, O, 1, W], reshape to [N, O, W]:
// the unit dim is dropped first and the rank-3 tensor transposed.
// CHECK-LABEL: func.func @after_conv
// CHECK: %[[R:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<1x1x64x32xi8>, !tosa.shape<3>) -> tensor<1x64x32xi8>
// CHECK-NEXT: %[[T:.*]] = tosa.transpose %[[R]] {perms = array<i32: 0, 2, 1>} : (tensor<1x64x32xi8>) -> tensor<1x32x64xi8>
// CHECK-NEXT: return %[[T]]
func.func @after_conv(%arg0: tensor<1x1x64x32xi8>) -> tensor<1x32x64xi8> {
  %s = tosa.const_shape {values = dense<[1, 32, 64]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x64x32xi8>) -> tensor<1x32x1x64xi8>
  %1 = tosa.reshape %0, %s : (tensor<1x32x1x64xi8>, !tosa.shape<3>) -> tensor<1x32x64xi8>
  return %1 : tensor<1x32x64xi8>
}

// -----

// Negative: a reshape that regroups dims (not only unit dims) keeps its transpose.
// CHECK-LABEL: func.func @regrouping
// CHECK: tosa.reshape %arg0
// CHECK-NEXT: tosa.transpose
func.func @regrouping(%arg0: tensor<1x16x64xi8>) -> tensor<1x8x8x16xi8> {
  %s = tosa.const_shape {values = dense<[1, 16, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %0 = tosa.reshape %arg0, %s : (tensor<1x16x64xi8>, !tosa.shape<4>) -> tensor<1x16x8x8xi8>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x16x8x8xi8>) -> tensor<1x8x8x16xi8>
  return %1 : tensor<1x8x8x16xi8>
}
