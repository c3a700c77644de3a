// Pipeline errors: one line on stderr, nothing on stdout, exit code 1, no traceback.
// The input has two chunks: errors are still reported once, before any input is read.

// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes),canonicalise)' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// UNKNOWN-NOT: Traceback
// UNKNOWN: tosaic-opt: error: unknown pass 'canonicalise'; did you mean 'canonicalize'?
// UNKNOWN-NOT: {{.}}

// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --tosaic-fold-transposes --canonicalise 2>&1 | filecheck %s --check-prefix=UNKNOWN-FLAG
// UNKNOWN-FLAG-NOT: Traceback
// UNKNOWN-FLAG: tosaic-opt: error: unknown option or pass '--canonicalise'; did you mean 'canonicalize'?
// UNKNOWN-FLAG-NOT: {{.}}

// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposez))' 2>&1 | filecheck %s --check-prefix=UNKNOWN-OURS
// UNKNOWN-OURS: tosaic-opt: error: unknown pass 'tosaic-fold-transposez'; did you mean 'tosaic-fold-transposes'{{.*}}
// UNKNOWN-OURS-NOT: {{.}}

// Anchors: a function holds no functions; an anchor that is not a registered op (mlir's
// pass manager would run nothing there).
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(func.func(canonicalize)))' 2>&1 | filecheck %s --check-prefix=NESTED
// NESTED: tosaic-opt: error: 'func.func' is nested in 'func.func', which holds no 'func.func': no pass nested there would run
// NESTED-NOT: {{.}}
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(fnuc.func(canonicalize))' 2>&1 | filecheck %s --check-prefix=UNREGISTERED-ANCHOR
// UNREGISTERED-ANCHOR: tosaic-opt: error: 'fnuc.func' in the pipeline is not a registered operation: no pass nested under it would run
// UNREGISTERED-ANCHOR-NOT: {{.}}

// A named pipeline (--pipeline) that does not exist, or one combined with --pass-pipeline.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pipeline=tosa-float 2>&1 | filecheck %s --check-prefix=NAMED
// NAMED: tosaic-opt: error: unknown pipeline 'tosa-float'; available: tosa-fp, tosa-int, tosa-int-ethos-u55, tosa-int-ethos-u85
// NAMED-NOT: {{.}}
// RUN: %expect-exit 1 tosaic-opt %s --pipeline=tosa-int --pass-pipeline='builtin.module(cse)' 2>&1 | filecheck %s --check-prefix=NAMED-BOTH
// NAMED-BOTH: tosaic-opt: error: --pipeline and --pass-pipeline cannot be combined

// Options of our pass: an unknown name, and a value of the wrong type.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{snk=false}))' 2>&1 | filecheck %s --check-prefix=OURS-OPT
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --tosaic-fold-transposes=snk=false 2>&1 | filecheck %s --check-prefix=OURS-OPT
// OURS-OPT-NOT: Traceback
// OURS-OPT: tosaic-opt: error: pass 'tosaic-fold-transposes' has no option 'snk'; did you mean 'sink'?
// OURS-OPT-NOT: {{.}}

// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{sink=maybe}))' 2>&1 | filecheck %s --check-prefix=OURS-BOOL
// OURS-BOOL: tosaic-opt: error: option 'sink' expects a bool, got 'maybe'
// OURS-BOOL-NOT: {{.}}
// RUN: %expect-exit 1 tosaic-opt %s '--tosaic-fold-transposes=max-iterations=lots' 2>&1 | filecheck %s --check-prefix=OURS-INT
// OURS-INT: tosaic-opt: error: option 'max-iterations' expects int, got 'lots'
// OURS-INT-NOT: {{.}}

// Options of an upstream pass, in a pipeline and as a flag.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(canonicalize{max-iteration=3})' 2>&1 | filecheck %s --check-prefix=UPSTREAM-OPT
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --canonicalize=max-iteration=3 2>&1 | filecheck %s --check-prefix=UPSTREAM-OPT
// UPSTREAM-OPT-NOT: Traceback
// UPSTREAM-OPT: tosaic-opt: error: pass 'canonicalize' has no option 'max-iteration'
// UPSTREAM-OPT-NOT: {{.}}

// A Python pass nested under the wrong op, at module level and under a foreign anchor.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(tosaic-fold-transposes)' 2>&1 | filecheck %s --check-prefix=ANCHOR
// ANCHOR-NOT: Traceback
// ANCHOR: tosaic-opt: error: pass 'tosaic-fold-transposes' runs on 'func.func' but is nested under 'builtin.module'; did you intend to nest it as 'func.func(tosaic-fold-transposes)'?
// ANCHOR-NOT: {{.}}
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(gpu.module(tosaic-fold-transposes))' 2>&1 | filecheck %s --check-prefix=ANCHOR-GPU
// ANCHOR-GPU: tosaic-opt: error: pass 'tosaic-fold-transposes' runs on 'func.func' but is nested under 'gpu.module'

// An upstream func.func pass at module level in an explicit pipeline is not nested for
// us (as with mlir-opt).
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(tosa-layerwise-constant-fold)' 2>&1 | filecheck %s --check-prefix=ANCHOR-UPSTREAM
// ANCHOR-UPSTREAM: tosaic-opt: error: {{.*}}restricted to 'func.func'{{.*}}

// A pipeline anchored on something other than the module.
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='func.func(tosaic-fold-transposes)' 2>&1 | filecheck %s --check-prefix=TOP-ANCHOR
// TOP-ANCHOR: tosaic-opt: error: pipeline is anchored on 'func.func', but the input is a module; write 'builtin.module(func.func(...))'

// Syntax errors point at the column.
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes)' 2>&1 | filecheck %s --check-prefix=SYNTAX-PAREN
// SYNTAX-PAREN: tosaic-opt: error: expected ')' at column 49
// SYNTAX-PAREN-NEXT: builtin.module(func.func(tosaic-fold-transposes)
// SYNTAX-PAREN-NEXT: {{^}}                                                  ^
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{sink=false)))' 2>&1 | filecheck %s --check-prefix=SYNTAX-BRACE
// SYNTAX-BRACE: tosaic-opt: error: unbalanced '{' at column 48

// --pass-pipeline and per-pass flags do not mix.
// RUN: %expect-exit 1 tosaic-opt %s --pass-pipeline='builtin.module(canonicalize)' --cse 2>&1 | filecheck %s --check-prefix=BOTH
// BOTH: tosaic-opt: error: --pass-pipeline cannot be combined with per-pass flags --cse

func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}

// -----

func.func @g(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}
