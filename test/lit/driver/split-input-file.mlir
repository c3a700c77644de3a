// Each chunk is its own module: @same is defined twice without a redefinition error.
// A failing chunk reports lines of the whole file, prints no output, and makes the exit
// code 1, while the chunks around it are still processed and printed. The layout is
// mlir-opt's: each chunk's IR and a blank line, a failed chunk's empty, then the marker.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --tosaic-fold-transposes > %t 2> %t.err
// RUN: filecheck %s --input-file=%t
// RUN: filecheck %s --check-prefix=ERR --input-file=%t.err
// The flag before the input file, and the marker given explicitly.
// RUN: %expect-exit 1 tosaic-opt --split-input-file %s --tosaic-fold-transposes 2>/dev/null < /dev/null | filecheck %s
// RUN: %expect-exit 1 tosaic-opt %s '--split-input-file=// -----' --tosaic-fold-transposes 2>/dev/null | filecheck %s
// The same from stdin.
// RUN: %expect-exit 1 tosaic-opt - --split-input-file --tosaic-fold-transposes < %s 2>&1 | filecheck %s --check-prefix=STDIN
// Each chunk's diagnostics are at lines of the whole file (checked where they occur).
// RUN: tosaic-opt %s --split-input-file --tosaic-fold-transposes --verify-diagnostics | filecheck %s
// RUN: tosaic-opt - --split-input-file --tosaic-fold-transposes --verify-diagnostics < %s | filecheck %s
// Without splitting the whole file is one module, which does not parse.
// RUN: %expect-exit 1 tosaic-opt %s --tosaic-fold-transposes 2>&1 | filecheck %s --check-prefix=NOSPLIT

// ERR-NOT: Traceback
// STDIN-NOT: Traceback
// NOSPLIT-NOT: Traceback
// NOSPLIT: {{.*}}split-input-file.mlir:{{[0-9]+}}:{{[0-9]+}}: error:
// NOSPLIT-NOT: module

// CHECK: module {
// CHECK-NEXT: func.func @same(%arg0: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
// CHECK-NEXT: return %arg0 : tensor<1x3x4x4xf32>
// CHECK: }
// CHECK-NEXT: }
// CHECK-EMPTY:
// CHECK-NEXT: // -----
// CHECK-NEXT: // -----
// CHECK-NEXT: module {
func.func @same(%arg0: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x4x4xf32>) -> tensor<1x4x4x3xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  return %1 : tensor<1x3x4x4xf32>
}

// -----

// A parse error.
// CHECK-NOT: @malformed
// ERR: {{.*}}split-input-file.mlir:{{[0-9]+}}:10: error: use of undeclared SSA value name
// STDIN: <stdin>:{{[0-9]+}}:10: error: use of undeclared SSA value name
func.func @malformed(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
  return %1 : tensor<2xf32> // expected-error {{use of undeclared SSA value name}}
}

// -----

// CHECK-LABEL: func.func @same(%arg0: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
// CHECK-NEXT: %[[C:.*]] = tosa.clamp %arg0
// CHECK-NEXT: return %[[C]]
func.func @same(%arg0: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %2 = tosa.transpose %1 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x4x4xf32>) -> tensor<1x4x4x3xf32>
  return %2 : tensor<1x4x4x3xf32>
}

// -----

// An op that fails the verifier.
// CHECK-NOT: @bad_perms
// ERR: {{.*}}split-input-file.mlir:[[LINE:[0-9]+]]:8: error: 'tosa.transpose' op expected perms attribute to have size 3 (input rank) but got size 2
// ERR-NEXT: {{.*}}split-input-file.mlir:[[LINE]]:8: note: see current operation:
// STDIN: <stdin>:{{[0-9]+}}:8: error: 'tosa.transpose' op expected perms
func.func @bad_perms(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error@+1 {{'tosa.transpose' op expected perms attribute to have size 3 (input rank) but got size 2}}
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %0 : tensor<1x2x3xf32>
}

// -----

// CHECK: // -----
// CHECK-NEXT: // -----
// CHECK-NEXT: module {
// CHECK-NEXT: func.func @last(%arg0: tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NOT: // -----
func.func @last(%arg0: tensor<3xf32>) -> tensor<3xf32> {
  return %arg0 : tensor<3xf32>
}

// ERR-NOT: error
// ERR-NOT: Traceback
// STDIN-NOT: Traceback
// NOSPLIT-NOT: Traceback
