// --emit-bytecode writes MLIR bytecode (byte for byte what the bundled mlir-opt
// writes); bytecode input is read like text, from a file or stdin. Locations survive
// the round trip, naming the original file.

// RUN: tosaic-opt %s --tosaic-fold-transposes --emit-bytecode -o %t.mlirbc
// RUN: %python -c "import sys; sys.exit(open(sys.argv[1], 'rb').read(4) != b'ML\xefR')" %t.mlirbc
// RUN: tosaic-opt %t.mlirbc | filecheck %s
// RUN: tosaic-opt - < %t.mlirbc | filecheck %s
// RUN: tosaic-opt %t.mlirbc --mlir-print-debuginfo | filecheck %s --check-prefix=LOC
// To stdout, and then through a pass.
// RUN: tosaic-opt %s --emit-bytecode | tosaic-opt --tosaic-fold-transposes | filecheck %s
// The same bytes as mlir-opt's.
// RUN: tosaic-opt %s --cse --emit-bytecode -o %t.ours
// RUN: torch-mlir-opt %s --cse --emit-bytecode -o %t.theirs
// RUN: cmp %t.ours %t.theirs
// One module only: bytecode and --split-input-file do not combine.
// RUN: %expect-exit 1 tosaic-opt %s --split-input-file --emit-bytecode 2>&1 | filecheck %s --check-prefix=SPLIT

// CHECK-LABEL: func.func @f(
// CHECK-NEXT: tosa.clamp %arg0
// CHECK-NEXT: tosa.transpose

// LOC: loc("{{.*}}bytecode.mlir":[[# @LINE + 5]]:8)

// SPLIT: tosaic-opt: error: --emit-bytecode writes one module; it cannot be combined with --split-input-file
func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}
