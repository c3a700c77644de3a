// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-softmax),canonicalize)' | filecheck %s
// LOWERING: softmax

// Softmax over 4 elements, input scale 0.5, output scale 1/256 zero point -128.
// d = q - max(q) in [-255, 0] indexes int8 tables at d + 127 (rescale, output zp 127).
// N = 4, so K = 23 and E(d) = round(2^23 * exp(0.5 * d)) comes from three byte tables,
// each stored minus 128; table entry 255 is d = 0, entry 254 is d = -1, entry 0 d = -255:
//   E(0)    = 2^23 = 0x800000           -> bytes 00 00 80 -> stored 80 80 00
//   E(-1)   = round(5087948.38) = 0x4DA2CC -> bytes CC A2 4D -> stored 4C 22 CD
//   E(-255) = 0                           -> stored 80 80 80
// The bytes are rescaled by 1, 256, 65536 (multiplier 2^30, shift 30, 22, 14) from
// input zero point -128 and summed. The reciprocal of the sum starts from
// 48/17 - 32/17 x (Q2.29: 1515870810, 1010580540) and takes three Newton steps with
// 1.0 = 536870912. E * r >> 23, then >> (8 - clz(S)), gives p * 2^30; the final
// rescale by 2^-30 * 256 = 2^-22 is multiplier 2^30, shift 52, output zero point -128.
// CHECK-LABEL: func.func @softmax
// CHECK-DAG: %[[ONE:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S30:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[S22:.*]] = "tosa.const"() <{values = dense<22> : tensor<1xi8>}>
// CHECK-DAG: %[[S14:.*]] = "tosa.const"() <{values = dense<14> : tensor<1xi8>}>
// CHECK-DAG: %[[S52:.*]] = "tosa.const"() <{values = dense<52> : tensor<1xi8>}>
// CHECK-DAG: %[[ZP127:.*]] = "tosa.const"() <{values = dense<127> : tensor<1xi8>}>
// CHECK-DAG: %[[ZPM128:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK-DAG: %[[T0:.*]] = "tosa.const"() <{values = dense<"0x80{{([0-9A-F]{2}){253}4C80}}"> : tensor<256xi8>}>
// CHECK-DAG: %[[T1:.*]] = "tosa.const"() <{values = dense<"0x80{{([0-9A-F]{2}){253}2280}}"> : tensor<256xi8>}>
// CHECK-DAG: %[[T2:.*]] = "tosa.const"() <{values = dense<"0x80{{([0-9A-F]{2}){253}CD00}}"> : tensor<256xi8>}>
// CHECK-DAG: %[[C0:.*]] = "tosa.const"() <{values = dense<1515870810> : tensor<1x1xi32>}>
// CHECK-DAG: %[[C1:.*]] = "tosa.const"() <{values = dense<1010580540> : tensor<1x1xi32>}>
// CHECK-DAG: %[[UNIT:.*]] = "tosa.const"() <{values = dense<536870912> : tensor<1x1xi32>}>
// CHECK-DAG: %[[K:.*]] = "tosa.const"() <{values = dense<23> : tensor<1xi8>}>
// CHECK-DAG: %[[SH:.*]] = "tosa.const"() <{values = dense<8> : tensor<1x1xi32>}>
// CHECK: %[[MAX:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x4xi8>) -> tensor<2x1xi8>
// CHECK: %[[X32:.*]] = tosa.rescale %arg0, %[[ONE]], %[[S30]]
// CHECK: %[[M32:.*]] = tosa.rescale %[[MAX]], %[[ONE]], %[[S30]]
// CHECK: %[[D:.*]] = tosa.sub %[[X32]], %[[M32]] : (tensor<2x4xi32>, tensor<2x1xi32>) -> tensor<2x4xi32>
// CHECK: %[[IDX:.*]] = tosa.rescale %[[D]], %[[ONE]], %[[S30]], %{{.*}}, %[[ZP127]] {{.*}} -> tensor<2x4xi8>
// CHECK: %[[B0:.*]] = tosa.table %[[IDX]], %[[T0]]
// CHECK: %[[E0:.*]] = tosa.rescale %[[B0]], %[[ONE]], %[[S30]], %[[ZPM128]], {{.*}} -> tensor<2x4xi32>
// CHECK: %[[B1:.*]] = tosa.table %[[IDX]], %[[T1]]
// CHECK: %[[E1:.*]] = tosa.rescale %[[B1]], %[[ONE]], %[[S22]], %[[ZPM128]], {{.*}} -> tensor<2x4xi32>
// CHECK: %[[E01:.*]] = tosa.add %[[E0]], %[[E1]]
// CHECK: %[[B2:.*]] = tosa.table %[[IDX]], %[[T2]]
// CHECK: %[[E2:.*]] = tosa.rescale %[[B2]], %[[ONE]], %[[S14]], %[[ZPM128]], {{.*}} -> tensor<2x4xi32>
// CHECK: %[[E:.*]] = tosa.add %[[E01]], %[[E2]]
// CHECK: %[[SUM:.*]] = tosa.reduce_sum %[[E]] {axis = 1 : i32} : (tensor<2x4xi32>) -> tensor<2x1xi32>
// CHECK: %[[CLZ:.*]] = tosa.clz %[[SUM]]
// CHECK: %[[NS:.*]] = tosa.sub %[[CLZ]],
// CHECK: %[[XN:.*]] = tosa.logical_left_shift %[[SUM]], %[[NS]]
// CHECK: %[[T:.*]] = tosa.mul %[[XN]], %[[C1]],
// CHECK: %[[R0:.*]] = tosa.sub %[[C0]], %[[T]]
// CHECK-COUNT-3: tosa.add
// CHECK: %[[P:.*]] = tosa.mul %[[E]], %{{.*}}, %[[K]] : (tensor<2x4xi32>, tensor<2x1xi32>, tensor<1xi8>) -> tensor<2x4xi32>
// CHECK: %[[SHIFT:.*]] = tosa.sub %[[SH]], %[[CLZ]]
// CHECK: %[[V:.*]] = tosa.arithmetic_right_shift %[[P]], %[[SHIFT]] {round = true}
// CHECK: %[[OUT:.*]] = tosa.rescale %[[V]], %[[ONE]], %[[S52]], %{{.*}}, %[[ZPM128]] {{.*}} -> tensor<2x4xi8>
// CHECK-NOT: tosa.exp
// CHECK-NOT: tosa.reciprocal
// CHECK: return %[[OUT]] : tensor<2x4xi8>
func.func @softmax(%arg0: tensor<2x4xi8>) -> tensor<2x4xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<2x4xi8>) -> tensor<2x4xf32>
  %m = tosa.reduce_max %x {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %d = tosa.sub %x, %m : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %e = tosa.exp %d : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %r = tosa.reciprocal %s : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<2x4xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<2x4xf32>) -> tensor<2x4xi8>
  return %q : tensor<2x4xi8>
}

// -----

// Softmax over axis 0 without the max subtraction (exp(x) / sum exp(x)) is the same
// function: lowered the same way, along axis 0. 300 elements: K = 22 (300 * 2^22 < 2^31),
// so E(0) = 2^22 = 0x400000 -> stored bytes 80 80 C0.
// CHECK-LABEL: func.func @softmax_axis0
// CHECK-DAG: %[[T2:.*]] = "tosa.const"() <{values = dense<"0x80{{([0-9A-F]{2}){254}C0}}"> : tensor<256xi8>}>
// CHECK-DAG: %[[K:.*]] = "tosa.const"() <{values = dense<22> : tensor<1xi8>}>
// CHECK: tosa.reduce_max %arg0 {axis = 0 : i32} : (tensor<300x2xi8>) -> tensor<1x2xi8>
// CHECK: tosa.table %{{.*}}, %[[T2]]
// CHECK: tosa.reduce_sum %{{.*}} {axis = 0 : i32} : (tensor<300x2xi32>) -> tensor<1x2xi32>
// CHECK: tosa.mul %{{.*}}, %{{.*}}, %[[K]] : (tensor<300x2xi32>, tensor<1x2xi32>, tensor<1xi8>)
// CHECK: tosa.arithmetic_right_shift
// CHECK-NOT: tosa.exp
func.func @softmax_axis0(%arg0: tensor<300x2xi8>) -> tensor<300x2xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.05>, zero_point = array<i64: 0>} : (tensor<300x2xi8>) -> tensor<300x2xf32>
  %e = tosa.exp %x : (tensor<300x2xf32>) -> tensor<300x2xf32>
  %s = tosa.reduce_sum %e {axis = 0 : i32} : (tensor<300x2xf32>) -> tensor<1x2xf32>
  %r = tosa.reciprocal %s : (tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = tosa.mul %r, %e, %shift : (tensor<1x2xf32>, tensor<300x2xf32>, tensor<1xi8>) -> tensor<300x2xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<300x2xf32>) -> tensor<300x2xi8>
  return %q : tensor<300x2xi8>
}

// -----

// Negative: the max and the sum reduce different axes, so this is not a softmax.
// CHECK-LABEL: func.func @mismatched_axes_stay
// CHECK-NOT: tosa.table
// CHECK: tosa.exp
// CHECK: "tosaic.quantize"
func.func @mismatched_axes_stay(%arg0: tensor<4x4xi8>) -> tensor<4x4xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4x4xi8>) -> tensor<4x4xf32>
  %m = tosa.reduce_max %x {axis = 0 : i32} : (tensor<4x4xf32>) -> tensor<1x4xf32>
  %d = tosa.sub %x, %m : (tensor<4x4xf32>, tensor<1x4xf32>) -> tensor<4x4xf32>
  %e = tosa.exp %d : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %r = tosa.reciprocal %s : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<4x4xf32>, tensor<4x1xf32>, tensor<1xi8>) -> tensor<4x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<4x4xf32>) -> tensor<4x4xi8>
  return %q : tensor<4x4xi8>
}

// -----

// Negative: exp(x) is also used outside the softmax; the float graph stays for the
// integer verifier to report.
// CHECK-LABEL: func.func @escaping_exp_stays
// CHECK-NOT: tosa.table
// CHECK: tosa.reciprocal
func.func @escaping_exp_stays(%arg0: tensor<1x4xi8>) -> (tensor<1x4xi8>, tensor<1x4xf32>) {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %e = tosa.exp %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<1x4xf32>) -> tensor<1x1xf32>
  %r = tosa.reciprocal %s : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
  return %q, %e : tensor<1x4xi8>, tensor<1x4xf32>
}

// -----

// softmax(where(keep, x, -inf)) with a constant mask (a causal attention mask, as tosaic's
// quantizer decomposes scaled_dot_product_attention with is_causal=True): the masked codes
// become -128 before the max ((q + 128) * keep - 128 in int32, rescaled to int8) and their
// E is multiplied by 0, so the max, E and the sum are those of the kept positions and a
// masked output is exactly the zero point (p = 0). No SELECT.
// CHECK-LABEL: func.func @masked_softmax
// CHECK-DAG: %[[KEEP:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1, 0], [1, 1]]> : tensor<2x2xi32>}>
// CHECK-DAG: %[[ZPM128:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK: %[[SHIFTED:.*]] = tosa.rescale %arg0, %{{.*}}, %{{.*}}, %[[ZPM128]], %{{.*}} -> tensor<2x2xi32>
// CHECK: %[[KEPT:.*]] = tosa.mul %[[SHIFTED]], %[[KEEP]], %{{.*}}
// CHECK: %[[Q:.*]] = tosa.rescale %[[KEPT]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ZPM128]] {{.*}} -> tensor<2x2xi8>
// CHECK: tosa.reduce_max %[[Q]] {axis = 1 : i32}
// CHECK: %[[E:.*]] = tosa.mul %{{.*}}, %[[KEEP]], %{{.*}}
// CHECK: tosa.reduce_sum %[[E]] {axis = 1 : i32}
// CHECK-NOT: tosa.select
// CHECK-NOT: tosa.exp
// CHECK: return
func.func @masked_softmax(%arg0: tensor<2x2xi8>) -> tensor<2x2xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %keep = "tosa.const"() <{values = dense<[[1, 0], [1, 1]]> : tensor<2x2xi32>}> : () -> tensor<2x2xi32>
  %zero = "tosa.const"() <{values = dense<0> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
  %ne = tosa.equal %keep, %zero : (tensor<2x2xi32>, tensor<1x1xi32>) -> tensor<2x2xi1>
  %c = tosa.logical_not %ne : (tensor<2x2xi1>) -> tensor<2x2xi1>
  %ninf = "tosa.const"() <{values = dense<0xFF800000> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<2x2xi8>) -> tensor<2x2xf32>
  %w = tosa.select %c, %x, %ninf : (tensor<2x2xi1>, tensor<2x2xf32>, tensor<1x1xf32>) -> tensor<2x2xf32>
  %m = tosa.reduce_max %w {axis = 1 : i32} : (tensor<2x2xf32>) -> tensor<2x1xf32>
  %d = tosa.sub %w, %m : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32>
  %e = tosa.exp %d : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<2x2xf32>) -> tensor<2x1xf32>
  %r = tosa.reciprocal %s : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<2x2xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x2xf32>
  %q = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.00390625>, zero_point = array<i64: -128>} : (tensor<2x2xf32>) -> tensor<2x2xi8>
  return %q : tensor<2x2xi8>
}
