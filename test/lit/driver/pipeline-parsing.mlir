// The pipeline syntaxes tosaic-opt accepts, all on the same input: a transpose that
// tosaic-fold-transposes sinks below two clamps, which canonicalize (only) merges.

// mlir-opt's anchored syntax, with an option of our pass.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{sink=false}),canonicalize)' | filecheck %s --check-prefix=NOSINK-CANON
// A bare list is anchored on builtin.module.
// RUN: tosaic-opt %s --pass-pipeline='func.func(tosaic-fold-transposes{sink=false}),canonicalize' | filecheck %s --check-prefix=NOSINK-CANON
// Spaces and option quoting as mlir-opt allows them.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module( func.func( tosaic-fold-transposes{ sink=0 max-iterations=4 } ) , canonicalize{max-iterations=3} )' | filecheck %s --check-prefix=NOSINK-CANON
// A bare single upstream pass.
// RUN: tosaic-opt %s --pass-pipeline='canonicalize' | filecheck %s --check-prefix=NOSINK-CANON
// An empty pipeline and no pipeline at all only round-trip the IR.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module()' | filecheck %s --check-prefix=NONE
// RUN: tosaic-opt %s | filecheck %s --check-prefix=NONE

// Per-pass flags, in order, with options after '='; a func.func pass nests itself.
// RUN: tosaic-opt %s --tosaic-fold-transposes --canonicalize | filecheck %s --check-prefix=SINK-CANON
// RUN: tosaic-opt %s --tosaic-fold-transposes=sink=false | filecheck %s --check-prefix=NOSINK
// RUN: tosaic-opt %s '--tosaic-fold-transposes=sink=false max-iterations=4' --canonicalize | filecheck %s --check-prefix=NOSINK-CANON
// RUN: tosaic-opt %s --tosaic-fold-transposes --dump-pass-pipeline -o %t 2>&1 | filecheck %s --check-prefix=DUMP-OURS
// RUN: tosaic-opt %s --tosa-layerwise-constant-fold --canonicalize --dump-pass-pipeline -o %t 2>&1 | filecheck %s --check-prefix=DUMP-UPSTREAM
// RUN: filecheck %s --check-prefix=CONST-FOLD --input-file=%t

// NONE-LABEL: func.func @f(
// NONE-NEXT: tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>}
// NONE-NEXT: tosa.clamp {{.*}}max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32
// NONE-NEXT: tosa.clamp {{.*}}max_val = 1.000000e+01 : f32, min_val = 1.000000e+00 : f32
// NONE-NEXT: return

// NOSINK-LABEL: func.func @f(
// NOSINK-NEXT: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>}
// NOSINK-NEXT: %[[C:.*]] = tosa.clamp %[[T]] {{.*}}max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32
// NOSINK-NEXT: tosa.clamp %[[C]] {{.*}}max_val = 1.000000e+01 : f32, min_val = 1.000000e+00 : f32
// NOSINK-NEXT: return

// NOSINK-CANON-LABEL: func.func @f(
// NOSINK-CANON-NEXT: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
// NOSINK-CANON-NEXT: %[[C:.*]] = tosa.clamp %[[T]] {max_val = 6.000000e+00 : f32, min_val = 1.000000e+00 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
// NOSINK-CANON-NEXT: return %[[C]]

// SINK-CANON-LABEL: func.func @f(
// SINK-CANON-NEXT: %[[C:.*]] = tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 1.000000e+00 : f32} : (tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32>
// SINK-CANON-NEXT: %[[T:.*]] = tosa.transpose %[[C]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
// SINK-CANON-NEXT: return %[[T]]
func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.clamp %1 {max_val = 10.0 : f32, min_val = 1.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2 : tensor<1x3x16x8xf32>
}

// tosaic-fold-transposes and tosa-layerwise-constant-fold run on func.func only; as
// flags they are nested for us.
// DUMP-OURS: {{^}}builtin.module(func.func(tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32})){{$}}
// DUMP-UPSTREAM: builtin.module(func.func(tosa-layerwise-constant-fold{aggressive-reduce-constant=false}),canonicalize{

// CONST-FOLD-LABEL: func.func @g(
// CONST-FOLD-NEXT: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>}>
// CONST-FOLD-NOT: tosa.transpose
// CONST-FOLD: return %[[C]]
func.func @g() -> tensor<2x2xf32> {
  %0 = "tosa.const"() <{values = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>}> : () -> tensor<2x2xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %1 : tensor<2x2xf32>
}
