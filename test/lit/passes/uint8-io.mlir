// RUN: tosaic-opt %s --split-input-file --pipeline=tosa-int | filecheck %s

// uint8 graph IO through the tosa-int pipeline (`tosaic pipeline tosa-int`). The input is read by a rescale with
// input_unsigned (uint8 zero point 200, written as its bits -56) into the identical int8
// (zero point 72, scale 1); the reverse runs on int8; a rescale with output_unsigned
// writes the uint8 output. Both IO carry dtype uint8 for the runtime.
// CHECK-LABEL: func.func @reverse_uint8_io
// CHECK-SAME: (%arg0: tensor<4xi8> {tosaic.io = {dtype = "uint8", scale = 5.000000e-01 : f64, zero_point = 200 : i64}})
// CHECK-SAME: -> (tensor<4xi8> {tosaic.io = {dtype = "uint8", scale = 5.000000e-01 : f64, zero_point = 200 : i64}})
// CHECK-DAG: %[[Z72:.*]] = "tosa.const"() <{values = dense<72> : tensor<1xi8>}>
// CHECK-DAG: %[[Z200:.*]] = "tosa.const"() <{values = dense<-56> : tensor<1xi8>}>
// CHECK: %[[IN:.*]] = tosa.rescale %arg0, %{{.*}}, %{{.*}}, %[[Z200]], %[[Z72]] {input_unsigned = true, output_unsigned = false
// CHECK: %[[REV:.*]] = tosa.reverse %[[IN]]
// CHECK: %[[OUT:.*]] = tosa.rescale %[[REV]], %{{.*}}, %{{.*}}, %[[Z72]], %[[Z200]] {input_unsigned = false, output_unsigned = true
// CHECK: return %[[OUT]]
func.func @reverse_uint8_io(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<4xf32>) -> tensor<4xi8>
  %d = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<4xi8>) -> tensor<4xf32>
  %r = tosa.reverse %d {axis = 0 : i32} : (tensor<4xf32>) -> tensor<4xf32>
  %q2 = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<4xf32>) -> tensor<4xi8>
  %d2 = "tosaic.dequantize"(%q2) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<4xi8>) -> tensor<4xf32>
  return %d2 : tensor<4xf32>
}

// -----

// Only a reshape between uint8 input and output: the two IO rescales cancel, the reshape
// moves the uint8 bytes as they are.
// CHECK-LABEL: func.func @reshape_uint8_io
// CHECK-NOT: tosa.rescale
// CHECK: %[[R:.*]] = tosa.reshape %arg0
// CHECK-NEXT: return %[[R]]
func.func @reshape_uint8_io(%arg0: tensor<2x2xf32>) -> tensor<4xf32> {
  %s = tosa.const_shape {values = dense<[4]> : tensor<1xindex>} : () -> !tosa.shape<1>
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<2x2xf32>) -> tensor<2x2xi8>
  %d = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<2x2xi8>) -> tensor<2x2xf32>
  %r = tosa.reshape %d, %s : (tensor<2x2xf32>, !tosa.shape<1>) -> tensor<4xf32>
  %q2 = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<4xf32>) -> tensor<4xi8>
  %d2 = "tosaic.dequantize"(%q2) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 200>} : (tensor<4xi8>) -> tensor<4xf32>
  return %d2 : tensor<4xf32>
}

// -----

// A foreign all-uint8 program: a clamp requantizing 0.5 -> 0.25. The input's uint8 ->
// int8 shift folds into the clamp's requantize (one rescale by 2 reading uint8: multiplier
// 2^30, shift 29); the output keeps its own output_unsigned rescale.
// CHECK-LABEL: func.func @clamp_all_uint8
// CHECK: %[[IN:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S29:.*]], %{{.*}}, %{{.*}} {input_unsigned = true, output_unsigned = false
// CHECK: %[[C:.*]] = tosa.clamp %[[IN]]
// CHECK: %[[OUT:.*]] = tosa.rescale %[[C]], {{.*}} {input_unsigned = false, output_unsigned = true
// CHECK: return %[[OUT]]
func.func @clamp_all_uint8(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 130>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %d = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 130>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %c = tosa.clamp %d {max_val = 3.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %q2 = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %d2 = "tosaic.dequantize"(%q2) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  return %d2 : tensor<1x4xf32>
}
