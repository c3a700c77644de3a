// Malformed input: `FILE:LINE:COL: error: ...` on stderr, nothing on stdout, exit code
// 1, no Python traceback.

// RUN: %expect-exit 1 tosaic-opt %s --tosaic-fold-transposes 2>&1 | filecheck %s
// RUN: %expect-exit 1 tosaic-opt %s --tosaic-fold-transposes 2>/dev/null | filecheck %s --check-prefix=STDOUT --allow-empty
// From stdin the file is called <stdin>, with the same line and column.
// RUN: %expect-exit 1 tosaic-opt --tosaic-fold-transposes < %s 2>&1 | filecheck %s --check-prefix=STDIN
// RUN: %expect-exit 1 tosaic-opt - --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes))' < %s 2>&1 | filecheck %s --check-prefix=STDIN
// Where: the error is on the malformed op's line, from a file or from stdin.
// RUN: tosaic-opt %s --tosaic-fold-transposes --verify-diagnostics
// RUN: tosaic-opt - --tosaic-fold-transposes --verify-diagnostics < %s

// CHECK-NOT: Traceback
// CHECK: {{^}}{{.*}}malformed-input.mlir:{{[0-9]+}}:8: error: custom op 'tosa.transpos' is unknown
// CHECK-NOT: Traceback
// CHECK-NOT: module

// STDIN-NOT: Traceback
// STDIN: {{^}}<stdin>:{{[0-9]+}}:8: error: custom op 'tosa.transpos' is unknown
// STDIN-NOT: Traceback
// STDIN-NOT: module

// STDOUT-NOT: {{.}}

func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpos %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> // expected-error {{custom op 'tosa.transpos' is unknown}}
  return %0 : tensor<1x3x16x8xf32>
}
