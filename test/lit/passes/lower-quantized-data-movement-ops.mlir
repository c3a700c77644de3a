// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-data-movement),canonicalize)' | filecheck %s

// Every data movement op, both ways: quantize(op(dequantize(x))) becomes the op on the
// int8 values (entry <op>.quantized), and op(dequantize(x)) that leaves as a float
// becomes dequantize(op(x)) (entry <op>.dequantized).

// LOWERING: reshape.quantized
// CHECK-LABEL: func.func @reshape_quantized
// CHECK: %[[Y:.*]] = tosa.reshape %arg0, %{{.*}}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @reshape_quantized(%arg0: tensor<2x6xi8>) -> tensor<3x4xi8> {
  %s = tosa.const_shape {values = dense<[3, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x6xi8>) -> tensor<2x6xf32>
  %y = tosa.reshape %x, %s : (tensor<2x6xf32>, !tosa.shape<2>) -> tensor<3x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<3x4xf32>) -> tensor<3x4xi8>
  return %q : tensor<3x4xi8>
}

// -----

// LOWERING: reshape.dequantized
// CHECK-LABEL: func.func @reshape_dequantized
// CHECK: %[[Y:.*]] = tosa.reshape %arg0, %{{.*}}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @reshape_dequantized(%arg0: tensor<2x6xi8>) -> tensor<3x4xf32> {
  %s = tosa.const_shape {values = dense<[3, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x6xi8>) -> tensor<2x6xf32>
  %y = tosa.reshape %x, %s : (tensor<2x6xf32>, !tosa.shape<2>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// LOWERING: transpose.quantized
// CHECK-LABEL: func.func @transpose_quantized
// CHECK: %[[Y:.*]] = tosa.transpose %arg0 {perms = array<i32: 1, 0>}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @transpose_quantized(%arg0: tensor<2x3xi8>) -> tensor<3x2xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %y = tosa.transpose %x {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %q : tensor<3x2xi8>
}

// -----

// LOWERING: transpose.dequantized
// CHECK-LABEL: func.func @transpose_dequantized
// CHECK: %[[Y:.*]] = tosa.transpose %arg0 {perms = array<i32: 1, 0>}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @transpose_dequantized(%arg0: tensor<2x3xi8>) -> tensor<3x2xf32> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %y = tosa.transpose %x {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// LOWERING: slice.quantized
// CHECK-LABEL: func.func @slice_quantized
// CHECK: %[[Y:.*]] = tosa.slice %arg0, %{{.*}}, %{{.*}}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @slice_quantized(%arg0: tensor<2x6xi8>) -> tensor<2x3xi8> {
  %start = tosa.const_shape {values = dense<[0, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x6xi8>) -> tensor<2x6xf32>
  %y = tosa.slice %x, %start, %size : (tensor<2x6xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}

// -----

// LOWERING: slice.dequantized
// CHECK-LABEL: func.func @slice_dequantized
// CHECK: %[[Y:.*]] = tosa.slice %arg0, %{{.*}}, %{{.*}}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @slice_dequantized(%arg0: tensor<2x6xi8>) -> tensor<2x3xf32> {
  %start = tosa.const_shape {values = dense<[0, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x6xi8>) -> tensor<2x6xf32>
  %y = tosa.slice %x, %start, %size : (tensor<2x6xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// LOWERING: tile.quantized
// CHECK-LABEL: func.func @tile_quantized
// CHECK: %[[Y:.*]] = tosa.tile %arg0, %{{.*}}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @tile_quantized(%arg0: tensor<1x2xi8>) -> tensor<3x2xi8> {
  %m = tosa.const_shape {values = dense<[3, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %y = tosa.tile %x, %m : (tensor<1x2xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %q : tensor<3x2xi8>
}

// -----

// LOWERING: tile.dequantized
// CHECK-LABEL: func.func @tile_dequantized
// CHECK: %[[Y:.*]] = tosa.tile %arg0, %{{.*}}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @tile_dequantized(%arg0: tensor<1x2xi8>) -> tensor<3x2xf32> {
  %m = tosa.const_shape {values = dense<[3, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %y = tosa.tile %x, %m : (tensor<1x2xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// LOWERING: reverse.quantized
// CHECK-LABEL: func.func @reverse_quantized
// CHECK: %[[Y:.*]] = tosa.reverse %arg0 {axis = 1
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @reverse_quantized(%arg0: tensor<2x3xi8>) -> tensor<2x3xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %y = tosa.reverse %x {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}

// -----

// LOWERING: reverse.dequantized
// CHECK-LABEL: func.func @reverse_dequantized
// CHECK: %[[Y:.*]] = tosa.reverse %arg0 {axis = 1
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @reverse_dequantized(%arg0: tensor<2x3xi8>) -> tensor<2x3xf32> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %y = tosa.reverse %x {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// LOWERING: identity.quantized
// CHECK-LABEL: func.func @identity_quantized
// CHECK: %[[Y:.*]] = tosa.identity %arg0
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @identity_quantized(%arg0: tensor<2x3xi8>) -> tensor<2x3xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %y = tosa.identity %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}

// -----

// LOWERING: identity.dequantized
// CHECK-LABEL: func.func @identity_dequantized
// CHECK: %[[Y:.*]] = tosa.identity %arg0
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @identity_dequantized(%arg0: tensor<2x3xi8>) -> tensor<2x3xf32> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %y = tosa.identity %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// LOWERING: gather.quantized
// Indices from the graph (an embedding's): the GATHER on the int8 values.
// CHECK-LABEL: func.func @gather_quantized
// CHECK: %[[Y:.*]] = tosa.gather %arg0, %{{.*}}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @gather_quantized(%arg0: tensor<1x4x3xi8>, %idx: tensor<1x2xi32>) -> tensor<1x2x3xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x3xi8>) -> tensor<1x4x3xf32>
  %y = tosa.gather %x, %idx : (tensor<1x4x3xf32>, tensor<1x2xi32>) -> tensor<1x2x3xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xi8>
  return %q : tensor<1x2x3xi8>
}

// -----

// LOWERING: gather.dequantized
// CHECK-LABEL: func.func @gather_dequantized
// CHECK: %[[Y:.*]] = tosa.gather %arg0, %{{.*}}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @gather_dequantized(%arg0: tensor<1x4x3xi8>, %idx: tensor<1x2xi32>) -> tensor<1x2x3xf32> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x3xi8>) -> tensor<1x4x3xf32>
  %y = tosa.gather %x, %idx : (tensor<1x4x3xf32>, tensor<1x2xi32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}

// -----

// LOWERING: resize.quantized
// CHECK-LABEL: func.func @resize_quantized
// CHECK: %[[Y:.*]] = tosa.resize %arg0, {{.*}} {mode = NEAREST_NEIGHBOR}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @resize_quantized(%arg0: tensor<1x2x2x1xi8>) -> tensor<1x4x4x1xi8> {
  %scale = tosa.const_shape {values = dense<[4, 2, 4, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %offset = tosa.const_shape {values = dense<[0, 0]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %border = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xf32>
  %y = tosa.resize %x, %scale, %offset, %border {mode = NEAREST_NEIGHBOR} : (tensor<1x2x2x1xf32>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4x4x1xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xi8>
  return %q : tensor<1x4x4x1xi8>
}

// -----

// LOWERING: resize.dequantized
// CHECK-LABEL: func.func @resize_dequantized
// CHECK: %[[Y:.*]] = tosa.resize %arg0, {{.*}} {mode = NEAREST_NEIGHBOR}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @resize_dequantized(%arg0: tensor<1x2x2x1xi8>) -> tensor<1x4x4x1xf32> {
  %scale = tosa.const_shape {values = dense<[4, 2, 4, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %offset = tosa.const_shape {values = dense<[0, 0]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %border = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xf32>
  %y = tosa.resize %x, %scale, %offset, %border {mode = NEAREST_NEIGHBOR} : (tensor<1x2x2x1xf32>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4x4x1xf32>
  return %y : tensor<1x4x4x1xf32>
}

// -----

// LOWERING: pad.quantized
// CHECK-LABEL: func.func @pad_quantized
// CHECK: %[[Y:.*]] = tosa.pad %arg0, %{{.*}}, %{{.*}}
// CHECK-NOT: tosaic.
// CHECK: return %[[Y]]
func.func @pad_quantized(%arg0: tensor<1x2xi8>) -> tensor<1x4xi8> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %y = tosa.pad %x, %p, %zero : (tensor<1x2xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q : tensor<1x4xi8>
}

// -----

// LOWERING: pad.dequantized
// CHECK-LABEL: func.func @pad_dequantized
// CHECK: %[[Y:.*]] = tosa.pad %arg0, %{{.*}}, %{{.*}}
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[Y]])
// CHECK: return %[[D]]
func.func @pad_dequantized(%arg0: tensor<1x2xi8>) -> tensor<1x4xf32> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %y = tosa.pad %x, %p, %zero : (tensor<1x2xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// LOWERING: gather.constant-indices
// Constant indices, computed from int64 constants as torch-mlir does for index_select:
// one slice per run of consecutive rows (rows 0-1, 3, 5-6), one concat, the int8 values
// dequantized after it; no GATHER (Ethos-U55 runs none) and no int64 left.
// CHECK-LABEL: func.func @gather_constant_indices
// CHECK-NOT: {{tosa.gather|tosa.cast|xi64>}}
// CHECK: %[[A:.*]] = tosa.slice %arg0, %{{.*}}, %{{.*}} : (tensor<1x8x3xi8>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x2x3xi8>
// CHECK: %[[B:.*]] = tosa.slice %arg0, %{{.*}}, %{{.*}} : (tensor<1x8x3xi8>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x1x3xi8>
// CHECK: %[[C:.*]] = tosa.slice %arg0, %{{.*}}, %{{.*}} : (tensor<1x8x3xi8>, !tosa.shape<3>, !tosa.shape<3>) -> tensor<1x2x3xi8>
// CHECK: %[[J:.*]] = tosa.concat %[[A]], %[[B]], %[[C]] {axis = 1 : i32} : (tensor<1x2x3xi8>, tensor<1x1x3xi8>, tensor<1x2x3xi8>) -> tensor<1x5x3xi8>
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[J]])
// CHECK-NOT: xi64>
// CHECK: return %[[D]]
func.func @gather_constant_indices(%arg0: tensor<1x8x3xi8>) -> tensor<1x5x3xf32> {
  %wide = "tosa.const"() <{values = dense<[0, 1, 3, 5, 6]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %shape = tosa.const_shape {values = dense<[1, 5]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %narrow = tosa.cast %wide : (tensor<5xi64>) -> tensor<5xi32>
  %idx = tosa.reshape %narrow, %shape : (tensor<5xi32>, !tosa.shape<2>) -> tensor<1x5xi32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x8x3xi8>) -> tensor<1x8x3xf32>
  %y = tosa.gather %x, %idx : (tensor<1x8x3xf32>, tensor<1x5xi32>) -> tensor<1x5x3xf32>
  return %y : tensor<1x5x3xf32>
}

// -----

// LOWERING: gather.constant-indices, gather.dequantized
// More runs of consecutive indices than MAX_GATHER_RUNS (32): the GATHER stays, its
// computed indices folded into one int32 constant (TOSA's integer profile has no int64).
// CHECK-LABEL: func.func @gather_many_runs
// CHECK-NOT: {{tosa.cast|xi64>}}
// CHECK: %[[I:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1, 0, 3, 2, {{.*}}]]> : tensor<1x40xi32>}>
// CHECK: %[[Y:.*]] = tosa.gather %arg0, %[[I]] : (tensor<1x40x3xi8>, tensor<1x40xi32>) -> tensor<1x40x3xi8>
// CHECK-NOT: xi64>
// CHECK: return
func.func @gather_many_runs(%arg0: tensor<1x40x3xi8>) -> tensor<1x40x3xf32> {
  %wide = "tosa.const"() <{values = dense<[1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 17, 16, 19, 18, 21, 20, 23, 22, 25, 24, 27, 26, 29, 28, 31, 30, 33, 32, 35, 34, 37, 36, 39, 38]> : tensor<40xi64>}> : () -> tensor<40xi64>
  %shape = tosa.const_shape {values = dense<[1, 40]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %narrow = tosa.cast %wide : (tensor<40xi64>) -> tensor<40xi32>
  %idx = tosa.reshape %narrow, %shape : (tensor<40xi32>, !tosa.shape<2>) -> tensor<1x40xi32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x40x3xi8>) -> tensor<1x40x3xf32>
  %y = tosa.gather %x, %idx : (tensor<1x40x3xf32>, tensor<1x40xi32>) -> tensor<1x40x3xf32>
  return %y : tensor<1x40x3xf32>
}
