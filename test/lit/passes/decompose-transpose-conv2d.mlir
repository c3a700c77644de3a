// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-decompose-transpose-conv2d))' | filecheck %s

// Stride 2, 3x3 kernel, out_pad [-1, 0, -1, 0] (torch's padding 1, output_padding 1): the
// input spread to [1, 3, 1, 3, 1, 2], padded after dims 2 and 4 with one zero point (-3)
// each, reshaped to the zero-inserted [1, 6, 6, 2], and a stride-1 conv2d with the kernel
// flipped in H and W (w'[o, ky, kx, c] = w[o, 2 - ky, 2 - kx, c]) and pad [3 - 1 - 1,
// 3 + 0 - 2, 3 - 1 - 1, 3 + 0 - 2] = [1, 1, 1, 1]; bias, zero points and acc_type stay.
// CHECK-LABEL: func.func @stride2_crop
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}-1, 2], [1, 1], [0, 1]], {{.*}}> : tensor<2x3x3x2xi8>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[PADS:.*]] = tosa.const_shape {{.*}}dense<[0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]> : tensor<12xindex>
// CHECK: %[[SPREAD:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<1x3x3x2xi8>, !tosa.shape<6>) -> tensor<1x3x1x3x1x2xi8>
// CHECK: %[[PADDED:.*]] = tosa.pad %[[SPREAD]], %[[PADS]], %[[IZP]] : (tensor<1x3x1x3x1x2xi8>, !tosa.shape<12>, tensor<1xi8>) -> tensor<1x3x2x3x2x2xi8>
// CHECK: %[[U:.*]] = tosa.reshape %[[PADDED]], %{{.*}} : (tensor<1x3x2x3x2x2xi8>, !tosa.shape<4>) -> tensor<1x6x6x2xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[U]], %[[W]], %{{.*}}, %[[IZP]], %{{.*}} {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, tosaic.int8_weight = "weight values -8..7 exceed TOSA int4 [-7, 7]"} : (tensor<1x6x6x2xi8>, tensor<2x3x3x2xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x6x6x2xi32>
// CHECK-NOT: tosa.transpose_conv2d
// CHECK: return %[[ACC]]
func.func @stride2_crop(%x: tensor<1x3x3x2xi8>) -> tensor<1x6x6x2xi32> {
  %w = "tosa.const"() <{values = dense<[[[[1, -1], [2, 0], [0, 3]], [[1, 1], [-2, 2], [1, 0]], [[0, 1], [1, 1], [-1, 2]]], [[[2, 1], [0, -1], [1, 1]], [[1, 0], [3, 1], [0, 2]], [[-1, 1], [1, 0], [2, 2]]]]> : tensor<2x3x3x2xi8>}> : () -> tensor<2x3x3x2xi8>
  %b = "tosa.const"() <{values = dense<[4, 2]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.transpose_conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, out_pad = array<i64: -1, 0, -1, 0>, stride = array<i64: 2, 2>, tosaic.int8_weight = "weight values -8..7 exceed TOSA int4 [-7, 7]"} : (tensor<1x3x3x2xi8>, tensor<2x3x3x2xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x6x6x2xi32>
  return %acc : tensor<1x6x6x2xi32>
}

// -----

// The flip on a single-channel 3x3 kernel 1..9; stride 1 needs no zero insertion, and out_pad
// 0 is pad [2, 2, 2, 2] (the full output, 3 + 3 - 1 = 5).
// CHECK-LABEL: func.func @flipped_kernel
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}9], [8], [7]], {{\[\[}}6], [5], [4]], {{\[\[}}3], [2], [1]]]]> : tensor<1x3x3x1xi8>}>
// CHECK: %[[ACC:.*]] = tosa.conv2d %arg0, %[[W]], {{.*}} pad = array<i64: 2, 2, 2, 2>, stride = array<i64: 1, 1>}
// CHECK: return %[[ACC]]
func.func @flipped_kernel(%x: tensor<1x3x3x1xi8>) -> tensor<1x5x5x1xi32> {
  %w = "tosa.const"() <{values = dense<[[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]]> : tensor<1x3x3x1xi8>}> : () -> tensor<1x3x3x1xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.transpose_conv2d %x, %w, %b, %zp, %zp {acc_type = i32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x1xi8>, tensor<1x3x3x1xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x5x5x1xi32>
  return %acc : tensor<1x5x5x1xi32>
}

// -----

// Stride 1 with int16 activations, an i48 accumulator and an i48 bias: no pad op, the
// flipped conv2d only, pad [KH - 1 + t, KH + b - 1, KW - 1 + l, KW + r - 1] = [1, 1, 0, 2]
// for a 2x2 kernel and out_pad [0, 0, -1, 1].
// CHECK-LABEL: func.func @stride1_int16
// CHECK-NOT: tosa.pad
// CHECK: %[[ACC:.*]] = tosa.conv2d %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 0, 2>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi16>, tensor<2x2x2x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x5x5x2xi48>
// CHECK: return %[[ACC]]
func.func @stride1_int16(%x: tensor<1x4x4x3xi16>) -> tensor<1x5x5x2xi48> {
  %w = "tosa.const"() <{values = dense<[[[[1, 2, 3], [0, 1, -1]], [[2, -2, 1], [1, 0, 0]]], [[[-4, 5, -6], [1, 1, 1]], [[0, 2, 0], [-1, 0, 3]]]]> : tensor<2x2x2x3xi8>}> : () -> tensor<2x2x2x3xi8>
  %b = "tosa.const"() <{values = dense<[8, -8]> : tensor<2xi48>}> : () -> tensor<2xi48>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.transpose_conv2d %x, %w, %b, %izp, %wzp {acc_type = i48, out_pad = array<i64: 0, 0, -1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi16>, tensor<2x2x2x3xi8>, tensor<2xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x5x5x2xi48>
  return %acc : tensor<1x5x5x2xi48>
}

// -----

// Stride 3 with a 2x2 kernel and out_pad 0: the bottom/right pad 2 + 0 - 3 = -1 would be
// negative, so one of the two zero rows/columns inserted after the last input row/column
// is sliced off ([1, 6, 6, 1] -> [1, 5, 5, 1]) and the pad is [1, 0, 1, 0]. The i4 weight
// stays i4, flipped.
// CHECK-LABEL: func.func @stride3_slice_i4
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}4], [3]], {{\[\[}}2], [1]]]]> : tensor<1x2x2x1xi4>}>
// CHECK: %[[U:.*]] = tosa.reshape {{.*}} -> tensor<1x6x6x1xi8>
// CHECK: %[[CUT:.*]] = tosa.slice %[[U]], %{{.*}}, %{{.*}} : (tensor<1x6x6x1xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x5x5x1xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[CUT]], %[[W]], {{.*}} {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x1xi8>, tensor<1x2x2x1xi4>, tensor<1xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x5x5x1xi32>
// CHECK: return %[[ACC]]
func.func @stride3_slice_i4(%x: tensor<1x2x2x1xi8>) -> tensor<1x5x5x1xi32> {
  %w = "tosa.const"() <{values = dense<[[[[1], [2]], [[3], [4]]]]> : tensor<1x2x2x1xi4>}> : () -> tensor<1x2x2x1xi4>
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %izp = "tosa.const"() <{values = dense<5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi4>}> : () -> tensor<1xi4>
  %acc = tosa.transpose_conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 3, 3>} : (tensor<1x2x2x1xi8>, tensor<1x2x2x1xi4>, tensor<1xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x5x5x1xi32>
  return %acc : tensor<1x5x5x1xi32>
}
