// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-data-movement),canonicalize)' | filecheck %s
// LOWERING: upsample_nearest.resize

// Nearest upsampling by 2 as the frontend writes it (a broadcast between reshapes), on
// int8 once its quantize/dequantize moved out: one nearest RESIZE in NHWC. PyTorch's
// index floor(o / 2) is TOSA's (2 o - 1) / 4 rounded half up: scale [4, 2, 4, 2],
// offset [-1, -1], border [1, 1].
// CHECK-LABEL: func.func @nearest_x2
// CHECK-DAG: %[[SCALE:.*]] = tosa.const_shape {values = dense<[4, 2, 4, 2]> : tensor<4xindex>}
// CHECK-DAG: %[[OFFSET:.*]] = tosa.const_shape {values = dense<-1> : tensor<2xindex>}
// CHECK-DAG: %[[BORDER:.*]] = tosa.const_shape {values = dense<1> : tensor<2xindex>}
// CHECK: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x3x4xi8>) -> tensor<1x3x4x2xi8>
// CHECK: %[[R:.*]] = tosa.resize %[[T]], %[[SCALE]], %[[OFFSET]], %[[BORDER]] {mode = NEAREST_NEIGHBOR} : (tensor<1x3x4x2xi8>, {{.*}}) -> tensor<1x6x8x2xi8>
// CHECK: %[[B:.*]] = tosa.transpose %[[R]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x6x8x2xi8>) -> tensor<1x2x6x8xi8>
// CHECK-NOT: tosa.tile
// CHECK: return %[[B]]
func.func @nearest_x2(%arg0: tensor<1x2x3x4xi8>) -> tensor<1x2x6x8xi8> {
  %s1 = tosa.const_shape {values = dense<[6, 4, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %m1 = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s2 = tosa.const_shape {values = dense<[2, 3, 1, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %m2 = tosa.const_shape {values = dense<[1, 1, 2, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3 = tosa.const_shape {values = dense<[1, 2, 6, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %0 = tosa.reshape %arg0, %s1 : (tensor<1x2x3x4xi8>, !tosa.shape<3>) -> tensor<6x4x1xi8>
  %1 = tosa.tile %0, %m1 : (tensor<6x4x1xi8>, !tosa.shape<3>) -> tensor<6x4x2xi8>
  %2 = tosa.reshape %1, %s2 : (tensor<6x4x2xi8>, !tosa.shape<4>) -> tensor<2x3x1x8xi8>
  %3 = tosa.tile %2, %m2 : (tensor<2x3x1x8xi8>, !tosa.shape<4>) -> tensor<2x3x2x8xi8>
  %4 = tosa.reshape %3, %s3 : (tensor<2x3x2x8xi8>, !tosa.shape<4>) -> tensor<1x2x6x8xi8>
  return %4 : tensor<1x2x6x8xi8>
}

// -----

// By 3 (not a power of two, which Vela 5.2.0 rejects on Ethos-U55): the broadcast stays.
// CHECK-LABEL: func.func @nearest_x3
// CHECK-NOT: tosa.resize
// CHECK: tosa.tile
func.func @nearest_x3(%arg0: tensor<1x2x3x4xi8>) -> tensor<1x2x9x12xi8> {
  %s1 = tosa.const_shape {values = dense<[6, 4, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %m1 = tosa.const_shape {values = dense<[1, 1, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s2 = tosa.const_shape {values = dense<[2, 3, 1, 12]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %m2 = tosa.const_shape {values = dense<[1, 1, 3, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3 = tosa.const_shape {values = dense<[1, 2, 9, 12]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %0 = tosa.reshape %arg0, %s1 : (tensor<1x2x3x4xi8>, !tosa.shape<3>) -> tensor<6x4x1xi8>
  %1 = tosa.tile %0, %m1 : (tensor<6x4x1xi8>, !tosa.shape<3>) -> tensor<6x4x3xi8>
  %2 = tosa.reshape %1, %s2 : (tensor<6x4x3xi8>, !tosa.shape<4>) -> tensor<2x3x1x12xi8>
  %3 = tosa.tile %2, %m2 : (tensor<2x3x1x12xi8>, !tosa.shape<4>) -> tensor<2x3x3x12xi8>
  %4 = tosa.reshape %3, %s3 : (tensor<2x3x3x12xi8>, !tosa.shape<4>) -> tensor<1x2x9x12xi8>
  return %4 : tensor<1x2x9x12xi8>
}
