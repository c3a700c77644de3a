// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table),canonicalize)' | filecheck %s
// LOWERING: abs, table

// int8 abs of a graph input: RESCALE to int32 (x - 3, exactly: 2^30 >> 30), ABS, RESCALE
// by (1/16) / (1/32) = 2 (2^30 >> 29) to zero point -128. It is the table's output at
// every code: 2 |q - 3| - 128, saturated at 127 like the quantize.
// CHECK-LABEL: func.func @abs_of_graph_input
// CHECK-DAG: %[[OUT_ZP:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK-DAG: %[[SHIFT2:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK-DAG: %[[ZP32:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK-DAG: %[[IN_ZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[SHIFT1:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK: %[[W:.*]] = tosa.rescale %arg0, %[[M]], %[[SHIFT1]], %[[IN_ZP]], %[[ZP32]] {{.*}} -> tensor<1x4xi32>
// CHECK: %[[A:.*]] = tosa.abs %[[W]] : (tensor<1x4xi32>) -> tensor<1x4xi32>
// CHECK: %[[R:.*]] = tosa.rescale %[[A]], %[[M]], %[[SHIFT2]], %[[ZP32]], %[[OUT_ZP]] {{.*}} -> tensor<1x4xi8>
// CHECK-NOT: tosa.table
// CHECK: return %[[R]]
func.func @abs_of_graph_input(%arg0: tensor<1x4xi8>) -> tensor<1x4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 3>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %a = tosa.abs %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%a) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: -128>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q : tensor<1x4xi8>
}

// -----

// The same abs after an integer op: Vela fuses a TABLE into its producer's output, so
// the table entry takes it (entries 2 |q - 3| - 128: i = 0 (q = -128) saturates to
// 0x7F, i = 131 (q = 3) is 0x80, i = 255 (q = 127) is 248 - 128 = 0x78).
// CHECK-LABEL: func.func @abs_after_pool
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0x7F{{([0-9A-F]{2}){130}80([0-9A-F]{2}){123}78}}"> : tensor<256xi8>}>
// CHECK-NOT: tosa.abs
// CHECK: tosa.table %{{.*}}, %[[T]]
func.func @abs_after_pool(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %p = tosa.max_pool2d %arg0 {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
  %x = "tosaic.dequantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 3>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xf32>
  %a = tosa.abs %x : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%a) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03125>, zero_point = array<i64: -128>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %q : tensor<1x2x2x2xi8>
}

// -----

// Where the ABS form would round differently from the program it is not used: by
// (1/16) / (1/8) = 1/2, |q| = 1 is 0.5, which RESCALE rounds up to 1 and the program's
// quantize to even, 0. The table gives the program's 0 (i = 129 and i = 127: 0x00).
// CHECK-LABEL: func.func @abs_rounding_tie
// CHECK: %[[T:.*]] = "tosa.const"() <{values = dense<"0x{{([0-9A-F]{2}){127}000000([0-9A-F]{2}){126}"}}> : tensor<256xi8>}>
// CHECK-NOT: tosa.abs
// CHECK: tosa.table %arg0, %[[T]]
func.func @abs_rounding_tie(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0625>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  %a = tosa.abs %x : (tensor<4xf32>) -> tensor<4xf32>
  %q = "tosaic.quantize"(%a) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.125>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// int16 (zero points 0): the ABS form wherever the input comes from (here a maximum),
// as it is several times faster than the int16 table forms. Ratio (1/256) / (1/512) = 2,
// saturated at 32767 like the quantize: no clamp.
// CHECK-LABEL: func.func @abs_int16
// CHECK: tosa.rescale %{{.*}} -> tensor<1x8xi32>
// CHECK: tosa.abs %{{.*}} : (tensor<1x8xi32>) -> tensor<1x8xi32>
// CHECK: %[[R:.*]] = tosa.rescale %{{.*}} -> tensor<1x8xi16>
// CHECK-NOT: tosa.clamp
// CHECK-NOT: tosa.table
// CHECK: return %[[R]]
func.func @abs_int16(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %p = tosa.maximum %arg0, %arg0 : (tensor<1x8xi16>, tensor<1x8xi16>) -> tensor<1x8xi16>
  %x = "tosaic.dequantize"(%p) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %a = tosa.abs %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%a) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001953125>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}
