// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-norm),canonicalize)' | filecheck %s
// LOWERING: quantized_constant

// ExecuTorch's batch norm quantizes its eps (an `aten.full`, an arith.constant after
// torch-mlir): the quantized constant is the integer constant, quantized as torch does:
// round(1e-5 / 1.52587890625e-5) - 128 = 1 - 128 = -127.
// CHECK-LABEL: func.func @quantized_eps
// CHECK: %[[C:.*]] = "tosa.const"() <{values = dense<-127> : tensor<1x1xi8>}>
// CHECK: return %[[C]]
func.func @quantized_eps() -> tensor<1x1xi8> {
  %cst = arith.constant dense<9.99999974E-6> : tensor<1x1xf32>
  %q = "tosaic.quantize"(%cst) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.52587890625E-5>, zero_point = array<i64: -128>} : (tensor<1x1xf32>) -> tensor<1x1xi8>
  return %q : tensor<1x1xi8>
}
