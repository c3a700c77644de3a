// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-elementwise),canonicalize)' | filecheck %s
// LOWERING: where

// where(a > 0, a, b), a split over two dequantizes (PT2E gives each user its own): no
// comparison or SELECT (Ethos-U55 runs neither). The mask is a 0/1 TABLE of a; a and b
// are rounded to int32 output units (by 1 and 0.5) and b + mask * (a - b) picks one of
// them; a rescale by 1 adds the output zero point 3.
// CHECK-LABEL: func.func @where_gt
// CHECK-DAG: %[[ZY:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[MASK_TABLE:.*]] = "tosa.const"() <{values = dense<"0x0000{{[0-9A-F]*}}0101"> : tensor<256xi8>}>
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[MASK8:.*]] = tosa.table %arg0, %[[MASK_TABLE]] : (tensor<1x4x4x2xi8>, tensor<256xi8>) -> tensor<1x4x4x2xi8>
// CHECK: %[[MASK:.*]] = tosa.rescale %[[MASK8]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[D:.*]] = tosa.sub %[[A]], %[[B]]
// CHECK: %[[P:.*]] = tosa.mul %[[MASK]], %[[D]], %{{.*}}
// CHECK: %[[S:.*]] = tosa.add %[[B]], %[[P]]
// CHECK: %[[Y:.*]] = tosa.rescale %[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ZY]] {{.*}} -> tensor<1x4x4x2xi8>
// CHECK-NOT: tosa.select
// CHECK: return %[[Y]]
func.func @where_gt(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %a2 = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %c = tosa.greater %a, %zero : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xi1>
  %s = tosa.select %c, %a2, %b : (tensor<1x4x4x2xi1>, tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// masked_fill(x, x < 0, 0.5) over two dequantizes of x: one input, so the whole
// selection is one TABLE (0.5 at scale 0.5, zero point 1 is code 2).
// CHECK-LABEL: func.func @masked_fill_one_input
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0x0202{{[0-9A-F]*}}"> : tensor<256xi8>}>
// CHECK: %[[Y:.*]] = tosa.table %arg0, %[[T]]
// CHECK-NOT: tosa.select
// CHECK: return %[[Y]]
func.func @masked_fill_one_input(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %half = "tosa.const"() <{values = dense<0.5> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %a2 = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %c = tosa.greater %zero, %a : (tensor<1x1x1x1xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi1>
  %s = tosa.select %c, %half, %a2 : (tensor<1x4x4x2xi1>, tensor<1x1x1x1xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// where(a > b, a, b) comparing two tensors (Ethos-U55 runs no comparison): both rescaled
// to int32 at one common unit (a's scale 0.5 is the larger: exactly * 2**19), d = A - B,
// mask = min(max(d, 0), 1), then b + mask * (a - b) as above.
// CHECK-LABEL: func.func @where_two_tensor_greater
// CHECK: %[[A:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[B:.*]] = tosa.rescale %arg1, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[CA:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[CB:.*]] = tosa.rescale %arg1, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[D:.*]] = tosa.sub %[[CA]], %[[CB]]
// CHECK: %[[POS:.*]] = tosa.maximum %[[D]], %{{.*}} : (tensor<1x4x4x2xi32>, tensor<1x1x1x1xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[MASK:.*]] = tosa.minimum %[[POS]], %{{.*}} : (tensor<1x4x4x2xi32>, tensor<1x1x1x1xi32>) -> tensor<1x4x4x2xi32>
// CHECK: %[[AB:.*]] = tosa.sub %[[A]], %[[B]]
// CHECK: %[[P:.*]] = tosa.mul %[[MASK]], %[[AB]], %{{.*}}
// CHECK: tosa.add %[[B]], %[[P]]
// CHECK-NOT: tosa.greater
// CHECK-NOT: tosa.select
// CHECK: return
func.func @where_two_tensor_greater(%arg0: tensor<1x4x4x2xi8>, %arg1: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %a2 = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %b2 = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -2>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %c = tosa.greater %a, %b : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi1>
  %s = tosa.select %c, %a2, %b2 : (tensor<1x4x4x2xi1>, tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// where(tri, x, 0) with a constant boolean condition (tril's triangle): the mask is an
// int32 constant, no TABLE.
// CHECK-LABEL: func.func @where_constant_condition
// CHECK-DAG: %[[MASK:.*]] = "tosa.const"() <{values = dense<{{\[\[}}[1, 0], [1, 1]]]> : tensor<1x2x2xi32>}>
// CHECK: %[[P:.*]] = tosa.mul %[[MASK]], %{{.*}}, %{{.*}}
// CHECK-NOT: tosa.table
// CHECK-NOT: tosa.select
// CHECK: return
func.func @where_constant_condition(%arg0: tensor<1x2x2xi8>) -> tensor<1x2x2xi8> {
  %tri = "tosa.const"() <{values = dense<[[[true, false], [true, true]]]> : tensor<1x2x2xi1>}> : () -> tensor<1x2x2xi1>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2xi8>) -> tensor<1x2x2xf32>
  %s = tosa.select %tri, %x, %zero : (tensor<1x2x2xi1>, tensor<1x2x2xf32>, tensor<1x1x1xf32>) -> tensor<1x2x2xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 1>} : (tensor<1x2x2xf32>) -> tensor<1x2x2xi8>
  return %q : tensor<1x2x2xi8>
}
