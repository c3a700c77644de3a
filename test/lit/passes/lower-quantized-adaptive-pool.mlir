// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-pool),canonicalize)' | filecheck %s
// LOWERING: adaptive_avg_pool2d

// adaptive_avg_pool2d 5 -> 3 along W (windows [0,2) [1,4) [3,5), decomposed by the
// frontend into windows padded to 3 side by side): a 1x3/1x3 avg_pool2d times the
// factor 3 / count per output column (1.5, 1, 1.5). Lowered as the window sum (a
// depthwise conv with weights 1, input zero point 3), times L / count = 3, 2, 3
// (L = 6), then one rescale by 0.5 / (6 * 0.25) = 1/3.
// CHECK-LABEL: func.func @adaptive_columns
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}3], [2], [3]]]]> : tensor<1x1x3x1xi32>}>
// CHECK: %[[S:.*]] = tosa.depthwise_conv2d %arg0, {{.*}} -> tensor<1x1x3x2xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[S]], %[[W]], {{.*}} -> tensor<1x1x3x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[P]], {{.*}} -> tensor<1x1x3x2xi8>
// CHECK-NOT: tosa.avg_pool2d
// CHECK: return %[[Y]]
func.func @adaptive_columns(%arg0: tensor<1x1x9x2xi8>) -> tensor<1x1x3x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %f = "tosa.const"() <{values = dense<[[[[1.5], [1.0], [1.5]]]]> : tensor<1x1x3x1xf32>}> : () -> tensor<1x1x3x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x1x9x2xi8>) -> tensor<1x1x9x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 1, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 3>} : (tensor<1x1x9x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3x2xf32>
  %m = tosa.mul %p, %f, %shift : (tensor<1x1x3x2xf32>, tensor<1x1x3x1xf32>, tensor<1xi8>) -> tensor<1x1x3x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -1>} : (tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xi8>
  return %q : tensor<1x1x3x2xi8>
}

// -----

// The factor built from scalars as the frontend does (a concat of splats), behind the
// transpose back to NCHW: the rescaled int8 result is transposed.
// CHECK-LABEL: func.func @adaptive_nchw
// CHECK: tosa.depthwise_conv2d
// CHECK: tosa.mul
// CHECK: %[[Y:.*]] = tosa.rescale {{.*}} -> tensor<1x1x3x2xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[Y]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x3x2xi8>) -> tensor<1x2x1x3xi8>
// CHECK: return %[[T]]
func.func @adaptive_nchw(%arg0: tensor<1x1x9x2xi8>) -> tensor<1x2x1x3xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosa.const"() <{values = dense<1.5> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() <{values = dense<1.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %f = tosa.concat %a, %b, %a {axis = 3 : i32} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x3xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x1x9x2xi8>) -> tensor<1x1x9x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 1, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 3>} : (tensor<1x1x9x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3x2xf32>
  %t = tosa.transpose %p {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x3x2xf32>) -> tensor<1x2x1x3xf32>
  %m = tosa.mul %t, %f, %shift : (tensor<1x2x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1xi8>) -> tensor<1x2x1x3xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -1>} : (tensor<1x2x1x3xf32>) -> tensor<1x2x1x3xi8>
  return %q : tensor<1x2x1x3xi8>
}

// -----

// A factor that is not kernel area / a whole count (here 1.3) is no average: left alone.
// CHECK-LABEL: func.func @not_an_average
// CHECK: tosa.avg_pool2d {{.*}} -> tensor<1x1x3x2xf32>
// CHECK: tosaic.quantize
func.func @not_an_average(%arg0: tensor<1x1x9x2xi8>) -> tensor<1x1x3x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %f = "tosa.const"() <{values = dense<1.3> : tensor<1x1x3x1xf32>}> : () -> tensor<1x1x3x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x1x9x2xi8>) -> tensor<1x1x9x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 1, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 3>} : (tensor<1x1x9x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3x2xf32>
  %m = tosa.mul %p, %f, %shift : (tensor<1x1x3x2xf32>, tensor<1x1x3x1xf32>, tensor<1xi8>) -> tensor<1x1x3x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -1>} : (tensor<1x1x3x2xf32>) -> tensor<1x1x3x2xi8>
  return %q : tensor<1x1x3x2xi8>
}

// -----

// Windows of 5 (adaptive 9 -> 2, padded side by side to 10): Vela runs depthwise
// convolutions on Ethos-U55 only with strides <= 3, so the tiled windows are summed by
// int32 REDUCE_SUMs between reshapes.
// CHECK-LABEL: func.func @adaptive_wide_windows
// CHECK-NOT: tosa.depthwise_conv2d
// CHECK: tosa.reduce_sum {{.*}} {axis = 1 : i32} : (tensor<2x5x2x1xi32>) -> tensor<2x1x2x1xi32>
// CHECK: tosa.mul
// CHECK: tosa.rescale {{.*}} -> tensor<1x1x2x2xi8>
func.func @adaptive_wide_windows(%arg0: tensor<1x1x10x2xi8>) -> tensor<1x1x2x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %f = "tosa.const"() <{values = dense<[[[[1.0], [1.25]]]]> : tensor<1x1x2x1xf32>}> : () -> tensor<1x1x2x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x1x10x2xi8>) -> tensor<1x1x10x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 1, 5>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 5>} : (tensor<1x1x10x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %m = tosa.mul %p, %f, %shift : (tensor<1x1x2x2xf32>, tensor<1x1x2x1xf32>, tensor<1xi8>) -> tensor<1x1x2x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -1>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xi8>
  return %q : tensor<1x1x2x2xi8>
}
