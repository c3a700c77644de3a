// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise),canonicalize)' | filecheck %s
// LOWERING: add, clamp, mul, sub

// add + relu: both inputs go to int32 at the unit u = 2 * max(0.5, 0.25) / 2^20 = 2^-20:
// a by 0.5 / u = 2^19 (multiplier 2^30, shift 11), b by 0.25 / u = 2^18 (shift 12), each
// minus its zero point. The i32 sum is rescaled by u / 1.0 = 2^-20 (shift 50) to zero
// point -128, where relu's bound is the int8 minimum: no clamp remains.
// CHECK-LABEL: func.func @add_relu
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S11:.*]] = "tosa.const"() <{values = dense<11> : tensor<1xi8>}>
// CHECK-DAG: %[[S12:.*]] = "tosa.const"() <{values = dense<12> : tensor<1xi8>}>
// CHECK-DAG: %[[S50:.*]] = "tosa.const"() <{values = dense<50> : tensor<1xi8>}>
// CHECK-DAG: %[[ZA:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
// CHECK-DAG: %[[ZB:.*]] = "tosa.const"() <{values = dense<-2> : tensor<1xi8>}>
// CHECK-DAG: %[[ZY:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK-DAG: %[[Z32:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %[[MULT]], %[[S11]], %[[ZA]], %[[Z32]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, %[[MULT]], %[[S12]], %[[ZB]], %[[Z32]] {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[SUM:.*]] = tosa.add %[[A]], %[[B]] : (tensor<1x4x4x2xi32>, tensor<1x4x4x2xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[SUM]], %[[MULT]], %[[S50]], %[[Z32]], %[[ZY]] {{.*}} -> tensor<1x4x4x2xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[OUT]]
func.func @add_relu(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %s = tosa.add %a, %b : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %s {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: -128>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// sub with a broadcast operand and relu6 at scale 0.05, zero point 0: the bounds [0, 120]
// lie inside int8, so an integer clamp follows the output rescale (u = 2^-20 again:
// a by 2^19, b by 2^18; output u / 0.05 = 20 * 2^-20 = 1.25 * 2^-16: multiplier
// 1.25 * 2^30 = 1342177280, shift 46).
// CHECK-LABEL: func.func @sub_broadcast_relu6
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1342177280> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<46> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, {{.*}} -> tensor<1x1x1x2xi32>
// CHECK: %[[D:.*]] = tosa.sub %[[A]], %[[B]] : (tensor<1x4x4x2xi32>, tensor<1x1x1x2xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[D]], %[[M]], %[[S]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: %[[C:.*]] = tosa.clamp %[[Y]] {max_val = 120 : i8, min_val = 0 : i8} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
// CHECK: return %[[C]]
func.func @sub_broadcast_relu6(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x1x1x2xi8>) -> tensor<1x4x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x1x1x2xi8>) -> tensor<1x1x1x2xf32>
  %s = tosa.sub %a, %b : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %s {max_val = 6.0 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// x + 1.0 with an unquantized float constant: x (scale 0.5) goes to int32 at
// u = 2 * 0.5 / 2^20 = 2^-20 (by 2^19: shift 11), the constant becomes the int32
// round(1.0 / u) = 1048576, and the sum is rescaled by u / 0.5 = 2^-19 (shift 49).
// CHECK-LABEL: func.func @add_float_constant
// CHECK-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<1048576> : tensor<1x1x1x1xi32>}>
// CHECK-DAG: %[[S11:.*]] = "tosa.const"() <{values = dense<11> : tensor<1xi8>}>
// CHECK-DAG: %[[S49:.*]] = "tosa.const"() <{values = dense<49> : tensor<1xi8>}>
// CHECK: %[[X:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S11]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[SUM:.*]] = tosa.add %[[X]], %[[C]] : (tensor<1x4x4x2xi32>, tensor<1x1x1x1xi32>) -> tensor<1x4x4x2xi32>
// CHECK: tosa.rescale %[[SUM]], %{{.*}}, %[[S49]], {{.*}} -> tensor<1x4x4x2xi8>
func.func @add_float_constant(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %c = "tosa.const"() <{values = dense<1.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %s = tosa.add %x, %c : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: -5>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// mul of two activations: each minus its zero point in int32 (scale 1: multiplier 2^30,
// shift 30), an int32 multiply with shift 0, then one rescale by 0.5 * 0.25 / 0.25 = 0.5
// (multiplier 2^30, shift 31).
// CHECK-LABEL: func.func @mul_two_inputs
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S30:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[S31:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK-DAG: %[[NOSHIFT:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %[[MULT]], %[[S30]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, %[[MULT]], %[[S30]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[A]], %[[B]], %[[NOSHIFT]] : (tensor<1x4x4x2xi32>, tensor<1x4x4x2xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
// CHECK: tosa.rescale %[[P]], %[[MULT]], %[[S31]], {{.*}} -> tensor<1x4x4x2xi8>
func.func @mul_two_inputs(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 4>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -4>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.mul %a, %b, %shift : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>, tensor<1xi8>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// x * 0.5 (a positive float scalar): one int8 -> int8 rescale by 0.5 * 0.5 / 0.125 = 2.0
// (multiplier 2^30, shift 29) from zero point 3 to -7; no int32 arithmetic.
// CHECK-LABEL: func.func @mul_positive_scalar
// CHECK-DAG: %[[S29:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK-NOT: tosa.mul
// CHECK: %[[Y:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S29]], {{.*}} : (tensor<1x4x4x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
// CHECK: return %[[Y]]
func.func @mul_positive_scalar(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = "tosa.const"() <{values = dense<0.5> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.mul %x, %c, %shift : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.125>, zero_point = array<i64: -7>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// x * -2.0: the constant is quantized symmetrically to 16 bits (scale 2 / 32767, value
// -32767), multiplied in int32, then rescaled by 0.5 * (2 / 32767) / 1.0 = 1 / 32767:
// multiplier round(2^45 / 32767) = 1073774593, shift 45.
// CHECK-LABEL: func.func @mul_negative_scalar
// CHECK-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<-32767> : tensor<1x1x1x1xi32>}>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073774593> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<45> : tensor<1xi8>}>
// CHECK: %[[X:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[X]], %[[C]], %{{.*}} : (tensor<1x4x4x2xi32>, tensor<1x1x1x1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
// CHECK: tosa.rescale %[[P]], %[[M]], %[[S]], {{.*}} -> tensor<1x4x4x2xi8>
func.func @mul_negative_scalar(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = "tosa.const"() <{values = dense<-2.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.mul %x, %c, %shift : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// A relu of its own (after a non-conv op) with new qparams: a rescale by 0.5 / 0.25 = 2
// (shift 29) to zero point -128, which is relu's bound, so no clamp.
// CHECK-LABEL: func.func @standalone_relu
// CHECK-DAG: %[[S29:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK: %[[Y:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S29]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[Y]]
func.func @standalone_relu(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %x {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -128>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// A clamp with unchanged qparams is an integer clamp alone: [0, 6] at scale 0.1, zero
// point -10 is [-10, 50].
// CHECK-LABEL: func.func @standalone_clamp_same_qparams
// CHECK-NOT: tosa.rescale
// CHECK: %[[C:.*]] = tosa.clamp %arg0 {max_val = 50 : i8, min_val = -10 : i8} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
// CHECK: return %[[C]]
func.func @standalone_clamp_same_qparams(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -10>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %x {max_val = 6.0 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -10>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// Negative: an operand that is neither dequantized nor constant (a float graph input)
// is not folded.
// CHECK-LABEL: func.func @float_operand_stays
// CHECK: tosa.add {{.*}} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: "tosaic.quantize"
// CHECK-NOT: tosa.rescale
func.func @float_operand_stays(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %s = tosa.add %a, %arg1 : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// int16 (a16w8) add: both inputs to int32 at the unit u = 2 * 0.001 / 2^15 (headroom
// k = 15, qmath.add_headroom_shift: 2 * 32767 * 2^14 < 2^30), i.e. by 2^14 (2^30 * 2^-16)
// and 2^13 (2^-17), an int32 add, then u / 0.002 = 2^-15 (2^30 * 2^-45) to int16 and the
// clamp to [-32767, 32767].
// CHECK-LABEL: func.func @add_int16
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S16:.*]] = "tosa.const"() <{values = dense<16> : tensor<1xi8>}>
// CHECK-DAG: %[[S17:.*]] = "tosa.const"() <{values = dense<17> : tensor<1xi8>}>
// CHECK-DAG: %[[S45:.*]] = "tosa.const"() <{values = dense<45> : tensor<1xi8>}>
// CHECK-DAG: %[[Z16:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, %[[M]], %[[S16]], %[[Z16]], %{{.*}} {{.*}} : (tensor<1x4xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi32>) -> tensor<1x4xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, %[[M]], %[[S17]], %[[Z16]], %{{.*}} {{.*}} -> tensor<1x4xi32>
// CHECK: %[[SUM:.*]] = tosa.add %[[A]], %[[B]] : (tensor<1x4xi32>, tensor<1x4xi32>) -> tensor<1x4xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[SUM]], %[[M]], %[[S45]], %{{.*}}, %[[Z16]] {{.*}} -> tensor<1x4xi16>
// CHECK: %[[C:.*]] = tosa.clamp %[[Y]] {max_val = 32767 : i16, min_val = -32767 : i16}
// CHECK: return %[[C]]
func.func @add_int16(%arg0: tensor<1x4xi16>, %arg1: tensor<1x4xi16>) -> tensor<1x4xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0005>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi16>
  return %q : tensor<1x4xi16>
}

// -----

// int16 mul + relu6: int16 x int16 -> int32 product (shift 0), one rescale by
// 0.001 * 0.0005 / 0.0004 = 0.00125 (1374389535 * 2^-40) to int16, relu6 folded into the
// int16 clamp [0, 6 / 0.0004 = 15000].
// CHECK-LABEL: func.func @mul_relu6_int16
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1374389535> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<40> : tensor<1xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, {{.*}} -> tensor<1x4xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[A]], %[[B]], %{{.*}} : (tensor<1x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<1x4xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[P]], %[[M]], %[[S]], {{.*}} -> tensor<1x4xi16>
// CHECK: %[[C:.*]] = tosa.clamp %[[Y]] {max_val = 15000 : i16, min_val = 0 : i16}
// CHECK: return %[[C]]
func.func @mul_relu6_int16(%arg0: tensor<1x4xi16>, %arg1: tensor<1x4xi16>) -> tensor<1x4xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0005>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %m = tosa.mul %a, %b, %shift : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %c = tosa.clamp %m {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0004>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi16>
  return %q : tensor<1x4xi16>
}

// -----

// int16 relu with equal qparams: just the int16 clamp [0, 32767].
// CHECK-LABEL: func.func @relu_int16
// CHECK-NOT: tosa.rescale
// CHECK: %[[C:.*]] = tosa.clamp %arg0 {max_val = 32767 : i16, min_val = 0 : i16} : (tensor<1x4xi16>) -> tensor<1x4xi16>
// CHECK: return %[[C]]
func.func @relu_int16(%arg0: tensor<1x4xi16>) -> tensor<1x4xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4xi16>) -> tensor<1x4xf32>
  %c = tosa.clamp %a {max_val = 3.4028234663852886E+38 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi16>
  return %q : tensor<1x4xi16>
}
