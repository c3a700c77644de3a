// i4 weights survive every pass that transforms weights, before and after the lowering.
//
// Before: torch-mlir leaves OIHW -> OHWI (and depthwise) layout ops on the *float*
// dequantized weight. propagate-qdq moves the dequantize (with its [-7, 7] range) below
// them, the layout then runs on the int8 data and constant folding applies it; the lowering
// still sees the int4 range and emits one i4 constant.
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-propagate-qdq,tosa-layerwise-constant-fold,tosaic-lower-quantized-conv),canonicalize)' | filecheck %s --check-prefix=BEFORE
//
// After: the lowered i4 weight goes through the rest of the tosa-int pipeline unchanged:
// tosaic-fold-transposes folds a transpose of an i4 constant into the data (TOSA's folder
// does not, and TRANSPOSE has no int4 form; the greedy driver's folders then fold the
// reshape); constant folding, canonicalize (which folds a
// reshape of an i4 constant), cse and propagate-qdq keep the i4 type.
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes))' | filecheck %s --check-prefix=FOLD
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosa-layerwise-constant-fold,tosaic-fold-transposes,tosaic-propagate-qdq),canonicalize,cse)' | filecheck %s --check-prefix=AFTER

// BEFORE-LABEL: func.func @torch_mlir_conv
// BEFORE-NOT: tosa.transpose
// BEFORE: "tosa.const"() <{values = dense<{{\[\[\[\[}}1, -7], [2, 3]], {{\[\[}}4, 5], [6, 7]]]]> : tensor<1x2x2x2xi4>}>
// BEFORE-NOT: tosa.transpose
// BEFORE: tosa.conv2d {{.*}} : (tensor<1x4x4x2xi8>, tensor<1x2x2x2xi4>, tensor<1xi32>, tensor<1xi8>, tensor<1xi4>)
func.func @torch_mlir_conv(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x3x3x1xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2], [4, 6]], [[-7, 3], [5, 7]]]]> : tensor<1x2x2x2xi8>}> : () -> tensor<1x2x2x2xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25>, zero_point = array<i64: 0>} : (tensor<1x2x2x2xi8>) -> tensor<1x2x2x2xf32>
  %wt = tosa.transpose %wd {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c = tosa.conv2d %x, %wt, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x2x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x1xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x3x3x1xf32>) -> tensor<1x3x3x1xi8>
  return %q : tensor<1x3x3x1xi8>
}

// -----

// A depthwise weight as torch-mlir leaves it: [C*M, 1, KH, KW] -> transpose -> reshape
// [KH, KW, C, M] on the float weight; the lowering's multiplier expansion gives i4
// [KH, KW, C*M, 1].
// BEFORE-LABEL: func.func @torch_mlir_depthwise
// BEFORE: "tosa.const"() <{values = dense<{{\[\[\[\[}}1], [-2], [3], [7]]]]> : tensor<1x1x4x1xi4>}>
// BEFORE: tosa.depthwise_conv2d {{.*}} : (tensor<1x4x4x4xi8>, tensor<1x1x4x1xi4>, tensor<4xi32>, tensor<1xi8>, tensor<1xi4>)
func.func @torch_mlir_depthwise(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[1]]], [[[-2]]], [[[3]]], [[[7]]]]> : tensor<4x1x1x1xi8>}> : () -> tensor<4x1x1x1xi8>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s = tosa.const_shape {values = dense<[1, 1, 2, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 3>} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
  %wd = "tosaic.dequantize"(%w) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 0.25, 0.5, 0.25, 0.5>, zero_point = array<i64: 0, 0, 0, 0>} : (tensor<4x1x1x1xi8>) -> tensor<4x1x1x1xf32>
  %wt = tosa.transpose %wd {perms = array<i32: 2, 3, 0, 1>} : (tensor<4x1x1x1xf32>) -> tensor<1x1x4x1xf32>
  %wr = tosa.reshape %wt, %s : (tensor<1x1x4x1xf32>, !tosa.shape<4>) -> tensor<1x1x2x2xf32>
  %c = tosa.depthwise_conv2d %x, %wr, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32>
  %q = "tosaic.quantize"(%c) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xi8>
  return %q : tensor<1x4x4x4xi8>
}

// -----

// Already integer: an i4 weight behind a transpose and a reshape (as a hand-written or
// foreign program might have it), next to an int8 constant with the same values.
// FOLD-LABEL: func.func @lowered
// FOLD-NOT: tosa.transpose
// FOLD: "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 3, 7, -7]]], {{\[\[\[}}-2, -7, 0, 2]]]]> : tensor<2x1x1x4xi4>}>
// FOLD-NOT: tosa.transpose
// AFTER-LABEL: func.func @lowered
// AFTER-DAG: %[[W4:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 3, 7, -7]]], {{\[\[\[}}-2, -7, 0, 2]]]]> : tensor<2x1x1x4xi4>}>
// AFTER-DAG: %[[W8:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 3, 7, -7]]], {{\[\[\[}}-2, -7, 0, 2]]]]> : tensor<2x1x1x4xi8>}>
// AFTER-DAG: %[[ZP4:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi4>}>
// AFTER-NOT: tosa.transpose
// AFTER-NOT: tosa.reshape
// AFTER: tosa.conv2d %arg0, %[[W4]], %{{.*}}, %{{.*}}, %[[ZP4]] {{.*}} : (tensor<1x8x8x4xi8>, tensor<2x1x1x4xi4>
// AFTER: tosa.conv2d %arg0, %[[W8]], {{.*}} : (tensor<1x8x8x4xi8>, tensor<2x1x1x4xi8>
func.func @lowered(%x: tensor<1x8x8x4xi8>) -> (tensor<1x8x8x2xi32>, tensor<1x8x8x2xi32>) {
  %w = "tosa.const"() <{values = dense<[[1, -2], [3, -7], [7, 0], [-7, 2]]> : tensor<4x2xi4>}> : () -> tensor<4x2xi4>
  %t = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<4x2xi4>) -> tensor<2x4xi4>
  %s = tosa.const_shape {values = dense<[2, 1, 1, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %r = tosa.reshape %t, %s : (tensor<2x4xi4>, !tosa.shape<4>) -> tensor<2x1x1x4xi4>
  %w8 = "tosa.const"() <{values = dense<[[[[1, 3, 7, -7]]], [[[-2, -7, 0, 2]]]]> : tensor<2x1x1x4xi8>}> : () -> tensor<2x1x1x4xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi4>}> : () -> tensor<1xi4>
  %wzp8 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %r, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x4xi8>, tensor<2x1x1x4xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x8x8x2xi32>
  %acc8 = tosa.conv2d %x, %w8, %b, %izp, %wzp8 {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x4xi8>, tensor<2x1x1x4xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x2xi32>
  return %acc, %acc8 : tensor<1x8x8x2xi32>, tensor<1x8x8x2xi32>
}
