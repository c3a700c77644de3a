// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv),canonicalize)' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv{int4-weights=false}),canonicalize)' | filecheck %s --check-prefix=OFF
// LOWERING: conv2d, conv3d, depthwise_conv2d

// int4 weight detection where the conv lowering folds the weight's dequantize: an int8
// container with quantization range within [-8, 7] and values in TOSA's int4 (-7..7)
// becomes an i4 constant with an i4 weight zero point.

// a8w4's symmetric [-7, 7].
// CHECK-LABEL: func.func @range_7_7
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}-7, 0, 7]]], {{\[\[\[}}1, -1, 2]]]]> : tensor<2x1x1x3xi4>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi4>}>
// CHECK: tosa.conv2d %arg0, %[[W]], %{{.*}}, %{{.*}}, %[[WZP]] {acc_type = i32, {{.*}}} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x4x2xi32>
// CHECK-NOT: tosaic.int8_weight
// OFF-LABEL: func.func @range_7_7
// OFF: tosa.conv2d {{.*}} {acc_type = i32, {{.*}}tosaic.int8_weight = "int4 detection is off (int4-weights=false)"} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>
func.func @range_7_7(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// The full int4 range [-8, 7] is int4 too, when no value is -8.
// CHECK-LABEL: func.func @range_8_7
// CHECK: tosa.conv2d {{.*}} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>)
func.func @range_8_7(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -8 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// [-8, 7] with a -8 in the data: TOSA's int4 has no -8, so the weight stays int8 and the
// convolution says why.
// CHECK-LABEL: func.func @minus_8_value
// CHECK: tosa.conv2d {{.*}}tosaic.int8_weight = "weight values -8..7 exceed TOSA int4 [-7, 7]"} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>)
func.func @minus_8_value(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-8, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -8 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Ranges that do not fit int4 stay int8, whatever the values: [-8, 8] and a8w8's [-127, 127].
// CHECK-LABEL: func.func @range_8_8
// CHECK: tosa.conv2d
// CHECK-NOT: tosaic.int8_weight
// CHECK-SAME: (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>)
func.func @range_8_8(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 8 : i64, qmin = -8 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// CHECK-LABEL: func.func @range_127_127
// CHECK: tosa.conv2d
// CHECK-NOT: tosaic.int8_weight
// CHECK-SAME: (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>)
func.func @range_127_127(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// The OIHW -> OHWI transpose torch-mlir puts on the float weight is applied to the int4
// data: one i4 constant, no i4 transpose (TOSA TRANSPOSE has no int4 form).
// CHECK-LABEL: func.func @transposed_weight
// CHECK-NOT: tosa.transpose
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[\[}}1, -7], [2, 3]], {{\[\[}}4, 5], [6, 7]]]]> : tensor<1x2x2x2xi4>}>
// CHECK-NOT: tosa.transpose
// CHECK: tosa.conv2d {{.*}} : (tensor<1x4x4x2xi8>, tensor<1x2x2x2xi4>
func.func @transposed_weight(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x3x3x1xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2], [4, 6]], [[-7, 3], [5, 7]]]]> : tensor<1x2x2x2xi8>}> : () -> tensor<1x2x2x2xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xf32>
  %wt = tosa.transpose %wd {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c = tosa.conv2d %x, %wt, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x2x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x1xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xi8>
  return %q : tensor<1x3x3x1xi8>
}

// -----

// Depthwise with channel multiplier 2: the [KH, KW, C*M, 1] -> [KH, KW, C, M] reshape and the
// multiplier expansion back to [KH, KW, C*M, 1] keep the weight i4; the channel-repeating
// 1x1 conv2d (one-hot weights, not the program's) stays int8.
// CHECK-LABEL: func.func @depthwise_multiplier
// CHECK: tosa.conv2d {{.*}} : (tensor<1x4x4x2xi8>, tensor<4x1x1x2xi8>
// CHECK: tosa.depthwise_conv2d {{.*}} : (tensor<1x4x4x4xi8>, tensor<1x1x4x1xi4>, tensor<4xi32>, tensor<1xi8>, tensor<1xi4>)
// OFF-LABEL: func.func @depthwise_multiplier
// OFF: tosa.depthwise_conv2d {{.*}}tosaic.int8_weight = "int4 detection is off (int4-weights=false)"} : (tensor<1x4x4x4xi8>, tensor<1x1x4x1xi8>
func.func @depthwise_multiplier(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1], [-2], [3], [7]]]]> : tensor<1x1x4x1xi8>}> : () -> tensor<1x1x4x1xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s = tosa.const_shape {values = dense<[1, 1, 2, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5, 0.25, 0.5>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x1xi8>) -> tensor<1x1x4x1xf32>
  %wr = tosa.reshape %wd, %s : (tensor<1x1x4x1xf32>, !tosa.shape<4>) -> tensor<1x1x2x2xf32>
  %c = tosa.depthwise_conv2d %x, %wr, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xi8>
  return %q : tensor<1x4x4x4xi8>
}

// -----

// conv3d: weight [O, KD, KH, KW, I].
// CHECK-LABEL: func.func @conv3d
// CHECK: tosa.conv3d {{.*}} {acc_type = i32, {{.*}}} : (tensor<1x3x4x4x2xi8>, tensor<2x2x1x1x2xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x2x4x4x2xi32>
// CHECK: tosa.rescale {{.*}} per_channel = true
func.func @conv3d(%arg0: tensor<1x3x4x4x2xi8>) -> tensor<1x2x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[[1, -2]]], [[[3, 7]]]], [[[[-7, 0]]], [[[5, 6]]]]]> : tensor<2x2x1x1x2xi8>}> : () -> tensor<2x2x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x3x4x4x2xi8>) -> tensor<1x3x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x2x1x1x2xi8>) -> tensor<2x2x1x1x2xf32>
  %c = tosa.conv3d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x3x4x4x2xf32>, tensor<2x2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x2x4x4x2xf32>) -> tensor<1x2x4x4x2xi8>
  return %q : tensor<1x2x4x4x2xi8>
}

// -----

// A mixed a8w4/a8w8 module: each convolution gets the width of its own weight's range.
// CHECK-LABEL: func.func @mixed
// CHECK: tosa.conv2d {{.*}} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>)
// CHECK: tosa.conv2d {{.*}} : (tensor<1x4x4x2xi8>, tensor<2x1x1x2xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>)
// CHECK-NOT: tosaic.int8_weight
func.func @mixed(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w4 = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %w8 = "tosa.const"() <{values = dense<[[[[-100, 100]]], [[[1, -1]]]]> : tensor<2x1x1x2xi8>}> : () -> tensor<2x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd4 = "tosaic.dequantize"(%w4) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c1 = tosa.conv2d %x, %wd4, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q1 = "tosaic.quantize"(%c1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  %y = "tosaic.dequantize"(%q1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd8 = "tosaic.dequantize"(%w8) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.01, 0.02>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x2xi8>) -> tensor<2x1x1x2xf32>
  %c2 = tosa.conv2d %y, %wd8, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q2 = "tosaic.quantize"(%c2) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.2>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q2 : tensor<1x4x4x2xi8>
}

// -----

// A weight that is an activation (not a constant) with an int4 range cannot become an i4
// constant: int8, with the reason.
// CHECK-LABEL: func.func @weight_not_constant
// CHECK: tosa.conv2d {{.*}}tosaic.int8_weight = "the weight is not a constant"} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>
func.func @weight_not_constant(%arg0: tensor<1x4x4x3xi8>, %w: tensor<2x1x1x3xi8>) -> tensor<1x4x4x2xi8> {
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}
