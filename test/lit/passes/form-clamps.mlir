// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-form-clamps))' | filecheck %s

// relu6 as torch-mlir lowers it: minimum(maximum(x, 0), 6) becomes one clamp [0, 6].
// CHECK-LABEL: func.func @relu6
// CHECK: %[[C:.*]] = tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// CHECK-NOT: tosa.maximum
// CHECK-NOT: tosa.minimum
// CHECK: return %[[C]]
func.func @relu6(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %lo = "tosa.const"() <{values = dense<0.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %hi = "tosa.const"() <{values = dense<6.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %a = tosa.maximum %arg0, %lo : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  %b = tosa.minimum %a, %hi : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  return %b : tensor<1x4xf32>
}

// -----

// Negative: a non-splat bound is a real elementwise maximum.
// CHECK-LABEL: func.func @not_splat
// CHECK: tosa.maximum
// CHECK-NOT: tosa.clamp
func.func @not_splat(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %lo = "tosa.const"() <{values = dense<[0.0, 1.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %a = tosa.maximum %arg0, %lo : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %a : tensor<2xf32>
}
