// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized),canonicalize)' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized{only=elementwise}),canonicalize)' | filecheck %s --check-prefix=ONLY
// RUN: not tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized{only=elementwise,convs}))' 2>&1 | filecheck %s --check-prefix=UNKNOWN

// The one lowering pass runs every family in the registry's phase order: here the add
// (elementwise phase) and the sigmoid after it (table phase). `only=` runs the named
// families alone; an unknown family is an error naming the known ones.
// LOWERING: add, table
// CHECK-LABEL: func.func @add_then_sigmoid
// CHECK: tosa.add {{.*}} -> tensor<4xi32>
// CHECK: tosa.table
// CHECK-NOT: tosaic.
// ONLY-LABEL: func.func @add_then_sigmoid
// ONLY: tosa.add {{.*}} -> tensor<4xi32>
// ONLY: tosa.sigmoid
// UNKNOWN: error: 'func.func' op tosaic-lower-quantized: unknown family convs (known: {{.*}})
func.func @add_then_sigmoid(%arg0: tensor<4xi8>, %arg1: tensor<4xi8>) -> tensor<4xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %s = tosa.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  %d = "tosaic.dequantize"(%q) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %y = tosa.sigmoid %d : (tensor<4xf32>) -> tensor<4xf32>
  %r = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<4xf32>) -> tensor<4xi8>
  return %r : tensor<4xi8>
}
