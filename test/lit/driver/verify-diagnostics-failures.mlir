// --verify-diagnostics that fails: exit code 1 and one line per problem on stderr, as
// mlir-opt words them; the chunks' own diagnostics are not printed. Every chunk is
// checked, and its problems reported in order: unexpected diagnostics as they come,
// then the expected ones that were not produced.

// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --verify-diagnostics --tosaic-verify-integer 2>&1 >/dev/null | filecheck %s
// With only-expected, unexpected diagnostics are not problems: only what was not produced.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --verify-diagnostics=only-expected --tosaic-verify-integer 2>&1 >/dev/null | filecheck %s --check-prefix=ONLY
// A malformed -re directive is an error of its own.
// RUN: echo '// expected-error-re {{bad {{[}}}}' > %t.mlir
// RUN: %expect-exit 1 tosaic-opt %t.mlir --verify-diagnostics 2>&1 | filecheck %s --check-prefix=BAD-RE

// CHECK-NOT: Traceback
// ONLY-NOT: unexpected
// ONLY-NOT: emitted when expecting
// BAD-RE: {{.*}}.mlir: error: line 1: invalid regular expression in expected-error-re:

// An expected error that no diagnostic matches.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 3]]: error: expected error "never emitted" was not produced
// ONLY: verify-diagnostics-failures.mlir:[[# @LINE + 2]]: error: expected error "never emitted" was not produced
func.func @not_produced(%arg0: tensor<2xi8>) -> tensor<2xi8> {
  // expected-error@+1 {{never emitted}}
  return %arg0 : tensor<2xi8>
}

// -----

// An error without a directive, at its line and column.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 2]]:8: error: unexpected error: 'tosa.transpose' op expected perms attribute to have size 3 (input rank) but got size 2
func.func @unexpected(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %0 : tensor<1x2x3xf32>
}

// -----

// The right message with the wrong severity: named, and the warning is still missing.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 4]]: error: 'error' diagnostic emitted when expecting a 'warning'
// CHECK-NEXT: verify-diagnostics-failures.mlir:[[# @LINE + 3]]: error: expected warning "got size 2" was not produced
// ONLY: verify-diagnostics-failures.mlir:[[# @LINE + 2]]: error: expected warning "got size 2" was not produced
func.func @wrong_severity(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32> // expected-warning {{got size 2}}
  return %0 : tensor<1x2x3xf32>
}

// -----

// The message does not contain the expected text.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 5]]:8: error: unexpected error: 'tosa.transpose' op expected perms
// CHECK-NEXT: verify-diagnostics-failures.mlir:[[# @LINE + 3]]: error: expected error "got size 4" was not produced
// ONLY: verify-diagnostics-failures.mlir:[[# @LINE + 2]]: error: expected error "got size 4" was not produced
func.func @wrong_message(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error@+1 {{got size 4}}
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %0 : tensor<1x2x3xf32>
}

// -----

// A note is a diagnostic too: unexpected unless expected on its own line.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 2]]:3: error: unexpected note: previously defined here
func.func @unexpected_note(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32> // expected-error {{redefinition of SSA value}}
  return %0 : tensor<2xf32>
}

// -----

// Each diagnostic matches one directive: two for one error leave the second unmatched,
// and @below binds to the next line without a directive.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 3]]: error: expected error "got size 2" was not produced
func.func @matched_once(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error@below {{got size 2}}
  // expected-error@below {{got size 2}}
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %0 : tensor<1x2x3xf32>
}

// -----

// A Python pass's errors (tosaic-verify-integer), one expected and one not.
// CHECK-LABEL: verify-diagnostics-failures.mlir:[[# @LINE + 5]]:8: error: unexpected error: 'tosa.exp' op computes in floating point
// CHECK-NOT: tosaic.dequantize
// CHECK-NOT: error
func.func @python_pass(%arg0: tensor<4xi8>) -> tensor<4xf32> {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32> // expected-error {{'tosaic.dequantize' op dequantizes}}
  %e = tosa.exp %d : (tensor<4xf32>) -> tensor<4xf32>
  return %e : tensor<4xf32>
}
