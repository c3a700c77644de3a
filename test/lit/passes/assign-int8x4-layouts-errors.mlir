// RUN: tosaic-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts{layout=4X4C}))'
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts{graph-io=4H4C}))' 2>&1 | filecheck %s --check-prefix=IO
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts{padding=half}))' 2>&1 | filecheck %s --check-prefix=PAD

// Unknown option values are refused at the function.
// IO: error: 'func.func' op unknown graph-io layout '4H4C'; choices: none, 4W4C, 4H4W
// PAD: error: 'func.func' op padding must be zero-point or an integer, not 'half'
// expected-error@+1 {{'func.func' op unknown layout '4X4C'; choices: by-consumer, none, 4W4C, 4H4W}}
func.func @f(%x: tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8> {
  return %x : tensor<1x5x7x3xi8>
}
