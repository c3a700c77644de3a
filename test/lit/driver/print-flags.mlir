// --mlir-print-op-generic and --mlir-elide-elementsattrs-if-larger=N apply to the output
// and to the IR dumps, as in mlir-opt (compared byte for byte with the bundled
// torch-mlir-opt on an upstream pipeline).

// RUN: tosaic-opt %s --mlir-print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: tosaic-opt %s --mlir-elide-elementsattrs-if-larger=2 | filecheck %s --check-prefix=ELIDE
// RUN: tosaic-opt %s --tosaic-fold-transposes --mlir-print-op-generic --mlir-elide-elementsattrs-if-larger=2 --mlir-print-ir-after-all -o %t 2>&1 | filecheck %s --check-prefix=DUMP
// RUN: tosaic-opt %s --cse --mlir-print-op-generic --mlir-elide-elementsattrs-if-larger=2 --mlir-print-ir-after-all -o %t.ours 2> %t.ours.err
// RUN: torch-mlir-opt %s --cse --mlir-print-op-generic --mlir-elide-elementsattrs-if-larger=2 --mlir-print-ir-after-all --mlir-disable-threading -o %t.theirs 2> %t.theirs.err
// RUN: diff %t.ours %t.theirs
// RUN: diff %t.ours.err %t.theirs.err

// GENERIC-LABEL: "func.func"() <{function_type = (tensor<4xf32>) -> tensor<4xf32>, sym_name = "f"}> ({
// GENERIC: "tosa.const"() <{values = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>}>
// GENERIC: "tosa.add"(%arg0, %0)
// GENERIC: "func.return"

// ELIDE-LABEL: func.func @f(
// ELIDE: "tosa.const"() <{values = dense_resource<__elided__> : tensor<4xf32>}>
// ELIDE: "tosa.const"() <{values = dense<5.000000e+00> : tensor<1xf32>}>
// ELIDE: tosa.add %arg0

// DUMP-LABEL: // -----// IR Dump After FoldTransposes: tosaic-fold-transposes{{.*}} //----- //
// DUMP-NEXT: "func.func"() <{function_type = (tensor<4xf32>) -> tensor<4xf32>, sym_name = "f"}> ({
// DUMP-NEXT: ^bb0(%arg0: tensor<4xf32>):
// DUMP-NEXT: "tosa.const"() <{values = dense_resource<__elided__> : tensor<4xf32>}>
func.func @f(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %c = "tosa.const"() <{values = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %s = "tosa.const"() <{values = dense<[5.0]> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.add %arg0, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
