// RUN: tosaic-opt %s | tosaic-opt | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-int8x4))' | filecheck %s --check-prefix=VERIFIED

// The packed int8x4 type (an encoding on the i32 words: layout, logical shape, element,
// padding) and its pack/unpack ops print and parse back unchanged.

// CHECK-LABEL: func.func @round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8>
// CHECK: %[[P:.*]] = "tosaic.pack_int8x4"(%[[X]]) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>
// CHECK: %[[U:.*]] = "tosaic.unpack_int8x4"(%[[P]]) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>) -> tensor<1x5x7x3xi8>
// CHECK: return %[[U]]
// VERIFIED-LABEL: func.func @round_trip
func.func @round_trip(%x: tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8> {
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>) -> tensor<1x5x7x3xi8>
  return %u : tensor<1x5x7x3xi8>
}

// -----

// 4H4W on a matmul operand [B, H, W]: blocks of 4 rows x 4 columns, as a graph input.
// CHECK-LABEL: func.func @matmul_operand
// CHECK-SAME: tensor<1x2x2x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7>, i8, 0 : i64>>
// VERIFIED-LABEL: func.func @matmul_operand
func.func @matmul_operand(%w: tensor<1x2x2x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7>, i8, 0 : i64>>) -> tensor<1x5x7xi8> {
  %u = "tosaic.unpack_int8x4"(%w) : (tensor<1x2x2x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7>, i8, 0 : i64>>) -> tensor<1x5x7xi8>
  return %u : tensor<1x5x7xi8>
}
