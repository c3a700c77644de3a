// IR printing around passes goes to stderr; the output on stdout is unchanged.

// RUN: tosaic-opt %s --tosaic-fold-transposes --canonicalize --mlir-print-ir-after=tosaic-fold-transposes --mlir-print-ir-before=canonicalize -o %t 2>&1 | filecheck %s --check-prefix=SELECTED
// RUN: filecheck %s --check-prefix=OUT --input-file=%t
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalize)' --mlir-print-ir-before=tosaic-fold-transposes -o %t 2>&1 | filecheck %s --check-prefix=BEFORE
// RUN: tosaic-opt %s --tosaic-fold-transposes --canonicalize --mlir-print-ir-after-all -o %t 2>&1 | filecheck %s --check-prefix=ALL
// RUN: filecheck %s --check-prefix=OUT --input-file=%t
// A pass name that is not in the pipeline prints nothing.
// RUN: tosaic-opt %s --tosaic-fold-transposes --mlir-print-ir-after=cse --mlir-print-ir-before=canonicalize -o %t 2>&1 | filecheck %s --check-prefix=NONE --allow-empty

// After our pass the transpose is sunk, but the two clamps are not merged yet.
// SELECTED-NOT: IR Dump Before
// SELECTED: // -----// IR Dump After tosaic-fold-transposes //----- //
// SELECTED-NEXT: module {
// SELECTED-NEXT: func.func @f(
// SELECTED-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x16x8x3xf32>)
// SELECTED-NEXT: tosa.clamp {{.*}}max_val = 1.000000e+01 : f32, min_val = 1.000000e+00 : f32
// SELECTED-NEXT: tosa.transpose
// SELECTED: // -----// IR Dump Before canonicalize //----- //
// SELECTED-NEXT: module {
// SELECTED-NEXT: func.func @f(
// SELECTED-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// SELECTED-NEXT: tosa.clamp
// SELECTED-NOT: IR Dump

// BEFORE: // -----// IR Dump Before tosaic-fold-transposes //----- //
// BEFORE-NEXT: module {
// BEFORE-NEXT: func.func @f(
// BEFORE-NEXT: tosa.transpose %arg0
// BEFORE-NOT: IR Dump

// ALL: // -----// IR Dump After {{.*}}tosaic-fold-transposes{{.*}} //----- //
// ALL-NEXT: module {
// ALL-NEXT: func.func @f(
// ALL-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// ALL-NEXT: tosa.clamp
// ALL-NEXT: tosa.transpose
// ALL: // -----// IR Dump After {{.*}}canonicalize{{.*}} //----- //
// ALL-NEXT: module {
// ALL-NEXT: func.func @f(
// ALL-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 1.000000e+00 : f32}
// ALL-NEXT: tosa.transpose
// ALL-NOT: IR Dump

// NONE-NOT: IR Dump

// OUT-NOT: IR Dump
// OUT: module {
// OUT-NEXT: func.func @f(
// OUT-NEXT: %[[C:.*]] = tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 1.000000e+00 : f32}
// OUT-NEXT: tosa.transpose %[[C]] {perms = array<i32: 0, 3, 1, 2>}
func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.clamp %1 {max_val = 10.0 : f32, min_val = 1.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2 : tensor<1x3x16x8xf32>
}
