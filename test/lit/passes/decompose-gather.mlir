// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-decompose-gather))' | filecheck %s

// An int8 table of 3 rows x 2 channels, 4 indices: index - k against a constant row (int32),
// saturated to int8, a TABLE of "is zero" (the one-hot), convolved 1x1 with the table's codes
// as weights (transposed: [C, 1, 1, K]), rescaled by 1 back to int8.
// CHECK-LABEL: func.func @embedding_table
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[}}0, 1, 2]]]> : tensor<1x1x3xi32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}1, -3, 5]]], {{\[\[\[}}-2, 4, -6]]]]> : tensor<2x1x1x3xi8>}>
// CHECK: %[[COLUMN:.*]] = tosa.reshape %arg1
// CHECK-SAME: -> tensor<1x4x1xi32>
// CHECK: %[[D:.*]] = tosa.sub %[[COLUMN]]
// CHECK-SAME: -> tensor<1x4x3xi32>
// CHECK: %[[D4:.*]] = tosa.reshape %[[D]]
// CHECK: %[[SATURATED:.*]] = tosa.rescale %[[D4]]
// CHECK-SAME: -> tensor<1x1x4x3xi8>
// CHECK: %[[ONEHOT:.*]] = tosa.table %[[SATURATED]]
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[ONEHOT]]
// CHECK-SAME: -> tensor<1x1x4x2xi32>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[ACC]]
// CHECK-SAME: -> tensor<1x1x4x2xi8>
// CHECK-NOT: tosa.gather
// CHECK: %[[R:.*]] = tosa.reshape %[[OUT]]
// CHECK: return %[[R]] : tensor<1x4x2xi8>
func.func @embedding_table(%arg0: tensor<1x3x2xi8>, %arg1: tensor<1x4xi32>) -> tensor<1x4x2xi8> {
  %table = "tosa.const"() <{values = dense<[[[1, -2], [-3, 4], [5, -6]]]> : tensor<1x3x2xi8>}> : () -> tensor<1x3x2xi8>
  %0 = tosa.gather %table, %arg1 : (tensor<1x3x2xi8>, tensor<1x4xi32>) -> tensor<1x4x2xi8>
  return %0 : tensor<1x4x2xi8>
}

// -----

// A gather of an activation (not a constant) stays a GATHER.
// CHECK-LABEL: func.func @activation_values
// CHECK: tosa.gather
func.func @activation_values(%arg0: tensor<1x3x2xi8>, %arg1: tensor<1x4xi32>) -> tensor<1x4x2xi8> {
  %0 = tosa.gather %arg0, %arg1 : (tensor<1x3x2xi8>, tensor<1x4xi32>) -> tensor<1x4x2xi8>
  return %0 : tensor<1x4x2xi8>
}

// -----

// An int16 table stays a GATHER.
// CHECK-LABEL: func.func @int16_table
// CHECK: tosa.gather
func.func @int16_table(%arg1: tensor<1x4xi32>) -> tensor<1x4x2xi16> {
  %table = "tosa.const"() <{values = dense<[[[1, -2], [-3, 4], [5, -6]]]> : tensor<1x3x2xi16>}> : () -> tensor<1x3x2xi16>
  %0 = tosa.gather %table, %arg1 : (tensor<1x3x2xi16>, tensor<1x4xi32>) -> tensor<1x4x2xi16>
  return %0 : tensor<1x4x2xi16>
}
