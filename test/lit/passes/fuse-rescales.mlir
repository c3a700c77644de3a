// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fuse-rescales))' | filecheck %s

// The uint8 input's zero-point shift (uint8 zp 131 -> int8 zp 3, scale 1) and an int8
// requantize by 0.5 become one rescale that reads the uint8 input (input_unsigned) with
// its zero point 131 (bits -125) and scales by 0.5.
// CHECK-LABEL: func.func @uint8_input_into_requantize
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-125> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-7> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[M]], %[[S]], %[[IZP]], %[[OZP]] {input_unsigned = true, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true}
// CHECK-NOT: tosa.rescale
// CHECK: return %[[R]]
func.func @uint8_input_into_requantize(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s31 = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %u131 = "tosa.const"() <{values = dense<-125> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z3 = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zm7 = "tosa.const"() <{values = dense<-7> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %one, %s30, %u131, %z3 {input_unsigned = true, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %b = tosa.rescale %a, %one, %s31, %z3, %zm7 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  return %b : tensor<4xi8>
}

// -----

// An int8 requantize (by 0.5, zp -128) before the uint8 output's zero-point shift
// (int8 zp -128 -> uint8 zp 0), with a transpose between: the shift moves up into the
// requantize, which now writes uint8 (output_unsigned, zero point 0); the transpose
// carries its result to the return.
// CHECK-LABEL: func.func @requantize_into_uint8_output
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO:.*]] {input_unsigned = false, output_unsigned = true, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[R]]
// CHECK-NOT: tosa.rescale
// CHECK: return %[[T]]
func.func @requantize_into_uint8_output(%arg0: tensor<2x3xi8>) -> tensor<3x2xi8> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s31 = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zm128 = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %one, %s31, %z0, %zm128 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3xi8>
  %t = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<2x3xi8>) -> tensor<3x2xi8>
  %b = tosa.rescale %t, %one, %s30, %zm128, %z0 {input_unsigned = false, output_unsigned = true, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<3x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<3x2xi8>
  return %b : tensor<3x2xi8>
}

// -----

// Must not fuse: a conv's int32 accumulator cannot be rescaled straight to uint8
// (TOSA 1.0: no output_unsigned with an int32 input), so both rescales stay.
// CHECK-LABEL: func.func @accumulator_to_uint8_not_fused
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true{{.*}} -> tensor<1x2xi8>
// CHECK: %[[B:.*]] = tosa.rescale %[[A]], {{.*}} {input_unsigned = false, output_unsigned = true{{.*}} -> tensor<1x2xi8>
// CHECK: return %[[B]]
func.func @accumulator_to_uint8_not_fused(%arg0: tensor<1x2xi32>) -> tensor<1x2xi8> {
  %m = "tosa.const"() <{values = dense<[1395864371, 1503238554]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %s = "tosa.const"() <{values = dense<38> : tensor<2xi8>}> : () -> tensor<2xi8>
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %z0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zm128 = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %m, %s, %z32, %zm128 {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x2xi8>
  %b = tosa.rescale %a, %one, %s30, %zm128, %z0 {input_unsigned = false, output_unsigned = true, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2xi8>
  return %b : tensor<1x2xi8>
}

// -----

// Must not fuse: two real scalings (0.5 then 0.75) round twice; one rescale by 0.375
// would round once and differ on some inputs.
// CHECK-LABEL: func.func @two_scalings_not_fused
// CHECK-COUNT-2: tosa.rescale
func.func @two_scalings_not_fused(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %half = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s31 = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m75 = "tosa.const"() <{values = dense<1610612736> : tensor<1xi32>}> : () -> tensor<1xi32>
  %z0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %half, %s31, %z0, %z0 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %b = tosa.rescale %a, %m75, %s31, %z0, %z0 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  return %b : tensor<4xi8>
}

// -----

// Must not fuse: the uint8 -> int8 shift here saturates (uint8 zp 0 -> int8 zp 0 clips
// inputs above 127), which the fused op would not.
// CHECK-LABEL: func.func @saturating_shift_not_fused
// CHECK-COUNT-2: tosa.rescale
func.func @saturating_shift_not_fused(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s31 = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %one, %s30, %z0, %z0 {input_unsigned = true, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %b = tosa.rescale %a, %one, %s31, %z0, %z0 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  return %b : tensor<4xi8>
}

// -----

// An int16 convolution's accumulator path: i48 -> i32 by exactly 2^-4 (scale32 = false),
// then i32 -> i16 by 0.25. Neither is a scale-1 zero-point shift, so nothing fuses (and
// the i48 zero-point constant is read, not rejected).
// CHECK-LABEL: func.func @int48_accumulator_chain_not_fused
// CHECK: %[[N:.*]] = tosa.rescale %arg0, {{.*}} scale32 = false} : (tensor<4xi48>
// CHECK: %[[R:.*]] = tosa.rescale %[[N]], {{.*}} : (tensor<4xi32>
// CHECK: return %[[R]]
func.func @int48_accumulator_chain_not_fused(%arg0: tensor<4xi48>) -> tensor<4xi16> {
  %m14 = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}> : () -> tensor<1xi16>
  %s18 = "tosa.const"() <{values = dense<18> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z48 = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %z32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s32 = "tosa.const"() <{values = dense<32> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %a = tosa.rescale %arg0, %m14, %s18, %z48, %z32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<4xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<4xi32>
  %b = tosa.rescale %a, %one, %s32, %z32, %z16 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<4xi16>
  return %b : tensor<4xi16>
}
