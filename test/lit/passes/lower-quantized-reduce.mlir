// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-reduce),canonicalize)' | filecheck %s
// LOWERING: amax, amin, argmax

// amax over H and W (one reduce_max per dim, then the reshape dropping them), shared
// qparams: the same chain on the int8 values, nothing else.
// CHECK-LABEL: func.func @amax_hw
// CHECK: %[[M1:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<1x4x4x2xi8>) -> tensor<1x1x4x2xi8>
// CHECK: %[[M2:.*]] = tosa.reduce_max %[[M1]] {axis = 2 : i32} : (tensor<1x1x4x2xi8>) -> tensor<1x1x1x2xi8>
// CHECK: %[[R:.*]] = tosa.reshape %[[M2]], %{{.*}} : (tensor<1x1x1x2xi8>, !tosa.shape<2>) -> tensor<1x2xi8>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[R]]
func.func @amax_hw(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x2xi8> {
  %s = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %m1 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x1x4x2xf32>
  %m2 = tosa.reduce_max %m1 {axis = 2 : i32} : (tensor<1x1x4x2xf32>) -> tensor<1x1x1x2xf32>
  %r = tosa.reshape %m2, %s : (tensor<1x1x1x2xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2xf32>) -> tensor<1x2xi8>
  return %q : tensor<1x2xi8>
}

// -----

// amin into other qparams (0.5, zp 1 -> 0.25, zp -5): the int8 reduce_min, then one
// rescale by 2 (multiplier 2^30, shift 29).
// CHECK-LABEL: func.func @amin_own_qparams
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK-DAG: %[[ZI:.*]] = "tosa.const"() <{values = dense<1> : tensor<1xi8>}>
// CHECK-DAG: %[[ZO:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
// CHECK: %[[MIN:.*]] = tosa.reduce_min %arg0 {axis = 3 : i32} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x1xi8>
// CHECK: %[[Y:.*]] = tosa.rescale %[[MIN]], %[[M]], %[[S]], %[[ZI]], %[[ZO]]
// CHECK: return %[[Y]]
func.func @amin_own_qparams(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x1xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %m = tosa.reduce_min %a {axis = 3 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x1xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -5>} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xi8>
  return %q : tensor<1x4x4x1xi8>
}

// -----

// int16, shared qparams: the int16 reduce_max alone.
// CHECK-LABEL: func.func @amax_int16
// CHECK: %[[M:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<1x4x4x2xi16>) -> tensor<1x1x4x2xi16>
// CHECK-NEXT: return %[[M]]
func.func @amax_int16(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x1x4x2xi16> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %m = tosa.reduce_max %a {axis = 1 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x1x4x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x1x4x2xf32>) -> tensor<1x1x4x2xi16>
  return %q : tensor<1x1x4x2xi16>
}

// -----

// A reduce_max whose float result feeds more float arithmetic (tosaic's own softmax
// region) is not an amax: left for the softmax lowering.
// CHECK-LABEL: func.func @softmax_max_shift
// CHECK: tosa.reduce_max %{{.*}} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32>
func.func @softmax_max_shift(%arg0: tensor<1x4x8xi8>) -> tensor<1x4x8xf32> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x8xi8>) -> tensor<1x4x8xf32>
  %m = tosa.reduce_max %a {axis = 2 : i32} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32>
  %s = tosa.sub %a, %m : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  return %s : tensor<1x4x8xf32>
}

// -----

// argmax of dequantized int8 values: the scale is positive, so tosa.argmax on the codes
// gives the same index; TOSA's index is int32, and the function's result type follows.
// CHECK-LABEL: func.func @argmax_codes
// CHECK-SAME: -> tensor<1x4xi32>
// CHECK: %[[I:.*]] = tosa.argmax %arg0 {axis = 1 : i32} : (tensor<1x8x4xi8>) -> tensor<1x4xi32>
// CHECK: return %[[I]]
func.func @argmax_codes(%arg0: tensor<1x8x4xi8>) -> tensor<1x4xi64> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x8x4xi8>) -> tensor<1x8x4xf32>
  %i = tosa.argmax %a {axis = 1 : i32} : (tensor<1x8x4xf32>) -> tensor<1x4xi64>
  return %i : tensor<1x4xi64>
}
