// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-norm),canonicalize)' | filecheck %s
// LOWERING: var, linalg_vector_norm

// torch.var(x, dim=1, keepdim=True) (unbiased: 1 / (N - 1) = 1/7) as torch-mlir lowers it,
// in f64. X = q - (-9), centred on its rounded mean: S, T; V = 8 T - S^2 = N^2 var(X)
// exactly; the output is s_in^2 V / (7 * 8 * s_out): ONE rescale of V, no float op left.
// CHECK-LABEL: func.func @var
// CHECK: %[[X:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x8x4x4xi32>
// CHECK: tosa.reduce_sum {{.*}} {axis = 1 : i32} : (tensor<1x8x4x4xi32>) -> tensor<1x1x4x4xi32>
// CHECK: %[[XC:.*]] = tosa.sub %[[X]]
// CHECK: %[[S:.*]] = tosa.reduce_sum %[[XC]] {axis = 1 : i32}
// CHECK: %[[SQ:.*]] = tosa.mul %[[XC]], %[[XC]]
// CHECK: %[[T:.*]] = tosa.reduce_sum %[[SQ]] {axis = 1 : i32}
// CHECK: %[[NT:.*]] = tosa.mul %[[T]]
// CHECK: %[[SS:.*]] = tosa.mul %[[S]], %[[S]]
// CHECK: %[[V:.*]] = tosa.sub %[[NT]], %[[SS]]
// CHECK: %[[Y:.*]] = tosa.rescale %[[V]], {{.*}} -> tensor<1x1x4x4xi8>
// CHECK-NOT: tosa.cast
// CHECK: return %[[Y]]
func.func @var(%arg0: tensor<1x8x4x4xi8>) -> tensor<1x1x4x4xi8> {
  %zero = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %mean = "tosa.const"() <{values = dense<1.250000e-01> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
  %unbiased = "tosa.const"() <{values = dense<0.14285714285714285> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.01722252182662487>, zero_point = array<i64: -9>} : (tensor<1x8x4x4xi8>) -> tensor<1x8x4x4xf32>
  %15 = tosa.cast %x : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf64>
  %16 = tosa.reduce_sum %15 {axis = 1 : i32} : (tensor<1x8x4x4xf64>) -> tensor<1x1x4x4xf64>
  %17 = tosa.mul %16, %mean, %zero : (tensor<1x1x4x4xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x1x4x4xf64>
  %18 = tosa.sub %15, %17 : (tensor<1x8x4x4xf64>, tensor<1x1x4x4xf64>) -> tensor<1x8x4x4xf64>
  %19 = tosa.mul %18, %18, %zero : (tensor<1x8x4x4xf64>, tensor<1x8x4x4xf64>, tensor<1xi8>) -> tensor<1x8x4x4xf64>
  %20 = tosa.reduce_sum %19 {axis = 1 : i32} : (tensor<1x8x4x4xf64>) -> tensor<1x1x4x4xf64>
  %21 = tosa.mul %20, %unbiased, %zero : (tensor<1x1x4x4xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x1x4x4xf64>
  %22 = tosa.cast %21 : (tensor<1x1x4x4xf64>) -> tensor<1x1x4x4xf32>
  %q = "tosaic.quantize"(%22) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0072394474409520626>, zero_point = array<i64: -128>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xi8>
  return %q : tensor<1x1x4x4xi8>
}

// -----

// torch.linalg.vector_norm(x, dim=-1, keepdim=True) as torch-mlir lowers it:
// pow(sum(pow(abs(x), 2)), 0.5). T = sum(X^2) in int32; sqrt(T) from the Newton rsqrt of
// the normalised Wn = T << 2m: Z = Wn y >> 31 = sqrt(x) 2^29, Z >> m (rounding), one rescale.
// CHECK-LABEL: func.func @vector_norm
// CHECK: %[[X:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x2x8xi32>
// CHECK: %[[SQ:.*]] = tosa.mul %[[X]], %[[X]]
// CHECK: %[[T:.*]] = tosa.reduce_sum %[[SQ]] {axis = 2 : i32} : (tensor<1x2x8xi32>) -> tensor<1x2x1xi32>
// CHECK: tosa.clz %[[T]]
// CHECK: %[[M:.*]] = tosa.arithmetic_right_shift {{.*}} {round = false}
// CHECK: %[[WN:.*]] = tosa.logical_left_shift %[[T]]
// CHECK-COUNT-4: tosa.sub
// CHECK: %[[Z:.*]] = tosa.mul %[[WN]]
// CHECK: %[[ZM:.*]] = tosa.arithmetic_right_shift %[[Z]], %[[M]] {round = true}
// CHECK: %[[Y:.*]] = tosa.rescale %[[ZM]], {{.*}} -> tensor<1x2x1xi8>
// CHECK-NOT: tosa.pow
// CHECK: return %[[Y]]
func.func @vector_norm(%arg0: tensor<1x2x8xi8>) -> tensor<1x2x1xi8> {
  %two = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %half = "tosa.const"() <{values = dense<5.000000e-01> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0176>, zero_point = array<i64: 31>} : (tensor<1x2x8xi8>) -> tensor<1x2x8xf32>
  %a = tosa.abs %x : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %p = tosa.pow %a, %two : (tensor<1x2x8xf32>, tensor<1x1x1xf32>) -> tensor<1x2x8xf32>
  %s = tosa.reduce_sum %p {axis = 2 : i32} : (tensor<1x2x8xf32>) -> tensor<1x2x1xf32>
  %r = tosa.pow %s, %half : (tensor<1x2x1xf32>, tensor<1x1x1xf32>) -> tensor<1x2x1xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0148>, zero_point = array<i64: -128>} : (tensor<1x2x1xf32>) -> tensor<1x2x1xi8>
  return %q : tensor<1x2x1xi8>
}

// -----

// An ord-3 norm (pow 3, then pow 1/3) is not the ord-2 form: left alone.
// CHECK-LABEL: func.func @not_ord2
// CHECK: tosa.pow
// CHECK: tosaic.quantize
func.func @not_ord2(%arg0: tensor<1x2x8xi8>) -> tensor<1x2x1xi8> {
  %three = "tosa.const"() <{values = dense<3.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %third = "tosa.const"() <{values = dense<0.333333343> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0176>, zero_point = array<i64: 31>} : (tensor<1x2x8xi8>) -> tensor<1x2x8xf32>
  %a = tosa.abs %x : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  %p = tosa.pow %a, %three : (tensor<1x2x8xf32>, tensor<1x1x1xf32>) -> tensor<1x2x8xf32>
  %s = tosa.reduce_sum %p {axis = 2 : i32} : (tensor<1x2x8xf32>) -> tensor<1x2x1xf32>
  %r = tosa.pow %s, %third : (tensor<1x2x1xf32>, tensor<1x1x1xf32>) -> tensor<1x2x1xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0148>, zero_point = array<i64: -128>} : (tensor<1x2x1xf32>) -> tensor<1x2x1xi8>
  return %q : tensor<1x2x1xi8>
}
