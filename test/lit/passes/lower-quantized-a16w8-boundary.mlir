// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-lower-quantized-conv,tosaic-lower-quantized-data-movement),canonicalize)' | filecheck %s
// LOWERING: conv2d, requantize

// A mixed a8w8/a16w8 program: an int8 activation requantized to int16 (the Q/DQ pair PT2E
// leaves where a16w8 starts), an int16 convolution, and back to int8 where a8w8 resumes.
// The boundaries are single RESCALEs: i8 (zp -3) -> i16 by 0.5 / 2^-7 = 64 (2^30, shift 24);
// the conv accumulates in i48 with its bias (sx * sw = [2^-9, 2^-8]: [1, -2] -> [512, -512])
// and reaches int16 through i32; i16 -> i8 (zp 5) by 2^-6 / 2 = 2^-7 (2^30, shift 37).
// CHECK-LABEL: func.func @a8w8_to_a16w8_and_back
// CHECK-DAG: %[[IZP8:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[S24:.*]] = "tosa.const"() <{values = dense<24> : tensor<1xi8>}>
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[512, -512]> : tensor<2xi48>}>
// CHECK-DAG: %[[S37:.*]] = "tosa.const"() <{values = dense<37> : tensor<1xi8>}>
// CHECK-DAG: %[[OZP8:.*]] = "tosa.const"() <{values = dense<5> : tensor<1xi8>}>
// CHECK: %[[X16:.*]] = tosa.rescale %arg0, %{{.*}}, %[[S24]], %[[IZP8]], %{{.*}} {{.*}} : (tensor<1x4x4x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi16>) -> tensor<1x4x4x3xi16>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[X16]], %{{.*}}, %[[BIAS]], {{.*}} {acc_type = i48, {{.*}}} : {{.*}} -> tensor<1x4x4x2xi48>
// CHECK: %[[N:.*]] = tosa.rescale %[[ACC]], {{.*}} scale32 = false} : {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: %[[Y16:.*]] = tosa.rescale %[[N]], {{.*}} scale32 = true} : {{.*}} -> tensor<1x4x4x2xi16>
// CHECK: %[[C:.*]] = tosa.clamp %[[Y16]]
// CHECK: %[[Y8:.*]] = tosa.rescale %[[C]], %{{.*}}, %[[S37]], %{{.*}}, %[[OZP8]] {{.*}} : (tensor<1x4x4x2xi16>, tensor<1xi32>, tensor<1xi8>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
// CHECK: return %[[Y8]]
func.func @a8w8_to_a16w8_and_back(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3]]], [[[-4, 5, -6]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<[1.0, -2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x8 = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: -3>} : (tensor<1x4x4x3xi8>) -> tensor<1x4x4x3xf32>
  %q16 = "tosaic.quantize"(%x8) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0078125>, zero_point = array<i64: 0>} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xi16>
  %x = "tosaic.dequantize"(%q16) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.0078125>, zero_point = array<i64: 0>} : (tensor<1x4x4x3xi16>) -> tensor<1x4x4x3xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.25, 0.5>, zero_point = array<i64: 0, 0>} : (tensor<2x1x1x3xi8>) -> tensor<2x1x1x3xf32>
  %c = tosa.conv2d %x, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %y16 = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.015625>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi16>
  %y = "tosaic.dequantize"(%y16) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32767 : i64, scale = array<f64: 0.015625>, zero_point = array<i64: 0>} : (tensor<1x4x4x2xi16>) -> tensor<1x4x4x2xf32>
  %y8 = "tosaic.quantize"(%y) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 2.0>, zero_point = array<i64: 5>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
  return %y8 : tensor<1x4x4x2xi8>
}
