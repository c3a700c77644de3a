// --verify-diagnostics, as in mlir-opt: every diagnostic MLIR emits (parser, verifier,
// a pass, a Python pass's location.emit_error) must be expected by an `expected-*`
// comment on its line, and every expected one must appear; then the exit code is 0 and
// nothing is printed on stderr. Chunks whose diagnostics include an error print no IR;
// the others print it as usual.

// RUN: tosaic-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(tosaic-verify-integer))' 2>%t.err | filecheck %s
// RUN: filecheck %s --check-prefix=QUIET --allow-empty --input-file=%t.err
// The same from stdin, and with --verify-diagnostics=only-expected.
// RUN: tosaic-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(tosaic-verify-integer))' < %s 2>&1 | filecheck %s --check-prefix=QUIET-STDIN
// RUN: tosaic-opt %s --split-input-file --verify-diagnostics=only-expected --tosaic-verify-integer 2>&1 | filecheck %s --check-prefix=QUIET-STDIN

// QUIET-NOT: {{.}}
// QUIET-STDIN-NOT: error
// QUIET-STDIN-NOT: Traceback

// A parse error on the directive's own line, and its note on another line.
// CHECK-NOT: @redefined
func.func @redefined(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32> // expected-note {{previously defined here}}
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32> // expected-error {{redefinition of SSA value '%0'}}
  return %0 : tensor<2xf32>
}

// -----

// Verifier errors (the verifier stops at a function's first failing op, so one per
// function), expected on the line below (@+1) and, with a regular expression, from
// above (@below: the next line without a directive).
// CHECK-NOT: @verifier_below
func.func @verifier_below(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error@+1 {{expected perms attribute to have size 3 (input rank) but got size 2}}
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %0 : tensor<1x2x3xf32>
}
func.func @verifier_below_re(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error-re@below {{perms attribute to have size {{[0-9]+}} (input rank) but got size 1}}
  %1 = tosa.transpose %arg0 {perms = array<i32: 0>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %1 : tensor<1x2x3xf32>
}

// -----

// Expected from below: @-1 and @above (the last line without a directive).
// CHECK-NOT: @verifier_above
func.func @verifier_above(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  // expected-error@-1 {{got size 2}}
  return %0 : tensor<1x2x3xf32>
}
func.func @verifier_above_2(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %1 = tosa.transpose %arg0 {perms = array<i32: 0>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  // expected-error @above {{got size 1}}
  return %1 : tensor<1x2x3xf32>
}

// -----

// Errors a Python pass emits at each op's location (tosaic-verify-integer), each
// written on the op it names.
// CHECK-NOT: @python_pass
func.func @python_pass(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32> // expected-error {{'tosaic.dequantize' op dequantizes into float computation}}
  // expected-error@+1 {{'tosa.exp' op computes in floating point}}
  %e = tosa.exp %d : (tensor<4xf32>) -> tensor<4xf32>
  // expected-error@+1 {{'tosaic.quantize' op quantizes the float result of tosa.exp}}
  %q = "tosaic.quantize"(%e) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// A diagnostic without a file location (@unknown).
// CHECK-NOT: @unknown_location
func.func @unknown_location(%arg0: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // expected-error@unknown {{expected perms attribute to have size 3}}
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 1>} : (tensor<1x2x3xf32>) -> tensor<1x2x3xf32> loc(unknown)
  return %0 : tensor<1x2x3xf32>
}

// -----

// A warning does not fail the chunk: its IR is printed.
// CHECK-LABEL: func.func @warning(
// CHECK-NEXT: return %arg0
func.func @warning(%arg0: tensor<2xi8>) -> tensor<2xi8> {
  return %arg0 : tensor<2xi8>
}
{-#
  external_resources: {
    // expected-warning@+1 {{ignoring unknown external resources for 'no_such_key'}}
    no_such_key: {
      blob: "0x0400000001"
    }
  }
#-}

// -----

// No diagnostics at all: the chunk verifies and prints.
// CHECK: // -----
// CHECK-LABEL: func.func @clean(
// CHECK-NEXT: return %arg0
func.func @clean(%arg0: tensor<2xi8>) -> tensor<2xi8> {
  return %arg0 : tensor<2xi8>
}
