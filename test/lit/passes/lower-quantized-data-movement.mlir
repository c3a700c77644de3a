// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-data-movement),canonicalize)' | filecheck %s
// LOWERING: concat, pad.quantized, requantize, reshape.dequantized, resize.quantized, reverse.quantized, slice.dequantized, slice.quantized, tile.quantized, transpose.dequantized

// concat of inputs quantized like the output: the int8 values are concatenated as they are.
// CHECK-LABEL: func.func @concat_same_qparams
// CHECK-NOT: tosa.rescale
// CHECK: %[[CAT:.*]] = tosa.concat %arg0, %arg1 {axis = 3 : i32} : (tensor<1x2x2x3xi8>, tensor<1x2x2x5xi8>) -> tensor<1x2x2x8xi8>
// CHECK-NOT: tosaic.
// CHECK: return %[[CAT]] : tensor<1x2x2x8xi8>
func.func @concat_same_qparams(%arg0: tensor<1x2x2x3xi8>, %arg1: tensor<1x2x2x5xi8>) -> tensor<1x2x2x8xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2x5xi8>) -> tensor<1x2x2x5xf32>
  %c = tosa.concat %a, %b {axis = 3 : i32} : (tensor<1x2x2x3xf32>, tensor<1x2x2x5xf32>) -> tensor<1x2x2x8xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xi8>
  return %q : tensor<1x2x2x8xi8>
}

// -----

// concat of differently quantized inputs: the second (scale 0.25, zero point -2) is
// rescaled to the output's (0.5, 1) by 0.25 / 0.5 = 0.5 = 2^30 * 2^-31, then concatenated.
// The first is the output's already and is not rescaled.
// CHECK-LABEL: func.func @concat_rescales_differing_input
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-2> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg1, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x2x2x5xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x2x5xi8>
// CHECK: %[[CAT:.*]] = tosa.concat %arg0, %[[R]] {axis = 3 : i32} : (tensor<1x2x2x3xi8>, tensor<1x2x2x5xi8>) -> tensor<1x2x2x8xi8>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[CAT]]
func.func @concat_rescales_differing_input(%arg0: tensor<1x2x2x3xi8>, %arg1: tensor<1x2x2x5xi8>) -> tensor<1x2x2x8xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x2x2x5xi8>) -> tensor<1x2x2x5xf32>
  %c = tosa.concat %a, %b {axis = 3 : i32} : (tensor<1x2x2x3xf32>, tensor<1x2x2x5xf32>) -> tensor<1x2x2x8xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xi8>
  return %q : tensor<1x2x2x8xi8>
}

// -----

// All inputs alike (0.25, 0) but the output is (0.75, 3): concat first, then one rescale
// by 1/3 = 0.666.. * 2^-1: shift 31 + 1 = 32, multiplier round(2^32 / 3) = 1431655765.
// CHECK-LABEL: func.func @concat_then_one_rescale
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1431655765> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK: %[[CAT:.*]] = tosa.concat %arg0, %arg1 {axis = 1 : i32} : (tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<2x6xi8>
// CHECK: %[[R:.*]] = tosa.rescale %[[CAT]], %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {{.*}} : (tensor<2x6xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x6xi8>
// CHECK: return %[[R]]
func.func @concat_then_one_rescale(%arg0: tensor<2x3xi8>, %arg1: tensor<2x3xi8>) -> tensor<2x6xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %c = tosa.concat %a, %b {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.75>, zero_point = array<i64: 3>} : (tensor<2x6xf32>) -> tensor<2x6xi8>
  return %q : tensor<2x6xi8>
}

// -----

// A float constant input is quantized with the output's parameters: 1.0 / 0.5 + 1 = 3.
// CHECK-LABEL: func.func @concat_constant_input
// CHECK: %[[C:.*]] = "tosa.const"() <{values = dense<3> : tensor<2x1xi8>}>
// CHECK: %[[CAT:.*]] = tosa.concat %arg0, %[[C]] {axis = 1 : i32} : (tensor<2x3xi8>, tensor<2x1xi8>) -> tensor<2x4xi8>
// CHECK: return %[[CAT]]
func.func @concat_constant_input(%arg0: tensor<2x3xi8>) -> tensor<2x4xi8> {
  %k = "tosa.const"() <{values = dense<1.0> : tensor<2x1xf32>}> : () -> tensor<2x1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %c = tosa.concat %a, %k {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<2x4xf32>) -> tensor<2x4xi8>
  return %q : tensor<2x4xi8>
}

// -----

// pad with 0.0: an int8 pad whose pad_const (TOSA 1.0: a tensor<1xi8> operand) is the
// zero point -5.
// CHECK-LABEL: func.func @pad_zero_is_zero_point
// CHECK-DAG: %[[P:.*]] = tosa.const_shape {values = dense<[0, 0, 1, 1, 2, 0, 0, 0]> : tensor<8xindex>}
// CHECK-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
// CHECK: %[[PAD:.*]] = tosa.pad %arg0, %[[P]], %[[ZP]] : (tensor<1x2x2x3xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x4x4x3xi8>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[PAD]]
func.func @pad_zero_is_zero_point(%arg0: tensor<1x2x2x3xi8>) -> tensor<1x4x4x3xi8> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1, 2, 0, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -5>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xf32>
  %y = tosa.pad %x, %p, %zero : (tensor<1x2x2x3xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x4x3xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -5>} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xi8>
  return %q : tensor<1x4x4x3xi8>
}

// -----

// pad into a different quantization: the input (0.2, 3) is rescaled to (0.1, -4) first,
// by 2.0 = 2^30 * 2^-29; the pad value 1.0 becomes 1.0 / 0.1 - 4 = 6.
// CHECK-LABEL: func.func @pad_rescales_input_first
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-4> : tensor<1xi8>}>
// CHECK-DAG: %[[PADV:.*]] = "tosa.const"() <{values = dense<6> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {{.*}} -> tensor<1x2x2x3xi8>
// CHECK: %[[PAD:.*]] = tosa.pad %[[R]], %{{.*}}, %[[PADV]] : (tensor<1x2x2x3xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x4x4x3xi8>
// CHECK: return %[[PAD]]
func.func @pad_rescales_input_first(%arg0: tensor<1x2x2x3xi8>) -> tensor<1x4x4x3xi8> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1, 2, 0, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %one = "tosa.const"() <{values = dense<1.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.2>, zero_point = array<i64: 3>} : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xf32>
  %y = tosa.pad %x, %p, %one : (tensor<1x2x2x3xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x4x3xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -4>} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xi8>
  return %q : tensor<1x4x4x3xi8>
}

// -----

// slice into a different quantization: the rescale (by 0.5 / 0.25 = 2.0) follows the
// slice, which leaves fewer elements to rescale.
// CHECK-LABEL: func.func @slice_rescales_after
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK: %[[S:.*]] = tosa.slice %arg0, %{{.*}}, %{{.*}} : (tensor<1x8xi8>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4xi8>
// CHECK: %[[R:.*]] = tosa.rescale %[[S]], %[[MULT]], %[[SHIFT]], {{.*}} : (tensor<1x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4xi8>
// CHECK: return %[[R]]
func.func @slice_rescales_after(%arg0: tensor<1x8xi8>) -> tensor<1x4xi8> {
  %start = tosa.const_shape {values = dense<[0, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x8xi8>) -> tensor<1x8xf32>
  %y = tosa.slice %x, %start, %size : (tensor<1x8xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q : tensor<1x4xi8>
}

// -----

// tile into a different quantization: the rescale precedes the tile (fewer elements).
// CHECK-LABEL: func.func @tile_rescales_before
// CHECK: %[[R:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x2xi8>
// CHECK: %[[T:.*]] = tosa.tile %[[R]], %{{.*}} : (tensor<1x2xi8>, !tosa.shape<2>) -> tensor<3x2xi8>
// CHECK: return %[[T]]
func.func @tile_rescales_before(%arg0: tensor<1x2xi8>) -> tensor<3x2xi8> {
  %m = tosa.const_shape {values = dense<[3, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %y = tosa.tile %x, %m : (tensor<1x2xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<3x2xf32>) -> tensor<3x2xi8>
  return %q : tensor<3x2xi8>
}

// -----

// reshape, transpose and reverse with one quantization throughout: the same ops on int8.
// CHECK-LABEL: func.func @layout_chain_same_qparams
// CHECK: %[[A:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<2x6xi8>, !tosa.shape<3>) -> tensor<2x3x2xi8>
// CHECK: %[[B:.*]] = tosa.transpose %[[A]] {perms = array<i32: 2, 0, 1>} : (tensor<2x3x2xi8>) -> tensor<2x2x3xi8>
// CHECK: %[[C:.*]] = tosa.reverse %[[B]] {axis = 2 : i32} : (tensor<2x2x3xi8>) -> tensor<2x2x3xi8>
// CHECK-NOT: tosa.rescale
// CHECK-NOT: tosaic.
// CHECK: return %[[C]] : tensor<2x2x3xi8>
func.func @layout_chain_same_qparams(%arg0: tensor<2x6xi8>) -> tensor<2x2x3xi8> {
  %s = tosa.const_shape {values = dense<[2, 3, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 4>} : (tensor<2x6xi8>) -> tensor<2x6xf32>
  %a = tosa.reshape %x, %s : (tensor<2x6xf32>, !tosa.shape<3>) -> tensor<2x3x2xf32>
  %b = tosa.transpose %a {perms = array<i32: 2, 0, 1>} : (tensor<2x3x2xf32>) -> tensor<2x2x3xf32>
  %c = tosa.reverse %b {axis = 2 : i32} : (tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 4>} : (tensor<2x2x3xf32>) -> tensor<2x2x3xi8>
  return %q : tensor<2x2x3xi8>
}

// -----

// A requantize (quantize(dequantize(x)) with other parameters) is one rescale by
// 0.02 / 0.05 = 0.4 = 0.8 * 2^-1: shift 32, multiplier round(0.4 * 2^32) = 1717986918.
// CHECK-LABEL: func.func @requantize
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1717986918> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<7> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4x4xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[R]]
func.func @requantize(%arg0: tensor<4x4xi8>) -> tensor<4x4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -3>} : (tensor<4x4xi8>) -> tensor<4x4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 7>} : (tensor<4x4xf32>) -> tensor<4x4xi8>
  return %q : tensor<4x4xi8>
}

// -----

// Into a narrower range (qmin -127) by 2.5: the rescale saturates to int8, a clamp to [-127, 127].
// CHECK-LABEL: func.func @requantize_narrow_range
// CHECK: %[[R:.*]] = tosa.rescale
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = 127 : i8, min_val = -127 : i8} : (tensor<4xi8>) -> tensor<4xi8>
// CHECK: return %[[C]]
func.func @requantize_narrow_range(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.02>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// Into a narrower range by 0.4: -128 * 0.4 cannot reach -128, so no clamp.
// CHECK-LABEL: func.func @requantize_narrow_range_unreachable
// CHECK: %[[R:.*]] = tosa.rescale
// CHECK-NOT: tosa.clamp
// CHECK: return %[[R]]
func.func @requantize_narrow_range_unreachable(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// uint8 into int8 (as uint8 graph I/O brings): input_unsigned, the zero point 128 kept as
// written; same scale, so multiplier 2^30, shift 30.
// CHECK-LABEL: func.func @requantize_uint8_input
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<128> : tensor<1xui8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK: tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {input_unsigned = true, output_unsigned = false, {{.*}}} : (tensor<4xui8>, tensor<1xi32>, tensor<1xi8>, tensor<1xui8>, tensor<1xi8>) -> tensor<4xi8>
func.func @requantize_uint8_input(%arg0: tensor<4xui8>) -> tensor<4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 128>} : (tensor<4xui8>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// int8 into uint8 held in signless i8 storage (qmin 0, qmax 255; the form TOSA's
// integer profile accepts): output_unsigned, the zero point 200 written as its bits, -56.
// Scale 0.1 / 0.2 = 0.5: multiplier 2^30, shift 31.
// CHECK-LABEL: func.func @requantize_to_uint8_in_i8_storage
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<-56> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = true, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
// CHECK-NOT: tosa.clamp
// CHECK: return %[[R]]
func.func @requantize_to_uint8_in_i8_storage(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: -3>} : (tensor<4xi8>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.2>, zero_point = array<i64: 200>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// A chain quantize(pad(concat(dq a, dq b))): the concat's inputs are rescaled to the
// quantization the chain ends in, (0.5, 0); the pad then moves int8 with no rescale.
// Input a (0.25, 0) is rescaled by 0.5 (shift 31); b is already (0.5, 0).
// CHECK-LABEL: func.func @concat_pad_chain
// CHECK: %[[R:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x2xi8>
// CHECK: %[[CAT:.*]] = tosa.concat %[[R]], %arg1 {axis = 1 : i32} : (tensor<1x2xi8>, tensor<1x2xi8>) -> tensor<1x4xi8>
// CHECK: %[[PAD:.*]] = tosa.pad %[[CAT]], %{{.*}}, %{{.*}} : (tensor<1x4xi8>, !tosa.shape<4>, tensor<1xi8>) -> tensor<1x6xi8>
// CHECK-NOT: tosa.rescale
// CHECK-NOT: tosaic.
// CHECK: return %[[PAD]]
func.func @concat_pad_chain(%arg0: tensor<1x2xi8>, %arg1: tensor<1x2xi8>) -> tensor<1x6xi8> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %c = tosa.concat %a, %b {axis = 1 : i32} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x4xf32>
  %y = tosa.pad %c, %p, %zero : (tensor<1x4xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x6xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x6xf32>) -> tensor<1x6xi8>
  return %q : tensor<1x6xi8>
}

// -----

// A concat used twice, quantized directly and through a pad, both with (0.5, 0): its
// inputs are rescaled to that once, and both uses take the int8 concat.
// CHECK-LABEL: func.func @concat_two_uses_one_quantization
// CHECK: %[[R:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x2xi8>
// CHECK: %[[CAT:.*]] = tosa.concat %[[R]], %arg1 {axis = 1 : i32} : (tensor<1x2xi8>, tensor<1x2xi8>) -> tensor<1x4xi8>
// CHECK: %[[PAD:.*]] = tosa.pad %[[CAT]], {{.*}} -> tensor<1x6xi8>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[CAT]], %[[PAD]]
func.func @concat_two_uses_one_quantization(%arg0: tensor<1x2xi8>, %arg1: tensor<1x2xi8>) -> (tensor<1x4xi8>, tensor<1x6xi8>) {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %c = tosa.concat %a, %b {axis = 1 : i32} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x4xf32>
  %q1 = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %y = tosa.pad %c, %p, %zero : (tensor<1x4xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x6xf32>
  %q2 = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x6xf32>) -> tensor<1x6xi8>
  return %q1, %q2 : tensor<1x4xi8>, tensor<1x6xi8>
}

// -----

// Negative: the concat's two uses want different quantizations; the concat stays float.
// CHECK-LABEL: func.func @concat_uses_disagree_stays
// CHECK: tosa.concat {{.*}} -> tensor<1x4xf32>
func.func @concat_uses_disagree_stays(%arg0: tensor<1x2xi8>, %arg1: tensor<1x2xi8>) -> (tensor<1x4xi8>, tensor<1x4xi8>) {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %c = tosa.concat %a, %b {axis = 1 : i32} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x4xf32>
  %q1 = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %q2 = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q1, %q2 : tensor<1x4xi8>, tensor<1x4xi8>
}

// -----

// A slice of a dequantized value that is returned as float: the slice moves the int8
// values and the dequantize follows it (tosaic-quantize-io then makes it an int8 output).
// CHECK-LABEL: func.func @slice_to_float_output
// CHECK: %[[S:.*]] = tosa.slice %arg0, {{.*}} -> tensor<1x4xi8>
// CHECK: %[[D:.*]] = "tosaic.dequantize"(%[[S]]) {{.*}} : (tensor<1x4xi8>) -> tensor<1x4xf32>
// CHECK: return %[[D]]
func.func @slice_to_float_output(%arg0: tensor<1x8xi8>) -> tensor<1x4xf32> {
  %start = tosa.const_shape {values = dense<[0, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x8xi8>) -> tensor<1x8xf32>
  %y = tosa.slice %x, %start, %size : (tensor<1x8xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Negative: a concat with a float (not dequantized, not constant) input stays float.
// CHECK-LABEL: func.func @concat_float_input_stays
// CHECK: tosa.concat {{.*}} -> tensor<2x6xf32>
// CHECK: "tosaic.quantize"
func.func @concat_float_input_stays(%arg0: tensor<2x3xi8>, %arg1: tensor<2x3xf32>) -> tensor<2x6xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %c = tosa.concat %a, %arg1 {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<2x6xf32>) -> tensor<2x6xi8>
  return %q : tensor<2x6xi8>
}

// -----

// Negative: differently quantized concat inputs with no quantize downstream: nothing to
// requantize them to, so the concat stays float.
// CHECK-LABEL: func.func @concat_differing_unquantized_stays
// CHECK: tosa.concat {{.*}} -> tensor<2x6xf32>
func.func @concat_differing_unquantized_stays(%arg0: tensor<2x3xi8>, %arg1: tensor<2x3xi8>) -> tensor<2x6xf32> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %c = tosa.concat %a, %b {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %c : tensor<2x6xf32>
}

// -----

// A nearest-neighbour resize copies elements: an int8 resize (TOSA 1.0 allows i8 -> i8 for
// NEAREST_NEIGHBOR only).
// CHECK-LABEL: func.func @nearest_resize_moves_int8
// CHECK: %[[R:.*]] = tosa.resize %arg0, {{.*}} {mode = NEAREST_NEIGHBOR} : (tensor<1x2x2x1xi8>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4x4x1xi8>
// CHECK: return %[[R]]
func.func @nearest_resize_moves_int8(%arg0: tensor<1x2x2x1xi8>) -> tensor<1x4x4x1xi8> {
  %scale = tosa.const_shape {values = dense<[4, 2, 4, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %offset = tosa.const_shape {values = dense<[0, 0]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %border = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xf32>
  %y = tosa.resize %x, %scale, %offset, %border {mode = NEAREST_NEIGHBOR} : (tensor<1x2x2x1xf32>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4x4x1xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xi8>
  return %q : tensor<1x4x4x1xi8>
}

// -----

// Negative: a bilinear resize interpolates, so it is not data movement.
// CHECK-LABEL: func.func @bilinear_resize_stays
// CHECK: tosa.resize {{.*}} -> tensor<1x4x4x1xf32>
// CHECK: "tosaic.quantize"
func.func @bilinear_resize_stays(%arg0: tensor<1x2x2x1xi8>) -> tensor<1x4x4x1xi8> {
  %scale = tosa.const_shape {values = dense<[4, 2, 4, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %offset = tosa.const_shape {values = dense<[-1, -1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %border = tosa.const_shape {values = dense<[1, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2x2x1xi8>) -> tensor<1x2x2x1xf32>
  %y = tosa.resize %x, %scale, %offset, %border {mode = BILINEAR} : (tensor<1x2x2x1xf32>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4x4x1xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xi8>
  return %q : tensor<1x4x4x1xi8>
}

// -----

// Negative: a pad value that the input's quantization cannot represent (0.3 at scale 0.5)
// does not move the dequantize when no quantize takes the pad directly.
// CHECK-LABEL: func.func @pad_unrepresentable_value_stays
// CHECK: tosa.pad {{.*}} -> tensor<1x4xf32>
func.func @pad_unrepresentable_value_stays(%arg0: tensor<1x2xi8>) -> tensor<1x4xf32> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %v = "tosa.const"() <{values = dense<0.3> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x2xi8>) -> tensor<1x2xf32>
  %y = tosa.pad %x, %p, %v : (tensor<1x2xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// int16 (a16w8) boundaries: every requantize is ONE rescale (int16 zero points are 0).
// int8 (0.5, 3) -> int16 2^-9: scale 256 = 2^30 * 2^-22; (x - 3) * 256 reaches -33536,
// so the int16 range [-32767, 32767] needs its clamp.
// CHECK-LABEL: func.func @requantize_i8_to_i16
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<22> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi16>) -> tensor<2x3xi16>
// CHECK: %[[C:.*]] = tosa.clamp %[[R]] {max_val = 32767 : i16, min_val = -32767 : i16}
// CHECK: return %[[C]]
func.func @requantize_i8_to_i16(%arg0: tensor<2x3xi8>) -> tensor<2x3xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001953125>, zero_point = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xi16>
  return %q : tensor<2x3xi16>
}

// -----

// int16 2^-9 -> int8 (0.5, 3): scale 2^-8 = 2^30 * 2^-38.
// CHECK-LABEL: func.func @requantize_i16_to_i8
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<38> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<2x3xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi8>) -> tensor<2x3xi8>
// CHECK-NEXT: return %[[R]]
func.func @requantize_i16_to_i8(%arg0: tensor<2x3xi16>) -> tensor<2x3xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001953125>, zero_point = array<i64: 0>} : (tensor<2x3xi16>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}

// -----

// int16 0.001 -> int16 0.0015: 2/3 = 1431655765 * 2^-31. 32767 * 2/3 stays inside
// [-32767, 32767]: no clamp.
// CHECK-LABEL: func.func @requantize_i16_to_i16
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1431655765> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[ZP]], %[[ZP]] {{.*}} : (tensor<2x3xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi16>) -> tensor<2x3xi16>
// CHECK-NEXT: return %[[R]]
func.func @requantize_i16_to_i16(%arg0: tensor<2x3xi16>) -> tensor<2x3xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<2x3xi16>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0015>, zero_point = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xi16>
  return %q : tensor<2x3xi16>
}

// -----

// int16 1e-4 -> int32 1e-5: scale 10 = 1342177280 * 2^-27 (|x| < 2^15 < 2^26 as
// apply_scale_32 requires).
// CHECK-LABEL: func.func @requantize_i16_to_i32
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1342177280> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<27> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg0, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {{.*}} : (tensor<2x3xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi32>) -> tensor<2x3xi32>
// CHECK-NEXT: return %[[R]]
func.func @requantize_i16_to_i32(%arg0: tensor<2x3xi16>) -> tensor<2x3xi32> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0001>, zero_point = array<i64: 0>} : (tensor<2x3xi16>) -> tensor<2x3xf32>
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 2147483647 : i64, qmin = -2147483648 : i64, scale = array<f64: 0.00001>, zero_point = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2x3xi32>
  return %q : tensor<2x3xi32>
}

// -----

// int16 pad with 0.0: pad_const is the zero point 0, a tensor<1xi16>.
// CHECK-LABEL: func.func @pad_int16
// CHECK-DAG: %[[P:.*]] = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>}
// CHECK-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[Y:.*]] = tosa.pad %arg0, %[[P]], %[[ZP]] : (tensor<1x2xi16>, !tosa.shape<4>, tensor<1xi16>) -> tensor<1x4xi16>
// CHECK-NEXT: return %[[Y]]
func.func @pad_int16(%arg0: tensor<1x2xi16>) -> tensor<1x4xi16> {
  %p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %v = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x2xi16>) -> tensor<1x2xf32>
  %y = tosa.pad %x, %p, %v : (tensor<1x2xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi16>
  return %q : tensor<1x4xi16>
}

// -----

// A mixed a8w8 / a16w8 concat: the int8 input (0.25, -2) is rescaled into the int16
// output's 2^-9 (by 128 = 2^30 * 2^-23; (x + 2) * 128 <= 16512, no clamp).
// CHECK-LABEL: func.func @concat_int8_into_int16
// CHECK-DAG: %[[MULT:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[SHIFT:.*]] = "tosa.const"() <{values = dense<23> : tensor<1xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-2> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[R:.*]] = tosa.rescale %arg1, %[[MULT]], %[[SHIFT]], %[[IZP]], %[[OZP]] {{.*}} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi16>) -> tensor<2x3xi16>
// CHECK: %[[CAT:.*]] = tosa.concat %arg0, %[[R]] {axis = 1 : i32} : (tensor<2x3xi16>, tensor<2x3xi16>) -> tensor<2x6xi16>
// CHECK-NEXT: return %[[CAT]]
func.func @concat_int8_into_int16(%arg0: tensor<2x3xi16>, %arg1: tensor<2x3xi8>) -> tensor<2x6xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001953125>, zero_point = array<i64: 0>} : (tensor<2x3xi16>) -> tensor<2x3xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  %c = tosa.concat %a, %b {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001953125>, zero_point = array<i64: 0>} : (tensor<2x6xf32>) -> tensor<2x6xi16>
  return %q : tensor<2x6xi16>
}

// -----

// int16 transpose + slice move the int16 values; the requantize (by 0.5) goes after the
// slice, where there are fewer elements.
// CHECK-LABEL: func.func @transpose_slice_int16
// CHECK: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 1, 0>} : (tensor<2x4xi16>) -> tensor<4x2xi16>
// CHECK: %[[S:.*]] = tosa.slice %[[T]], {{.*}} : (tensor<4x2xi16>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xi16>
// CHECK: %[[R:.*]] = tosa.rescale %[[S]], {{.*}} -> tensor<2x2xi16>
// CHECK-NEXT: return %[[R]]
func.func @transpose_slice_int16(%arg0: tensor<2x4xi16>) -> tensor<2x2xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<2x4xi16>) -> tensor<2x4xf32>
  %t = tosa.transpose %x {perms = array<i32: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %start = tosa.const_shape {values = dense<[1, 0]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %s = tosa.slice %t, %start, %size : (tensor<4x2xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<2x2xf32>) -> tensor<2x2xi16>
  return %q : tensor<2x2xi16>
}
