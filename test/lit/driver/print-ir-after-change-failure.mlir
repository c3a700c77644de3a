// --mlir-print-ir-after-change and --mlir-print-ir-after-failure, as in mlir-opt: the
// first only narrows other after-flags to the passes that changed the op they ran on;
// the second prints, after every pass, only if it failed (`IR Dump After X Failed`).
// Both apply to our Python passes as to upstream ones.

// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(cse,tosaic-fold-transposes,canonicalize))' --mlir-print-ir-after-all --mlir-print-ir-after-change -o /dev/null 2>&1 | filecheck %s --check-prefix=CHANGE
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(cse,tosaic-fold-transposes,canonicalize))' --mlir-print-ir-after=tosaic-fold-transposes --mlir-print-ir-after-change -o /dev/null 2>&1 | filecheck %s --check-prefix=CHANGE-SELECTED
// Alone it prints nothing (as mlir-opt).
// RUN: tosaic-opt %s --split-input-file --tosaic-fold-transposes --mlir-print-ir-after-change -o /dev/null 2>&1 | filecheck %s --check-prefix=NOTHING --allow-empty
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(cse,tosaic-verify-integer,canonicalize))' --mlir-print-ir-after-failure -o /dev/null 2>&1 | filecheck %s --check-prefix=FAILURE
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(cse,tosaic-verify-integer,canonicalize))' --mlir-print-ir-after-failure --mlir-print-ir-module-scope -o /dev/null 2>&1 | filecheck %s --check-prefix=FAILURE-MODULE

// NOTHING-NOT: {{.}}

// cse changes @cse_only; our pass and canonicalize change @transposes.
// CHANGE-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} //----- //
// CHANGE-NEXT: func.func @transposes(
// CHANGE-LABEL: // -----// IR Dump After CanonicalizerPass: canonicalize{{.*}} //----- //
// CHANGE-NEXT: func.func @transposes(
// CHANGE-LABEL: // -----// IR Dump After CSEPass: cse //----- //
// CHANGE-NEXT: func.func @cse_only(
// CHANGE-NOT: IR Dump

// CHANGE-SELECTED-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} //----- //
// CHANGE-SELECTED-NEXT: func.func @transposes(
// CHANGE-SELECTED-NOT: IR Dump

// The pass fails on the first function (and the pipeline stops); then on the chunk below.
// FAILURE-NOT: IR Dump
// FAILURE: error: 'tosa.transpose' op computes in floating point
// FAILURE-LABEL: // -----// IR Dump After VerifyInteger Failed: tosaic-verify-integer //----- //
// FAILURE-NEXT: func.func @transposes(
// FAILURE-NOT: IR Dump
// FAILURE: error: 'tosa.exp' op computes in floating point
// FAILURE-LABEL: // -----// IR Dump After VerifyInteger Failed: tosaic-verify-integer //----- //
// FAILURE-NEXT: func.func @float_op(
// FAILURE-NOT: IR Dump

// FAILURE-MODULE-LABEL: // -----// IR Dump After VerifyInteger Failed: tosaic-verify-integer ('func.func' operation: @transposes) //----- //
// FAILURE-MODULE-NEXT: module {
// FAILURE-MODULE-LABEL: // -----// IR Dump After VerifyInteger Failed: tosaic-verify-integer ('func.func' operation: @float_op) //----- //
// FAILURE-MODULE-NEXT: module {
func.func @transposes(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.clamp %1 {max_val = 10.0 : f32, min_val = 1.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2 : tensor<1x3x16x8xf32>
}
func.func @cse_only(%arg0: tensor<2xi8>) -> tensor<2xi8> {
  %0 = tosa.abs %arg0 : (tensor<2xi8>) -> tensor<2xi8>
  %1 = tosa.abs %arg0 : (tensor<2xi8>) -> tensor<2xi8>
  %2 = tosa.add %0, %1 : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  return %2 : tensor<2xi8>
}

// -----

func.func @float_op(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.exp %arg0 : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
