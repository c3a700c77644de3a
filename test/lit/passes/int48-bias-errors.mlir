// RUN: tosaic-opt %s --split-input-file --tosaic-int48-bias=form=split --verify-diagnostics
// RUN: not tosaic-opt %s --tosaic-int48-bias=form=both 2>&1 | filecheck %s --check-prefix=FORM

// FORM: error: 'func.func' op tosaic-int48-bias: unknown form 'both' (native or split)

// Refused, not wrapped: the i48 bias 2^46 fits int32 only at a step of 2^16 accumulator
// units, but the output's LSB is 2^10 of them (scale 2^-10), so every allowed step would
// overflow the int32 add.
func.func @bias_too_wide(%arg0: tensor<1x4x4x1xi16>) -> tensor<1x4x4x1xi16> {
  %zp48 = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %s = "tosa.const"() <{values = dense<24> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = "tosa.const"() <{values = dense<16384> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %b = "tosa.const"() <{values = dense<70368744177664> : tensor<1xi48>}> : () -> tensor<1xi48>
  %w = "tosa.const"() <{values = dense<1> : tensor<1x1x1x1xi8>}> : () -> tensor<1x1x1x1xi8>
  // expected-error-re@+1 {{'tosa.conv2d' op cannot split the int48 bias: channel 0: accumulator bound 32768 plus bias 70368744177664 does not fit int32 at any power-of-two step no coarser than the output's LSB (accumulator/output scale {{[0-9.e+-]+}})}}
  %acc = tosa.conv2d %arg0, %w, %b, %zp16, %wzp {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xi16>, tensor<1x1x1x1xi8>, tensor<1xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x4x4x1xi48>
  %r = tosa.rescale %acc, %m, %s, %zp48, %zp16 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<1x4x4x1xi48>, tensor<1xi16>, tensor<1xi8>, tensor<1xi48>, tensor<1xi16>) -> tensor<1x4x4x1xi16>
  return %r : tensor<1x4x4x1xi16>
}
