// The README's hand-written integer TOSA (section "For compiler researchers"): uint8 IO,
// int4 weights and int48 accumulators as tosaic's pipelines leave them, which
// tosaic-verify-integer and TOSA's strict validation (profile pro_int with the int4 and
// int16 extensions) accept, and which the int8 lowering's own checks leave alone.

// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-verify-integer),tosa-attach-target{profiles=pro_int extensions=int4,int16 level=8k},tosa-validate{strict-op-spec-alignment})' | filecheck %s
// RUN: tosaic-opt %s --tosaic-verify-integer --verify-diagnostics -o %t

// CHECK-LABEL: func.func @uint8_in_int4_weights(
// CHECK-SAME: %arg0: tensor<1x4x4x3xi8> {tosaic.io = {dtype = "uint8", scale = 5.000000e-01 : f64, zero_point = 200 : i64}}
// CHECK: tosa.rescale %arg0, {{.*}} {input_unsigned = true, output_unsigned = false
// CHECK: tosa.conv2d {{.*}} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x4x2xi32>
// CHECK-LABEL: func.func @int16_with_int48_accumulator(
// CHECK: tosa.conv2d {{.*}} -> tensor<1x4x4x2xi48>
// CHECK: tosa.rescale {{.*}} scale32 = false} : (tensor<1x4x4x2xi48>, {{.*}}) -> tensor<1x4x4x2xi16>

// uint8 lives in i8 storage: the input's bits, zero point 200 written as -56. One RESCALE
// reads it as unsigned into the identical int8 (zero point 72); the weights are i4.
func.func @uint8_in_int4_weights(%x: tensor<1x4x4x3xi8> {tosaic.io = {dtype = "uint8", scale = 0.5 : f64, zero_point = 200 : i64}}) -> tensor<1x4x4x2xi32> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp200 = "tosa.const"() <{values = dense<-56> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp72 = "tosa.const"() <{values = dense<72> : tensor<1xi8>}> : () -> tensor<1xi8>
  %in = tosa.rescale %x, %one, %s30, %zp200, %zp72 {input_unsigned = true, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x3xi8>
  %w = "tosa.const"() <{values = dense<[[[[-7, 0, 7]]], [[[1, -1, 2]]]]> : tensor<2x1x1x3xi4>}> : () -> tensor<2x1x1x3xi4>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi4>}> : () -> tensor<1xi4>
  %bias = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %acc = tosa.conv2d %in, %w, %bias, %zp72, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x4x2xi32>
  return %acc : tensor<1x4x4x2xi32>
}

// int16 activations: the convolution accumulates in i48 with an i48 bias; a RESCALE
// with a 16-bit multiplier (scale32 = false) narrows it to int16.
func.func @int16_with_int48_accumulator(%x: tensor<1x4x4x3xi16>) -> tensor<1x4x4x2xi16> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3]]], [[[-4, 5, -6]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %bias = "tosa.const"() <{values = dense<[8, -8]> : tensor<2xi48>}> : () -> tensor<2xi48>
  %xzp = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %bias, %xzp, %wzp {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi16>, tensor<2x1x1x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x2xi48>
  %m = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}> : () -> tensor<1xi16>
  %s = "tosa.const"() <{values = dense<15> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acczp = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %y = tosa.rescale %acc, %m, %s, %acczp, %xzp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi16>) -> tensor<1x4x4x2xi16>
  return %y : tensor<1x4x4x2xi16>
}
