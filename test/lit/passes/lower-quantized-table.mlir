// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table),canonicalize)' | filecheck %s
// LOWERING: table

// Sigmoid, input scale 1/16 zero point 0, output scale 1/256 zero point -128. Table
// entry i is the output code for input code i - 128 (hex byte i of the constant):
//   i = 0   (q = -128, x = -8):     sigmoid = 0.000335 -> round(0.086) - 128 = -128 = 0x80
//   i = 112 (q = -16,  x = -1):     sigmoid = 0.268941 -> round(68.849) - 128 = -59 = 0xC5
//   i = 128 (q = 0,    x = 0):      sigmoid = 0.5      -> 128 - 128 = 0           = 0x00
//   i = 144 (q = 16,   x = 1):      sigmoid = 0.731059 -> round(187.151) - 128 = 59 = 0x3B
//   i = 255 (q = 127,  x = 7.9375): sigmoid = 0.999643 -> 256 - 128, clamped to 127 = 0x7F
// CHECK-LABEL: func.func @sigmoid
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0x80{{([0-9A-F]{2}){111}C5([0-9A-F]{2}){15}00([0-9A-F]{2}){15}3B([0-9A-F]{2}){110}7F}}"> : tensor<256xi8>}>
// CHECK-NOT: tosa.sigmoid
// CHECK: %[[R:.*]] = tosa.table %arg0, %[[T]] : (tensor<1x4xi8>, tensor<256xi8>) -> tensor<1x4xi8>
// CHECK-NOT: tosaic.quantize
// CHECK: return %[[R]]
func.func @sigmoid(%arg0: tensor<1x4xi8>) -> tensor<1x4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %s = tosa.sigmoid %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q : tensor<1x4xi8>
}

// -----

// Hardswish as torch-mlir lowers it: x * clamp(x + 3, 0, 6) * (1/6), one region with
// two uses of x. Input scale 1/8, output scale 1/16, both zero point 0:
//   i = 0   (x = -16):     0                    -> 0x00
//   i = 104 (x = -3):      0                    -> 0x00
//   i = 120 (x = -1):      -1 * 2 / 6 = -0.3333 -> round(-5.33) = -5 = 0xFB
//   i = 136 (x = 1):       1 * 4 / 6 = 0.6667   -> round(10.67) = 11   = 0x0B
//   i = 152 (x = 3):       3                    -> 48                  = 0x30
//   i = 255 (x = 15.875):  15.875               -> 254, clamped to 127 = 0x7F
// CHECK-LABEL: func.func @hardswish
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0x00{{([0-9A-F]{2}){103}00([0-9A-F]{2}){15}FB([0-9A-F]{2}){15}0B([0-9A-F]{2}){15}30([0-9A-F]{2}){102}7F}}"> : tensor<256xi8>}>
// CHECK: tosa.table %arg0, %[[T]] : (tensor<1x2x2x4xi8>, tensor<256xi8>) -> tensor<1x2x2x4xi8>
// CHECK-NOT: tosa.clamp
// CHECK-NOT: tosa.mul
func.func @hardswish(%arg0: tensor<1x2x2x4xi8>) -> tensor<1x2x2x4xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %three = "tosa.const"() <{values = dense<3.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %sixth = "tosa.const"() <{values = dense<0.166666672> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.125>, zero_point = array<i64: 0>} : (tensor<1x2x2x4xi8>) -> tensor<1x2x2x4xf32>
  %a = tosa.add %x, %three : (tensor<1x2x2x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x2x2x4xf32>
  %c = tosa.clamp %a {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %m = tosa.mul %x, %c, %shift : (tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>, tensor<1xi8>) -> tensor<1x2x2x4xf32>
  %y = tosa.mul %m, %sixth, %shift : (tensor<1x2x2x4xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x2x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xi8>
  return %q : tensor<1x2x2x4xi8>
}

// -----

// A chain with comparisons and select (leaky relu, slope 0.25) is one table too:
// input scale 1/4, zero point 0, output the same; entries q -> q >= 0 ? q : round(q/4).
//   i = 0 (q = -128): -32 = 0xE0;  i = 126 (q = -2): round(-0.5) = 0 (half to even) = 0x00;
//   i = 127 (q = -1): round(-0.25) = 0 = 0x00;  i = 255 (q = 127): 127 = 0x7F
// CHECK-LABEL: func.func @leaky_relu
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0xE0{{([0-9A-F]{2}){125}0000([0-9A-F]{2}){127}7F}}"> : tensor<256xi8>}>
// CHECK: tosa.table %arg0, %[[T]]
// CHECK-NOT: tosa.select
func.func @leaky_relu(%arg0: tensor<8xi8>) -> tensor<8xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %slope = "tosa.const"() <{values = dense<0.25> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<8xi8>) -> tensor<8xf32>
  %p = tosa.greater_equal %x, %zero : (tensor<8xf32>, tensor<1xf32>) -> tensor<8xi1>
  %n = tosa.mul %x, %slope, %shift : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
  %y = tosa.select %p, %x, %n : (tensor<8xi1>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<8xf32>) -> tensor<8xi8>
  return %q : tensor<8xi8>
}

// -----

// Negative: a reduction inside the region is not elementwise; nothing becomes a table.
// CHECK-LABEL: func.func @reduction_stays
// CHECK-NOT: tosa.table
// CHECK: tosa.reduce_sum
// CHECK: "tosaic.quantize"
func.func @reduction_stays(%arg0: tensor<1x4xi8>) -> tensor<1x1xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %e = tosa.exp %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<1x4xf32>) -> tensor<1x1xf32>
  %t = tosa.tanh %s : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %q = "tosaic.quantize"(%t) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0078125>, zero_point = array<i64: 0>} : (tensor<1x1xf32>) -> tensor<1x1xi8>
  return %q : tensor<1x1xi8>
}

// -----

// Negative: a constant that is not a splat makes the function depend on the position.
// CHECK-LABEL: func.func @per_element_constant_stays
// CHECK-NOT: tosa.table
// CHECK: tosa.add
// CHECK: "tosaic.quantize"
func.func @per_element_constant_stays(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %c = "tosa.const"() <{values = dense<[0.0, 1.0, 2.0, 3.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %a = tosa.add %x, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = tosa.exp %a : (tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%e) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: -128>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// Negative: an intermediate float value used outside the region is not folded away.
// CHECK-LABEL: func.func @escaping_value_stays
// CHECK-NOT: tosa.table
// CHECK: tosa.exp
// CHECK: tosa.tanh
func.func @escaping_value_stays(%arg0: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xf32>) {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %e = tosa.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  %t = tosa.tanh %e : (tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%t) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0078125>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q, %e : tensor<4xi8>, tensor<4xf32>
}

// -----

// Negative: two quantized inputs (x * y) are not a function of one code.
// CHECK-LABEL: func.func @two_inputs_stay
// CHECK-NOT: tosa.table
// CHECK: tosa.sigmoid
func.func @two_inputs_stay(%arg0: tensor<4xi8>, %arg1: tensor<4xi8>) -> tensor<4xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %y = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %m = tosa.mul %x, %y, %shift : (tensor<4xf32>, tensor<4xf32>, tensor<1xi8>) -> tensor<4xf32>
  %s = tosa.sigmoid %m : (tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// int16 sigmoid over +-0.5: the two-table form already matches the quantized function at
// >= 99.5% of the codes, and auto takes the cheapest form that does.
// CHECK-LABEL: func.func @sigmoid_int16_narrow
// CHECK: %[[T1:.*]] = tosa.table %arg0
// CHECK-NEXT: %[[R1:.*]] = tosa.rescale %[[T1]]
// CHECK-NEXT: %[[T2:.*]] = tosa.table %arg0
// CHECK-NEXT: %[[SUM:.*]] = tosa.add %[[R1]], %[[T2]]
// CHECK-NEXT: %[[Y:.*]] = tosa.rescale %[[SUM]]
// CHECK-NEXT: return %[[Y]]
func.func @sigmoid_int16_narrow(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1.52590219e-05>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %s = tosa.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1.9e-05>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}

// -----

// int16 tanh over +-100: the quantized tanh is +-32767 for |x| > ~5.5, so the input is
// first zoomed by an exact integer RESCALE (18 = 2359296 * 2^-17), saturating to int16,
// and the quadratic form spans the part that varies.
// CHECK-LABEL: func.func @tanh_int16_wide
// CHECK-DAG: %[[ZM:.*]] = "tosa.const"() <{values = dense<2359296> : tensor<1xi32>}>
// CHECK-DAG: %[[ZS:.*]] = "tosa.const"() <{values = dense<17> : tensor<1xi8>}>
// CHECK-DAG: %[[Z16:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[U:.*]] = tosa.rescale %arg0, %[[ZM]], %[[ZS]], %[[Z16]], %[[Z16]] {{{.*}}scale32 = true} : (tensor<2x4xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi16>) -> tensor<2x4xi16>
// CHECK: %[[T1:.*]] = tosa.table %[[U]]
// CHECK: %[[H:.*]] = tosa.logical_left_shift %[[T1]]
// CHECK: %[[T2:.*]] = tosa.table %[[U]]
// CHECK: %[[T3:.*]] = tosa.table %[[U]]
// CHECK: %[[P:.*]] = tosa.mul %[[T2]], %[[T3]]
// CHECK: %[[SUM:.*]] = tosa.add %[[H]], %[[P]]
// CHECK: %[[Y:.*]] = tosa.rescale %[[SUM]]
// CHECK-NOT: tosa.tanh
// CHECK: return %[[Y]]
func.func @tanh_int16_wide(%arg0: tensor<2x4xi16>) -> tensor<2x4xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0518e-03>, zero_point = array<i64: 0>} : (tensor<2x4xi16>) -> tensor<2x4xf32>
  %t = tosa.tanh %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %q = "tosaic.quantize"(%t) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0518e-05>, zero_point = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<2x4xi16>
  return %q : tensor<2x4xi16>
}

// -----

// Negative: an int8 input with an int16 output is not a table (TOSA's TABLE keeps the
// width): left for the other lowerings / tosaic-verify-integer.
// CHECK-LABEL: func.func @int8_to_int16_stays
// CHECK: tosa.sigmoid
// CHECK: "tosaic.quantize"
func.func @int8_to_int16_stays(%arg0: tensor<1x8xi8>) -> tensor<1x8xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<1x8xi8>) -> tensor<1x8xf32>
  %s = tosa.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0e-05>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}

// -----

// A region of constants only (ExecuTorch's division by 3.0: the reciprocal of a quantized
// constant, quantized): folded to the one code the quantized program computes,
// round(1/3 / 0.0013071895809844136) - 128 = 127.
// CHECK-LABEL: func.func @constant_reciprocal
// CHECK: %[[C:.*]] = "tosa.const"() <{values = dense<127> : tensor<1x1x1x1xi8>}>
// CHECK-NOT: tosa.reciprocal
// CHECK-NOT: tosa.table
// CHECK: return %[[C]]
func.func @constant_reciprocal() -> tensor<1x1x1x1xi8> {
  %c = "tosa.const"() <{values = dense<127> : tensor<1x1x1x1xi8>}> : () -> tensor<1x1x1x1xi8>
  %d = "tosaic.dequantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.011764706112444401>, zero_point = array<i64: -128>} : (tensor<1x1x1x1xi8>) -> tensor<1x1x1x1xf32>
  %r = tosa.reciprocal %d : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  %q = "tosaic.quantize"(%r) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0013071895809844136>, zero_point = array<i64: -128>} : (tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xi8>
  return %q : tensor<1x1x1x1xi8>
}
