// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-softmax),canonicalize)' | filecheck %s
// LOWERING: log_softmax

// log_softmax over 8 elements as torch-mlir lowers it (input scale 0.02285 zero point -9,
// output scale 0.02472 zero point 127). d = q - max(q) and S = sum(E) as in softmax
// (K = 23); Sn = S << (clz(S) - 1); the int16 TABLE index is ((Sn - 2^30) >> 14) - 2^15
// and its 513 entries ln(1 + j/512) * 2^15 (0x0000, 0x0040, ... 0x58B9 = 22713) give
// ln(Sn / 2^30) * 2^22; ln(S / 2^K) adds (31 - K - clz(S)) * ln2 * 2^22 (2907270).
// At 2^P, P = 26: s_in * 2^26 = 1533310 per code, the log times 16; one rescale by
// 2^-26 / s_out (shift 51) to zero point 127.
// CHECK-LABEL: func.func @log_softmax
// CHECK-DAG: %[[S51:.*]] = "tosa.const"() <{values = dense<51> : tensor<1xi8>}>
// CHECK-DAG: %[[STEP:.*]] = "tosa.const"() <{values = dense<1533310> : tensor<1x1xi32>}>
// CHECK-DAG: %[[TO26:.*]] = "tosa.const"() <{values = dense<16> : tensor<1x1xi32>}>
// CHECK-DAG: %[[LN2:.*]] = "tosa.const"() <{values = dense<2907270> : tensor<1x1xi32>}>
// CHECK-DAG: %[[OCT:.*]] = "tosa.const"() <{values = dense<8> : tensor<1x1xi32>}>
// CHECK-DAG: %[[LOG:.*]] = "tosa.const"() <{values = dense<"0x00004000{{.*}}B958"> : tensor<513xi16>}>
// CHECK-DAG: %[[HALF16:.*]] = "tosa.const"() <{values = dense<32768> : tensor<1x1xi32>}>
// CHECK-DAG: %[[ONE30:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1x1xi32>}>
// CHECK: %[[MAX:.*]] = tosa.reduce_max %{{.*}} {axis = 1 : i32} : (tensor<2x8xi8>) -> tensor<2x1xi8>
// CHECK: %[[D:.*]] = tosa.sub
// CHECK-COUNT-3: tosa.table %{{.*}} : (tensor<2x8xi8>, tensor<256xi8>) -> tensor<2x8xi8>
// CHECK: %[[SUM:.*]] = tosa.reduce_sum %{{.*}} {axis = 1 : i32} : (tensor<2x8xi32>) -> tensor<2x1xi32>
// CHECK: %[[Z:.*]] = tosa.clz %[[SUM]]
// CHECK: %[[SN:.*]] = tosa.logical_left_shift %[[SUM]]
// CHECK: %[[F:.*]] = tosa.sub %[[SN]], %[[ONE30]]
// CHECK: %[[F16:.*]] = tosa.arithmetic_right_shift %[[F]], %{{.*}} {round = false}
// CHECK: %[[IDX:.*]] = tosa.sub %[[F16]], %[[HALF16]]
// CHECK: %[[I16:.*]] = tosa.rescale %[[IDX]]{{.*}} -> tensor<2x1xi16>
// CHECK: %[[LNU:.*]] = tosa.table %[[I16]], %[[LOG]] : (tensor<2x1xi16>, tensor<513xi16>) -> tensor<2x1xi32>
// CHECK: %[[O:.*]] = tosa.sub %[[OCT]], %[[Z]]
// CHECK: %[[OL:.*]] = tosa.mul %[[O]], %[[LN2]]
// CHECK: %[[L:.*]] = tosa.add %[[LNU]], %[[OL]]
// CHECK: %[[LP:.*]] = tosa.mul %[[L]], %[[TO26]]
// CHECK: %[[A:.*]] = tosa.mul %[[D]], %[[STEP]]
// CHECK: %[[ACC:.*]] = tosa.sub %[[A]], %[[LP]]
// CHECK: tosa.rescale %[[ACC]], %{{.*}}, %[[S51]]{{.*}} -> tensor<2x8xi8>
// CHECK-NOT: tosa.log
  func.func @log_softmax(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
    %0 = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.022848092019557953>, zero_point = array<i64: -9>} : (tensor<2x8xf32>) -> tensor<2x8xi8>
    %1 = "tosaic.dequantize"(%0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.022848092019557953>, zero_point = array<i64: -9>} : (tensor<2x8xi8>) -> tensor<2x8xf32>
    %2 = tosa.reduce_max %1 {axis = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x1xf32>
    %3 = tosa.sub %1, %2 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
    %4 = tosa.exp %3 : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %5 = tosa.reduce_sum %4 {axis = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x1xf32>
    %6 = tosa.log %5 : (tensor<2x1xf32>) -> tensor<2x1xf32>
    %7 = tosa.sub %3, %6 : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
    %8 = "tosaic.quantize"(%7) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.024724751710891724>, zero_point = array<i64: 127>} : (tensor<2x8xf32>) -> tensor<2x8xi8>
    %9 = "tosaic.dequantize"(%8) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.024724751710891724>, zero_point = array<i64: 127>} : (tensor<2x8xi8>) -> tensor<2x8xf32>
    return %9 : tensor<2x8xf32>
  }
