// --mlir-pass-statistics prints mlir-opt's statistics report on stderr: in the pass
// manager's structure (default) or per pass name (=list), each pass that keeps
// statistics with its counters as `(S) <value> <name> - <description>`, sorted by name,
// summed over the ops the pass ran on. Python passes keep theirs with
// `passes.base.Statistic`; the test pass here comes from --load-pass-plugin.
// (Upstream passes keep none: this LLVM is built without LLVM_ENABLE_STATS, so its
// mlir-opt prints the report empty.)

// RUN: tosaic-opt %s --load-pass-plugin=%S/Inputs/count_ops.py --test-count-ops --cse --mlir-pass-statistics -o %t 2>&1 | filecheck %s --check-prefix=PIPELINE
// RUN: tosaic-opt %s --load-pass-plugin=%S/Inputs/count_ops.py --pass-pipeline='builtin.module(func.func(test-count-ops,cse,test-count-ops))' --mlir-pass-statistics -o %t 2>&1 | filecheck %s --check-prefix=TWICE
// RUN: tosaic-opt %s --load-pass-plugin=%S/Inputs/count_ops.py --pass-pipeline='builtin.module(func.func(test-count-ops,cse,test-count-ops))' --mlir-pass-statistics --mlir-pass-statistics-display=list -o %t 2>&1 | filecheck %s --check-prefix=LIST
// No pass with statistics: the report is empty, as mlir-opt's here (compared on the
// input without its directive: this torch-mlir-opt reports unmatched directives even
// without --verify-diagnostics).
// RUN: sed '/expected-error/d' %s > %t.mlir
// RUN: tosaic-opt %t.mlir --cse --mlir-pass-statistics -o %t 2> %t.ours
// RUN: torch-mlir-opt %t.mlir --cse --mlir-pass-statistics -o %t 2> %t.theirs
// RUN: diff %t.ours %t.theirs

// The plugin's pass is a pass like ours: listed, with options, and it fails at an op.
// RUN: tosaic-opt --load-pass-plugin=%S/Inputs/count_ops.py --list-passes | filecheck %s --check-prefix=LISTED
// RUN: tosaic-opt %s --load-pass-plugin=%S/Inputs/count_ops.py --test-count-ops=fail-on=tosa.abs --verify-diagnostics -o %t
// RUN: %expect-exit 1 tosaic-opt %s --load-pass-plugin=%S/Inputs/no_such_plugin.py 2>&1 | filecheck %s --check-prefix=MISSING

// PIPELINE: {{^}}===-------------------------------------------------------------------------==={{$}}
// PIPELINE-NEXT: {{^}}                         ... Pass statistics report ...{{$}}
// PIPELINE-NEXT: {{^}}===-------------------------------------------------------------------------==={{$}}
// PIPELINE-NEXT: {{^}}'func.func' Pipeline{{$}}
// PIPELINE-NEXT: {{^}}  CountOps{{$}}
// PIPELINE-NEXT: {{^}}    (S) 2 num-functions - Number of functions visited{{$}}
// PIPELINE-NEXT: {{^}}    (S) 5 ops           - Number of ops seen{{$}}
// PIPELINE-EMPTY:

// Two instances, two entries, in pipeline order.
// TWICE: {{^}}'func.func' Pipeline{{$}}
// TWICE-NEXT: {{^}}  CountOps{{$}}
// TWICE-NEXT: {{^}}    (S) 2 num-functions - Number of functions visited{{$}}
// TWICE-NEXT: {{^}}    (S) 5 ops           - Number of ops seen{{$}}
// TWICE-NEXT: {{^}}  CountOps{{$}}
// TWICE-NEXT: {{^}}    (S) 2 num-functions - Number of functions visited{{$}}
// TWICE-NEXT: {{^}}    (S) 4 ops           - Number of ops seen{{$}}

// Per pass name: summed, values right-aligned.
// LIST: {{^}}===-------------------------------------------------------------------------==={{$}}
// LIST-NEXT: ... Pass statistics report ...
// LIST-NEXT: {{^}}===
// LIST-NEXT: {{^}}  CountOps{{$}}
// LIST-NEXT: {{^}}    (S) 4 num-functions - Number of functions visited{{$}}
// LIST-NEXT: {{^}}    (S) 9 ops           - Number of ops seen{{$}}
// LIST-EMPTY:

// LISTED: {{^}}test-count-ops  -  Count the ops in each function (a test pass with statistics)  (runs on func.func)
// LISTED-NEXT: {{^}}    fail-on: string = ""  -  Fail, naming it, at the first op of this name

// MISSING: tosaic-opt: error: cannot load pass plugin '{{.*}}no_such_plugin.py': no such file
func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'tosa.abs' op is a tosa.abs}}
  %0 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
  %1 = tosa.abs %arg0 : (tensor<2xf32>) -> tensor<2xf32>
  %2 = tosa.add %0, %1 : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %2 : tensor<2xf32>
}
func.func @g(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}
