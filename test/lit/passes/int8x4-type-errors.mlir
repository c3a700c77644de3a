// RUN: tosaic-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(tosaic-fold-int8x4))'

// The packed int8x4 type's verifier. IRDL rejects an unknown layout and an element type
// other than i8 when the IR is parsed; the int8x4 passes reject the rest (the i32
// container, the physical shape, the layout's rank, the ops' types) before they run.

// expected-error@+1 {{'"4C4W"' does not satisfy the constraint}}
func.func @unknown_layout(%p: tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4C4W", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) {
  return
}

// -----

// expected-error@+1 {{expected 'i8' but got 'i16'}}
func.func @wrong_element(%p: tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i16, 0 : i64>>) {
  return
}

// -----

func.func @physical_shape_mismatch(%x: tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8> {
  // expected-error@+1 {{'tosaic.pack_int8x4' op physical shape [1, 5, 2, 2, 4] does not match logical shape [1, 5, 7, 3] in layout 4W4C (expected [1, 5, 2, 1, 4])}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x2x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  // expected-error@+1 {{'tosaic.unpack_int8x4' op physical shape [1, 5, 2, 2, 4] does not match logical shape}}
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x2x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  return %u : tensor<1x5x7x3xi8>
}

// -----

func.func @container_not_i32(%x: tensor<1x5x7x3xi8>) {
  // expected-error@+1 {{'tosaic.pack_int8x4' op holds packed int8x4 words in i16; the container must be i32}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi16, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  return
}

// -----

func.func @layout_rank(%x: tensor<5x7xi8>) {
  // expected-error@+1 {{'tosaic.pack_int8x4' op layout 4W4C does not apply to the rank-2 logical shape [5, 7]}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<5x7xi8>) -> tensor<2x2x4xi32, #tosaic.int8x4<"4W4C", array<i64: 5, 7>, i8, 0 : i64>>
  return
}

// -----

func.func @operand_not_logical(%x: tensor<1x5x7x4xi8>) {
  // expected-error@+1 {{'tosaic.pack_int8x4' op operand type tensor<1x5x7x4xi8> is not the logical type tensor<1x5x7x3xi8>}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x4xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  return
}

// -----

func.func @unpack_of_plain(%w: tensor<1x5x2x1x4xi32>) {
  // expected-error@+1 {{'tosaic.unpack_int8x4' op operand must be a packed int8x4 tensor, not tensor<1x5x2x1x4xi32>}}
  %u = "tosaic.unpack_int8x4"(%w) : (tensor<1x5x2x1x4xi32>) -> tensor<1x5x7x3xi8>
  return
}

// -----

func.func @padding_not_int8(%x: tensor<1x5x7x3xi8>) {
  // expected-error@+1 {{'tosaic.pack_int8x4' op padding 200 is not an int8 value}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 200 : i64>>
  return
}

// -----

func.func @float_shape(%x: tensor<1x5x7x3xi8>) {
  // expected-error@+1 {{'tosaic.pack_int8x4' op the logical shape of tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<f64: 1.000000e+00>, i8, 0 : i64>> must be an array<i64: ...>}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<f64: 1.0>, i8, 0 : i64>>
  return
}
