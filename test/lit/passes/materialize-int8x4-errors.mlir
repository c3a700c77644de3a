// RUN: tosaic-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(tosaic-materialize-int8x4))'

// A malformed packed type is refused before anything is lowered.
func.func @wrong_physical_shape(%x: tensor<1x5x7x3xi8>) {
  // expected-error@+1 {{'tosaic.pack_int8x4' op physical shape [1, 5, 7, 1, 4] does not match logical shape [1, 5, 7, 3] in layout 4W4C (expected [1, 5, 2, 1, 4])}}
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x7x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  return
}

// -----

// expected-error@+1 {{'func.func' op argument #0: physical shape [1, 5, 2, 2, 4] does not match logical shape [1, 5, 7, 3]}}
func.func @wrong_argument(%p: tensor<1x5x2x2x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) {
  return
}
