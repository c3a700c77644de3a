// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table),canonicalize)' | filecheck %s
// LOWERING: leaky_relu

// torch-mlir's leaky_relu (slope 0.25) as the lowering sees it: add(maximum(x, 0),
// mul(minimum(x, 0), 0.25)) with the maximum and minimum as tosaic-form-clamps' clamps.
// int8: one 256-entry table. Input scale 1/4, zero point 0; output scale 1/8, zero point
// -64: entry i (q = i - 128) is round(q / 2) - 64 for q < 0 (half to even), 2q - 64 for q >= 0:
//   i = 0 (q = -128): -128 = 0x80;  i = 125 (q = -3): round(-1.5) - 64 = -66 = 0xBE;
//   i = 127 (q = -1): round(-0.5) - 64 = -64 = 0xC0;  i = 128: 0xC0;  i = 129: -62 = 0xC2;
//   i = 255 (q = 127): 190, saturated to 127 = 0x7F
// CHECK-LABEL: func.func @leaky_relu_int8
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0x80{{([0-9A-F]{2}){124}BE([0-9A-F]{2})C0C0C2([0-9A-F]{2}){125}7F}}"> : tensor<256xi8>}>
// CHECK: %[[Y:.*]] = tosa.table %arg0, %[[T]] : (tensor<1x8xi8>, tensor<256xi8>) -> tensor<1x8xi8>
// CHECK-NOT: tosa.maximum
// CHECK: return %[[Y]]
func.func @leaky_relu_int8(%arg0: tensor<1x8xi8>) -> tensor<1x8xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %slope = "tosa.const"() <{values = dense<0.25> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x8xi8>) -> tensor<1x8xf32>
  %p = tosa.clamp %x {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = tosa.clamp %x {max_val = 0.000000e+00 : f32, min_val = -3.40282347E+38 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %m = tosa.mul %n, %slope, %shift : (tensor<1x8xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x8xf32>
  %y = tosa.add %p, %m : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.125>, zero_point = array<i64: -64>} : (tensor<1x8xf32>) -> tensor<1x8xi8>
  return %q : tensor<1x8xi8>
}

// -----

// int16 (a16w8, zero points 0), slope 0.1, input scale 3e-4, output scale 2.5e-4: both
// branches RESCALEd to int32, by 3 / 2.5 = 1.2 (1288490189 * 2^-30) and by float32(0.1) *
// 1.2 (2061584333 * 2^-34), the MAXIMUM of the two in int32 (TOSA has no int16 MAXIMUM),
// and a unit RESCALE (2^30 * 2^-30) to int16. The operands come in the other order here
// (mul(0.1, minimum(0, x)) + maximum(0, x), before tosaic-form-clamps).
// CHECK-LABEL: func.func @leaky_relu_int16
// CHECK-DAG: %[[ONE:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S30:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[MP:.*]] = "tosa.const"() <{values = dense<1288490189> : tensor<1xi32>}>
// CHECK-DAG: %[[MN:.*]] = "tosa.const"() <{values = dense<2061584333> : tensor<1xi32>}>
// CHECK-DAG: %[[S34:.*]] = "tosa.const"() <{values = dense<34> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %[[MP]], %[[S30]], %{{.*}}, %{{.*}} {{{.*}}scale32 = true} : (tensor<1x8xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi32>) -> tensor<1x8xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg0, %[[MN]], %[[S34]], %{{.*}}, %{{.*}} {{{.*}}scale32 = true} : (tensor<1x8xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi32>) -> tensor<1x8xi32>
// CHECK: %[[M:.*]] = tosa.maximum %[[A]], %[[B]] : (tensor<1x8xi32>, tensor<1x8xi32>) -> tensor<1x8xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[M]], %[[ONE]], %[[S30]], %{{.*}}, %{{.*}} {{{.*}}} : (tensor<1x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x8xi16>
// CHECK-NOT: tosa.table
// CHECK: return %[[Y]]
func.func @leaky_relu_int16(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %slope = "tosa.const"() <{values = dense<0.1> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0e-4>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %p = tosa.maximum %zero, %x : (tensor<1x1xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = tosa.minimum %zero, %x : (tensor<1x1xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %m = tosa.mul %slope, %n, %shift : (tensor<1x1xf32>, tensor<1x8xf32>, tensor<1xi8>) -> tensor<1x8xf32>
  %y = tosa.add %m, %p : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 2.5e-4>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}

// -----

// A slope above 1 (3.0) flips the branches: a <= b where x >= 0, so the MINIMUM picks.
// CHECK-LABEL: func.func @leaky_relu_int16_steep
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x8xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x8xi32>
// CHECK: tosa.minimum %[[A]], %[[B]] : (tensor<1x8xi32>, tensor<1x8xi32>) -> tensor<1x8xi32>
// CHECK-NOT: tosa.maximum
// CHECK: return
func.func @leaky_relu_int16_steep(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %slope = "tosa.const"() <{values = dense<3.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0e-4>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %p = tosa.clamp %x {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = tosa.clamp %x {max_val = 0.000000e+00 : f32, min_val = -3.40282347E+38 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %m = tosa.mul %n, %slope, %shift : (tensor<1x8xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x8xf32>
  %y = tosa.add %p, %m : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 9.0e-4>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}

// -----

// A negative slope (-0.5) has no two-branch form (the branches cross): the int16 table
// forms take it, as any elementwise function of one input.
// CHECK-LABEL: func.func @leaky_relu_int16_negative_slope
// CHECK: tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// CHECK-NOT: tosa.maximum
// CHECK: return
func.func @leaky_relu_int16_negative_slope(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %slope = "tosa.const"() <{values = dense<-0.5> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0e-4>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %p = tosa.clamp %x {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = tosa.clamp %x {max_val = 0.000000e+00 : f32, min_val = -3.40282347E+38 : f32} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %m = tosa.mul %n, %slope, %shift : (tensor<1x8xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x8xf32>
  %y = tosa.add %p, %m : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0e-4>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}
