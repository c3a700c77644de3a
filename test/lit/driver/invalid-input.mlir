// Input that parses but fails the verifier: the error is at the op, with the failing
// op printed in a note, and no pass runs.

// RUN: %expect-exit 1 tosaic-opt %s --tosaic-fold-transposes 2>&1 | filecheck %s
// RUN: %expect-exit 1 tosaic-opt --tosaic-fold-transposes < %s 2>&1 | filecheck %s --check-prefix=STDIN

// CHECK-NOT: Traceback
// CHECK: {{^}}{{.*}}invalid-input.mlir:[[# @LINE + 10]]:8: error: 'tosa.transpose' op expected perms attribute to have size 4 (input rank) but got size 3
// CHECK-NEXT: {{^}}{{.*}}invalid-input.mlir:[[# @LINE + 9]]:8: note: see current operation: %0 = "tosa.transpose"(%arg0) <{perms = array<i32: 0, 2, 1>}>
// CHECK-NOT: Traceback
// CHECK-NOT: module

// STDIN: {{^}}<stdin>:[[# @LINE + 5]]:8: error: 'tosa.transpose' op expected perms attribute to have size 4
// STDIN-NOT: Traceback
// STDIN-NOT: module

func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 1>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 1, 2, 3>} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}
