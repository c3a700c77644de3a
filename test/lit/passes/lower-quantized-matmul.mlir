// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-matmul),canonicalize)' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-matmul{int4-weights=false}),canonicalize)' | filecheck %s --check-prefix=INT8
// LOWERING: matmul

// A linear layer as torch-mlir emits it (matmul with the transposed weight [1, in, out],
// reshape, add the bias), with relu6: a 1x1 int8 conv2d on [1, 1, M, in] with the weight
// transposed to [out, 1, 1, in], the program's int32 bias (scale sx * sw[o]), the input
// zero point, a per-channel rescale by 0.5 * [0.25, 0.5, 0.125] / 0.25 = [2^-1, 1, 2^-2]
// (multiplier 2^30, shifts 31, 30, 32), relu6 as the clamp [-128, 6 / 0.25 - 128], and
// a reshape back to the program's [1, 3].
// CHECK-LABEL: func.func @linear_bias_relu6
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 4, 7, 10]]], {{\[\[\[}}2, 5, 8, 11]]], {{\[\[\[}}3, 6, 9, 12]]]]> : tensor<3x1x1x4xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[10, -20, 30]> : tensor<3xi32>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<3xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<[31, 30, 32]> : tensor<3xi8>}>
// CHECK-DAG: %[[RIZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK-DAG: %[[S4:.*]] = tosa.const_shape {{ *}}{values = dense<[1, 1, 1, 4]> : tensor<4xindex>}
// CHECK-DAG: %[[S2:.*]] = tosa.const_shape {{ *}}{values = dense<[1, 3]> : tensor<2xindex>}
// CHECK: %[[X:.*]] = tosa.reshape %arg0, %[[S4]] : (tensor<1x1x4xi8>, !tosa.shape<4>) -> tensor<1x1x1x4xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[X]], %[[W]], %[[BIAS]], %[[IZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x4xi8>, tensor<3x1x1x4xi8>, tensor<3xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x3xi32>
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], %[[MULT]], %[[SHIFT]], %[[RIZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x1x1x3xi32>, tensor<3xi32>, tensor<3xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x3xi8>
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = -104 : i8, min_val = -128 : i8} : (tensor<1x1x1x3xi8>) -> tensor<1x1x1x3xi8>
// CHECK: %[[OUT:.*]] = tosa.reshape %[[C]], %[[S2]] : (tensor<1x1x1x3xi8>, !tosa.shape<2>) -> tensor<1x3xi8>
// CHECK-NOT: tosa.matmul
// CHECK: return %[[OUT]] : tensor<1x3xi8>
func.func @linear_bias_relu6(%arg0: tensor<1x1x4xi8>) -> tensor<1x3xi8> {
  %w = "tosa.const"() <{values = dense<[[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]]> : tensor<1x4x3xi8>}> : () -> tensor<1x4x3xi8>
  %b = "tosa.const"() <{values = dense<[[10, -20, 30]]> : tensor<1x3xi32>}> : () -> tensor<1x3xi32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x1x4xi8>) -> tensor<1x1x4xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5, 0.125>, zero_point = array<i64: 0, 0, 0>} : (tensor<1x4x3xi8>) -> tensor<1x4x3xf32>
  %bd = "tosaic.dequantize"(%b) {axis = 1 : i64, qmax = 2147483647 : i64, qmin = -2147483648 : i64, scale = array<f64: 0.125, 0.25, 0.0625>, zero_point = array<i64: 0, 0, 0>} : (tensor<1x3xi32>) -> tensor<1x3xf32>
  %m = tosa.matmul %x, %wd, %zp, %zp : (tensor<1x1x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %r = tosa.reshape %m, %shape : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %a = tosa.add %r, %bd : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %c = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -128>} : (tensor<1x3xf32>) -> tensor<1x3xi8>
  return %q : tensor<1x3xi8>
}

// -----

// A linear layer over rows ([1, 5, 4] -> [1, 5, 2]) with a per-tensor weight and a float
// bias (bias first in the add): the bias is quantized at sx * sw = 0.25,
// round([1.0, -1.0] / 0.25) = [4, -4]; rescale 0.25 / 0.5 = 2^-1: shift 31 per channel.
// CHECK-LABEL: func.func @linear_rows_float_bias
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 3, 5, 7]]], {{\[\[\[}}2, 4, 6, 8]]]]> : tensor<2x1x1x4xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[4, -4]> : tensor<2xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<31> : tensor<2xi8>}>
// CHECK: %[[X:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<1x5x4xi8>, !tosa.shape<4>) -> tensor<1x1x5x4xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[X]], %[[W]], %[[BIAS]], {{.*}} -> tensor<1x1x5x2xi32>
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %[[SHIFT]], {{.*}} -> tensor<1x1x5x2xi8>
// CHECK: %[[OUT:.*]] = tosa.reshape %[[R]], %{{.*}} : (tensor<1x1x5x2xi8>, !tosa.shape<3>) -> tensor<1x5x2xi8>
// CHECK: return %[[OUT]]
func.func @linear_rows_float_bias(%arg0: tensor<1x5x4xi8>) -> tensor<1x5x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[1, 2], [3, 4], [5, 6], [7, 8]]]> : tensor<1x4x2xi8>}> : () -> tensor<1x4x2xi8>
  %b = "tosa.const"() <{values = dense<[[[1.0, -1.0]]]> : tensor<1x1x2xf32>}> : () -> tensor<1x1x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x5x4xi8>) -> tensor<1x5x4xf32>
  %wd = "tosaic.dequantize"(%w) {axis = -1 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x2xi8>) -> tensor<1x4x2xf32>
  %m = tosa.matmul %x, %wd, %zp, %zp : (tensor<1x5x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x5x2xf32>
  %a = tosa.add %b, %m : (tensor<1x1x2xf32>, tensor<1x5x2xf32>) -> tensor<1x5x2xf32>
  %q = "tosaic.quantize"(%a) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x5x2xf32>) -> tensor<1x5x2xi8>
  return %q : tensor<1x5x2xi8>
}

// -----

// Two quantized activations (bmm): int8 tosa.matmul with both zero points, i32 result,
// one rescale by sa * sb / sy = 0.5 * 0.25 / 0.5 = 2^-2 (multiplier 2^30, shift 32) to the
// output zero point 1; relu as the clamp [1, 127]; the reshape after the matmul on int8.
// CHECK-LABEL: func.func @matmul_activations
// CHECK-DAG: %[[AZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[BZP:.*]] = "tosa.const"() <{values = dense<7> : tensor<1xi8>}>
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
// CHECK-DAG: %[[RIZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
// CHECK: %[[ACC:.*]] = tosa.matmul %arg0, %arg1, %[[AZP]], %[[BZP]] : (tensor<2x3x4xi8>, tensor<2x4x5xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3x5xi32>
// CHECK: %[[R:.*]] = tosa.rescale %[[ACC]], %[[MULT]], %[[SHIFT]], %[[RIZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<2x3x5xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<2x3x5xi8>
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = 1 : i8}
// CHECK: %[[OUT:.*]] = tosa.reshape %[[C]], %{{.*}} : (tensor<2x3x5xi8>, !tosa.shape<2>) -> tensor<6x5xi8>
// CHECK: return %[[OUT]]
func.func @matmul_activations(%arg0: tensor<2x3x4xi8>, %arg1: tensor<2x4x5xi8>) -> tensor<6x5xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape {values = dense<[6, 5]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: -3>} : (tensor<2x3x4xi8>) -> tensor<2x3x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 7>} : (tensor<2x4x5xi8>) -> tensor<2x4x5xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<2x3x4xf32>, tensor<2x4x5xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3x5xf32>
  %r = tosa.reshape %m, %shape : (tensor<2x3x5xf32>, !tosa.shape<2>) -> tensor<6x5xf32>
  %c = tosa.clamp %r {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<6x5xf32>) -> tensor<6x5xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<6x5xf32>) -> tensor<6x5xi8>
  return %q : tensor<6x5xi8>
}

// -----

// A constant second operand with a zero point (a parameter multiplied with torch.matmul,
// quantized like an activation) is not a conv weight: it stays a matmul with b_zp 5.
// CHECK-LABEL: func.func @matmul_asymmetric_constant
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<2> : tensor<1x4x2xi8>}>
// CHECK-DAG: %[[BZP:.*]] = "tosa.const"() <{values = dense<5> : tensor<1xi8>}>
// CHECK: tosa.matmul %arg0, %[[B]], %{{.*}}, %[[BZP]] : {{.*}} -> tensor<1x3x2xi32>
// CHECK-NOT: tosa.conv2d
func.func @matmul_asymmetric_constant(%arg0: tensor<1x3x4xi8>) -> tensor<1x3x2xi8> {
  %w = "tosa.const"() <{values = dense<2> : tensor<1x4x2xi8>}> : () -> tensor<1x4x2xi8>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x4xi8>) -> tensor<1x3x4xf32>
  %b = "tosaic.dequantize"(%w) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 5>} : (tensor<1x4x2xi8>) -> tensor<1x4x2xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x3x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x2xf32>) -> tensor<1x3x2xi8>
  return %q : tensor<1x3x2xi8>
}

// -----

// Negative: a float (not dequantized) operand is not lowered.
// CHECK-LABEL: func.func @float_operand_stays
// CHECK: tosa.matmul {{.*}} -> tensor<1x3x2xf32>
// CHECK: "tosaic.quantize"
func.func @float_operand_stays(%arg0: tensor<1x3x4xi8>, %arg1: tensor<1x4x2xf32>) -> tensor<1x3x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x4xi8>) -> tensor<1x3x4xf32>
  %m = tosa.matmul %a, %arg1, %zp, %zp : (tensor<1x3x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x2xf32>) -> tensor<1x3x2xi8>
  return %q : tensor<1x3x2xi8>
}

// -----

// Negative: matmul of activations plus another activation is no linear layer: left alone.
// CHECK-LABEL: func.func @matmul_plus_activation_stays
// CHECK: tosa.matmul {{.*}} -> tensor<1x3x2xf32>
// CHECK: tosa.add
// CHECK: "tosaic.quantize"
func.func @matmul_plus_activation_stays(%arg0: tensor<1x3x4xi8>, %arg1: tensor<1x4x2xi8>, %arg2: tensor<1x3x2xi8>) -> tensor<1x3x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x4xi8>) -> tensor<1x3x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x2xi8>) -> tensor<1x4x2xf32>
  %c = "tosaic.dequantize"(%arg2) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x2xi8>) -> tensor<1x3x2xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x3x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  %s = tosa.add %m, %c : (tensor<1x3x2xf32>, tensor<1x3x2xf32>) -> tensor<1x3x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x2xf32>) -> tensor<1x3x2xi8>
  return %q : tensor<1x3x2xi8>
}

// -----

// An int16 linear layer: a 1x1 conv2d of the i16 input accumulating in i48 with the
// program's int32 bias widened to i48 and an i16 zero point 0; the accumulator goes to i32
// by exactly 2^0 (scale32 = false) and then to int16 with a 32-bit multiplier.
// CHECK-LABEL: func.func @linear_int16
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[10, -20, 30]> : tensor<3xi48>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %{{.*}}, %{{.*}}, %[[BIAS]], %[[IZP]], %{{.*}} {acc_type = i48, {{.*}}} : (tensor<1x1x1x4xi16>, tensor<3x1x1x4xi8>, tensor<3xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x1x1x3xi48>
// CHECK: %[[N:.*]] = tosa.rescale %[[ACC]], {{.*}} scale32 = false} : (tensor<1x1x1x3xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x1x1x3xi32>
// CHECK: tosa.rescale %[[N]], {{.*}} per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x1x1x3xi32>, tensor<3xi32>, tensor<3xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x1x1x3xi16>
// CHECK-NOT: tosa.matmul
func.func @linear_int16(%arg0: tensor<1x1x4xi16>) -> tensor<1x3xi16> {
  %w = "tosa.const"() <{values = dense<[[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]]> : tensor<1x4x3xi8>}> : () -> tensor<1x4x3xi8>
  %b = "tosa.const"() <{values = dense<[[10, -20, 30]]> : tensor<1x3xi32>}> : () -> tensor<1x3xi32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x1x4xi16>) -> tensor<1x1x4xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5, 0.125>, zero_point = array<i64: 0, 0, 0>} : (tensor<1x4x3xi8>) -> tensor<1x4x3xf32>
  %bd = "tosaic.dequantize"(%b) {axis = 1 : i64, qmax = 2147483647 : i64, qmin = -2147483648 : i64, scale = array<f64: 0.125, 0.25, 0.0625>, zero_point = array<i64: 0, 0, 0>} : (tensor<1x3xi32>) -> tensor<1x3xf32>
  %m = tosa.matmul %x, %wd, %zp, %zp : (tensor<1x1x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %r = tosa.reshape %m, %shape : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %a = tosa.add %r, %bd : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %q = "tosaic.quantize"(%a) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x3xf32>) -> tensor<1x3xi16>
  return %q : tensor<1x3xi16>
}

// -----

// An a8w4 linear layer (weight range [-7, 7]): TOSA MATMUL has no int4 operand, so the
// 1x1 conv2d is what carries the weight as i4, transposed to [out, 1, 1, in] in the data.
// CHECK-LABEL: func.func @linear_int4
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 4, -7, 7]]], {{\[\[\[}}2, -5, 0, 6]]], {{\[\[\[}}3, 6, -1, -6]]]]> : tensor<3x1x1x4xi4>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi4>}>
// CHECK: tosa.conv2d %{{.*}}, %[[W]], %{{.*}}, %{{.*}}, %[[WZP]] {{.*}} : (tensor<1x1x1x4xi8>, tensor<3x1x1x4xi4>, tensor<3xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x1x1x3xi32>
// CHECK-NOT: tosa.matmul
// INT8-LABEL: func.func @linear_int4
// INT8: tosa.conv2d {{.*}}tosaic.int8_weight = "int4 detection is off (int4-weights=false)"} : (tensor<1x1x1x4xi8>, tensor<3x1x1x4xi8>
func.func @linear_int4(%arg0: tensor<1x1x4xi8>) -> tensor<1x3xi8> {
  %w = "tosa.const"() <{values = dense<[[[1, 2, 3], [4, -5, 6], [-7, 0, -1], [7, 6, -6]]]> : tensor<1x4x3xi8>}> : () -> tensor<1x4x3xi8>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x1x4xi8>) -> tensor<1x1x4xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 2 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5, 0.125>, zero_point = array<i64: 0, 0, 0>} : (tensor<1x4x3xi8>) -> tensor<1x4x3xf32>
  %m = tosa.matmul %x, %wd, %zp, %zp : (tensor<1x1x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %r = tosa.reshape %m, %shape : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -128>} : (tensor<1x3xf32>) -> tensor<1x3xi8>
  return %q : tensor<1x3xi8>
}

// -----

// A matmul of two int16 activations accumulates in i48 (zero points i16 0). 8 products of
// up to 2^30 each can reach 2^33, so the accumulator is narrowed by 2^-3 (shift 14 + 3),
// and the output rescale applies 0.5 * 0.5 / 1024 * 2^3 = 2^-9 (multiplier 2^30, shift 39).
// CHECK-LABEL: func.func @matmul_int16
// CHECK-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[S16:.*]] = "tosa.const"() <{values = dense<17> : tensor<1xi8>}>
// CHECK-DAG: %[[S32:.*]] = "tosa.const"() <{values = dense<39> : tensor<1xi8>}>
// CHECK: %[[ACC:.*]] = tosa.matmul %arg0, %arg1, %[[ZP]], %[[ZP]] : (tensor<1x2x8xi16>, tensor<1x8x2xi16>, tensor<1xi16>, tensor<1xi16>) -> tensor<1x2x2xi48>
// CHECK: %[[N:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %[[S16]], {{.*}} scale32 = false} : (tensor<1x2x2xi48>, {{.*}}) -> tensor<1x2x2xi32>
// CHECK: tosa.rescale %[[N]], %{{.*}}, %[[S32]], {{.*}} scale32 = true} : (tensor<1x2x2xi32>, {{.*}}) -> tensor<1x2x2xi16>
func.func @matmul_int16(%arg0: tensor<1x2x8xi16>, %arg1: tensor<1x8x2xi16>) -> tensor<1x2x2xi16> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x8xi16>) -> tensor<1x2x8xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x8x2xi16>) -> tensor<1x8x2xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x2x8xf32>, tensor<1x8x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1024.0>, zero_point = array<i64: 0>} : (tensor<1x2x2xf32>) -> tensor<1x2x2xi16>
  return %q : tensor<1x2x2xi16>
}

// -----

// A constant second operand with an int4 range that is not a linear weight (it has a zero
// point) stays a matmul, so int8: the matmul says why.
// CHECK-LABEL: func.func @matmul_int4_range_stays_int8
// CHECK: tosa.matmul {{.*}} {tosaic.int8_weight = "TOSA MATMUL has no int4 operand"} : (tensor<1x3x4xi8>, tensor<1x4x2xi8>
func.func @matmul_int4_range_stays_int8(%arg0: tensor<1x3x4xi8>) -> tensor<1x3x2xi8> {
  %w = "tosa.const"() <{values = dense<2> : tensor<1x4x2xi8>}> : () -> tensor<1x4x2xi8>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x4xi8>) -> tensor<1x3x4xf32>
  %b = "tosaic.dequantize"(%w) {axis = -1 : i64, qmax = 7 : i64, qmin = -8 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 1>} : (tensor<1x4x2xi8>) -> tensor<1x4x2xf32>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x3x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x3x2xf32>) -> tensor<1x3x2xi8>
  return %q : tensor<1x3x2xi8>
}
