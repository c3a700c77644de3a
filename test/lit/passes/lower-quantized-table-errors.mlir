// RUN: not tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table))' 2>&1 | filecheck %s

// Diagnostic: TOSA needs int16 zero points of 0, so an asymmetric int16 tanh is refused at
// its quantize, naming the reason.
// CHECK: lower-quantized-table-errors.mlir:[[# @LINE + 4]]:8: error: 'tosaic.quantize' op cannot be an int16 table: TOSA needs int16 zero points of 0
func.func @int16_zero_point(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 12>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %t = tosa.tanh %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%t) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 3.1e-05>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}
// CHECK-NOT: Traceback
