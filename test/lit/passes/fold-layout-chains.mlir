// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-layout-chains))' | filecheck %s

// A channel shuffle (2 groups of 8) between NHWC convolutions: NHWC -> NCHW, split C,
// swap the groups, join, NCHW -> NHWC. Three transposes become one, in NHWC.
// CHECK-LABEL: func.func @channel_shuffle
// CHECK: %[[ATOMS:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<1x8x8x16xi8>, !tosa.shape<3>) -> tensor<64x2x8xi8>
// CHECK: %[[SHUFFLED:.*]] = tosa.transpose %[[ATOMS]] {perms = array<i32: 0, 2, 1>} : (tensor<64x2x8xi8>) -> tensor<64x8x2xi8>
// CHECK: %[[R:.*]] = tosa.reshape %[[SHUFFLED]], %{{.*}} : (tensor<64x8x2xi8>, !tosa.shape<4>) -> tensor<1x8x8x16xi8>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[R]]
func.func @channel_shuffle(%arg0: tensor<1x8x8x16xi8>) -> tensor<1x8x8x16xi8> {
  %s5 = tosa.const_shape {values = dense<[1, 2, 8, 8, 8]> : tensor<5xindex>} : () -> !tosa.shape<5>
  %s4 = tosa.const_shape {values = dense<[1, 16, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x8x8x16xi8>) -> tensor<1x16x8x8xi8>
  %1 = tosa.reshape %0, %s5 : (tensor<1x16x8x8xi8>, !tosa.shape<5>) -> tensor<1x2x8x8x8xi8>
  %2 = tosa.transpose %1 {perms = array<i32: 0, 2, 1, 3, 4>} : (tensor<1x2x8x8x8xi8>) -> tensor<1x8x2x8x8xi8>
  %3 = tosa.reshape %2, %s4 : (tensor<1x8x2x8x8xi8>, !tosa.shape<4>) -> tensor<1x16x8x8xi8>
  %4 = tosa.transpose %3 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x16x8x8xi8>) -> tensor<1x8x8x16xi8>
  return %4 : tensor<1x8x8x16xi8>
}

// -----

// Two transposes that cancel: no transpose left (a reshape of the same shape folds away later).
// CHECK-LABEL: func.func @inverse_pair
// CHECK-NOT: tosa.transpose
func.func @inverse_pair(%arg0: tensor<2x3x4xi8>) -> tensor<2x3x4xi8> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 2, 0, 1>} : (tensor<2x3x4xi8>) -> tensor<4x2x3xi8>
  %1 = tosa.transpose %0 {perms = array<i32: 1, 2, 0>} : (tensor<4x2x3xi8>) -> tensor<2x3x4xi8>
  return %1 : tensor<2x3x4xi8>
}

// -----

// One transpose in the chain: nothing to gain, left as it is.
// CHECK-LABEL: func.func @single_transpose
// CHECK: tosa.reshape
// CHECK: tosa.transpose
// CHECK: tosa.reshape
func.func @single_transpose(%arg0: tensor<1x16x8xi8>) -> tensor<1x128xi8> {
  %s3 = tosa.const_shape {values = dense<[2, 8, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s2 = tosa.const_shape {values = dense<[1, 128]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.reshape %arg0, %s3 : (tensor<1x16x8xi8>, !tosa.shape<3>) -> tensor<2x8x8xi8>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 2, 1>} : (tensor<2x8x8xi8>) -> tensor<2x8x8xi8>
  %2 = tosa.reshape %1, %s2 : (tensor<2x8x8xi8>, !tosa.shape<2>) -> tensor<1x128xi8>
  return %2 : tensor<1x128xi8>
}

// -----

// A transpose with a second use ends the chain there: each part has one transpose, left.
// CHECK-LABEL: func.func @shared_middle
// CHECK-COUNT-2: tosa.transpose
func.func @shared_middle(%arg0: tensor<2x3x4xi8>) -> (tensor<4x2x3xi8>, tensor<2x3x4xi8>) {
  %0 = tosa.transpose %arg0 {perms = array<i32: 2, 0, 1>} : (tensor<2x3x4xi8>) -> tensor<4x2x3xi8>
  %1 = tosa.transpose %0 {perms = array<i32: 1, 2, 0>} : (tensor<4x2x3xi8>) -> tensor<2x3x4xi8>
  return %0, %1 : tensor<4x2x3xi8>, tensor<2x3x4xi8>
}
