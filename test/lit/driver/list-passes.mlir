// --list-passes prints every tosaic pass with its anchor, then its options with their
// types and defaults; it reads no input.
// RUN: tosaic-opt --list-passes < /dev/null | filecheck %s
// RUN: tosaic-opt --list-passes | filecheck %s
// RUN: tosaic-opt --list-upstream-passes | filecheck %s --check-prefix=UPSTREAM

// CHECK-NOT: Traceback
// CHECK: {{^}}tosaic-fold-transposes  -  Cancel inverse tosa.transpose pairs and sink transposes through elementwise ops  (runs on func.func)
// CHECK-NEXT: {{^}}    sink: bool = true  -  Move transposes through elementwise, concat and reduce ops
// CHECK-NEXT: {{^}}    hoist-off-wide: bool = false  -  Move a transpose of a widening unary op's result before the op (use with sink=false)
// CHECK-NEXT: {{^}}    max-iterations: int = 32  -  Greedy rewrite iteration limit
// CHECK-NOT: {{^ *}}sink:
// CHECK-NOT: module {

// Upstream passes available in pipelines, one per line; no tosaic pass among them.
// UPSTREAM-NOT: tosaic-
// UPSTREAM-DAG: {{^}}canonicalize{{$}}
// UPSTREAM-DAG: {{^}}cse{{$}}
// UPSTREAM-DAG: {{^}}tosa-layerwise-constant-fold{{$}}
// UPSTREAM-DAG: {{^}}tosa-infer-shapes{{$}}
// UPSTREAM-DAG: {{^}}convert-torch-to-tosa{{$}}
// UPSTREAM-NOT: tosaic-
