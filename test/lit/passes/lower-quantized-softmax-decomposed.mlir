// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-softmax),canonicalize)' | filecheck %s
// LOWERING: softmax.max

// ExecuTorch's TOSAQuantizer decomposes softmax into amax, sub, exp, sum, reciprocal and
// mul and quantizes each result. Its quantized max(x), with the input's qparams, is the
// int8 reduce_max of the codes (max commutes with the monotone quantization); the sub
// from x (and the later steps) are other entries' and stay here.
// CHECK-LABEL: func.func @decomposed_max
// CHECK: %[[MAX:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x8xi8>) -> tensor<2x1xi8>
// CHECK: %[[DQ:.*]] = "tosaic.dequantize"(%[[MAX]])
// CHECK: tosa.sub %{{.*}}, %[[DQ]]
// CHECK-NOT: tosa.reduce_max
func.func @decomposed_max(%arg0: tensor<2x8xi8>) -> tensor<2x8xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: 3>} : (tensor<2x8xi8>) -> tensor<2x8xf32>
  %m = tosa.reduce_max %x {axis = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %qm = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: 3>} : (tensor<2x1xf32>) -> tensor<2x1xi8>
  %dm = "tosaic.dequantize"(%qm) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: 3>} : (tensor<2x1xi8>) -> tensor<2x1xf32>
  %d = tosa.sub %x, %dm : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %q = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 127>} : (tensor<2x8xf32>) -> tensor<2x8xi8>
  return %q : tensor<2x8xi8>
}

// -----

// Other qparams for the max: the int8 max, then one rescale by 0.03125 / 0.0625.
// CHECK-LABEL: func.func @decomposed_max_requantized
// CHECK: %[[MAX:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x8xi8>) -> tensor<2x1xi8>
// CHECK: %[[R:.*]] = tosa.rescale %[[MAX]]
// CHECK: "tosaic.dequantize"(%[[R]])
func.func @decomposed_max_requantized(%arg0: tensor<2x8xi8>) -> tensor<2x8xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: 3>} : (tensor<2x8xi8>) -> tensor<2x8xf32>
  %m = tosa.reduce_max %x {axis = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %qm = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<2x1xf32>) -> tensor<2x1xi8>
  %dm = "tosaic.dequantize"(%qm) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<2x1xi8>) -> tensor<2x1xf32>
  %d = tosa.sub %x, %dm : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %q = "tosaic.quantize"(%d) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 127>} : (tensor<2x8xf32>) -> tensor<2x8xi8>
  return %q : tensor<2x8xi8>
}

// -----

// A max that is not subtracted from its own input (a plain amax) is not a softmax's:
// left for a reduction entry.
// CHECK-LABEL: func.func @plain_max
// CHECK: tosa.reduce_max %{{.*}} : (tensor<2x8xf32>) -> tensor<2x1xf32>
func.func @plain_max(%arg0: tensor<2x8xi8>) -> tensor<2x1xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: 3>} : (tensor<2x8xi8>) -> tensor<2x8xf32>
  %m = tosa.reduce_max %x {axis = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %qm = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: 3>} : (tensor<2x1xf32>) -> tensor<2x1xi8>
  return %qm : tensor<2x1xi8>
}
