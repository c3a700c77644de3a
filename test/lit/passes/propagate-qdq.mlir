// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-propagate-qdq))' | filecheck %s

// The transpose moves above a per-channel dequantize; the axis follows the
// permutation (0 -> 0 here: OIHW -> OHWI keeps O first).
// CHECK-LABEL: func.func @weight_transpose
// CHECK: %[[T:.*]] = tosa.transpose %{{.*}} {perms = array<i32: 0, 2, 3, 1>} : (tensor<4x3x1x1xi8>) -> tensor<4x1x1x3xi8>
// CHECK: "tosaic.dequantize"(%[[T]]) {axis = 0 : i64
// CHECK-NOT: tosa.transpose
func.func @weight_transpose(%w: tensor<4x3x1x1xi8>) -> tensor<4x1x1x3xf32> {
  %d = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 1.0, 2.0, 3.0, 4.0>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<4x3x1x1xi8>) -> tensor<4x3x1x1xf32>
  %t = tosa.transpose %d {perms = array<i32: 0, 2, 3, 1>} : (tensor<4x3x1x1xf32>) -> tensor<4x1x1x3xf32>
  return %t : tensor<4x1x1x3xf32>
}

// -----

// The channel axis is renamed when the permutation moves it.
// CHECK-LABEL: func.func @axis_renamed
// CHECK: tosa.transpose %{{.*}} {perms = array<i32: 1, 0>}
// CHECK: "tosaic.dequantize"(%{{.*}}) {axis = 1 : i64
func.func @axis_renamed(%w: tensor<2x3xi8>) -> tensor<3x2xf32> {
  %d = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 1.0, 2.0>, zero_point = array<i64: 0, 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %t = tosa.transpose %d {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}

// -----

// quantize(transpose(y)) -> transpose(quantize(y)) for per-tensor quantization.
// CHECK-LABEL: func.func @quantize_last
// CHECK: %[[Q:.*]] = "tosaic.quantize"(%arg0) {{.*}} : (tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xi8>
// CHECK: tosa.transpose %[[Q]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x3x4xi8>) -> tensor<1x4x2x3xi8>
func.func @quantize_last(%arg0: tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xi8> {
  %t = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32>
  %q = "tosaic.quantize"(%t) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xi8>
  return %q : tensor<1x4x2x3xi8>
}

// -----

// Negative: a per-channel quantize does not move through a reshape.
// CHECK-LABEL: func.func @per_channel_reshape_stays
// CHECK: tosa.reshape %arg0
// CHECK: "tosaic.quantize"
func.func @per_channel_reshape_stays(%arg0: tensor<2x3xf32>) -> tensor<6xi8> {
  %s = tosa.const_shape {values = dense<[6]> : tensor<1xindex>} : () -> !tosa.shape<1>
  %r = tosa.reshape %arg0, %s : (tensor<2x3xf32>, !tosa.shape<1>) -> tensor<6xf32>
  %q = "tosaic.quantize"(%r) {axis = 0 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0, 1.0, 1.0, 1.0, 1.0, 1.0>, zero_point = array<i64: 0, 0, 0, 0, 0, 0>} : (tensor<6xf32>) -> tensor<6xi8>
  return %q : tensor<6xi8>
}

// -----

// quantize(dequantize(x)) with the same parameters is x; with other parameters it stays.
// CHECK-LABEL: func.func @requantize
// CHECK: %[[Q:.*]] = "tosaic.quantize"(%{{.*}}) {{.*}}zero_point = array<i64: 5>
// CHECK: return %arg0, %[[Q]]
func.func @requantize(%arg0: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<4xi8>) -> tensor<4xf32>
  %same = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<4xf32>) -> tensor<4xi8>
  %other = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 5>} : (tensor<4xf32>) -> tensor<4xi8>
  return %same, %other : tensor<4xi8>, tensor<4xi8>
}
