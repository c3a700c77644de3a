// Python and upstream passes run in one PassManager, in pipeline order.

// Sinking through the add transposes the constant operand; tosa-layerwise-constant-fold
// folds that transpose only when it runs after tosaic-fold-transposes.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes,tosa-layerwise-constant-fold),canonicalize)' | filecheck %s --check-prefix=OURS-FIRST
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosa-layerwise-constant-fold,tosaic-fold-transposes))' | filecheck %s --check-prefix=UPSTREAM-FIRST
// The same order from per-pass flags.
// RUN: tosaic-opt %s --tosaic-fold-transposes --tosa-layerwise-constant-fold | filecheck %s --check-prefix=OURS-FIRST

// The pipeline as run, on stderr: our pass nested between two upstream passes in one
// func.func pipeline, every option spelled out.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(cse,tosaic-fold-transposes,tosa-layerwise-constant-fold),canonicalize)' --dump-pass-pipeline -o %t 2>&1 | filecheck %s --check-prefix=DUMP
// RUN: filecheck %s --check-prefix=OURS-FIRST --input-file=%t
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes))' --dump-pass-pipeline 2>/dev/null | filecheck %s --check-prefix=DUMP-STDOUT

// --mlir-timing reports both kinds of passes, ours under the func.func pipeline it is
// nested in, by its class name.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes,tosa-layerwise-constant-fold),canonicalize)' --mlir-timing -o %t 2>&1 | filecheck %s --check-prefix=TIMING

// OURS-FIRST-LABEL: func.func @f(
// OURS-FIRST-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x2x2x3xf32>
// OURS-FIRST: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00, 5.000000e+00, 9.000000e+00], [2.000000e+00, 6.000000e+00, 1.000000e+01]], {{.*}} : tensor<1x2x2x3xf32>}>
// OURS-FIRST-NEXT: %[[ADD:.*]] = tosa.add %[[ARG]], %[[C]] : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
// OURS-FIRST-NEXT: %[[T:.*]] = tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>}
// OURS-FIRST-NEXT: return %[[T]]

// UPSTREAM-FIRST-LABEL: func.func @f(
// UPSTREAM-FIRST: %[[C:.*]] = "tosa.const"() {{.*}} -> tensor<1x3x2x2xf32>
// UPSTREAM-FIRST-NEXT: %[[CT:.*]] = tosa.transpose %[[C]] {perms = array<i32: 0, 2, 3, 1>}
// UPSTREAM-FIRST-NEXT: %[[ADD:.*]] = tosa.add %arg0, %[[CT]]
// UPSTREAM-FIRST-NEXT: tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>}

// DUMP: {{^}}builtin.module(func.func(cse,tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32},tosa-layerwise-constant-fold{aggressive-reduce-constant=false}),canonicalize{{{.*}}max-iterations=10{{.*}}}){{$}}
// DUMP-NOT: builtin.module

// DUMP-STDOUT-NOT: builtin.module(
// DUMP-STDOUT: module {
// DUMP-STDOUT-NOT: builtin.module(

// TIMING: Execution time report
// TIMING: Name
// TIMING-NEXT: {{^ *[0-9.]+ \( *[0-9.]+%\)  }}'func.func' Pipeline
// TIMING-NEXT: {{^ *[0-9.]+ \( *[0-9.]+%\)    }}FoldTransposes
// TIMING-NEXT: {{^ *[0-9.]+ \( *[0-9.]+%\)    }}TosaLayerwiseConstantFoldPass
// TIMING-NEXT: {{^ *[0-9.]+ \( *[0-9.]+%\)  }}CanonicalizerPass
// TIMING: Total
func.func @f(%arg0: tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32> {
  %c = "tosa.const"() <{values = dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]], [[9.0, 10.0], [11.0, 12.0]]]]> : tensor<1x3x2x2xf32>}> : () -> tensor<1x3x2x2xf32>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %1 = tosa.add %0, %c : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %1 : tensor<1x3x2x2xf32>
}
