// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table),canonicalize)' | filecheck %s
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table{int16-form=one-table}),canonicalize)' | filecheck %s --check-prefix=ONE
// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-table{int16-form=two-table}),canonicalize)' | filecheck %s --check-prefix=TWO
// LOWERING: table

// The three int16 table forms of tosaic-lower-quantized-table for one function (more int16
// cases: lower-quantized-table.mlir; the numerics: test_int16_math.py).

// int16 (a16w8) sigmoid over +-4: the 513-entry int16 TABLE (int32 result, 7 fractional
// bits) interpolates linearly between knots 128 codes apart, which misses ~1% of the
// codes here even with 6 extra entry bits; the quadratic form is bit-exact but for
// ~0.1%: a coarse table shifted left by 8, plus a fine table times a ~1.0 scale table
// (MUL with a rounding shift of 21 + fine bits), then ONE rescale to the int16 output.
// The two linear forms, forced by int16-form, follow (ONE, TWO).
// CHECK-LABEL: func.func @sigmoid_int16
// CHECK-DAG: %[[Z16:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK-DAG: %[[Z32:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// CHECK-DAG: %[[EIGHT:.*]] = "tosa.const"() <{values = dense<8> : tensor<1x1xi32>}>
// CHECK-DAG: %[[PSHIFT:.*]] = "tosa.const"() <{values = dense<{{21|22|23|24}}> : tensor<1xi8>}>
// CHECK: %[[T1:.*]] = tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// CHECK: %[[H:.*]] = tosa.logical_left_shift %[[T1]], %[[EIGHT]] : (tensor<1x8xi32>, tensor<1x1xi32>) -> tensor<1x8xi32>
// CHECK: %[[T2:.*]] = tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// CHECK: %[[T3:.*]] = tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// CHECK: %[[P:.*]] = tosa.mul %[[T2]], %[[T3]], %[[PSHIFT]] : (tensor<1x8xi32>, tensor<1x8xi32>, tensor<1xi8>) -> tensor<1x8xi32>
// CHECK: %[[SUM:.*]] = tosa.add %[[H]], %[[P]] : (tensor<1x8xi32>, tensor<1x8xi32>) -> tensor<1x8xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[SUM]], %{{.*}}, %{{.*}}, %[[Z32]], %[[Z16]] {{{.*}}scale32 = true} : (tensor<1x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x8xi16>
// CHECK-NOT: tosa.sigmoid
// CHECK: return %[[Y]]
// The one-table form: TABLE + RESCALE by the entry unit / 128.
// ONE-LABEL: func.func @sigmoid_int16
// ONE: %[[T:.*]] = tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// ONE-NEXT: %[[Y:.*]] = tosa.rescale %[[T]], {{.*}} -> tensor<1x8xi16>
// ONE-NEXT: return %[[Y]]
// The two-table form: a high table's result RESCALEd by 2^6 (2^30 * 2^-24) plus a low
// table's (TABLE is linear in its entries), then the rescale to int16.
// TWO-LABEL: func.func @sigmoid_int16
// TWO-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// TWO-DAG: %[[S6:.*]] = "tosa.const"() <{values = dense<24> : tensor<1xi8>}>
// TWO-DAG: %[[Z32:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi32>}>
// TWO-DAG: %[[Z16:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// TWO: %[[T1:.*]] = tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// TWO: %[[R1:.*]] = tosa.rescale %[[T1]], %[[M]], %[[S6]], %[[Z32]], %[[Z32]] {{.*}} -> tensor<1x8xi32>
// TWO: %[[T2:.*]] = tosa.table %arg0, %{{.*}} : (tensor<1x8xi16>, tensor<513xi16>) -> tensor<1x8xi32>
// TWO: %[[SUM:.*]] = tosa.add %[[R1]], %[[T2]] : (tensor<1x8xi32>, tensor<1x8xi32>) -> tensor<1x8xi32>
// TWO: %[[Y:.*]] = tosa.rescale %[[SUM]], %{{.*}}, %{{.*}}, %[[Z32]], %[[Z16]] {{{.*}}scale32 = true} : (tensor<1x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x8xi16>
// TWO: return %[[Y]]
func.func @sigmoid_int16(%arg0: tensor<1x8xi16>) -> tensor<1x8xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 1.220703125e-04>, zero_point = array<i64: 0>} : (tensor<1x8xi16>) -> tensor<1x8xf32>
  %s = tosa.sigmoid %x : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %q = "tosaic.quantize"(%s) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 3.0e-05>, zero_point = array<i64: 0>} : (tensor<1x8xf32>) -> tensor<1x8xi16>
  return %q : tensor<1x8xi16>
}
