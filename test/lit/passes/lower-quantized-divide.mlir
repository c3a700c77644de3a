// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise),canonicalize)' | filecheck %s
// LOWERING: div.tensor

// a / b (torch-mlir: mul(a, reciprocal(b))) of two int8 tensors: R(b) = round(2^22 / (b - zp_b))
// + 2^23 from three byte TABLEs of b (rescaled by 1, 256, 65536 from zero point -128 and
// added), minus 2^23; (a - zp_a) * R in int32; one rescale by s_a / (s_b s_y) 2^-22 to output
// units; b = 0 exactly adds sign(a) * 2^20 (a 0/1 TABLE of b times a sign TABLE of a) so the
// last rescale (by 1, output zero point 3) saturates it. No reciprocal, no float.
// CHECK-LABEL: func.func @divide
// CHECK: %[[B0:.*]] = tosa.table %arg1, %{{.*}} : (tensor<1x4xi8>, tensor<256xi8>) -> tensor<1x4xi8>
// CHECK: %[[R0:.*]] = tosa.rescale %[[B0]], {{.*}} -> tensor<1x4xi32>
// CHECK: tosa.table %arg1
// CHECK: tosa.add
// CHECK: tosa.table %arg1
// CHECK: %[[R3:.*]] = tosa.add
// CHECK: %[[R:.*]] = tosa.sub %[[R3]], %{{.*}} : (tensor<1x4xi32>, tensor<1x1xi32>) -> tensor<1x4xi32>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[A]], %[[R]], %{{.*}}
// CHECK: %[[Q:.*]] = tosa.rescale %[[P]], {{.*}} -> tensor<1x4xi32>
// CHECK: %[[Z:.*]] = tosa.table %arg1
// CHECK: %[[S:.*]] = tosa.table %arg0
// CHECK: %[[INF:.*]] = tosa.mul
// CHECK: %[[T:.*]] = tosa.add %[[Q]], %[[INF]]
// CHECK: %[[Y:.*]] = tosa.rescale %[[T]], {{.*}} -> tensor<1x4xi8>
// CHECK-NOT: tosa.reciprocal
// CHECK: return %[[Y]]
func.func @divide(%arg0: tensor<1x4xi8>, %arg1: tensor<1x4xi8>) -> tensor<1x4xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %r = tosa.reciprocal %b : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = tosa.mul %a, %r, %shift : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q : tensor<1x4xi8>
}

