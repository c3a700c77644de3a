// Input that parses but fails the verifier: the error is at the op, with the failing
// op printed in a note, and no pass runs.

// RUN: %expect-exit 1 tosaic-opt %s --tosaic-fold-transposes 2>&1 | filecheck %s
// RUN: %expect-exit 1 tosaic-opt --tosaic-fold-transposes < %s 2>&1 | filecheck %s --check-prefix=STDIN
// Where: the error is at the op that names it, from a file or from stdin.
// RUN: tosaic-opt %s --tosaic-fold-transposes --verify-diagnostics
// RUN: tosaic-opt --tosaic-fold-transposes --verify-diagnostics < %s

// CHECK-NOT: Traceback
// CHECK: {{^}}{{.*}}invalid-input.mlir:[[LINE:[0-9]+]]:8: error: 'tosa.transpose' op expected perms attribute to have size 4 (input rank) but got size 3
// CHECK-NEXT: {{^}}{{.*}}invalid-input.mlir:[[LINE]]:8: note: see current operation: %0 = "tosa.transpose"(%arg0) <{perms = array<i32: 0, 2, 1>}>
// CHECK-NOT: Traceback
// CHECK-NOT: module

// STDIN: {{^}}<stdin>:{{[0-9]+}}:8: error: 'tosa.transpose' op expected perms attribute to have size 4
// STDIN-NOT: Traceback
// STDIN-NOT: module

func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  // expected-error@+1 {{'tosa.transpose' op expected perms attribute to have size 4 (input rank) but got size 3}}
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 1>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 1, 2, 3>} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}
