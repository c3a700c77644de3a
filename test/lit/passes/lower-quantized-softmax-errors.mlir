// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-softmax))' --verify-diagnostics

// Diagnostic: an int16 (a16w8) softmax has no integer lowering; it is refused at its
// quantize with the way out, not left to fail later as float computation.
func.func @softmax_int16(%arg0: tensor<2x4xi16>) -> tensor<2x4xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<2x4xi16>) -> tensor<2x4xf32>
  %m = tosa.reduce_max %x {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %d = tosa.sub %x, %m : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %e = tosa.exp %d : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %r = tosa.reciprocal %s : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<2x4xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x4xf32>
  // expected-error@+1 {{'tosaic.quantize' op softmax of int16 (a16w8) values is not supported: quantize it to int8 (e.g. a8w8 for this module)}}
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0517578125e-05>, zero_point = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<2x4xi16>
  return %q : tensor<2x4xi16>
}
