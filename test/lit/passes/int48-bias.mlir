// RUN: tosaic-opt %s --split-input-file --tosaic-int48-bias=form=split | filecheck %s --check-prefix=SPLIT
// RUN: tosaic-opt %s --split-input-file --tosaic-int48-bias | filecheck %s --check-prefix=NATIVE
// RUN: tosaic-opt %s --split-input-file --tosaic-int48-bias="native-bias-bits=40" | filecheck %s --check-prefix=U55

// The lowering's native form: conv with the i48 bias [8, -8] -> rescale i48 -> i32 by 2^0
// -> rescale to int16. Split: the same conv with a zero i48 bias, the same narrowing
// rescale, an i32 add of the bias (at step 2^0: unchanged) broadcast over the channels,
// then the same output rescale. Native: unchanged. U55 (40 bits): unchanged.
// SPLIT-LABEL: func.func @native_two_step
// SPLIT-DAG: %[[ZERO:.*]] = "tosa.const"() <{values = dense<0> : tensor<2xi48>}>
// SPLIT-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}8, -8]]]]> : tensor<1x1x1x2xi32>}>
// SPLIT: %[[ACC:.*]] = tosa.conv2d %arg0, %{{.*}}, %[[ZERO]], %{{.*}}, %{{.*}} {acc_type = i48, {{.*}}} : (tensor<1x4x4x3xi16>, tensor<2x1x1x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x2xi48>
// SPLIT-NEXT: %[[NARROW:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x4x4x2xi32>
// SPLIT-NEXT: %[[SUM:.*]] = tosa.add %[[NARROW]], %[[BIAS]] : (tensor<1x4x4x2xi32>, tensor<1x1x1x2xi32>) -> tensor<1x4x4x2xi32>
// SPLIT-NEXT: %[[OUT:.*]] = tosa.rescale %[[SUM]], %{{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x4x4x2xi16>
// SPLIT-NEXT: return %[[OUT]]
// NATIVE-LABEL: func.func @native_two_step
// NATIVE: tosa.conv2d %arg0, %{{.*}}, %{{.*}}, {{.*}} -> tensor<1x4x4x2xi48>
// NATIVE-NOT: tosa.add
// NATIVE: return
// U55-LABEL: func.func @native_two_step
// U55-NOT: tosa.add
// U55: return
func.func @native_two_step(%arg0: tensor<1x4x4x3xi16>) -> tensor<1x4x4x2xi16> {
  %shift = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp48 = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %s14 = "tosa.const"() <{values = dense<14> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m14 = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %b = "tosa.const"() <{values = dense<[8, -8]> : tensor<2xi48>}> : () -> tensor<2xi48>
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3]]], [[[-4, 5, -6]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %acc = tosa.conv2d %arg0, %w, %b, %zp16, %wzp {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi16>, tensor<2x1x1x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x2xi48>
  %n = tosa.rescale %acc, %m14, %s14, %zp48, %zp32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x4x4x2xi32>
  %r = tosa.rescale %n, %mult, %shift, %zp32, %zp16 {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x4x4x2xi16>
  return %r : tensor<1x4x4x2xi16>
}

// -----

// The split form folds back: the i32 bias [3, -5] added after a narrowing by 2^-2 is the
// i48 bias [3 * 4, -5 * 4] = [12, -20] in the accumulator (exact: round((acc + 4b) / 4) =
// round(acc / 4) + b). Split keeps it as it is.
// NATIVE-LABEL: func.func @split_folds
// NATIVE-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<[12, -20]> : tensor<2xi48>}>
// NATIVE: %[[ACC:.*]] = tosa.conv2d %arg0, %{{.*}}, %[[BIAS]], {{.*}} -> tensor<1x4x4x2xi48>
// NATIVE-NEXT: %[[NARROW:.*]] = tosa.rescale %[[ACC]], {{.*}} scale32 = false} : (tensor<1x4x4x2xi48>, {{.*}}) -> tensor<1x4x4x2xi32>
// NATIVE-NEXT: return %[[NARROW]]
// SPLIT-LABEL: func.func @split_folds
// SPLIT: tosa.add
// U55-LABEL: func.func @split_folds
// U55-NOT: tosa.add
// U55: return
func.func @split_folds(%arg0: tensor<1x4x4x3xi16>) -> tensor<1x4x4x2xi32> {
  %zp32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp48 = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %s16 = "tosa.const"() <{values = dense<16> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m14 = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %b0 = "tosa.const"() <{values = dense<0> : tensor<2xi48>}> : () -> tensor<2xi48>
  %b = "tosa.const"() <{values = dense<[[[[3, -5]]]]> : tensor<1x1x1x2xi32>}> : () -> tensor<1x1x1x2xi32>
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3]]], [[[-4, 5, -6]]]]> : tensor<2x1x1x3xi8>}> : () -> tensor<2x1x1x3xi8>
  %acc = tosa.conv2d %arg0, %w, %b0, %zp16, %wzp {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi16>, tensor<2x1x1x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x2xi48>
  %n = tosa.rescale %acc, %m14, %s16, %zp48, %zp32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x4x4x2xi32>
  %sum = tosa.add %n, %b : (tensor<1x4x4x2xi32>, tensor<1x1x1x2xi32>) -> tensor<1x4x4x2xi32>
  return %sum : tensor<1x4x4x2xi32>
}

// -----

// One 16-bit RESCALE straight from i48 to int16 (scale 24576 * 2^-26 = 0.75 * 2^-11), as
// another producer may write it, with an i48 bias of 2^40 (depthwise, one channel).
// |acc| <= 6 * 32768; the bias needs step 2^10 to fit int32 (2^40 / 2^10 = 2^30), so the
// split form narrows by 2^-10 (shift 24), adds 2^30, and rescales by 0.75 * 2^-11 * 2^10 with a
// 32-bit multiplier (0.375 = 3 * 2^29 * 2^-32). With native-bias-bits=40 the bias (41 signed bits)
// is split too; the default native form keeps it.
// SPLIT-LABEL: func.func @single_step
// SPLIT-DAG: %[[S24:.*]] = "tosa.const"() <{values = dense<24> : tensor<1xi8>}>
// SPLIT-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<1073741824> : tensor<1x1x1x1xi32>}>
// SPLIT-DAG: %[[M32:.*]] = "tosa.const"() <{values = dense<1610612736> : tensor<1xi32>}>
// SPLIT-DAG: %[[S32:.*]] = "tosa.const"() <{values = dense<32> : tensor<1xi8>}>
// SPLIT: %[[ACC:.*]] = tosa.depthwise_conv2d
// SPLIT-NEXT: %[[NARROW:.*]] = tosa.rescale %[[ACC]], %{{.*}}, %[[S24]], {{.*}} scale32 = false} : (tensor<1x4x4x1xi48>, {{.*}}) -> tensor<1x4x4x1xi32>
// SPLIT-NEXT: %[[SUM:.*]] = tosa.add %[[NARROW]], %[[BIAS]]
// SPLIT-NEXT: %[[OUT:.*]] = tosa.rescale %[[SUM]], %[[M32]], %[[S32]], {{.*}} scale32 = true} : (tensor<1x4x4x1xi32>, {{.*}}) -> tensor<1x4x4x1xi16>
// SPLIT-NEXT: return %[[OUT]]
// NATIVE-LABEL: func.func @single_step
// NATIVE-NOT: tosa.add
// NATIVE: return
// U55-LABEL: func.func @single_step
// U55: tosa.add
func.func @single_step(%arg0: tensor<1x4x4x1xi16>) -> tensor<1x4x4x1xi16> {
  %zp48 = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %s = "tosa.const"() <{values = dense<26> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = "tosa.const"() <{values = dense<24576> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %b = "tosa.const"() <{values = dense<1099511627776> : tensor<1xi48>}> : () -> tensor<1xi48>
  %w = "tosa.const"() <{values = dense<[[[[1]], [[-2]]], [[[0]], [[3]]]]> : tensor<2x2x1x1xi8>}> : () -> tensor<2x2x1x1xi8>
  %acc = tosa.depthwise_conv2d %arg0, %w, %b, %zp16, %wzp {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xi16>, tensor<2x2x1x1xi8>, tensor<1xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x1xi48>
  %r = tosa.rescale %acc, %m, %s, %zp48, %zp16 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x1xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi16>) -> tensor<1x4x4x1xi16>
  return %r : tensor<1x4x4x1xi16>
}

// -----

// A transpose_conv2d (the transpose_conv2d lowering's int16 form) splits and folds like the
// other convolutions: the i48 bias [8, -8] leaves it for an i32 add after the 2^0 narrowing.
// SPLIT-LABEL: func.func @transpose_conv2d
// SPLIT-DAG: %[[ZERO:.*]] = "tosa.const"() <{values = dense<0> : tensor<2xi48>}>
// SPLIT-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}8, -8]]]]> : tensor<1x1x1x2xi32>}>
// SPLIT: %[[ACC:.*]] = tosa.transpose_conv2d %arg0, %{{.*}}, %[[ZERO]], %{{.*}}, %{{.*}} {acc_type = i48, out_pad = array<i64: -1, 0, -1, 0>, stride = array<i64: 2, 2>} : {{.*}} -> tensor<1x7x7x2xi48>
// SPLIT-NEXT: %[[NARROW:.*]] = tosa.rescale %[[ACC]], {{.*}} scale32 = false} : (tensor<1x7x7x2xi48>, {{.*}}) -> tensor<1x7x7x2xi32>
// SPLIT-NEXT: %[[SUM:.*]] = tosa.add %[[NARROW]], %[[BIAS]]
// SPLIT-NEXT: tosa.rescale %[[SUM]]
// NATIVE-LABEL: func.func @transpose_conv2d
// NATIVE-NOT: tosa.add
// NATIVE: return
// U55-LABEL: func.func @transpose_conv2d
// U55-NOT: tosa.add
// U55: return
func.func @transpose_conv2d(%arg0: tensor<1x4x4x3xi16>) -> tensor<1x7x7x2xi16> {
  %shift = "tosa.const"() <{values = dense<[33, 32]> : tensor<2xi8>}> : () -> tensor<2xi8>
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<2xi32>}> : () -> tensor<2xi32>
  %zp32 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp48 = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %s14 = "tosa.const"() <{values = dense<14> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m14 = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %b = "tosa.const"() <{values = dense<[8, -8]> : tensor<2xi48>}> : () -> tensor<2xi48>
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3], [0, 1, -1]], [[2, -2, 1], [1, 0, 0]]], [[[-4, 5, -6], [1, 1, 1]], [[0, 2, 0], [-1, 0, 3]]]]> : tensor<2x2x2x3xi8>}> : () -> tensor<2x2x2x3xi8>
  %acc = tosa.transpose_conv2d %arg0, %w, %b, %zp16, %wzp {acc_type = i48, out_pad = array<i64: -1, 0, -1, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x3xi16>, tensor<2x2x2x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x7x7x2xi48>
  %n = tosa.rescale %acc, %m14, %s14, %zp48, %zp32 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x7x7x2xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi32>) -> tensor<1x7x7x2xi32>
  %r = tosa.rescale %n, %mult, %shift, %zp32, %zp16 {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x7x7x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<1xi32>, tensor<1xi16>) -> tensor<1x7x7x2xi16>
  return %r : tensor<1x7x7x2xi16>
}
