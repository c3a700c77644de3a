// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv),canonicalize)' | filecheck %s
// LOWERING: transpose_conv2d

// torch conv_transpose2d(stride 2, padding 1, output_padding 1) as torch-mlir lowers it: a
// transpose_conv2d with out_pad 0 (output (3 - 1) * 2 + 3 = 7) and a slice of rows and
// columns 1..6. The slice folds into out_pad [-1, 0, -1, 0] (7 - 1 - 6 = 0 dropped at the
// bottom/right); int8 in, i32 accumulator with the input zero point 3, the float bias
// round(0.5 / (0.5 * [0.25, 0.5])) = [4, 2], a per-channel rescale by sx * sw[c] / sy =
// [0.125, 0.25] (multiplier 2^30, shifts 33, 32), and the relu as the rescale's saturation
// (zero point -128).
// CHECK-LABEL: func.func @transpose_conv2d_crop_relu
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x3x3x2xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[4, 2]> : tensor<2xi32>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}>
// CHECK: %[[ACC:.*]] = tosa.transpose_conv2d %arg0, %[[W]], %[[BIAS]], %[[IZP]], %{{.*}} {acc_type = i32, out_pad = array<i64: -1, 0, -1, 0>, stride = array<i64: 2, 2>} : (tensor<1x3x3x2xi8>, tensor<2x3x3x2xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x6x6x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %[[SHIFT]], {{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x6x6x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x6x6x2xi8>
// CHECK-NOT: tosa.slice
// CHECK-NOT: tosa.clamp
// CHECK: return %[[OUT]] : tensor<1x6x6x2xi8>
func.func @transpose_conv2d_crop_relu(%arg0: tensor<1x3x3x2xi8>) -> tensor<1x6x6x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1, -1], [2, 0], [0, 3]], [[1, 1], [-2, 2], [1, 0]], [[0, 1], [1, 1], [-1, 2]]], [[[2, 1], [0, -1], [1, 1]], [[1, 0], [3, 1], [0, 2]], [[-1, 1], [1, 0], [2, 2]]]]> : tensor<2x3x3x2xi8>}> : () -> tensor<2x3x3x2xi8>
  %b = "tosa.const"() <{values = dense<0.5> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %start = tosa.const_shape {values = dense<[0, 1, 1, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 6, 6, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x3x3x2xi8>) -> tensor<1x3x3x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x3x3x2xi8>) -> tensor<2x3x3x2xf32>
  %c = tosa.transpose_conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x3x3x2xf32>, tensor<2x3x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x7x7x2xf32>
  %s = tosa.slice %c, %start, %size : (tensor<1x7x7x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x6x6x2xf32>
  %r = tosa.clamp %s {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x6x6x2xf32>) -> tensor<1x6x6x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: -128>} : (tensor<1x6x6x2xf32>) -> tensor<1x6x6x2xi8>
  return %q : tensor<1x6x6x2xi8>
}

// -----

// int16 activations (a16w8): i48 accumulator and bias ([1.0, -2.0] at sx * sw[c] = [0.125,
// 0.25]: [8, -8]), input zero point an i16 0, then the two exact steps of the other int16
// convolutions: i48 -> i32 by 2^0 (scale32 = false, multiplier 2^14, shift 14; |acc| <=
// sum|w| * 32768 fits int32), i32 -> i16 by [2^-3, 2^-2] with a 32-bit multiplier, and the
// quantize's [-32767, 32767] as a clamp. Stride 1, no crop: out_pad stays 0.
// CHECK-LABEL: func.func @transpose_conv2d_int16
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[8, -8]> : tensor<2xi48>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[M16:.*]] = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}>
// CHECK-DAG: %[[S16:.*]] = "tosa.const"() <{values = dense<14> : tensor<1xi8>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}>
// CHECK: %[[ACC:.*]] = tosa.transpose_conv2d %arg0, %{{.*}}, %[[BIAS]], %[[IZP]], %{{.*}} {acc_type = i48, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi16>, tensor<2x2x2x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x5x5x2xi48>
// CHECK: %[[NARROW:.*]] = tosa.rescale %[[ACC]], %[[M16]], %[[S16]], %{{.*}}, %{{.*}} {{{.*}}scale32 = false} : (tensor<1x5x5x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x5x5x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[NARROW]], %{{.*}}, %[[SHIFT]], {{.*}} {{{.*}}per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x5x5x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x5x5x2xi16>
// CHECK: %[[CLAMP:.*]] = tosa.clamp %[[OUT]] {max_val = 32767 : i16, min_val = -32767 : i16}
// CHECK: return %[[CLAMP]]
func.func @transpose_conv2d_int16(%arg0: tensor<1x4x4x3xi16>) -> tensor<1x5x5x2xi16> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3], [0, 1, -1]], [[2, -2, 1], [1, 0, 0]]], [[[-4, 5, -6], [1, 1, 1]], [[0, 2, 0], [-1, 0, 3]]]]> : tensor<2x2x2x3xi8>}> : () -> tensor<2x2x2x3xi8>
  %b = "tosa.const"() <{values = dense<[1.0, -2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x3xi16>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x2x2x3xi8>) -> tensor<2x2x2x3xf32>
  %c = tosa.transpose_conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x2x2x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x5x5x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x5x5x2xf32>) -> tensor<1x5x5x2xi16>
  return %q : tensor<1x5x5x2xi16>
}

// -----

// a8w4: a weight quantized to [-7, 7] with values within TOSA int4 becomes an i4 constant
// with an i4 weight zero point (TOSA EXT-INT4 has int8 x int4 transpose_conv2d).
// CHECK-LABEL: func.func @transpose_conv2d_int4
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<2x2x2x1xi4>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi4>}>
// CHECK: tosa.transpose_conv2d %arg0, %[[W]], %{{.*}}, %{{.*}}, %[[WZP]] {acc_type = i32, {{.*}}} : (tensor<1x2x2x1xi8>, tensor<2x2x2x1xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x4x2xi32>
func.func @transpose_conv2d_int4(%arg0: tensor<1x2x2x1xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[7], [-7]], [[3], [0]]], [[[1], [2]], [[-3], [5]]]]> : tensor<2x2x2x1xi8>}> : () -> tensor<2x2x2x1xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x2x2x1xi8>) -> tensor<2x2x2x1xf32>
  %c = tosa.transpose_conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x2x2x1xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// A crop of 3 rows/columns at the top/left of a 3x3 kernel's output would need out_pad -3,
// which TOSA forbids (out_pad > -kernel size): the transpose_conv2d keeps out_pad 0 and the
// slice is applied to the int8 result.
// CHECK-LABEL: func.func @transpose_conv2d_wide_crop
// CHECK: %[[ACC:.*]] = tosa.transpose_conv2d %arg0, {{.*}} {acc_type = i32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : {{.*}} -> tensor<1x7x7x1xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[ACC]], {{.*}} -> tensor<1x7x7x1xi8>
// CHECK: %[[CROP:.*]] = tosa.slice %[[OUT]], %{{.*}}, %{{.*}} : (tensor<1x7x7x1xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x4x4x1xi8>
// CHECK: return %[[CROP]]
func.func @transpose_conv2d_wide_crop(%arg0: tensor<1x3x3x1xi8>) -> tensor<1x4x4x1xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<1x3x3x1xi8>}> : () -> tensor<1x3x3x1xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %start = tosa.const_shape {values = dense<[0, 3, 3, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 4, 4, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x3x1xi8>) -> tensor<1x3x3x1xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x3x3x1xi8>) -> tensor<1x3x3x1xf32>
  %c = tosa.transpose_conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x3x3x1xf32>, tensor<1x3x3x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x7x7x1xf32>
  %s = tosa.slice %c, %start, %size : (tensor<1x7x7x1xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x4x4x1xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xi8>
  return %q : tensor<1x4x4x1xi8>
}
