// RUN: tosaic-opt %s --split-input-file --verify-diagnostics

// tosaic.quantize / tosaic.dequantize are checked right after parsing (the rules IRDL
// cannot state), so no pass meets a malformed one: each case one error at the op.

func.func @zero_point_kind(%arg0: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error@+1 {{'tosaic.dequantize' op 'zero_point' must be array<i64: ...>, not array<i8: 0>}}
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i8: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

func.func @scale_kind(%arg0: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error@+1 {{'tosaic.dequantize' op 'scale' must be array<f64: ...>, not array<f32: 5.000000e-01>}}
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f32: 0.5>, zero_point = array<i64: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

func.func @zero_scale(%arg0: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.quantize' op scale 0.0 is not positive and finite}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.0>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @negative_scale(%arg0: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.quantize' op scale -0.5 is not positive and finite}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: -0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @empty_scale(%arg0: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.quantize' op 'scale' is empty}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64>, zero_point = array<i64>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @channel_count(%arg0: tensor<2x3xi8>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'tosaic.dequantize' op 2 scales for the 3 slices along axis 1}}
  %d = "tosaic.dequantize"(%arg0) {axis = 1 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.1, 0.2>, zero_point = array<i64: 0, 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  return %d : tensor<2x3xf32>
}

// -----

func.func @axis_outside(%arg0: tensor<2x3xi8>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'tosaic.dequantize' op axis 2 is outside the rank-2 tensor}}
  %d = "tosaic.dequantize"(%arg0) {axis = 2 : i64, qmax = 127 : i64, qmin = -127 : i64, scale = array<f64: 0.1>, zero_point = array<i64: 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  return %d : tensor<2x3xf32>
}

// -----

func.func @zero_point_count(%arg0: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.quantize' op 2 zero points for 1 scales}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0, 1>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @float_storage(%arg0: tensor<4xf32>) -> tensor<4xbf16> {
  // expected-error@+1 {{'tosaic.quantize' op the storage must be an integer type, not bf16}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xbf16>
  return %q : tensor<4xbf16>
}

// -----

func.func @range_too_wide(%arg0: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.quantize' op [qmin, qmax] = [-32768, 32767] does not fit i8}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 32767 : i64, qmin = -32768 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @dynamic_shape(%arg0: tensor<?xf32>) -> tensor<?xi8> {
  // expected-error@+1 {{'tosaic.quantize' op the float side must have a static shape, not tensor<?xf32>}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<?xf32>) -> tensor<?xi8>
  return %q : tensor<?xi8>
}

// -----

func.func @shapes_differ(%arg0: tensor<4xf32>) -> tensor<2xi8> {
  // expected-error@+1 {{'tosaic.quantize' op the float and integer sides differ in shape}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<2xi8>
  return %q : tensor<2xi8>
}

// -----

func.func @zero_point_unknown_element_type(%arg0: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error@+1 {{'tosaic.dequantize' op 'zero_point' must be array<i64: ...>, not an array of another element type}}
  %d = "tosaic.dequantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i0: 0>} : (tensor<4xi8>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

func.func @axis_wider_than_64_bits(%arg0: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error@+1 {{'tosaic.quantize' op 'axis' must be a 64-bit integer, not of type i65536}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i65536, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

func.func @storage_wider_than_64_bits(%arg0: tensor<4xf32>) -> tensor<4xi65536> {
  // expected-error@+1 {{'tosaic.quantize' op the storage i65536 is wider than 64 bits}}
  %q = "tosaic.quantize"(%arg0) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 0.5>, zero_point = array<i64: 0>} : (tensor<4xf32>) -> tensor<4xi65536>
  return %q : tensor<4xi65536>
}
