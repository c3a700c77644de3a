// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-decompose-conv3d))' | filecheck %s

// Kernel depth 3, depth pad 1: the input is padded in depth with the input zero point, the
// three depth taps are sliced and stacked as channels, and one kernel-depth-1 conv3d takes
// the folded i4 weight w'[o, 0, h, w, k*C + c] = w[o, k, h, w, c], the bias and both zero
// points; the H/W padding stays on it.
// CHECK-LABEL: func.func @depth3_pad1
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[\[}}1, 2, 5, 6, -6, -5], [3, 4, 7, -7, -4, -3]]]], {{\[\[\[\[}}-2, -1, 2, 3, 6, 7], [0, 1, 4, 5, -7, -6]]]]]> : tensor<2x1x1x2x6xi4>}>
// CHECK-DAG: %[[START2:.*]] = tosa.const_shape {{.*}}dense<[0, 2, 0, 0, 0]> : tensor<5xindex>
// CHECK-DAG: %[[START1:.*]] = tosa.const_shape {{.*}}dense<[0, 1, 0, 0, 0]> : tensor<5xindex>
// CHECK-DAG: %[[SIZE:.*]] = tosa.const_shape {{.*}}dense<[1, 4, 5, 5, 2]> : tensor<5xindex>
// CHECK-DAG: %[[START0:.*]] = tosa.const_shape {{.*}}dense<0> : tensor<5xindex>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[10, -10]> : tensor<2xi32>}>
// CHECK-DAG: %[[IZP:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK-DAG: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi4>}>
// CHECK-DAG: %[[PADS:.*]] = tosa.const_shape {{.*}}dense<[0, 0, 1, 1, 0, 0, 0, 0, 0, 0]> : tensor<10xindex>
// CHECK: %[[XP:.*]] = tosa.pad %arg0, %[[PADS]], %[[IZP]] : {{.*}} -> tensor<1x6x5x5x2xi8>
// CHECK: %[[T0:.*]] = tosa.slice %[[XP]], %[[START0]], %[[SIZE]] : {{.*}} -> tensor<1x4x5x5x2xi8>
// CHECK: %[[T1:.*]] = tosa.slice %[[XP]], %[[START1]], %[[SIZE]]
// CHECK: %[[T2:.*]] = tosa.slice %[[XP]], %[[START2]], %[[SIZE]]
// CHECK: %[[XC:.*]] = tosa.concat %[[T0]], %[[T1]], %[[T2]] {axis = 4 : i32} : {{.*}} -> tensor<1x4x5x5x6xi8>
// CHECK: %[[ACC:.*]] = tosa.conv3d %[[XC]], %[[W]], %[[B]], %[[IZP]], %[[WZP]] {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 0, 0, 1, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x4x5x5x6xi8>, tensor<2x1x1x2x6xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x5x5x2xi32>
// CHECK-NOT: tosa.conv3d
// CHECK: return %[[ACC]]
func.func @depth3_pad1(%x: tensor<1x4x5x5x2xi8>) -> tensor<1x4x5x5x2xi32> {
  %w = "tosa.const"() <{values = dense<[[[[[1, 2], [3, 4]]], [[[5, 6], [7, -7]]], [[[-6, -5], [-4, -3]]]], [[[[-2, -1], [0, 1]]], [[[2, 3], [4, 5]]], [[[6, 7], [-7, -6]]]]]> : tensor<2x3x1x2x2xi4>}> : () -> tensor<2x3x1x2x2xi4>
  %b = "tosa.const"() <{values = dense<[10, -10]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi4>}> : () -> tensor<1xi4>
  %acc = tosa.conv3d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 1, 1, 0, 0, 1, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x4x5x5x2xi8>, tensor<2x3x1x2x2xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x5x5x2xi32>
  return %acc : tensor<1x4x5x5x2xi32>
}

// -----

// Depth stride 2 (with H stride 2, H/W pad 1): the padded input is reshaped to
// [N, D/2, 2*H, W, C] so that each tap's every-other plane is one slice: tap k starts at
// plane k/2, rows (k%2)*H. Depth 7 + pad front 1 is padded at the back to 10 planes (the
// 9 the taps read, rounded up to the stride). The conv3d keeps H/W stride and pad.
// CHECK-LABEL: func.func @depth_stride2
// CHECK-DAG: %[[START2:.*]] = tosa.const_shape {{.*}}dense<[0, 1, 0, 0, 0]> : tensor<5xindex>
// CHECK-DAG: %[[START1:.*]] = tosa.const_shape {{.*}}dense<[0, 0, 3, 0, 0]> : tensor<5xindex>
// CHECK-DAG: %[[SIZE:.*]] = tosa.const_shape {{.*}}dense<[1, 4, 3, 3, 2]> : tensor<5xindex>
// CHECK-DAG: %[[START0:.*]] = tosa.const_shape {{.*}}dense<0> : tensor<5xindex>
// CHECK-DAG: %[[SHAPE:.*]] = tosa.const_shape {{.*}}dense<[1, 5, 6, 3, 2]> : tensor<5xindex>
// CHECK-DAG: %[[PADS:.*]] = tosa.const_shape {{.*}}dense<[0, 0, 1, 2, 0, 0, 0, 0, 0, 0]> : tensor<10xindex>
// CHECK: %[[XP:.*]] = tosa.pad %arg0, %[[PADS]], %{{.*}} : {{.*}} -> tensor<1x10x3x3x2xi8>
// CHECK: %[[XR:.*]] = tosa.reshape %[[XP]], %[[SHAPE]] : {{.*}} -> tensor<1x5x6x3x2xi8>
// CHECK: %[[T0:.*]] = tosa.slice %[[XR]], %[[START0]], %[[SIZE]]
// CHECK: %[[T1:.*]] = tosa.slice %[[XR]], %[[START1]], %[[SIZE]]
// CHECK: %[[T2:.*]] = tosa.slice %[[XR]], %[[START2]], %[[SIZE]]
// CHECK: %[[XC:.*]] = tosa.concat %[[T0]], %[[T1]], %[[T2]] {axis = 4 : i32} : {{.*}} -> tensor<1x4x3x3x6xi8>
// CHECK: tosa.conv3d %[[XC]], %{{.*}} {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 1, 1, 1, 1>, stride = array<i64: 1, 2, 1>} : (tensor<1x4x3x3x6xi8>, tensor<4x1x3x3x6xi8>, {{.*}}) -> tensor<1x4x2x3x4xi32>
// CHECK-NOT: tosa.conv3d
func.func @depth_stride2(%x: tensor<1x7x3x3x2xi8>) -> tensor<1x4x2x3x4xi32> {
  %w = "tosa.const"() <{values = dense<3> : tensor<4x3x3x3x2xi8>}> : () -> tensor<4x3x3x3x2xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<4xi32>}> : () -> tensor<4xi32>
  %izp = "tosa.const"() <{values = dense<5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv3d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 1, 1, 1, 1, 1, 1>, stride = array<i64: 2, 2, 1>} : (tensor<1x7x3x3x2xi8>, tensor<4x3x3x3x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x2x3x4xi32>
  return %acc : tensor<1x4x2x3x4xi32>
}

// -----

// Depth dilation 2, no depth padding: no pad; tap k starts at plane 2k.
// CHECK-LABEL: func.func @depth_dilation2
// CHECK-NOT: tosa.pad
// CHECK-DAG: %[[START1:.*]] = tosa.const_shape {{.*}}dense<[0, 2, 0, 0, 0]> : tensor<5xindex>
// CHECK-DAG: %[[SIZE:.*]] = tosa.const_shape {{.*}}dense<[1, 4, 2, 2, 3]> : tensor<5xindex>
// CHECK-DAG: %[[START0:.*]] = tosa.const_shape {{.*}}dense<0> : tensor<5xindex>
// CHECK: %[[T0:.*]] = tosa.slice %arg0, %[[START0]], %[[SIZE]]
// CHECK: %[[T1:.*]] = tosa.slice %arg0, %[[START1]], %[[SIZE]]
// CHECK: %[[XC:.*]] = tosa.concat %[[T0]], %[[T1]] {axis = 4 : i32}
// CHECK: tosa.conv3d %[[XC]], {{.*}} {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x4x2x2x6xi8>, tensor<2x1x1x1x6xi4>
func.func @depth_dilation2(%x: tensor<1x6x2x2x3xi8>) -> tensor<1x4x2x2x2xi32> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x2x1x1x3xi4>}> : () -> tensor<2x2x1x1x3xi4>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi4>}> : () -> tensor<1xi4>
  %acc = tosa.conv3d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 2, 1, 1>, pad = array<i64: 0, 0, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x6x2x2x3xi8>, tensor<2x2x1x1x3xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x2x2x2xi32>
  return %acc : tensor<1x4x2x2x2xi32>
}

// -----

// int16 activations, i48 accumulator: the same construction, types kept.
// CHECK-LABEL: func.func @int16_activations
// CHECK: tosa.pad %arg0, %{{.*}}, %{{.*}} : (tensor<1x2x3x3x1xi16>, !tosa.shape<10>, tensor<1xi16>) -> tensor<1x4x3x3x1xi16>
// CHECK: tosa.concat {{.*}} {axis = 4 : i32} : {{.*}} -> tensor<1x2x3x3x3xi16>
// CHECK: tosa.conv3d {{.*}} {acc_type = i48, {{.*}} : (tensor<1x2x3x3x3xi16>, tensor<1x1x1x1x3xi8>, tensor<1xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x2x3x3x1xi48>
// CHECK-NOT: tosa.conv3d
func.func @int16_activations(%x: tensor<1x2x3x3x1xi16>) -> tensor<1x2x3x3x1xi48> {
  %w = "tosa.const"() <{values = dense<[[[[[1]]], [[[2]]], [[[3]]]]]> : tensor<1x3x1x1x1xi8>}> : () -> tensor<1x3x1x1x1xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi48>}> : () -> tensor<1xi48>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv3d %x, %w, %b, %izp, %wzp {acc_type = i48, dilation = array<i64: 1, 1, 1>, pad = array<i64: 1, 1, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x2x3x3x1xi16>, tensor<1x3x1x1x1xi8>, tensor<1xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x2x3x3x1xi48>
  return %acc : tensor<1x2x3x3x1xi48>
}

// -----

// Untouched: kernel depth 1 (the U55 runs it), a float conv3d, a weight that is not a constant.
// CHECK-LABEL: func.func @depth1
// CHECK-NOT: tosa.pad
// CHECK-NOT: tosa.slice
// CHECK-NOT: tosa.concat
// CHECK: tosa.conv3d %arg0, %{{.*}} pad = array<i64: 0, 0, 1, 1, 1, 1>{{.*}} : (tensor<1x4x4x4x2xi8>, tensor<2x1x3x3x2xi4>
func.func @depth1(%x: tensor<1x4x4x4x2xi8>) -> tensor<1x4x4x4x2xi32> {
  %w = "tosa.const"() <{values = dense<1> : tensor<2x1x3x3x2xi4>}> : () -> tensor<2x1x3x3x2xi4>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi4>}> : () -> tensor<1xi4>
  %acc = tosa.conv3d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 1, 1, 1, 1>, stride = array<i64: 1, 1, 1>} : (tensor<1x4x4x4x2xi8>, tensor<2x1x3x3x2xi4>, tensor<2xi32>, tensor<1xi8>, tensor<1xi4>) -> tensor<1x4x4x4x2xi32>
  return %acc : tensor<1x4x4x4x2xi32>
}

// CHECK-LABEL: func.func @float_conv3d
// CHECK-NOT: tosa.slice
// CHECK: tosa.conv3d %arg0, %{{.*}} : (tensor<1x3x2x2x1xf32>, tensor<1x3x1x1x1xf32>
func.func @float_conv3d(%x: tensor<1x3x2x2x1xf32>) -> tensor<1x3x2x2x1xf32> {
  %w = "tosa.const"() <{values = dense<1.0> : tensor<1x3x1x1x1xf32>}> : () -> tensor<1x3x1x1x1xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %acc = tosa.conv3d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 1, 1, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x3x2x2x1xf32>, tensor<1x3x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2x2x1xf32>
  return %acc : tensor<1x3x2x2x1xf32>
}

// CHECK-LABEL: func.func @weight_not_constant
// CHECK-NOT: tosa.slice
// CHECK: tosa.conv3d %arg0, %arg1,
func.func @weight_not_constant(%x: tensor<1x3x2x2x1xi8>, %w: tensor<1x3x1x1x1xi8>) -> tensor<1x3x2x2x1xi32> {
  %b = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %acc = tosa.conv3d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 1, 1, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x3x2x2x1xi8>, tensor<1x3x1x1x1xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x3x2x2x1xi32>
  return %acc : tensor<1x3x2x2x1xi32>
}
