// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-import-qdq))' | filecheck %s

// Per-tensor quantize/dequantize keep their range and storage type; the new ops work on
// builtin tensors between torch_c casts.
// CHECK-LABEL: func.func @per_tensor
// CHECK: %[[X:.*]] = torch_c.to_builtin_tensor %arg0 : !torch.vtensor<[1,4],f32> -> tensor<1x4xf32>
// CHECK: %[[Q:.*]] = "tosaic.quantize"(%[[X]]) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 5.000000e-01>, zero_point = array<i64: 3>} : (tensor<1x4xf32>) -> tensor<1x4xi8>
// CHECK: torch_c.from_builtin_tensor %[[Q]] : tensor<1x4xi8> -> !torch.vtensor<[1,4],si8>
// CHECK: "tosaic.dequantize"({{.*}}) {axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, scale = array<f64: 5.000000e-01>, zero_point = array<i64: 3>} : (tensor<1x4xi8>) -> tensor<1x4xf32>
// CHECK-NOT: quantized_decomposed
func.func @per_tensor(%arg0: !torch.vtensor<[1,4],f32>) -> !torch.vtensor<[1,4],f32> {
  %scale = torch.constant.float 5.000000e-01
  %zp = torch.constant.int 3
  %qmin = torch.constant.int -128
  %qmax = torch.constant.int 127
  %int8 = torch.constant.int 1
  %none = torch.constant.none
  %q = torch.quantized_decomposed.quantize_per_tensor %arg0, %scale, %zp, %qmin, %qmax, %int8 : !torch.vtensor<[1,4],f32>, !torch.float, !torch.int, !torch.int, !torch.int, !torch.int -> !torch.vtensor<[1,4],si8>
  %d = torch.quantized_decomposed.dequantize_per_tensor %q, %scale, %zp, %qmin, %qmax, %int8, %none : !torch.vtensor<[1,4],si8>, !torch.float, !torch.int, !torch.int, !torch.int, !torch.int, !torch.none -> !torch.vtensor<[1,4],f32>
  return %d : !torch.vtensor<[1,4],f32>
}

// -----

// Per-channel: scales and zero points are read from the literal tensors; the int4 range
// [-7, 7] stays on the op for the a8w4 lowering to see.
// CHECK-LABEL: func.func @per_channel_int4_range
// CHECK: "tosaic.dequantize"({{.*}}) {axis = 0 : i64, qmax = 7 : i64, qmin = -7 : i64, scale = array<f64: 2.500000e-01, 5.000000e-01>, zero_point = array<i64: 0, 0>} : (tensor<2x3xi8>) -> tensor<2x3xf32>
func.func @per_channel_int4_range() -> !torch.vtensor<[2,3],f32> {
  %w = torch.vtensor.literal(dense<[[1, -7, 7], [0, 2, -3]]> : tensor<2x3xsi8>) : !torch.vtensor<[2,3],si8>
  %s = torch.vtensor.literal(dense<[2.500000e-01, 5.000000e-01]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %z = torch.vtensor.literal(dense<0> : tensor<2xsi64>) : !torch.vtensor<[2],si64>
  %axis = torch.constant.int 0
  %qmin = torch.constant.int -7
  %qmax = torch.constant.int 7
  %int8 = torch.constant.int 1
  %none = torch.constant.none
  %d = torch.quantized_decomposed.dequantize_per_channel %w, %s, %z, %axis, %qmin, %qmax, %int8, %none : !torch.vtensor<[2,3],si8>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],si64>, !torch.int, !torch.int, !torch.int, !torch.int, !torch.none -> !torch.vtensor<[2,3],f32>
  return %d : !torch.vtensor<[2,3],f32>
}
