// -o writes the result to a file and nothing to stdout.
// RUN: rm -f %t
// RUN: tosaic-opt %s --tosaic-fold-transposes -o %t > %t.stdout
// RUN: filecheck %s --input-file=%t
// RUN: filecheck %s --check-prefix=EMPTY --allow-empty --input-file=%t.stdout
// `-o -` is stdout.
// RUN: tosaic-opt %s --tosaic-fold-transposes -o - | filecheck %s
// With --split-input-file, all chunks go to the file.
// RUN: tosaic-opt %s --split-input-file --tosaic-fold-transposes -o %t.split
// RUN: filecheck %s --check-prefix=SPLIT --input-file=%t.split

// A file that cannot be written, or read, is an error, not a traceback.
// RUN: %expect-exit 1 tosaic-opt %s -o %t.missing-dir/out.mlir 2>&1 | filecheck %s --check-prefix=NOWRITE
// RUN: %expect-exit 1 tosaic-opt %t.missing.mlir 2>&1 | filecheck %s --check-prefix=NOREAD

// CHECK: module {
// CHECK-NEXT: func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32> {
// CHECK-NEXT: return %arg0 : tensor<1x16x8x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: func.func @g(

// EMPTY-NOT: {{.}}

// SPLIT: func.func @f(
// SPLIT-NEXT: return %arg0
// SPLIT: // -----
// SPLIT-NEXT: module {
// SPLIT-NEXT: func.func @g(

// NOWRITE-NOT: Traceback
// NOWRITE: tosaic-opt: error: cannot write '{{.*}}missing-dir/out.mlir': No such file or directory
// NOWRITE-NOT: Traceback

// NOREAD-NOT: Traceback
// NOREAD: tosaic-opt: error: cannot read '{{.*}}.missing.mlir': No such file or directory
// NOREAD-NOT: Traceback
func.func @f(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x8xf32>) -> tensor<1x16x8x3xf32>
  return %1 : tensor<1x16x8x3xf32>
}

// -----

func.func @g(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}
