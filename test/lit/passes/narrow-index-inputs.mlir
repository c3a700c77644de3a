// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(tosaic-narrow-index-inputs)' | filecheck %s

// torch-mlir's embedding: the int64 token ids reshaped, then cast to int32 for the GATHER.
// The input becomes int32, the reshape with it, and the cast goes.
// CHECK-LABEL: func.func @token_ids
// CHECK-SAME: (%arg0: tensor<2x7xi32>) -> tensor<1x14x4xf32>
// CHECK: %[[IDS:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<2x7xi32>, !tosa.shape<2>) -> tensor<1x14xi32>
// CHECK-NOT: tosa.cast
// CHECK: tosa.gather %{{.*}}, %[[IDS]]
func.func @token_ids(%arg0: tensor<2x7xi64>) -> tensor<1x14x4xf32> {
  %table = "tosa.const"() <{values = dense<1.0> : tensor<1x10x4xf32>}> : () -> tensor<1x10x4xf32>
  %shape = tosa.const_shape {values = dense<[1, 14]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.reshape %arg0, %shape : (tensor<2x7xi64>, !tosa.shape<2>) -> tensor<1x14xi64>
  %1 = tosa.cast %0 : (tensor<1x14xi64>) -> tensor<1x14xi32>
  %2 = tosa.gather %table, %1 : (tensor<1x10x4xf32>, tensor<1x14xi32>) -> tensor<1x14x4xf32>
  return %2 : tensor<1x14x4xf32>
}

// -----

// An int64 input used as int64 (here added to itself) stays int64.
// CHECK-LABEL: func.func @int64_arithmetic
// CHECK-SAME: (%arg0: tensor<4xi64>, %arg1: tensor<4xi64>) -> tensor<4xi64>
// CHECK: tosa.add
func.func @int64_arithmetic(%arg0: tensor<4xi64>, %arg1: tensor<4xi64>) -> tensor<4xi64> {
  %0 = tosa.add %arg0, %arg1 : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// A float input is not touched.
// CHECK-LABEL: func.func @float_input
// CHECK-SAME: (%arg0: tensor<4xf32>) -> tensor<4xf32>
func.func @float_input(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  return %arg0 : tensor<4xf32>
}
