// --verify-diagnostics with remarks: the transform interpreter's emit_remark_at reports
// at the matched op; the remark is expected there, and the IR prints (no error).

// RUN: tosaic-opt %s --verify-diagnostics --transform-interpreter 2>%t.err | filecheck %s
// RUN: filecheck %s --check-prefix=QUIET --allow-empty --input-file=%t.err
// Without its expected-remark, the same remark is unexpected.
// RUN: sed 's/expected-remark/no-remark/' %s > %t.mlir
// RUN: %expect-exit 1 tosaic-opt %t.mlir --verify-diagnostics --transform-interpreter 2>&1 >/dev/null | filecheck %s --check-prefix=UNEXPECTED

// QUIET-NOT: {{.}}

// CHECK-LABEL: func.func @remark(
// CHECK-NEXT: tosa.abs
// UNEXPECTED: {{^}}{{.*}}.mlir:[[# @LINE + 5]]:10: error: unexpected remark: found an abs{{$}}
// UNEXPECTED-NOT: error
module attributes {transform.with_named_sequence} {
  func.func @remark(%arg0: tensor<2xf32>) -> tensor<2xf32> {
    // expected-remark@+1 {{found an abs}}
    %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
    return %0 : tensor<2xf32>
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %abs = transform.structured.match ops{["tosa.abs"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.debug.emit_remark_at %abs, "found an abs" : !transform.any_op
    transform.yield
  }
}
