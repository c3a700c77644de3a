// RUN: tosaic-opt %s --pass-pipeline='builtin.module(func.func(tosaic-import-qdq))' --verify-diagnostics

// A scale computed at run time cannot become a quantization parameter.
func.func @dynamic_scale(%arg0: !torch.vtensor<[4],f32>, %s: !torch.float) -> !torch.vtensor<[4],si8> {
  %zp = torch.constant.int 0
  %qmin = torch.constant.int -128
  %qmax = torch.constant.int 127
  %int8 = torch.constant.int 1
  %scale = torch.aten.mul.float %s, %s : !torch.float, !torch.float -> !torch.float
  // expected-error@+1 {{'torch.quantized_decomposed.quantize_per_tensor' op cannot be imported: the scale is not a constant (it is computed by 'torch.aten.mul.float')}}
  %q = torch.quantized_decomposed.quantize_per_tensor %arg0, %scale, %zp, %qmin, %qmax, %int8 : !torch.vtensor<[4],f32>, !torch.float, !torch.int, !torch.int, !torch.int, !torch.int -> !torch.vtensor<[4],si8>
  return %q : !torch.vtensor<[4],si8>
}
