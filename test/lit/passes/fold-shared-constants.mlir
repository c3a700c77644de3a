// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-shared-constants))' | filecheck %s

// One weight, two calls (an nn.Linear applied twice): each transpose + reshape chain
// becomes a constant of its own; the shared original is left for canonicalize.

// CHECK-LABEL: func.func @shared_weight(
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi8>}>
// CHECK-DAG: %[[A:[a-z0-9_]+]] = "tosa.const"() <{values = dense<{{\[\[\[}}1, 3], [2, 4]]]> : tensor<1x2x2xi8>}>
// CHECK-DAG: %[[B:[a-z0-9_]+]] = "tosa.const"() <{values = dense<{{\[\[\[}}1, 3], [2, 4]]]> : tensor<1x2x2xi8>}>
// CHECK-NOT: tosa.transpose
// CHECK-NOT: tosa.reshape
// CHECK: return %[[A]], %[[B]]
func.func @shared_weight() -> (tensor<1x2x2xi8>, tensor<1x2x2xi8>) {
  %shape = tosa.const_shape {values = dense<[1, 2, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w = "tosa.const"() <{values = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>}> : () -> tensor<2x2xi8>
  %t0 = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<2x2xi8>) -> tensor<2x2xi8>
  %r0 = tosa.reshape %t0, %shape : (tensor<2x2xi8>, !tosa.shape<3>) -> tensor<1x2x2xi8>
  %t1 = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<2x2xi8>) -> tensor<2x2xi8>
  %r1 = tosa.reshape %t1, %shape : (tensor<2x2xi8>, !tosa.shape<3>) -> tensor<1x2x2xi8>
  return %r0, %r1 : tensor<1x2x2xi8>, tensor<1x2x2xi8>
}

// -----

// A shared int32 bias reshaped per call folds the same way.

// CHECK-LABEL: func.func @shared_bias(
// CHECK-NOT: tosa.reshape
// CHECK: return
func.func @shared_bias() -> (tensor<1x3xi32>, tensor<1x3xi32>) {
  %shape = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %b = "tosa.const"() <{values = dense<[5, -6, 7]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %r0 = tosa.reshape %b, %shape : (tensor<3xi32>, !tosa.shape<2>) -> tensor<1x3xi32>
  %r1 = tosa.reshape %b, %shape : (tensor<3xi32>, !tosa.shape<2>) -> tensor<1x3xi32>
  return %r0, %r1 : tensor<1x3xi32>, tensor<1x3xi32>
}

// -----

// A constant with one user is the constant folder's; float constants are left alone.

// CHECK-LABEL: func.func @left_alone(
// CHECK: tosa.transpose
// CHECK: tosa.transpose
// CHECK: tosa.transpose
// CHECK: return
func.func @left_alone() -> (tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>}> : () -> tensor<2x2xi8>
  %t = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<2x2xi8>) -> tensor<2x2xi8>
  %f = "tosa.const"() <{values = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>}> : () -> tensor<2x2xf32>
  %f0 = tosa.transpose %f {perms = array<i32: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %f1 = tosa.transpose %f {perms = array<i32: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %t, %f0, %f1 : tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2xf32>
}
