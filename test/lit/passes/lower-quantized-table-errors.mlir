// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table))' --verify-diagnostics
// RUN: not tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table{int16-form=cubic}))' 2>&1 | filecheck %s --check-prefix=FORM

// Diagnostic: TOSA needs int16 zero points of 0, so an asymmetric int16 tanh is refused at
// its quantize, naming the reason.
func.func @int16_zero_point(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 12>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %t = tosa.tanh %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // expected-error@+1 {{'tosaic.quantize' op cannot be an int16 table: TOSA needs int16 zero points of 0}}
  %q = "tosaic.quantize"(%t) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 3.1e-05>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}

// -----

// Diagnostic: floor over int16 codes steps by a whole output LSB every ~0.8 input codes;
// the 513-entry table interpolates between knots 128 codes apart and no form gets within
// 1 LSB: refused with the best form's figures rather than lowered to wrong numbers.
func.func @int16_step(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 2.0e-03>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %f = tosa.floor %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  // expected-error-re@+1 {{'tosaic.quantize' op cannot be an int16 table: the closest form ({{.*}}) is {{[0-9]+}} LSB off the quantized function at some input code ({{.*}}% exact); the 513-entry table interpolates between knots 128 input codes apart, which a kink or step between them defeats}}
  %q = "tosaic.quantize"(%f) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 2.0e-03>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}

// An unknown int16-form is an error naming the choices.
// FORM: error: 'func.func' op tosaic-lower-quantized-table: unknown int16-form 'cubic' (auto, one-table, two-table, quadratic)
// FORM-NOT: Traceback

// -----

// prelu with slopes on both sides of 1: no two-branch form, refused at the op.
func.func @prelu_mixed(%arg0: tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[0.5]], [[2.0]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zero = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.028>, zero_point = array<i64: 0>} : (tensor<1x2x4x4xi8>) -> tensor<1x2x4x4xf32>
  %gt = tosa.greater %x, %zero : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x2x4x4xi1>
  %wx = tosa.mul %w, %x, %shift : (tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32>, tensor<1xi8>) -> tensor<1x2x4x4xf32>
  %sel = tosa.select %gt, %x, %wx : (tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{prelu with slopes both below and above 1 has no two-branch integer form}}
  %q = "tosaic.quantize"(%sel) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.08>, zero_point = array<i64: 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xi8>
  return %q : tensor<1x2x4x4xi8>
}
