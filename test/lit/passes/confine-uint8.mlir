// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-confine-uint8))' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-confine-uint8{preserve-io=false}))' | filecheck %s --check-prefix=INT8IO

// A program quantized to uint8 throughout (as some foreign quantizers do). Inside, the
// uint8 quantization becomes the identical int8 one (zero point - 128, range [-128, 127],
// same scale). The graph input and output keep uint8: the input's dequantize feeds an
// inserted int8 requantize pair, the output's dequantize reads one.
// CHECK-LABEL: func.func @all_uint8
// CHECK: %[[QIN:.*]] = "tosaic.quantize"(%arg0) {{{.*}}qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 5.000000e-01>, zero_point = array<i64: 130>}
// CHECK: %[[DIN:.*]] = "tosaic.dequantize"(%[[QIN]]) {{{.*}}qmax = 255 : i64, qmin = 0 : i64{{.*}}zero_point = array<i64: 130>}
// CHECK: %[[Q8:.*]] = "tosaic.quantize"(%[[DIN]]) {{{.*}}qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 5.000000e-01>, zero_point = array<i64: 2>}
// CHECK: %[[D8:.*]] = "tosaic.dequantize"(%[[Q8]]) {{{.*}}zero_point = array<i64: 2>}
// CHECK: %[[C:.*]] = tosa.clamp %[[D8]]
// CHECK: %[[QC:.*]] = "tosaic.quantize"(%[[C]]) {{{.*}}qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 2.500000e-01>, zero_point = array<i64: -128>}
// CHECK: %[[DC:.*]] = "tosaic.dequantize"(%[[QC]]) {{{.*}}qmax = 127 : i64, qmin = -128 : i64{{.*}}zero_point = array<i64: -128>}
// CHECK: %[[QOUT:.*]] = "tosaic.quantize"(%[[DC]]) {{{.*}}qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 2.500000e-01>, zero_point = array<i64: 0>}
// CHECK: %[[DOUT:.*]] = "tosaic.dequantize"(%[[QOUT]]) {{{.*}}qmax = 255 : i64, qmin = 0 : i64{{.*}}zero_point = array<i64: 0>}
// CHECK: return %[[DOUT]]
// Without preserved IO, uint8 is gone everywhere: the IO is the identical int8.
// INT8IO-LABEL: func.func @all_uint8
// INT8IO-NOT: qmax = 255
// INT8IO: "tosaic.quantize"(%arg0) {{{.*}}qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 5.000000e-01>, zero_point = array<i64: 2>}
// INT8IO-NOT: qmax = 255
// INT8IO: return
func.func @all_uint8(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 130>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %d = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 130>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %c = tosa.clamp %d {max_val = 3.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %q2 = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %d2 = "tosaic.dequantize"(%q2) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  return %d2 : tensor<1x4xf32>
}

// -----

// A uint8 value between two int8 regions (never graph IO) becomes int8.
// CHECK-LABEL: func.func @internal_uint8
// CHECK-NOT: qmax = 255
// CHECK: "tosaic.quantize"(%{{.*}}) {{{.*}}qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.000000e-01>, zero_point = array<i64: -28>}
// CHECK-NOT: qmax = 255
// CHECK: return
func.func @internal_uint8(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 100>} : (tensor<4xf32>) -> tensor<4xi8>
  %d2 = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 100>} : (tensor<4xi8>) -> tensor<4xf32>
  %q2 = "tosaic.quantize"(%d2) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.2>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q2 : tensor<4xi8>
}

// -----

// tosaic's own uint8-IO programs already have the requantize pairs: nothing changes.
// CHECK-LABEL: func.func @requantize_pairs_kept
// CHECK-COUNT-2: qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 2.000000e-02>, zero_point = array<i64: 93>
// CHECK: qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 2.000000e-02>, zero_point = array<i64: -35>
func.func @requantize_pairs_kept(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.02>, zero_point = array<i64: 93>} : (tensor<4xf32>) -> tensor<4xi8>
  %d = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 255 : i64, qmin = 0 : i64, scale = array<f64: 0.02>, zero_point = array<i64: 93>} : (tensor<4xi8>) -> tensor<4xf32>
  %q8 = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -35>} : (tensor<4xf32>) -> tensor<4xi8>
  %d8 = "tosaic.dequantize"(%q8) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -35>} : (tensor<4xi8>) -> tensor<4xf32>
  return %d8 : tensor<4xf32>
}

