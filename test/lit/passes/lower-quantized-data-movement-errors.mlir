// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-data-movement))' --verify-diagnostics

// Diagnostic: TOSA's RESCALE needs int16 zero points of 0 (a16w8 is symmetric); an
// asymmetric int16 quantization is refused at the quantize, naming the reason.
func.func @int16_zero_point(%arg0: tensor<2x3xi8>) -> tensor<2x3xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  // expected-error@+1 {{'tosaic.quantize' op cannot requantize: RESCALE int16 zero point must be 0, got 5}}
  %q = "tosaic.quantize"(%x) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.001953125>, zero_point = array<i64: 5>} : (tensor<2x3xf32>) -> tensor<2x3xi16>
  return %q : tensor<2x3xi16>
}
