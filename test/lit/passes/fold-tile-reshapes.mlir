// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-tile-reshapes))' | filecheck %s

// x.repeat(1, 2, 2, 1) as the front end lowers it: a rank-6 tile of unit dims.
// CHECK-LABEL: func.func @repeat
// CHECK: %[[M:.*]] = tosa.const_shape {values = dense<[1, 2, 2, 1]> : tensor<4xindex>}
// CHECK: %[[T:.*]] = tosa.tile %arg0, %[[M]] : (tensor<1x8x8x8xi8>, !tosa.shape<4>) -> tensor<1x16x16x8xi8>
// CHECK-NEXT: return %[[T]]
func.func @repeat(%arg0: tensor<1x8x8x8xi8>) -> tensor<1x16x16x8xi8> {
  %s6 = tosa.const_shape {values = dense<[1, 1, 8, 1, 8, 8]> : tensor<6xindex>} : () -> !tosa.shape<6>
  %m6 = tosa.const_shape {values = dense<[1, 2, 1, 2, 1, 1]> : tensor<6xindex>} : () -> !tosa.shape<6>
  %s4 = tosa.const_shape {values = dense<[1, 16, 16, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %0 = tosa.reshape %arg0, %s6 : (tensor<1x8x8x8xi8>, !tosa.shape<6>) -> tensor<1x1x8x1x8x8xi8>
  %1 = tosa.tile %0, %m6 : (tensor<1x1x8x1x8x8xi8>, !tosa.shape<6>) -> tensor<1x2x8x2x8x8xi8>
  %2 = tosa.reshape %1, %s4 : (tensor<1x2x8x2x8x8xi8>, !tosa.shape<4>) -> tensor<1x16x16x8xi8>
  return %2 : tensor<1x16x16x8xi8>
}

// -----

// Negative: a unit dim repeated after its dim is repeat_interleave, not a tile.
// CHECK-LABEL: func.func @interleave
// CHECK: tosa.reshape
// CHECK: tosa.tile %{{.*}} : (tensor<1x8x1xi8>, !tosa.shape<3>) -> tensor<1x8x2xi8>
func.func @interleave(%arg0: tensor<1x8xi8>) -> tensor<1x16xi8> {
  %s3 = tosa.const_shape {values = dense<[1, 8, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %m3 = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s2 = tosa.const_shape {values = dense<[1, 16]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.reshape %arg0, %s3 : (tensor<1x8xi8>, !tosa.shape<3>) -> tensor<1x8x1xi8>
  %1 = tosa.tile %0, %m3 : (tensor<1x8x1xi8>, !tosa.shape<3>) -> tensor<1x8x2xi8>
  %2 = tosa.reshape %1, %s2 : (tensor<1x8x2xi8>, !tosa.shape<2>) -> tensor<1x16xi8>
  return %2 : tensor<1x16xi8>
}
