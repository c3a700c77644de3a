// IR dumps around passes go to stderr, as mlir-opt prints them: `// -----// IR Dump
// After <Name>: <pass with its options> //----- //`, then the op the pass ran on (a
// func.func pass prints the function, once per function), or the whole module with
// --mlir-print-ir-module-scope. The output on stdout is unchanged.

// RUN: tosaic-opt %s --tosaic-fold-transposes --canonicalize --mlir-print-ir-after=tosaic-fold-transposes --mlir-print-ir-before=canonicalize -o %t 2>&1 | filecheck %s --check-prefix=SELECTED
// RUN: filecheck %s --check-prefix=OUT --input-file=%t
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalize)' --mlir-print-ir-before=tosaic-fold-transposes -o %t 2>&1 | filecheck %s --check-prefix=BEFORE
// RUN: tosaic-opt %s --tosaic-fold-transposes --canonicalize --mlir-print-ir-after-all -o %t 2>&1 | filecheck %s --check-prefix=ALL
// RUN: filecheck %s --check-prefix=OUT --input-file=%t
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalize)' --mlir-print-ir-after=tosaic-fold-transposes --mlir-print-ir-module-scope -o %t 2>&1 | filecheck %s --check-prefix=MODULE-SCOPE
// A pass name that is not in the pipeline prints nothing.
// RUN: tosaic-opt %s --tosaic-fold-transposes --mlir-print-ir-after=cse --mlir-print-ir-before=canonicalize -o %t 2>&1 | filecheck %s --check-prefix=NONE --allow-empty

// Upstream passes only: the dumps are byte for byte those of the bundled mlir-opt
// (torch-mlir-opt), at function and at module scope.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(cse,canonicalize),cse)' --mlir-print-ir-after-all -o %t.ours 2> %t.ours.err
// RUN: torch-mlir-opt %s --pass-pipeline='builtin.module(func.func(cse,canonicalize),cse)' --mlir-print-ir-after-all --mlir-disable-threading -o %t.theirs 2> %t.theirs.err
// RUN: diff %t.ours %t.theirs
// RUN: diff %t.ours.err %t.theirs.err
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(cse,canonicalize),cse)' --mlir-print-ir-before-all --mlir-print-ir-module-scope -o %t.ours 2> %t.ours.err
// RUN: torch-mlir-opt %s --pass-pipeline='builtin.module(func.func(cse,canonicalize),cse)' --mlir-print-ir-before-all --mlir-print-ir-module-scope --mlir-disable-threading -o %t.theirs 2> %t.theirs.err
// RUN: diff %t.ours.err %t.theirs.err

// After our pass on each function: the transpose is sunk, the clamps not merged yet.
// Then canonicalize (a module pass, as a flag) prints the module.
// SELECTED-NOT: IR Dump Before
// SELECTED-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32} //----- //
// SELECTED-NEXT: {{^}}func.func @f(
// SELECTED-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x16x8x3xf32>)
// SELECTED-NEXT: tosa.clamp {{.*}}max_val = 1.000000e+01 : f32, min_val = 1.000000e+00 : f32
// SELECTED-NEXT: tosa.transpose
// SELECTED-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32} //----- //
// SELECTED-NEXT: {{^}}func.func @g(
// SELECTED-LABEL: // -----// IR Dump Before CanonicalizerPass: canonicalize{{{.*}}} //----- //
// SELECTED-NEXT: {{^}}module {
// SELECTED-NEXT: func.func @f(
// SELECTED-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// SELECTED-NEXT: tosa.clamp
// SELECTED-NOT: IR Dump

// BEFORE-LABEL: // -----// IR Dump Before FoldTransposes: tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32} //----- //
// BEFORE-NEXT: {{^}}func.func @f(
// BEFORE-NEXT: tosa.transpose %arg0
// BEFORE-LABEL: // -----// IR Dump Before FoldTransposes: tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32} //----- //
// BEFORE-NEXT: {{^}}func.func @g(
// BEFORE-NOT: IR Dump

// ALL-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} //----- //
// ALL-NEXT: {{^}}func.func @f(
// ALL-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// ALL-NEXT: tosa.clamp
// ALL-NEXT: tosa.transpose
// ALL-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} //----- //
// ALL-NEXT: {{^}}func.func @g(
// ALL-LABEL: // -----// IR Dump After CanonicalizerPass: canonicalize{{.*}} //----- //
// ALL-NEXT: {{^}}module {
// ALL-NEXT: func.func @f(
// ALL-NEXT: tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 1.000000e+00 : f32}
// ALL-NEXT: tosa.transpose
// ALL-NOT: IR Dump

// The whole module, with the op the pass ran on named in the header.
// MODULE-SCOPE-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} ('func.func' operation: @f) //----- //
// MODULE-SCOPE-NEXT: {{^}}module {
// MODULE-SCOPE-NEXT: func.func @f(
// MODULE-SCOPE-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} ('func.func' operation: @g) //----- //
// MODULE-SCOPE-NEXT: {{^}}module {
// MODULE-SCOPE-NOT: IR Dump

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
func.func @g(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
  %1 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
  %2 = tosa.add %0, %1 : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %2 : tensor<2xf32>
}
