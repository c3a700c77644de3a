// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-pool),canonicalize)' | filecheck %s
// LOWERING: avg_pool2d, max_pool2d, mean

// max_pool2d with the input's qparams (as our quantizer shares them): the same pool on
// the int8 values, nothing else.
// CHECK-LABEL: func.func @max_pool
// CHECK: %[[P:.*]] = tosa.max_pool2d %arg0 {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[P]]
func.func @max_pool(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %q : tensor<1x2x2x2xi8>
}

// -----

// max_pool2d to other qparams: the int8 pool, then a rescale by 0.5 / 0.25 = 2
// (multiplier 2^30, shift 29) from zero point 0 to -128.
// CHECK-LABEL: func.func @max_pool_requantized
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<29> : tensor<1xi8>}>
// CHECK-DAG: %[[ZI:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[ZO:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK: %[[P:.*]] = tosa.max_pool2d %arg0 {{.*}} -> tensor<1x2x2x2xi8>
// CHECK: %[[Y:.*]] = tosa.rescale %[[P]], %[[M]], %[[S]], %[[ZI]], %[[ZO]] {{.*}} : (tensor<1x2x2x2xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x2x2xi8>
// CHECK: return %[[Y]]
func.func @max_pool_requantized(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -128>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %q : tensor<1x2x2x2xi8>
}

// -----

// avg_pool2d with equal qparams: int8 avg_pool2d, input and output zero point 3, int32
// accumulator (TOSA divides by the count of non-padding elements).
// CHECK-LABEL: func.func @avg_pool
// CHECK: %[[Z:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK: %[[P:.*]] = tosa.avg_pool2d %arg0, %[[Z]], %[[Z]] {acc_type = i32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[P]]
func.func @avg_pool(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// count_include_pad: torch-mlir pads with 0.0 first. Real 0.0 is the zero point, so the
// pad becomes an int8 pad with value 3, then the pool (no padding of its own).
// CHECK-LABEL: func.func @avg_pool_count_include_pad
// CHECK: %[[Z:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK: %[[PAD:.*]] = tosa.pad %arg0, %{{.*}}, %[[Z]] : (tensor<1x4x4x2xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x6x6x2xi8>
// CHECK: tosa.avg_pool2d %[[PAD]], %[[Z]], %[[Z]] {acc_type = i32, {{.*}}} : (tensor<1x6x6x2xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
func.func @avg_pool_count_include_pad(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %padding = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %padded = tosa.pad %x, %padding, %zp : (tensor<1x4x4x2xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x6x6x2xf32>
  %p = tosa.avg_pool2d %padded, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}

// -----

// avg_pool2d to another scale: a window sum (depthwise conv, weights 1, input zero point
// 3, int32) and ONE rescale by 0.5 / (4 * 0.25) = 0.5 (multiplier 2^30, shift 31) to
// zero point -1, so the average rounds once.
// CHECK-LABEL: func.func @avg_pool_requantized
// CHECK-DAG: %[[ONES:.*]] = "tosa.const"() <{values = dense<1> : tensor<2x2x2x1xi8>}>
// CHECK-DAG: %[[Z3:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK-DAG: %[[ZO:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK: %[[SUM:.*]] = tosa.depthwise_conv2d %arg0, %[[ONES]], %{{.*}}, %[[Z3]], %{{.*}} {acc_type = i32, {{.*}}stride = array<i64: 2, 2>} {{.*}} -> tensor<1x2x2x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[SUM]], %[[M]], %[[S]], %{{.*}}, %[[ZO]] {{.*}}per_channel = false{{.*}} -> tensor<1x2x2x2xi8>
// CHECK-NOT: tosa.avg_pool2d
// CHECK: return %[[Y]]
func.func @avg_pool_requantized(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x2x2x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: -1>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %q : tensor<1x2x2x2xi8>
}

// -----

// mean over H, W of an NCHW tensor (adaptive_avg_pool2d(1), mean(dim=(2, 3))): torch-mlir's
// reduce_sum, reduce_sum, mul by 1/64 becomes a global int8 avg_pool2d in NHWC.
// CHECK-LABEL: func.func @global_mean_nchw
// CHECK: %[[Z:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
// CHECK: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x8x8xi8>) -> tensor<1x8x8x2xi8>
// CHECK: %[[P:.*]] = tosa.avg_pool2d %[[T]], %[[Z]], %[[Z]] {acc_type = i32, kernel = array<i64: 8, 8>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x2xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi8>
// CHECK: %[[R:.*]] = tosa.reshape %[[P]], %{{.*}} : (tensor<1x1x1x2xi8>, !tosa.shape<2>) -> tensor<1x2xi8>
// CHECK-NOT: tosa.reduce_sum
// CHECK: return %[[R]]
func.func @global_mean_nchw(%arg0: tensor<1x2x8x8xi8>) -> tensor<1x2xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %n = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %shape = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -5>} : (tensor<1x2x8x8xi8>) -> tensor<1x2x8x8xf32>
  %s1 = tosa.reduce_sum %x {axis = 2 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x8xf32>
  %s2 = tosa.reduce_sum %s1 {axis = 3 : i32} : (tensor<1x2x1x8xf32>) -> tensor<1x2x1x1xf32>
  %r = tosa.reshape %s2, %shape : (tensor<1x2x1x1xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %m = tosa.mul %r, %n, %shift : (tensor<1x2xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -5>} : (tensor<1x2xf32>) -> tensor<1x2xi8>
  return %q : tensor<1x2xi8>
}

// -----

// mean over one dim: the int8 values minus their zero point are summed in int32 and
// rescaled once by 0.02 * (1/16) / 0.02 = 2^-4 (multiplier 2^30, shift 34).
// CHECK-LABEL: func.func @mean_last_dim
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S30:.*]] = "tosa.const"() <{values = dense<30> : tensor<1xi8>}>
// CHECK-DAG: %[[S34:.*]] = "tosa.const"() <{values = dense<34> : tensor<1xi8>}>
// CHECK-DAG: %[[Z:.*]] = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}>
// CHECK: %[[X:.*]] = tosa.rescale %arg0, %[[M]], %[[S30]], %[[Z]], %{{.*}} {{.*}} -> tensor<1x2x4x16xi32>
// CHECK: %[[SUM:.*]] = tosa.reduce_sum %[[X]] {axis = 3 : i32} : (tensor<1x2x4x16xi32>) -> tensor<1x2x4x1xi32>
// CHECK: %[[R:.*]] = tosa.reshape %[[SUM]], %{{.*}} : (tensor<1x2x4x1xi32>, !tosa.shape<3>) -> tensor<1x2x4xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[R]], %[[M]], %[[S34]], %{{.*}}, %[[Z]] {{.*}} -> tensor<1x2x4xi8>
// CHECK: return %[[Y]]
func.func @mean_last_dim(%arg0: tensor<1x2x4x16xi8>) -> tensor<1x2x4xi8> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %n = "tosa.const"() <{values = dense<6.250000e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %shape = tosa.const_shape {values = dense<[1, 2, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -5>} : (tensor<1x2x4x16xi8>) -> tensor<1x2x4x16xf32>
  %s = tosa.reduce_sum %x {axis = 3 : i32} : (tensor<1x2x4x16xf32>) -> tensor<1x2x4x1xf32>
  %r = tosa.reshape %s, %shape : (tensor<1x2x4x1xf32>, !tosa.shape<3>) -> tensor<1x2x4xf32>
  %m = tosa.mul %r, %n, %shift : (tensor<1x2x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x2x4xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.02>, zero_point = array<i64: -5>} : (tensor<1x2x4xf32>) -> tensor<1x2x4xi8>
  return %q : tensor<1x2x4xi8>
}

// -----

// int16 (a16w8) max pool with shared qparams: the same pool on the int16 values.
// CHECK-LABEL: func.func @max_pool_int16
// CHECK: %[[P:.*]] = tosa.max_pool2d %arg0 {{.*}} : (tensor<1x4x4x2xi16>) -> tensor<1x2x2x2xi16>
// CHECK-NOT: tosa.rescale
// CHECK-NOT: tosa.clamp
// CHECK: return %[[P]]
func.func @max_pool_int16(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x2x2x2xi16> {
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi16>
  return %q : tensor<1x2x2x2xi16>
}

// -----

// int16 avg_pool2d with equal qparams: int16 avg_pool2d, zero points 0 (tensor<1xi16>),
// int32 accumulator (TOSA's accumulator for int16 average pools).
// CHECK-LABEL: func.func @avg_pool_int16
// CHECK: %[[Z:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi16>}>
// CHECK: %[[P:.*]] = tosa.avg_pool2d %arg0, %[[Z]], %[[Z]] {acc_type = i32, {{.*}}} : (tensor<1x4x4x2xi16>, tensor<1xi16>, tensor<1xi16>) -> tensor<1x4x4x2xi16>
// CHECK-NOT: tosa.rescale
// CHECK: return %[[P]]
func.func @avg_pool_int16(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xi16> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi16>
  return %q : tensor<1x4x4x2xi16>
}

// -----

// int16 avg_pool2d to another scale: the window sum is an int16 depthwise conv that
// accumulates in int48 (i48 zero bias), narrowed exactly to int32 by a scale16 RESCALE of
// 16384 * 2^-14 (scale32 = false: 48-bit input), then ONE scale32 rescale by
// 0.5 / (4 * 0.25) = 2^30 * 2^-31 to int16.
// CHECK-LABEL: func.func @avg_pool_requantized_int16
// CHECK-DAG: %[[ONES:.*]] = "tosa.const"() <{values = dense<1> : tensor<2x2x2x1xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<0> : tensor<2xi48>}>
// CHECK-DAG: %[[M16:.*]] = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}>
// CHECK-DAG: %[[S14:.*]] = "tosa.const"() <{values = dense<14> : tensor<1xi8>}>
// CHECK-DAG: %[[Z48:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi48>}>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}>
// CHECK-DAG: %[[S31:.*]] = "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK: %[[SUM:.*]] = tosa.depthwise_conv2d %arg0, %[[ONES]], %[[BIAS]], %{{.*}}, %{{.*}} {acc_type = i48, {{.*}}stride = array<i64: 2, 2>} : (tensor<1x4x4x2xi16>, tensor<2x2x2x1xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x2x2x2xi48>
// CHECK: %[[N:.*]] = tosa.rescale %[[SUM]], %[[M16]], %[[S14]], %[[Z48]], %{{.*}} {{{.*}}scale32 = false} : (tensor<1x2x2x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x2x2x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[N]], %[[M]], %[[S31]], {{.*}}scale32 = true} : (tensor<1x2x2x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x2x2x2xi16>
// CHECK-NOT: tosa.avg_pool2d
// CHECK: return %[[Y]]
func.func @avg_pool_requantized_int16(%arg0: tensor<1x4x4x2xi16>) -> tensor<1x2x2x2xi16> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi16>
  return %q : tensor<1x2x2x2xi16>
}

// -----

// int16 global mean to its own scale (0.002 -> 0.001): an 8x8 int48 window sum, exact
// narrowing, one rescale by 0.002 / (64 * 0.001) = 2^30 * 2^-35.
// CHECK-LABEL: func.func @global_mean_int16
// CHECK: %[[T:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x8x8xi16>) -> tensor<1x8x8x2xi16>
// CHECK: %[[SUM:.*]] = tosa.depthwise_conv2d %[[T]], {{.*}} {acc_type = i48, {{.*}}} : ({{.*}}) -> tensor<1x1x1x2xi48>
// CHECK: %[[N:.*]] = tosa.rescale %[[SUM]], {{.*}}scale32 = false} {{.*}} -> tensor<1x1x1x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[N]], {{.*}}scale32 = true} {{.*}} -> tensor<1x1x1x2xi16>
// CHECK: %[[R:.*]] = tosa.reshape %[[Y]], %{{.*}} -> tensor<1x2xi16>
// CHECK: return %[[R]]
func.func @global_mean_int16(%arg0: tensor<1x2x8x8xi16>) -> tensor<1x2xi16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %n = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %shape = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.002>, zero_point = array<i64: 0>} : (tensor<1x2x8x8xi16>) -> tensor<1x2x8x8xf32>
  %s1 = tosa.reduce_sum %x {axis = 2 : i32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x8xf32>
  %s2 = tosa.reduce_sum %s1 {axis = 3 : i32} : (tensor<1x2x1x8xf32>) -> tensor<1x2x1x1xf32>
  %r = tosa.reshape %s2, %shape : (tensor<1x2x1x1xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %m = tosa.mul %r, %n, %shift : (tensor<1x2xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  %q = "tosaic.quantize"(%m) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.001>, zero_point = array<i64: 0>} : (tensor<1x2xf32>) -> tensor<1x2xi16>
  return %q : tensor<1x2xi16>
}

// -----

// Negative: a pool of a float (not dequantized) value is not folded.
// CHECK-LABEL: func.func @float_input_stays
// CHECK: tosa.max_pool2d {{.*}} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
// CHECK: "tosaic.quantize"
func.func @float_input_stays(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xi8> {
  %p = tosa.max_pool2d %arg0 {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi8>
  return %q : tensor<1x2x2x2xi8>
}

// -----

// An own-scale average that excludes the padding (count_include_pad=False): the 3x3
// window sum of the input padded with its zero point 3 (a depthwise conv with input zero
// point 3; canonicalize folds the pad into it), times the integer weight 36 / count per
// output position (counts 4 at the corners, 6 at the edges, 9 inside: weights 9, 6, 4),
// and ONE rescale by 0.5 / (36 * 0.25).
// CHECK-LABEL: func.func @avg_pool_exclude_pad_requantized
// CHECK-DAG: %[[WEIGHTS:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}9], [6], [6], [9]], {{\[\[}}6], [4], [4], [6]], {{.*}}> : tensor<1x4x4x1xi32>}>
// CHECK-DAG: %[[ZP:.*]] = "tosa.const"() <{values = dense<3> : tensor<1xi8>}>
// CHECK: %[[SUM:.*]] = tosa.depthwise_conv2d %arg0, %{{.*}}, %{{.*}}, %[[ZP]], %{{.*}} {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[W:.*]] = tosa.mul %[[SUM]], %[[WEIGHTS]], %{{.*}} : (tensor<1x4x4x2xi32>, tensor<1x4x4x1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
// CHECK: %[[Y:.*]] = tosa.rescale %[[W]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK-NOT: tosa.avg_pool2d
// CHECK: return %[[Y]]
func.func @avg_pool_exclude_pad_requantized(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %p = tosa.avg_pool2d %x, %zp, %zp {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %q = "tosaic.quantize"(%p) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %q : tensor<1x4x4x2xi8>
}
