// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise),canonicalize)' | filecheck %s
// LOWERING: maximum, minimum, pow.square

// maximum of a (0.5, zp 1) and b (0.25, zp -2) into (0.5, zp 3): each input rounded to
// int32 output units (a by 1: shift 30; b by 0.5: shift 31; zero points removed), the
// int32 maximum, then a rescale by 1 adding the output zero point 3 and saturating.
// CHECK-LABEL: func.func @maximum
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S30:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[S31:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK-DAG: %[[ZA:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
// CHECK-DAG: %[[ZB:.*]] = "tosa.const"() <{values = dense<-2> : tensor<1xi8>}>
// CHECK-DAG: %[[ZY:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[Z32:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %[[M]], %[[S30]], %[[ZA]], %[[Z32]] {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, %[[M]], %[[S31]], %[[ZB]], %[[Z32]] {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[MAX:.*]] = tosa.maximum %[[A]], %[[B]] : (tensor<1x4x4x2xi32>, tensor<1x4x4x2xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[MAX]], %[[M]], %[[S30]], %[[Z32]], %[[ZY]] {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: return %[[Y]]
func.func @maximum(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %m = tosa.maximum %a, %b : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// minimum with a float constant 1.5, then relu, into (0.125, zp -10): the constant in
// output units is 1.5 / 0.125 = 12; a is rescaled by 4 (shift 28); relu's bound is the
// output zero point, an integer clamp after the final rescale.
// CHECK-LABEL: func.func @minimum_const_relu
// CHECK-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<12> : tensor<1x1x1x1xi32>}>
// CHECK-DAG: %[[S28:.*]] = "tosa.const"() <{values = dense<28> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S28]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[MIN:.*]] = tosa.minimum %[[A]], %[[C]] : (tensor<1x4x4x2xi32>, tensor<1x1x1x1xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[MIN]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: %[[R:.*]] = tosa.clamp %[[Y]] {max_val = 127 : i8, min_val = -10 : i8}
// CHECK: return %[[R]]
func.func @minimum_const_relu(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %c = "tosa.const"() <{values = dense<1.5> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %m = tosa.minimum %a, %c : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %m {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.125>, zero_point = array<i64: -10>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// int16 (zero points 0): the same three rescales around an int32 maximum; the output's
// symmetric range [-32767, 32767] is an integer clamp.
// CHECK-LABEL: func.func @maximum_int16
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[MAX:.*]] = tosa.maximum %[[A]], %[[B]]
// CHECK: %[[Y:.*]] = tosa.rescale %[[MAX]], {{.*}} -> tensor<1x4x4x2xi16>
// CHECK: tosa.clamp %[[Y]] {max_val = 32767 : i16, min_val = -32767 : i16}
func.func @maximum_int16(%arg0: tensor<1x4x4x2xi16>, %arg1: tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %m = tosa.maximum %a, %b : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi16>
  return %q : tensor<1x4x4x2xi16>
}

// -----

// int16 pow(x, 2) as x * x: x (zero point 0) to int32 by 1, the int32 square, one
// rescale by 0.001^2 / 0.0001 = 0.01 (multiplier 0.64 * 2^31 = 1374389535, shift 37).
// CHECK-LABEL: func.func @square_int16
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1374389535> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<37> : tensor<1xi8>}>
// CHECK: %[[X:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[SQ:.*]] = tosa.mul %[[X]], %[[X]], %{{.*}} : (tensor<1x4x4x2xi32>, tensor<1x4x4x2xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
// CHECK: tosa.rescale %[[SQ]], %[[M]], %[[S]], {{.*}} -> tensor<1x4x4x2xi16>
func.func @square_int16(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xi16> {
  %two = "tosa.const"() <{values = dense<2.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %p = tosa.pow %a, %two : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi16>
  return %q : tensor<1x4x4x2xi16>
}

// -----

// int8 pow(x, 2) is not taken here: one exact TABLE (the table lowering) is cheaper.
// CHECK-LABEL: func.func @square_int8_is_left_for_the_table
// CHECK: tosa.pow %{{.*}} : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
func.func @square_int8_is_left_for_the_table(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %two = "tosa.const"() <{values = dense<2.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.pow %a, %two : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -128>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}
