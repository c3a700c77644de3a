// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv),canonicalize)' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv{expand-depth-multiplier=false}),canonicalize)' | filecheck %s --check-prefix=NOEXPAND
// LOWERING: conv2d, depthwise_conv2d, grouped_conv2d

// conv2d with a float bias: int8 conv accumulating in i32 with the input zero point,
// bias round(b / (sx * sw[c])) = round(0.5 / (0.5 * [0.25, 0.5])) = [4, 2], then a
// per-channel rescale by sx * sw[c] / sy = [0.125, 0.25]: multiplier 2^30, shifts 33, 32.
// The relu bound is the int8 minimum at zero point -128, so no clamp remains.
// CHECK-LABEL: func.func @conv_relu
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[4, 2]> : tensor<2xi32>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<7> : tensor<1xi8>}>
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %arg0, %{{.*}}, %[[BIAS]], %[[IZP]], %{{.*}} {acc_type = i32, {{.*}}} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[ACC]], %[[MULT]], %[[SHIFT]], {{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true}
// CHECK-NOT: tosa.clamp
// CHECK: return %[[OUT]] : tensor<1x4x4x2xi8>
func.func @conv_relu(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.5> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 7>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: -128>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// relu6 at scale 0.05, zero point 0: bounds [0, 120] are inside int8, so an integer clamp.
// CHECK-LABEL: func.func @conv_relu6
// CHECK: tosa.rescale
// CHECK: tosa.clamp %{{.*}} {max_val = 120 : i8, min_val = 0 : i8} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
func.func @conv_relu6(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c {max_val = 6.0 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Negative: a float (not dequantized) weight is not folded.
// CHECK-LABEL: func.func @float_weight_stays
// CHECK: tosa.conv2d {{.*}} {acc_type = f32
// CHECK: "tosaic.quantize"
func.func @float_weight_stays(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<1.0> : tensor<2x1x1x3xf32>}> : () -> tensor<2x1x1x3xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Depthwise, multiplier 1, strided, padded and dilated: int8 depthwise_conv2d keeping its
// attributes, the program's int32 bias (its scale is sx * sw[c]), per-channel rescale by
// sx * sw[c] / sy = 0.5 * [0.25, 0.5] / 1.0 = [2^-3, 2^-2]: multiplier 2^30, shifts 33, 32.
// CHECK-LABEL: func.func @depthwise_strided_dilated
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1], [2]], {{\[\[}}3], [4]]], {{\[\[\[}}5], [6]], {{\[\[}}7], [8]]]]> : tensor<2x2x2x1xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[10, -20]> : tensor<2xi32>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}>
// CHECK-DAG: %[[RIZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}>
// CHECK: %[[ACC:.*]] = tosa.depthwise_conv2d %arg0, %[[W]], %[[BIAS]], %[[IZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 2, 2>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x6x6x2xi8>, tensor<2x2x2x1xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x3x3x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[ACC]], %[[MULT]], %[[SHIFT]], %[[RIZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x3x3x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x3x3x2xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[OUT]]
func.func @depthwise_strided_dilated(%arg0: tensor<1x6x6x2xi8>) -> tensor<1x3x3x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1], [2]], [[3], [4]]], [[[5], [6]], [[7], [8]]]]> : tensor<2x2x2x1xi8>}> : () -> tensor<2x2x2x1xi8>
  %b = "tosa.const"() <{values = dense<[10, -20]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x6x6x2xi8>) -> tensor<1x6x6x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x2x2x1xi8>) -> tensor<2x2x2x1xf32>
  %bd = "tosaic.dequantize"(%b) {axis = 0 : i64, qmax = 2147483647 : i64, qmin = -2147483648 : i64, scale = array<f64: 0.125, 0.25>, zero_point = array<i64: 0, 0>} : (tensor<2xi32>) -> tensor<2xf32>
  %c = tosa.depthwise_conv2d %x, %wd, %bd, %zp, %zp {acc_type = f32, dilation = array<i64: 2, 2>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x6x6x2xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: -1>} : (tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xi8>
  return %q : tensor<1x3x3x2xi8>
}

// -----

// Depthwise with channel multiplier 2, as torch-mlir emits it: the weight [1,1,C*M,1]
// quantized along C*M is reshaped to [1,1,C,M] after the dequantize. By default the
// channels are first repeated (1x1 conv2d with one-hot weights, rescale by 1: multiplier
// 2^30, shift 30, back to the input zero point 3), then a multiplier-1 depthwise on
// [1,1,4,1]; output channel c*2+m keeps scale sw[c*2+m]: sx * sw / sy =
// 0.5 * [0.25, 0.5, 0.125, 1.0] / 0.25 = [2^-1, 1, 2^-2, 2] -> shifts [31, 30, 32, 29]. The float bias 0.5 becomes round(0.5 / acc_scale) = [4, 2, 8, 1].
// The relu6 bounds at scale 0.25, zp -128: [-128, -104], so an integer clamp.
// CHECK-LABEL: func.func @depthwise_multiplier
// CHECK-DAG: %[[ONEHOT:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 0]]], {{\[\[\[}}1, 0]]], {{\[\[\[}}0, 1]]], {{\[\[\[}}0, 1]]]]> : tensor<4x1x1x2xi8>}>
// CHECK-DAG: %[[ZEROS:.*]] = "tosa.const"() <{values = dense<0> : tensor<4xi32>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[ONE_M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[ONE_S:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1], [-2], [3], [-4]]]]> : tensor<1x1x4x1xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[4, 2, 8, 1]> : tensor<4xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[31, 30, 32, 29]> : tensor<4xi8>}>
// CHECK: %[[DUP:.*]] = tosa.conv2d %arg0, %[[ONEHOT]], %[[ZEROS]], %[[IZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<4x1x1x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x4xi32>
// CHECK: %[[X4:.*]] = tosa.rescale %[[DUP]], %[[ONE_M]], %[[ONE_S]], %{{.*}}, %[[IZP]] {{.*}}per_channel = false{{.*}} -> tensor<1x4x4x4xi8>
// CHECK: %[[ACC:.*]] = tosa.depthwise_conv2d %[[X4]], %[[W]], %[[BIAS]], %[[IZP]], %[[WZP]] {acc_type = i32, {{.*}}} : (tensor<1x4x4x4xi8>, tensor<1x1x4x1xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x4xi32>
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %[[SHIFT]], {{.*}}per_channel = true{{.*}} -> tensor<1x4x4x4xi8>
// CHECK: %[[OUT:.*]] = tosa.clamp %[[R]] {max_val = -104 : i8, min_val = -128 : i8}
// CHECK: return %[[OUT]]
// NOEXPAND-LABEL: func.func @depthwise_multiplier
// NOEXPAND-NOT: tosa.conv2d
// NOEXPAND: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, -2], [3, -4]]]]> : tensor<1x1x2x2xi8>}>
// NOEXPAND: tosa.depthwise_conv2d %arg0, %[[W]], {{.*}} : (tensor<1x4x4x2xi8>, tensor<1x1x2x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x4xi32>
// NOEXPAND: tosa.rescale
func.func @depthwise_multiplier(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1], [-2], [3], [-4]]]]> : tensor<1x1x4x1xi8>}> : () -> tensor<1x1x4x1xi8>
  %b = "tosa.const"() <{values = dense<0.5> : tensor<4xf32>}> : () -> tensor<4xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape {values = dense<[1, 1, 2, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5, 0.125, 1.0>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x1xi8>) -> tensor<1x1x4x1xf32>
  %wr = tosa.reshape %wd, %shape : (tensor<1x1x4x1xf32>, !tosa.shape<4>) -> tensor<1x1x2x2xf32>
  %c = tosa.depthwise_conv2d %x, %wr, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32>
  %r = tosa.clamp %c {max_val = 6.0 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -128>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xi8>
  return %q : tensor<1x4x4x4xi8>
}

// -----

// Grouped conv (groups = 2), as torch-mlir emits it: per group a slice of the input,
// weight and bias, a conv2d, then a concat. Each group becomes an int8 conv2d on an
// integer slice with its own weight/bias/scale slices, rescaled to the output; the concat
// joins the int8 results. Shifts: 0.5 * [0.25, 0.5 | 0.125, 1.0] -> [33, 32 | 34, 31].
// CHECK-LABEL: func.func @grouped
// CHECK-DAG: %[[W0:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 2]]], {{\[\[\[}}3, 4]]]]> : tensor<2x1x1x2xi8>}>
// CHECK-DAG: %[[W1:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}5, 6]]], {{\[\[\[}}7, 8]]]]> : tensor<2x1x1x2xi8>}>
// CHECK-DAG: %[[B0:.*]] = "tosa.const"() <{values = dense<[10, 20]> : tensor<2xi32>}>
// CHECK-DAG: %[[B1:.*]] = "tosa.const"() <{values = dense<[30, 40]> : tensor<2xi32>}>
// CHECK-DAG: %[[S0:.*]] = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}>
// CHECK-DAG: %[[S1:.*]] = "tosa.const"() <{values = dense<[34, 31]> : tensor<2xi8>}>
// CHECK-DAG: %[[SIZE:.*]] = tosa.const_shape {{ *}}{values = dense<[1, 4, 4, 2]> : tensor<4xindex>}
// CHECK-DAG: %[[START0:.*]] = tosa.const_shape {{ *}}{values = dense<0> : tensor<4xindex>}
// CHECK-DAG: %[[START1:.*]] = tosa.const_shape {{ *}}{values = dense<[0, 0, 0, 2]> : tensor<4xindex>}
// CHECK: %[[X0:.*]] = tosa.slice %arg0, %[[START0]], %[[SIZE]] : (tensor<1x4x4x4xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x4x4x2xi8>
// CHECK: %[[A0:.*]] = tosa.conv2d %[[X0]], %[[W0]], %[[B0]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[R0:.*]] = tosa.rescale %[[A0]], %{{.*}}, %[[S0]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: %[[X1:.*]] = tosa.slice %arg0, %[[START1]], %[[SIZE]] : (tensor<1x4x4x4xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x4x4x2xi8>
// CHECK: %[[A1:.*]] = tosa.conv2d %[[X1]], %[[W1]], %[[B1]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[R1:.*]] = tosa.rescale %[[A1]], %{{.*}}, %[[S1]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: %[[OUT:.*]] = tosa.concat %[[R0]], %[[R1]] {axis = 3 : i32} : (tensor<1x4x4x2xi8>, tensor<1x4x4x2xi8>) -> tensor<1x4x4x4xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[OUT]]
func.func @grouped(%arg0: tensor<1x4x4x4xi8>) -> tensor<1x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2]]], [[[3, 4]]], [[[5, 6]]], [[[7, 8]]]]> : tensor<4x1x1x2xi8>}> : () -> tensor<4x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<[10, 20, 30, 40]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x_size = tosa.const_shape {values = dense<[1, 4, 4, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %w_size = tosa.const_shape {values = dense<[2, 1, 1, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %b_size = tosa.const_shape {values = dense<2> : tensor<1xindex>} : () -> !tosa.shape<1>
  %start0 = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %b_start0 = tosa.const_shape {values = dense<0> : tensor<1xindex>} : () -> !tosa.shape<1>
  %x_start1 = tosa.const_shape {values = dense<[0, 0, 0, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %w_start1 = tosa.const_shape {values = dense<[2, 0, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x4xi8>) -> tensor<1x4x4x4xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5, 0.125, 1.0>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<4x1x1x2xi8>) -> tensor<4x1x1x2xf32>
  %bd = "tosaic.dequantize"(%b) {axis = 0 : i64, qmax = 2147483647 : i64, qmin = -2147483648 : i64, scale = array<f64: 0.125, 0.25, 0.0625, 0.5>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<4xi32>) -> tensor<4xf32>
  %x0 = tosa.slice %x, %start0, %x_size : (tensor<1x4x4x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x4x4x2xf32>
  %w0 = tosa.slice %wd, %start0, %w_size : (tensor<4x1x1x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<2x1x1x2xf32>
  %b0 = tosa.slice %bd, %b_start0, %b_size : (tensor<4xf32>, !tosa.shape<1>, !tosa.shape<1>) -> tensor<2xf32>
  %c0 = tosa.conv2d %x0, %w0, %b0, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %x1 = tosa.slice %x, %x_start1, %x_size : (tensor<1x4x4x4xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x4x4x2xf32>
  %w1 = tosa.slice %wd, %w_start1, %w_size : (tensor<4x1x1x2xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<2x1x1x2xf32>
  %b1 = tosa.slice %bd, %b_size, %b_size : (tensor<4xf32>, !tosa.shape<1>, !tosa.shape<1>) -> tensor<2xf32>
  %c1 = tosa.conv2d %x1, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %cat = tosa.concat %c0, %c1 {axis = 3 : i32} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x4xf32>
  %r = tosa.clamp %cat {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: -128>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xi8>
  return %q : tensor<1x4x4x4xi8>
}

// -----

// Negative: a concat of a convolution and something else is not a grouped convolution.
// CHECK-LABEL: func.func @concat_not_grouped
// CHECK: tosa.conv2d {{.*}} {acc_type = f32
// CHECK: tosa.concat {{.*}} -> tensor<1x4x4x4xf32>
// CHECK: "tosaic.quantize"
func.func @concat_not_grouped(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x1x2xi8>}> : () -> tensor<2x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x2xi8>) -> tensor<2x1x1x2xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %cat = tosa.concat %c, %x {axis = 3 : i32} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x4xf32>
  %q = "tosaic.quantize"(%cat) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xi8>
  return %q : tensor<1x4x4x4xi8>
}

// -----

// conv1d + relu as torch-mlir emits it: the float result goes back to NCL (transpose,
// reshape) before the relu clamp. The per-tensor quantize and the clamp commute with
// layout ops, so the integer conv's int8 result takes the transpose and reshape.
// CHECK-LABEL: func.func @conv1d_layout_then_relu
// CHECK: %[[ACC:.*]] = tosa.conv2d %arg0, {{.*}} -> tensor<1x1x4x2xi32>
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], {{.*}} -> tensor<1x1x4x2xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[R]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x4x2xi8>) -> tensor<1x2x1x4xi8>
// CHECK: %[[OUT:.*]] = tosa.reshape %[[T]], %{{.*}} : (tensor<1x2x1x4xi8>, !tosa.shape<3>) -> tensor<1x2x4xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[OUT]] : tensor<1x2x4xi8>
func.func @conv1d_layout_then_relu(%arg0: tensor<1x1x4x3xi8>) -> tensor<1x2x4xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0.5> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape {values = dense<[1, 2, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 7>} : (tensor<1x1x4x3xi8>) -> tensor<1x1x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x2xf32>
  %t = tosa.transpose %c {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x4x2xf32>) -> tensor<1x2x1x4xf32>
  %r = tosa.reshape %t, %shape : (tensor<1x2x1x4xf32>, !tosa.shape<3>) -> tensor<1x2x4xf32>
  %relu = tosa.clamp %r {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %q = "tosaic.quantize"(%relu) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: -128>} : (tensor<1x2x4xf32>) -> tensor<1x2x4xi8>
  return %q : tensor<1x2x4xi8>
}

// -----

// int16 activations (a16w8): the accumulator and the bias are i48 (acc_type = i48), the
// input zero point an i16 0. The float bias is quantized at sx * sw[c] = [0.125, 0.25]:
// [1.0, -2.0] -> [8, -8] as i48. From i48 the accumulator goes to i32 by exactly 2^0 (a
// scale32 = false RESCALE, multiplier 2^14, shift 14: |acc| <= 15 * 32768 fits int32), then
// to int16 by sx * sw[c] / sy = [2^-3, 2^-2] with a 32-bit multiplier.
// CHECK-LABEL: func.func @conv_int16
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[8, -8]> : tensor<2xi48>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[M16:.*]] = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}>
// CHECK-DAG: %[[S16:.*]] = "tosa.const"() <{values = dense<14> : tensor<1xi8>}>
// CHECK-DAG: %[[ZP48:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi48>}>
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %arg0, %{{.*}}, %[[BIAS]], %[[IZP]], %{{.*}} {acc_type = i48, {{.*}}} : (tensor<1x4x4x3xi16>, tensor<2x1x1x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x2xi48>
// CHECK: %[[NARROW:.*]] = tosa.rescale %[[ACC]], %[[M16]], %[[S16]], %[[ZP48]], %{{.*}} {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[NARROW]], %[[MULT]], %[[SHIFT]], {{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x4x4x2xi16>
// The quantize range [-32767, 32767] is one code inside int16.
// CHECK: %[[CLAMP:.*]] = tosa.clamp %[[OUT]] {max_val = 32767 : i16, min_val = -32767 : i16}
// CHECK: return %[[CLAMP]]
func.func @conv_int16(%arg0: tensor<1x4x4x3xi16>) -> tensor<1x4x4x2xi16> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3]]], [[[-4, 5, -6]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<[1.0, -2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x3xi16>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi16>
  return %q : tensor<1x4x4x2xi16>
}

// -----

// int16 depthwise with the quantizer's int32 bias (its scale is sx * sw[c]): the values
// are widened to i48 unchanged.
// CHECK-LABEL: func.func @depthwise_int16_int32_bias
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[100000, -20]> : tensor<2xi48>}>
// CHECK: %[[ACC:.*]] = tosa.depthwise_conv2d %arg0, %{{.*}}, %[[BIAS]], %{{.*}}, %{{.*}} {acc_type = i48, {{.*}}} : (tensor<1x4x4x2xi16>, tensor<2x2x2x1xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x3x3x2xi48>
// CHECK: tosa.rescale %[[ACC]], {{.*}} scale32 = false} : (tensor<1x3x3x2xi48>, {{.*}}) -> tensor<1x3x3x2xi32>
func.func @depthwise_int16_int32_bias(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x3x3x2xi16> {
  %w = "tosa.const"() <{values = dense<[[[[1], [-2]], [[3], [4]]], [[[5], [6]], [[-7], [8]]]]> : tensor<2x2x2x1xi8>}> : () -> tensor<2x2x2x1xi8>
  %b = "tosa.const"() <{values = dense<[100000, -20]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x2x2x1xi8>) -> tensor<2x2x2x1xf32>
  %bd = "tosaic.dequantize"(%b) {axis = 0 : i64, qmax = 2147483647 : i64, qmin = -2147483648 : i64, scale = array<f64: 0.125, 0.25>, zero_point = array<i64: 0, 0>} : (tensor<2xi32>) -> tensor<2xf32>
  %c = tosa.depthwise_conv2d %x, %wd, %bd, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 4.0>, zero_point = array<i64: 0>} : (tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xi16>
  return %q : tensor<1x3x3x2xi16>
}

// -----

// A float bias beyond int32 at the accumulator's scale: 1e9 / 0.125 = 8e9 is an i48 bias.
// Acc + bias would overflow int32, so the narrowing step is 2^2 (shift 14 + 2 = 16), and the
// output rescale applies 0.125 * 2^2 / 4 = 2^-3 (multiplier 2^30, shift 33).
// CHECK-LABEL: func.func @conv_int16_wide_bias
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<8000000000> : tensor<1xi48>}>
// CHECK-DAG: %[[S16:.*]] = "tosa.const"() <{values = dense<16> : tensor<1xi8>}>
// CHECK-DAG: %[[S32:.*]] = "tosa.const"() <{values = dense<33> : tensor<1xi8>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %arg0, %{{.*}}, %[[BIAS]], {{.*}} {acc_type = i48
// CHECK: %[[NARROW:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %[[S16]], {{.*}} scale32 = false}
// CHECK: tosa.rescale %[[NARROW]], %{{.*}}, %[[S32]], {{.*}} scale32 = true}
func.func @conv_int16_wide_bias(%arg0: tensor<1x4x4x1xi16>) -> tensor<1x4x4x1xi16> {
  %w = "tosa.const"() <{values = dense<3> : tensor<1x1x1x1xi8>}> : () -> tensor<1x1x1x1xi8>
  %b = "tosa.const"() <{values = dense<1.0e9> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x1xi16>) -> tensor<1x4x4x1xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x1x1x1xi8>) -> tensor<1x1x1x1xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 4.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xi16>
  return %q : tensor<1x4x4x1xi16>
}
