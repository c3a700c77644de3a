// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-norm),canonicalize)' | filecheck %s
// LOWERING: layer_norm

// nn.LayerNorm(8) (weight, bias) as torch-mlir lowers it, with tosaic's quantizer's
// qparams: input scale 0.0203 zero point 1, output scale 0.0350 zero point 8.
// X = q - 1 (int32); mu0 = sum(X) * 2^30 >> 33 (round(sum / 8)); X' = X - mu0;
// S = sum(X'), T = sum(X'^2); D = 8 X' - S; V = 8 T - S^2, exact, times 2^10 (k = -10)
// and + E = round(eps 8^2 / s^2 * 2^10) = 1589. W's even normalisation: m = (clz(W) - 1) >> 1,
// W << 2m; y = a - b x (Q29: 1145023540, 654299166) then three Newton steps with
// 3 = 805306368 (Q28); Z = (D << m) y >> 12; the affine: MUL by the weights at shift 29,
// + the bias at 2^Fh, one rescale by 2^-Fh (Fh = 22: shift 52) to zero point 8.
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[SHIFT52:.*]] = "tosa.const"() <{values = dense<52> : tensor<1xi8>}>
// CHECK-DAG: %[[THREE:.*]] = "tosa.const"() <{values = dense<805306368> : tensor<1x1x1xi32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<654299166> : tensor<1x1x1xi32>}>
// CHECK-DAG: %[[A:.*]] = "tosa.const"() <{values = dense<1145023540> : tensor<1x1x1xi32>}>
// CHECK-DAG: %[[EPS:.*]] = "tosa.const"() <{values = dense<1589> : tensor<1x1x1xi32>}>
// CHECK-DAG: %[[N:.*]] = "tosa.const"() <{values = dense<8> : tensor<1x1x1xi32>}>
// CHECK-DAG: %[[MEANM:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1x1x1xi32>}>
// CHECK-DAG: %[[S33:.*]] = "tosa.const"() <{values = dense<33> : tensor<1xi8>}>
// CHECK: %[[X:.*]] = tosa.rescale %{{.*}} : (tensor<1x4x8xi8>, {{.*}}) -> tensor<1x4x8xi32>
// CHECK: %[[SUM:.*]] = tosa.reduce_sum %[[X]] {axis = 2 : i32}
// CHECK: %[[MU:.*]] = tosa.mul %[[SUM]], %[[MEANM]], %[[S33]]
// CHECK: %[[XC:.*]] = tosa.sub %[[X]], %[[MU]]
// CHECK: %[[S:.*]] = tosa.reduce_sum %[[XC]] {axis = 2 : i32}
// CHECK: %[[SQ:.*]] = tosa.mul %[[XC]], %[[XC]]
// CHECK: %[[T:.*]] = tosa.reduce_sum %[[SQ]] {axis = 2 : i32}
// CHECK: %[[ND:.*]] = tosa.mul %[[XC]], %[[N]]
// CHECK: %[[D:.*]] = tosa.sub %[[ND]], %[[S]]
// CHECK: %[[NT:.*]] = tosa.mul %[[T]], %[[N]]
// CHECK: %[[SS:.*]] = tosa.mul %[[S]], %[[S]]
// CHECK: %[[V:.*]] = tosa.sub %[[NT]], %[[SS]]
// CHECK: %[[V2:.*]] = tosa.mul %[[V]]
// CHECK: %[[W:.*]] = tosa.add %[[V2]], %[[EPS]]
// CHECK: tosa.clz %[[W]]
// CHECK: %[[M:.*]] = tosa.arithmetic_right_shift
// CHECK: tosa.logical_left_shift %[[W]]
// CHECK-COUNT-3: tosa.sub %[[THREE]]
// CHECK: %[[DM:.*]] = tosa.logical_left_shift %[[D]], %[[M]]
// CHECK: tosa.mul %[[DM]]
// CHECK: tosa.rescale %{{.*}}, %{{.*}}, %[[SHIFT52]]
// CHECK-SAME: -> tensor<1x4x8xi8>
// CHECK-NOT: tosa.rsqrt
  func.func @layer_norm(%arg0: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.250000e-01> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.250000e-01> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<[[[1.54099607, -0.293428898, -2.17878938, 0.568431258, -1.08452237, -1.39859545, 0.403346837, 0.838026344]]]> : tensor<1x1x8xf32>}> : () -> tensor<1x1x8xf32>
    %5 = "tosa.const"() <{values = dense<[[[-0.719257593, -0.403343529, -0.596635341, 0.182036489, -0.856674611, 1.10060418, -1.07118738, 0.122701243]]]> : tensor<1x1x8xf32>}> : () -> tensor<1x1x8xf32>
    %6 = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02030598372220993>, zero_point = array<i64: 1>} : (tensor<1x4x8xf32>) -> tensor<1x4x8xi8>
    %7 = "tosaic.dequantize"(%6) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02030598372220993>, zero_point = array<i64: 1>} : (tensor<1x4x8xi8>) -> tensor<1x4x8xf32>
    %8 = tosa.cast %7 : (tensor<1x4x8xf32>) -> tensor<1x4x8xf64>
    %9 = tosa.reduce_sum %8 {axis = 2 : i32} : (tensor<1x4x8xf64>) -> tensor<1x4x1xf64>
    %10 = tosa.mul %9, %1, %0 : (tensor<1x4x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<1x4x1xf64>
    %11 = tosa.sub %8, %10 : (tensor<1x4x8xf64>, tensor<1x4x1xf64>) -> tensor<1x4x8xf64>
    %12 = tosa.mul %11, %11, %0 : (tensor<1x4x8xf64>, tensor<1x4x8xf64>, tensor<1xi8>) -> tensor<1x4x8xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<1x4x8xf64>) -> tensor<1x4x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<1x4x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<1x4x1xf64>
    %15 = tosa.cast %14 : (tensor<1x4x1xf64>) -> tensor<1x4x1xf32>
    %16 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32>
    %17 = tosa.mul %16, %2, %0 : (tensor<1x4x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x1xf32>
    %18 = tosa.add %15, %3 : (tensor<1x4x1xf32>, tensor<1x1x1xf32>) -> tensor<1x4x1xf32>
    %19 = tosa.rsqrt %18 : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
    %20 = tosa.sub %7, %17 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
    %21 = tosa.mul %20, %19, %0 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>, tensor<1xi8>) -> tensor<1x4x8xf32>
    %22 = tosa.mul %21, %4, %0 : (tensor<1x4x8xf32>, tensor<1x1x8xf32>, tensor<1xi8>) -> tensor<1x4x8xf32>
    %23 = tosa.add %22, %5 : (tensor<1x4x8xf32>, tensor<1x1x8xf32>) -> tensor<1x4x8xf32>
    %24 = "tosaic.quantize"(%23) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03496716171503067>, zero_point = array<i64: 8>} : (tensor<1x4x8xf32>) -> tensor<1x4x8xi8>
    %25 = "tosaic.dequantize"(%24) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.03496716171503067>, zero_point = array<i64: 8>} : (tensor<1x4x8xi8>) -> tensor<1x4x8xf32>
    return %25 : tensor<1x4x8xf32>
  }
