// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-norm),canonicalize)' | filecheck %s
// LOWERING: batch_norm, layer_norm

// nn.GroupNorm(4, 8) as the frontend writes it: a layer norm over [1, 4, 2, 64] (axes 2
// and 3), reshaped back to [1, 8, 8, 8], then the per-channel weight and bias. The norm is
// lowered on [1, 4, 2, 64] with the affine's constants moved onto [1, 4, 2, 1], and the
// int8 result reshaped to [1, 8, 8, 8].
// CHECK-LABEL: func.func @group_norm
// CHECK: tosa.rescale %arg0, {{.*}} -> tensor<1x4x2x64xi32>
// CHECK: tosa.reduce_sum {{.*}} {axis = 2 : i32}
// CHECK: tosa.reduce_sum {{.*}} {axis = 3 : i32}
// CHECK: tosa.clz
// CHECK: tosa.mul {{.*}} : (tensor<1x4x2x64xi32>, tensor<1x4x2x1xi32>, tensor<1xi8>) -> tensor<1x4x2x64xi32>
// CHECK: tosa.add {{.*}} : (tensor<1x4x2x64xi32>, tensor<1x4x2x1xi32>) -> tensor<1x4x2x64xi32>
// CHECK: %[[Y:.*]] = tosa.rescale {{.*}} -> tensor<1x4x2x64xi8>
// CHECK: %[[R:.*]] = tosa.reshape %[[Y]], {{.*}} -> tensor<1x8x8x8xi8>
// CHECK-NOT: tosa.rsqrt
// CHECK: return %[[R]]
func.func @group_norm(%arg0: tensor<1x4x2x64xi8>) -> tensor<1x8x8x8xi8> {
  %shape = tosa.const_shape  {values = dense<[1, 8, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %zero = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %n = "tosa.const"() <{values = dense<7.812500e-03> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %eps = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %w = "tosa.const"() <{values = dense<[[[[1.5]], [[0.5]], [[-1.0]], [[1.25]], [[0.75]], [[2.0]], [[1.0]], [[0.25]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
  %b = "tosa.const"() <{values = dense<[[[[0.1]], [[-0.2]], [[0.0]], [[0.3]], [[-0.1]], [[0.2]], [[0.05]], [[-0.3]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.020935283973813057>, zero_point = array<i64: 4>} : (tensor<1x4x2x64xi8>) -> tensor<1x4x2x64xf32>
  %18 = tosa.reduce_sum %x {axis = 2 : i32} : (tensor<1x4x2x64xf32>) -> tensor<1x4x1x64xf32>
  %19 = tosa.reduce_sum %18 {axis = 3 : i32} : (tensor<1x4x1x64xf32>) -> tensor<1x4x1x1xf32>
  %20 = tosa.mul %19, %n, %zero : (tensor<1x4x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x1x1xf32>
  %21 = tosa.sub %x, %20 : (tensor<1x4x2x64xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x2x64xf32>
  %22 = tosa.mul %21, %21, %zero : (tensor<1x4x2x64xf32>, tensor<1x4x2x64xf32>, tensor<1xi8>) -> tensor<1x4x2x64xf32>
  %23 = tosa.reduce_sum %22 {axis = 2 : i32} : (tensor<1x4x2x64xf32>) -> tensor<1x4x1x64xf32>
  %24 = tosa.reduce_sum %23 {axis = 3 : i32} : (tensor<1x4x1x64xf32>) -> tensor<1x4x1x1xf32>
  %25 = tosa.mul %24, %n, %zero : (tensor<1x4x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x1x1xf32>
  %26 = tosa.add %25, %eps : (tensor<1x4x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x1x1xf32>
  %27 = tosa.rsqrt %26 : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %28 = tosa.mul %21, %27, %zero : (tensor<1x4x2x64xf32>, tensor<1x4x1x1xf32>, tensor<1xi8>) -> tensor<1x4x2x64xf32>
  %29 = tosa.reshape %28, %shape : (tensor<1x4x2x64xf32>, !tosa.shape<4>) -> tensor<1x8x8x8xf32>
  %30 = tosa.mul %29, %w, %zero : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<1x8x8x8xf32>
  %31 = tosa.add %30, %b : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %q = "tosaic.quantize"(%31) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.031232088804244995>, zero_point = array<i64: -7>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xi8>
  return %q : tensor<1x8x8x8xi8>
}

// -----

// BatchNorm2d(2) in eval mode as torch-mlir lowers it: sub(x, mean), mul(., 1 / var^0.5
// (a pow and a reciprocal of constants)), mul(., w), add(., b). One affine per channel:
// y = m x + o, m = w / sqrt(var) = (2, 0.5), o = b - m mean = (0.25 - 2 * 0.5, -0.5 + 0.5 * 1)
// = (-0.75, 0). With s_in = 0.1, s_out = 0.05, zero points 2 and -3: Mq = round(m * 2 * 2^k),
// Oq = round(o / 0.05 * 2^k) with k = 20, the largest with |X| Mq + |Oq| < 2^30 for
// |X| <= 130 (130 * 4 + 15 + 131 < 2^30 / 2^20 = 1024):
// Mq = (4194304, 1048576), Oq = (-15728640, 0), then one rescale by 2^-20.
// CHECK-LABEL: func.func @batch_norm
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}4194304]], {{\[\[}}1048576]]]]> : tensor<1x2x1x1xi32>}>
// CHECK-DAG: %[[O:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}-15728640]], {{\[\[}}0]]]]> : tensor<1x2x1x1xi32>}>
// CHECK: %[[X:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x2x4x4xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[X]], %[[M]], {{.*}} -> tensor<1x2x4x4xi32>
// CHECK: %[[A:.*]] = tosa.add %[[P]], %[[O]] : {{.*}} -> tensor<1x2x4x4xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[A]], {{.*}} -> tensor<1x2x4x4xi8>
// CHECK: return %[[Y]]
func.func @batch_norm(%arg0: tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xi8> {
  %zero = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %var = "tosa.const"() <{values = dense<[0.25, 4.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %half = "tosa.const"() <{values = dense<0.5> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shape = tosa.const_shape  {values = dense<[1, 2, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %mean = "tosa.const"() <{values = dense<[[[[0.5]], [[-1.0]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %w = "tosa.const"() <{values = dense<[[[[1.0]], [[1.0]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %b = "tosa.const"() <{values = dense<[[[[0.25]], [[-0.5]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 2>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32>
  %root = tosa.pow %var, %half : (tensor<2xf32>, tensor<1xf32>) -> tensor<2xf32>
  %inv = tosa.reciprocal %root : (tensor<2xf32>) -> tensor<2xf32>
  %c = tosa.sub %x, %mean : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %inv4 = tosa.reshape %inv, %shape : (tensor<2xf32>, !tosa.shape<4>) -> tensor<1x2x1x1xf32>
  %n = tosa.mul %c, %inv4, %zero : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>, tensor<1xi8>) -> tensor<1x2x4x4xf32>
  %nw = tosa.mul %n, %w, %zero : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>, tensor<1xi8>) -> tensor<1x2x4x4xf32>
  %y = tosa.add %nw, %b : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: -3>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xi8>
  return %q : tensor<1x2x4x4xi8>
}

// -----

// A product of the input with a non-constant tensor is no affine: left alone.
// CHECK-LABEL: func.func @not_affine
// CHECK: tosa.mul {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: tosaic.quantize
func.func @not_affine(%arg0: tensor<1x2x4x4xi8>, %arg1: tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xi8> {
  %zero = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %b = "tosa.const"() <{values = dense<[[[[0.25]], [[-0.5]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 2>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32>
  %n = tosa.mul %x, %arg1, %zero : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>, tensor<1xi8>) -> tensor<1x2x4x4xf32>
  %y = tosa.add %n, %b : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: -3>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xi8>
  return %q : tensor<1x2x4x4xi8>
}
