// RUN: not tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-verify-integer))' 2>&1 | filecheck %s

// Every float op and left-over Q/DQ is named at its own line, and the pass fails.
// CHECK: verify-integer.mlir:10:8: error: 'tosaic.dequantize' op dequantizes into float computation that has no integer lowering
// CHECK: verify-integer.mlir:11:8: error: 'tosa.exp' op computes in floating point, which TOSA's integer profile does not allow
// CHECK: verify-integer.mlir:12:8: error: 'tosaic.quantize' op quantizes the float result of tosa.exp, which has no integer lowering
// CHECK-NOT: error
// CHECK-NOT: Traceback
func.func @main(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %e = tosa.exp %d : (tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%e) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}
