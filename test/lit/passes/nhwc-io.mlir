// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-nhwc-io,tosaic-fold-transposes))' | filecheck %s

// A graph that computes in NHWC between torch-mlir's boundary transposes: with NHWC IO
// both transposes cancel.
// CHECK-LABEL: func.func @boundary
// CHECK-SAME: (%[[ARG:.*]]: tensor<1x4x5x3xi8>) -> tensor<1x4x5x3xi8>
// CHECK-NEXT: %[[C:.*]] = tosa.clamp %[[ARG]]
// CHECK-NEXT: return %[[C]]
func.func @boundary(%arg0: tensor<1x3x4x5xi8>) -> tensor<1x3x4x5xi8> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x4x5xi8>) -> tensor<1x4x5x3xi8>
  %1 = tosa.clamp %0 {max_val = 127 : i8, min_val = 0 : i8} : (tensor<1x4x5x3xi8>) -> tensor<1x4x5x3xi8>
  %2 = tosa.transpose %1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x5x3xi8>) -> tensor<1x3x4x5xi8>
  return %2 : tensor<1x3x4x5xi8>
}

// -----

// A graph that reads its rank-4 input in NCHW order (a flatten) keeps one transpose; a
// rank-2 output is not a layout.
// CHECK-LABEL: func.func @flatten
// CHECK-SAME: (%[[ARG:.*]]: tensor<1x4x5x3xi8>) -> tensor<1x60xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[ARG]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x5x3xi8>) -> tensor<1x3x4x5xi8>
// CHECK: tosa.reshape %[[T]]
func.func @flatten(%arg0: tensor<1x3x4x5xi8>) -> tensor<1x60xi8> {
  %s = tosa.const_shape {values = dense<[1, 60]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.reshape %arg0, %s : (tensor<1x3x4x5xi8>, !tosa.shape<2>) -> tensor<1x60xi8>
  return %0 : tensor<1x60xi8>
}
