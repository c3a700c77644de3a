// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(tosaic-quantize-io)' | filecheck %s

// The input becomes what its quantize makes of it, the output what its dequantize reads;
// both carry their quantization for the runtime.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%arg0: tensor<1x4xi8> {tosaic.io = {dtype = "int8", scale = 5.000000e-01 : f64, zero_point = 3 : i64}})
// CHECK-SAME: -> (tensor<1x4xi8> {tosaic.io = {dtype = "int8", scale = 2.500000e-01 : f64, zero_point = -1 : i64}})
// CHECK: %[[R:.*]] = tosa.rescale %arg0
// CHECK-NEXT: return %[[R]] : tensor<1x4xi8>
func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<31> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  %r = tosa.rescale %q, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4xi8>
  %d = "tosaic.dequantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -1>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  return %d : tensor<1x4xf32>
}

// -----

// Negative: an input also used as float stays float.
// CHECK-LABEL: func.func @mixed_use
// CHECK-SAME: (%arg0: tensor<4xf32>)
// CHECK: "tosaic.quantize"(%arg0)
func.func @mixed_use(%arg0: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xf32>) {
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q, %arg0 : tensor<4xi8>, tensor<4xf32>
}
