// Flags take one dash as well as two, as LLVM's command line (and so mlir-opt) takes
// them: tosaic-opt's own flags, pass flags with options, and `-o=FILE`.

// RUN: tosaic-opt %s -split-input-file -tosaic-fold-transposes -canonicalize=max-iterations=3 -o %t
// RUN: filecheck %s --input-file=%t
// RUN: tosaic-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalize)' -o=%t.eq
// RUN: filecheck %s --input-file=%t.eq
// RUN: tosaic-opt %s -split-input-file -tosaic-fold-transposes=sink=false -dump-pass-pipeline -o %t 2>&1 | filecheck %s --check-prefix=DUMP
// RUN: tosaic-opt %s -split-input-file -tosaic-fold-transposes -mlir-print-ir-after=tosaic-fold-transposes -mlir-print-ir-module-scope -o %t 2>&1 | filecheck %s --check-prefix=PRINT
// RUN: tosaic-opt %s -split-input-file -verify-diagnostics -tosaic-fold-transposes -o %t
// RUN: tosaic-opt %s -split-input-file -verify-each=false -mlir-disable-threading -tosaic-fold-transposes -o %t
// An unknown single-dash flag is named with its two dashes.
// RUN: %expect-exit 1 tosaic-opt %s -canonicalise 2>&1 | filecheck %s --check-prefix=UNKNOWN

// CHECK-LABEL: func.func @f(
// CHECK-NEXT: %[[C:.*]] = tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 1.000000e+00 : f32}
// CHECK-NEXT: tosa.transpose %[[C]]
// CHECK: // -----
// CHECK-LABEL: func.func @g(
// CHECK-NEXT: return %arg0

// DUMP: {{^}}builtin.module(func.func(tosaic-fold-transposes{sink=false hoist-off-wide=false max-iterations=32})){{$}}

// PRINT-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} ('func.func' operation: @f) //----- //
// PRINT-NEXT: module {

// UNKNOWN: tosaic-opt: error: unknown option or pass '--canonicalise'; did you mean 'canonicalize'?
func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.clamp %1 {max_val = 10.0 : f32, min_val = 1.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2 : tensor<1x3x16x8xf32>
}

// -----

func.func @g(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}
