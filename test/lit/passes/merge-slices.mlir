// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-merge-slices))' | filecheck %s

// torch-mlir's exact-division trim of a strided conv's input, one axis at a time: one slice.
// CHECK-LABEL: func.func @chained
// CHECK-DAG: %[[START:.*]] = tosa.const_shape {values = dense<[0, 1, 2, 0]> : tensor<4xindex>}
// CHECK-DAG: %[[SIZE:.*]] = tosa.const_shape {values = dense<[1, 30, 29, 16]> : tensor<4xindex>}
// CHECK: %[[S:.*]] = tosa.slice %arg0, %[[START]], %[[SIZE]] : (tensor<1x32x32x16xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x30x29x16xi8>
// CHECK-NOT: tosa.slice
// CHECK: return %[[S]]
func.func @chained(%arg0: tensor<1x32x32x16xi8>) -> tensor<1x30x29x16xi8> {
  %s0 = tosa.const_shape {values = dense<[0, 1, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %z0 = tosa.const_shape {values = dense<[1, 31, 32, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s1 = tosa.const_shape {values = dense<[0, 0, 2, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %z1 = tosa.const_shape {values = dense<[1, 30, 29, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %a = tosa.slice %arg0, %s0, %z0 : (tensor<1x32x32x16xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x31x32x16xi8>
  %b = tosa.slice %a, %s1, %z1 : (tensor<1x31x32x16xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x30x29x16xi8>
  return %b : tensor<1x30x29x16xi8>
}

// -----

// Negative: a single slice stays as it is.
// CHECK-LABEL: func.func @single
// CHECK: tosa.slice %arg0
func.func @single(%arg0: tensor<1x32x32x16xi8>) -> tensor<1x31x32x16xi8> {
  %s0 = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %z0 = tosa.const_shape {values = dense<[1, 31, 32, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %a = tosa.slice %arg0, %s0, %z0 : (tensor<1x32x32x16xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x31x32x16xi8>
  return %a : tensor<1x31x32x16xi8>
}
