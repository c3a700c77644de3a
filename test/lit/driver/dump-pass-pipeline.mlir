// --dump-pass-pipeline prints the pipeline as it runs, on stderr, as one line that
// --pass-pipeline takes: every option of every pass spelled out, our passes nested under
// their anchor, adjacent nests on one op merged (as MLIR merges them to run). Replaying
// the dump (here through a response file, @FILE, as mlir-opt takes them) runs the same
// passes: identical output, identical dump.

// Per-pass flags: ours and an upstream func.func pass nest, cse stays at module level.
// RUN: tosaic-opt %s --tosaic-fold-transposes --tosa-layerwise-constant-fold --cse --dump-pass-pipeline -o %t.first 2> %t.pipeline
// RUN: filecheck %s --check-prefix=FLAGS --input-file=%t.pipeline
// RUN: sed "s/.*/'--pass-pipeline=&'/" %t.pipeline > %t.rsp
// RUN: tosaic-opt %s @%t.rsp --dump-pass-pipeline -o %t.replay 2> %t.replayed
// RUN: diff %t.first %t.replay
// RUN: diff %t.pipeline %t.replayed

// A pipeline with options and separate nests, which merge.
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{sink=false}),func.func(canonicalize{max-iterations=3}),cse)' --dump-pass-pipeline -o %t.first 2> %t.pipeline
// RUN: filecheck %s --check-prefix=MERGED --input-file=%t.pipeline
// RUN: sed "s/.*/'--pass-pipeline=&'/" %t.pipeline > %t.rsp
// RUN: tosaic-opt %s @%t.rsp --dump-pass-pipeline -o %t.replay 2> %t.replayed
// RUN: diff %t.first %t.replay
// RUN: diff %t.pipeline %t.replayed

// A whole named pipeline (the integer lowering, twenty-odd passes) on a quantized add.
// RUN: tosaic-opt %s --pipeline=tosa-int --dump-pass-pipeline -o %t.first 2> %t.pipeline
// RUN: filecheck %s --check-prefix=NAMED --input-file=%t.pipeline
// RUN: sed "s/.*/'--pass-pipeline=&'/" %t.pipeline > %t.rsp
// RUN: tosaic-opt %s @%t.rsp --dump-pass-pipeline -o %t.replay 2> %t.replayed
// RUN: diff %t.first %t.replay
// RUN: diff %t.pipeline %t.replayed
// RUN: filecheck %s --check-prefix=INTEGER --input-file=%t.replay

// FLAGS: {{^}}builtin.module(func.func(tosaic-fold-transposes{sink=true hoist-off-wide=false max-iterations=32},tosa-layerwise-constant-fold{aggressive-reduce-constant=false}),cse){{$}}
// FLAGS-NOT: {{.}}

// MERGED: {{^}}builtin.module(func.func(tosaic-fold-transposes{sink=false hoist-off-wide=false max-iterations=32},canonicalize{{{.*}}max-iterations=3{{.*}}}),cse){{$}}

// NAMED: {{^}}builtin.module(tosaic-narrow-index-inputs,func.func(tosaic-confine-uint8{preserve-io=true},tosaic-form-clamps,{{.*}},tosaic-lower-quantized{only="" {{.*}}},{{.*}}),tosaic-quantize-io,func.func({{.*}}),canonicalize{{{.*}}},cse,func.func(tosaic-verify-integer)){{$}}

// INTEGER-LABEL: func.func @add(
// INTEGER-NOT: tosaic.
// INTEGER: tosa.add {{.*}} -> tensor<1x4xi32>
func.func @add(%arg0: tensor<1x4xi8>, %arg1: tensor<1x4xi8>) -> tensor<1x4xi8> {
  %a = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %b = "tosaic.dequantize"(%arg1) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 1.0>, zero_point = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q : tensor<1x4xi8>
}
