// --mlir-print-debuginfo prints locations naming the input file (or <stdin>), with the
// line and column of the op in that file. A sunk op keeps its location.

// RUN: tosaic-opt %s --tosaic-fold-transposes --mlir-print-debuginfo | filecheck %s
// RUN: tosaic-opt --tosaic-fold-transposes --mlir-print-debuginfo < %s | filecheck %s --check-prefix=STDIN
// RUN: tosaic-opt - --tosaic-fold-transposes --mlir-print-debuginfo < %s | filecheck %s --check-prefix=STDIN
// The IR printed after a pass (the function it ran on) names the file too.
// RUN: tosaic-opt %s --tosaic-fold-transposes --mlir-print-debuginfo --mlir-print-ir-after=tosaic-fold-transposes -o %t 2>&1 | filecheck %s --check-prefix=AFTER
// Without the flag, no locations.
// RUN: tosaic-opt %s --tosaic-fold-transposes | filecheck %s --check-prefix=NOLOC

// CHECK-NOT: loc("-"
// CHECK: tosa.clamp %arg0 {{.*}} loc([[CLAMP:#loc[0-9]*]])
// CHECK: [[CLAMP]] = loc("{{.*}}debuginfo.mlir":[[# @LINE + 17]]:8)
// CHECK-NOT: loc("-"

// STDIN-NOT: loc("-"
// STDIN: tosa.clamp %arg0 {{.*}} loc([[CLAMP:#loc[0-9]*]])
// STDIN: [[CLAMP]] = loc("<stdin>":[[# @LINE + 12]]:8)
// STDIN-NOT: loc("-"

// AFTER: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} //----- //
// AFTER-NEXT: func.func @f(
// AFTER-NEXT: tosa.clamp %arg0 {{.*}} loc("{{.*}}debuginfo.mlir":[[# @LINE + 7]]:8)

// NOLOC-NOT: loc(
// NOLOC: tosa.clamp %arg0
// NOLOC-NOT: loc(
func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}
