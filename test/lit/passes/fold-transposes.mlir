// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes))' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-transposes{sink=false}))' | filecheck %s --check-prefix=NOSINK

// An inverse pair cancels, with or without sinking.

// CHECK-LABEL: func.func @inverse_pair(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x3x16x8xf32>)
// CHECK-NOT: tosa.transpose
// CHECK: return %[[ARG]] : tensor<1x3x16x8xf32>
// NOSINK-LABEL: func.func @inverse_pair(
// NOSINK-NOT: tosa.transpose
// NOSINK: return %arg0
func.func @inverse_pair(%arg0: tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x8xf32>) -> tensor<1x16x8x3xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}

// -----

// The inner transpose has a second user: the outer one still folds into its source,
// the inner one stays for the other user.

// CHECK-LABEL: func.func @inverse_pair_shared_inner(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x3x16x8xf32>)
// CHECK: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ARG]] {perms = array<i32: 0, 2, 3, 1>}
// CHECK-NOT: tosa.transpose
// CHECK: return %[[ARG]], %[[T]] : tensor<1x3x16x8xf32>, tensor<1x16x8x3xf32>
func.func @inverse_pair_shared_inner(%arg0: tensor<1x3x16x8xf32>) -> (tensor<1x3x16x8xf32>, tensor<1x16x8x3xf32>) {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x8xf32>) -> tensor<1x16x8x3xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  return %1, %0 : tensor<1x3x16x8xf32>, tensor<1x16x8x3xf32>
}

// -----

// A non-inverse pair is not cancelled: it composes into one transpose that stays.
// out[i] = in[p1[p2[i]]]: p1 = [0,2,3,1], p2 = [2,3,0,1] -> [3,1,0,2].

// CHECK-LABEL: func.func @compose_non_inverse(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x3x16x8xf32>)
// CHECK: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ARG]] {perms = array<i32: 3, 1, 0, 2>} : (tensor<1x3x16x8xf32>) -> tensor<8x3x1x16xf32>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[T]] : tensor<8x3x1x16xf32>
// NOSINK-LABEL: func.func @compose_non_inverse(
// NOSINK: tosa.transpose %arg0 {perms = array<i32: 3, 1, 0, 2>}
// NOSINK-NOT: tosa.transpose
// NOSINK: return
func.func @compose_non_inverse(%arg0: tensor<1x3x16x8xf32>) -> tensor<8x3x1x16xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x8xf32>) -> tensor<1x16x8x3xf32>
  %1 = tosa.transpose %0 {perms = array<i32: 2, 3, 0, 1>} : (tensor<1x16x8x3xf32>) -> tensor<8x3x1x16xf32>
  return %1 : tensor<8x3x1x16xf32>
}

// -----

// NHWC -> NCHW, clamp, NCHW -> NHWC: the clamp computes on NHWC and both transposes go.

// CHECK-LABEL: func.func @sink_clamp_and_cancel(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NOT: tosa.transpose
// CHECK: %[[C:[a-z0-9_]+]] = tosa.clamp %[[ARG]] {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[C]] : tensor<1x16x8x3xf32>
// NOSINK-LABEL: func.func @sink_clamp_and_cancel(
// NOSINK: %[[T:[a-z0-9_]+]] = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>}
// NOSINK: %[[C:[a-z0-9_]+]] = tosa.clamp %[[T]]{{.*}} -> tensor<1x3x16x8xf32>
// NOSINK: tosa.transpose %[[C]] {perms = array<i32: 0, 2, 3, 1>}
func.func @sink_clamp_and_cancel(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.transpose %1 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x8xf32>) -> tensor<1x16x8x3xf32>
  return %2 : tensor<1x16x8x3xf32>
}

// -----

// Sinking alone: the transpose moves below the clamp, which now has the source's shape.

// CHECK-LABEL: func.func @sink_clamp(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NEXT: %[[C:[a-z0-9_]+]] = tosa.clamp %[[ARG]] {{.*}} : (tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[C]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NEXT: return %[[T]]
// NOSINK-LABEL: func.func @sink_clamp(
// NOSINK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %arg0
// NOSINK-NEXT: tosa.clamp %[[T]]
func.func @sink_clamp(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}

// -----

// Both operands transposed with the same permutation.

// CHECK-LABEL: func.func @sink_add_both_transposed(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: tensor<1x16x8x3xf32>, %[[B:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = tosa.add %[[A]], %[[B]] : (tensor<1x16x8x3xf32>, tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NEXT: return %[[T]]
func.func @sink_add_both_transposed(%arg0: tensor<1x16x8x3xf32>, %arg1: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %arg1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.add %0, %1 : (tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2 : tensor<1x3x16x8xf32>
}

// -----

// A [1, C, 1, 1] bias broadcast in NCHW becomes [1, 1, 1, C] by a reshape, which folds
// into the constant.

// CHECK-LABEL: func.func @sink_add_bias_const(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NOT: tosa.transpose
// CHECK: %[[BIAS:[a-z0-9_]+]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x3xf32>}>
// CHECK-NOT: tosa.transpose
// CHECK: %[[ADD:[a-z0-9_]+]] = tosa.add %[[ARG]], %[[BIAS]] : (tensor<1x16x8x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x16x8x3xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NEXT: return %[[T]]
func.func @sink_add_bias_const(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32> {
  %bias = "tosa.const"() <{values = dense<[[[[1.0]], [[2.0]], [[3.0]]]]> : tensor<1x3x1x1xf32>}> : () -> tensor<1x3x1x1xf32>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.add %0, %bias : (tensor<1x3x16x8xf32>, tensor<1x3x1x1xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}

// -----

// The same with a bias that is not a constant: the reshape stays.

// CHECK-LABEL: func.func @sink_add_bias_reshape(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x16x8x3xf32>, %[[BIAS:[a-z0-9_]+]]: tensor<1x3x1x1xf32>)
// CHECK: %[[SHAPE:[a-z0-9_]+]] = tosa.const_shape {{.*}}dense<[1, 1, 1, 3]> : tensor<4xindex>
// CHECK: %[[R:[a-z0-9_]+]] = tosa.reshape %[[BIAS]], %[[SHAPE]] : (tensor<1x3x1x1xf32>, !tosa.shape<4>) -> tensor<1x1x1x3xf32>
// CHECK: %[[ADD:[a-z0-9_]+]] = tosa.add %[[ARG]], %[[R]] : (tensor<1x16x8x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x16x8x3xf32>
// CHECK-NEXT: tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>}
func.func @sink_add_bias_reshape(%arg0: tensor<1x16x8x3xf32>, %bias: tensor<1x3x1x1xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.add %0, %bias : (tensor<1x3x16x8xf32>, tensor<1x3x1x1xf32>) -> tensor<1x3x16x8xf32>
  return %1 : tensor<1x3x16x8xf32>
}

// -----

// A full-size constant operand is transposed instead (constant folding removes that).

// CHECK-LABEL: func.func @sink_add_full_const(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x2x2x3xf32>)
// CHECK: %[[C:[a-z0-9_]+]] = "tosa.const"(){{.*}} : () -> tensor<1x3x2x2xf32>
// CHECK: %[[CT:[a-z0-9_]+]] = tosa.transpose %[[C]] {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x2x2xf32>) -> tensor<1x2x2x3xf32>
// CHECK: %[[ADD:[a-z0-9_]+]] = tosa.add %[[ARG]], %[[CT]] : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
// CHECK-NEXT: tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>}
func.func @sink_add_full_const(%arg0: tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32> {
  %c = "tosa.const"() <{values = dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]], [[9.0, 10.0], [11.0, 12.0]]]]> : tensor<1x3x2x2xf32>}> : () -> tensor<1x3x2x2xf32>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %1 = tosa.add %0, %c : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %1 : tensor<1x3x2x2xf32>
}

// -----

// mul's shift operand (rank 1) does not move.

// CHECK-LABEL: func.func @sink_mul_with_shift(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: tensor<1x16x8x3xi32>, %[[B:[a-z0-9_]+]]: tensor<1x16x8x3xi32>)
// CHECK: %[[SHIFT:[a-z0-9_]+]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-NOT: tosa.transpose
// CHECK: %[[MUL:[a-z0-9_]+]] = tosa.mul %[[A]], %[[B]], %[[SHIFT]] : (tensor<1x16x8x3xi32>, tensor<1x16x8x3xi32>, tensor<1xi8>) -> tensor<1x16x8x3xi32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[MUL]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xi32>) -> tensor<1x3x16x8xi32>
// CHECK-NEXT: return %[[T]]
func.func @sink_mul_with_shift(%arg0: tensor<1x16x8x3xi32>, %arg1: tensor<1x16x8x3xi32>) -> tensor<1x3x16x8xi32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xi32>) -> tensor<1x3x16x8xi32>
  %1 = tosa.transpose %arg1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xi32>) -> tensor<1x3x16x8xi32>
  %2 = tosa.mul %0, %1, %shift : (tensor<1x3x16x8xi32>, tensor<1x3x16x8xi32>, tensor<1xi8>) -> tensor<1x3x16x8xi32>
  return %2 : tensor<1x3x16x8xi32>
}

// -----

// concat on NCHW channels (axis 1) is concat on NHWC channels (axis 3).

// CHECK-LABEL: func.func @sink_concat(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: tensor<1x16x8x3xf32>, %[[B:[a-z0-9_]+]]: tensor<1x16x8x5xf32>)
// CHECK-NEXT: %[[CAT:[a-z0-9_]+]] = tosa.concat %[[A]], %[[B]] {axis = 3 : i32} : (tensor<1x16x8x3xf32>, tensor<1x16x8x5xf32>) -> tensor<1x16x8x8xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[CAT]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x8xf32>) -> tensor<1x8x16x8xf32>
// CHECK-NEXT: return %[[T]]
// NOSINK-LABEL: func.func @sink_concat(
// NOSINK: tosa.concat {{.*}} {axis = 1 : i32}
func.func @sink_concat(%arg0: tensor<1x16x8x3xf32>, %arg1: tensor<1x16x8x5xf32>) -> tensor<1x8x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %arg1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x5xf32>) -> tensor<1x5x16x8xf32>
  %2 = tosa.concat %0, %1 {axis = 1 : i32} : (tensor<1x3x16x8xf32>, tensor<1x5x16x8xf32>) -> tensor<1x8x16x8xf32>
  return %2 : tensor<1x8x16x8xf32>
}

// -----

// reduce_sum over NCHW's W (axis 3) is over NHWC's W (axis 2).

// CHECK-LABEL: func.func @sink_reduce_sum(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NEXT: %[[R:[a-z0-9_]+]] = tosa.reduce_sum %[[ARG]] {axis = 2 : i32} : (tensor<1x16x8x3xf32>) -> tensor<1x16x1x3xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[R]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x1x3xf32>) -> tensor<1x3x16x1xf32>
// CHECK-NEXT: return %[[T]]
func.func @sink_reduce_sum(%arg0: tensor<1x16x8x3xf32>) -> tensor<1x3x16x1xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.reduce_sum %0 {axis = 3 : i32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x1xf32>
  return %1 : tensor<1x3x16x1xf32>
}

// -----

// The residual block torch-mlir emits: the NCHW activation after the first conv feeds
// both the second conv's NHWC transpose and the skip add. Only the graph's input and
// output transposes survive.

// CHECK-LABEL: func.func @residual(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: tensor<1x3x16x16xf32>, %[[W0:[a-z0-9_]+]]: tensor<8x3x3x3xf32>, %[[W1:[a-z0-9_]+]]: tensor<8x3x3x8xf32>)
// CHECK: %[[IN:[a-z0-9_]+]] = tosa.transpose %[[X]] {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x16xf32>) -> tensor<1x16x16x3xf32>
// CHECK-NEXT: %[[CONV0:[a-z0-9_]+]] = tosa.conv2d %[[IN]], %[[W0]]
// CHECK-NOT: tosa.transpose
// CHECK: %[[RELU0:[a-z0-9_]+]] = tosa.clamp %[[CONV0]] {{.*}} -> tensor<1x16x16x8xf32>
// CHECK-NEXT: %[[CONV1:[a-z0-9_]+]] = tosa.conv2d %[[RELU0]], %[[W1]]
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = tosa.add %[[RELU0]], %[[CONV1]] : (tensor<1x16x16x8xf32>, tensor<1x16x16x8xf32>) -> tensor<1x16x16x8xf32>
// CHECK-NEXT: %[[RELU1:[a-z0-9_]+]] = tosa.clamp %[[ADD]]
// CHECK-NEXT: %[[OUT:[a-z0-9_]+]] = tosa.transpose %[[RELU1]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x16x8xf32>) -> tensor<1x8x16x16xf32>
// CHECK-NEXT: return %[[OUT]]
// NOSINK-LABEL: func.func @residual(
// NOSINK-COUNT-4: tosa.transpose
// NOSINK-NOT: tosa.transpose
// NOSINK: return
func.func @residual(%arg0: tensor<1x3x16x16xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x3x3x8xf32>) -> tensor<1x8x16x16xf32> {
  %b = "tosa.const"() <{values = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x3x16x16xf32>) -> tensor<1x16x16x3xf32>
  %1 = tosa.conv2d %0, %w0, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x16x16x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x16x8xf32>
  %2 = tosa.transpose %1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x16x8xf32>) -> tensor<1x8x16x16xf32>
  %3 = tosa.clamp %2 {max_val = 3.40282347E+38 : f32, min_val = 0.0 : f32} : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  %4 = tosa.transpose %3 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x8x16x16xf32>) -> tensor<1x16x16x8xf32>
  %5 = tosa.conv2d %4, %w1, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x16x16x8xf32>
  %6 = tosa.transpose %5 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x16x8xf32>) -> tensor<1x8x16x16xf32>
  %7 = tosa.add %3, %6 : (tensor<1x8x16x16xf32>, tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  %8 = tosa.clamp %7 {max_val = 3.40282347E+38 : f32, min_val = 0.0 : f32} : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  return %8 : tensor<1x8x16x16xf32>
}

// -----

// One transposed operand is shared, the other is not: sinking moves the unshared one
// and the shared transpose stays for its other user.

// CHECK-LABEL: func.func @sink_add_one_operand_shared(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: tensor<1x16x8x3xf32>, %[[B:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NEXT: %[[TA:[a-z0-9_]+]] = tosa.transpose %[[A]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = tosa.add %[[A]], %[[B]] : (tensor<1x16x8x3xf32>, tensor<1x16x8x3xf32>) -> tensor<1x16x8x3xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ADD]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NEXT: return %[[T]], %[[TA]]
func.func @sink_add_one_operand_shared(%arg0: tensor<1x16x8x3xf32>, %arg1: tensor<1x16x8x3xf32>) -> (tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>) {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %arg1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.add %0, %1 : (tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2, %0 : tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>
}

// -----

// Negative: the transpose has two users, so sinking it through either would add a
// transpose rather than move one.

// CHECK-LABEL: func.func @no_sink_shared_transpose(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x16x8x3xf32>)
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ARG]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NEXT: %[[C:[a-z0-9_]+]] = tosa.clamp %[[T]] {{.*}} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NEXT: %[[ABS:[a-z0-9_]+]] = tosa.abs %[[T]] : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[C]], %[[ABS]]
func.func @no_sink_shared_transpose(%arg0: tensor<1x16x8x3xf32>) -> (tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>) {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.clamp %0 {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.abs %0 : (tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %1, %2 : tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>
}

// -----

// Negative: the other operand is a full-size value that is neither transposed nor a
// constant, so it cannot follow.

// CHECK-LABEL: func.func @no_sink_untransposed_operand(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: tensor<1x2x2x3xf32>, %[[B:[a-z0-9_]+]]: tensor<1x3x2x2xf32>)
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[A]] {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = tosa.add %[[T]], %[[B]] : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[ADD]]
func.func @no_sink_untransposed_operand(%arg0: tensor<1x2x2x3xf32>, %arg1: tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %1 = tosa.add %0, %arg1 : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %1 : tensor<1x3x2x2xf32>
}

// -----

// Negative: a per-channel rescale's multiplier and shift index the last dim, which a
// transpose changes.

// CHECK-LABEL: func.func @no_sink_rescale_per_channel(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x4x4x8xi32>)
// CHECK: %[[T:[a-z0-9_]+]] = tosa.transpose %[[ARG]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi32>
// CHECK-NEXT: %[[R:[a-z0-9_]+]] = tosa.rescale %[[T]], {{.*}}per_channel = true{{.*}} -> tensor<1x8x4x4xi8>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[R]]
func.func @no_sink_rescale_per_channel(%arg0: tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi8> {
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<4xi32>}> : () -> tensor<4xi32>
  %shift = "tosa.const"() <{values = dense<30> : tensor<4xi8>}> : () -> tensor<4xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi32>
  %1 = tosa.rescale %0, %mult, %shift, %izp, %ozp {rounding_mode = SINGLE_ROUND, per_channel = true, scale32 = true, input_unsigned = false, output_unsigned = false} : (tensor<1x8x4x4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x8x4x4xi8>
  return %1 : tensor<1x8x4x4xi8>
}

// -----

// A per-tensor rescale is elementwise and does sink.

// CHECK-LABEL: func.func @sink_rescale_per_tensor(
// CHECK-SAME: %[[ARG:[a-z0-9_]+]]: tensor<1x4x4x8xi32>)
// CHECK: %[[R:[a-z0-9_]+]] = tosa.rescale %[[ARG]], {{.*}}per_channel = false{{.*}} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = tosa.transpose %[[R]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi8>) -> tensor<1x8x4x4xi8>
// CHECK-NEXT: return %[[T]]
func.func @sink_rescale_per_tensor(%arg0: tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi8> {
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %shift = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xi32>) -> tensor<1x8x4x4xi32>
  %1 = tosa.rescale %0, %mult, %shift, %izp, %ozp {rounding_mode = SINGLE_ROUND, per_channel = false, scale32 = true, input_unsigned = false, output_unsigned = false} : (tensor<1x8x4x4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x8x4x4xi8>
  return %1 : tensor<1x8x4x4xi8>
}

// -----

// Negative: the operands are transposed with different permutations.

// CHECK-LABEL: func.func @no_sink_mismatched_perms(
// CHECK-SAME: %[[A:[a-z0-9_]+]]: tensor<1x16x8x3xf32>, %[[B:[a-z0-9_]+]]: tensor<1x8x3x16xf32>)
// CHECK-NEXT: %[[TA:[a-z0-9_]+]] = tosa.transpose %[[A]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NEXT: %[[TB:[a-z0-9_]+]] = tosa.transpose %[[B]] {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x8x3x16xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NEXT: %[[ADD:[a-z0-9_]+]] = tosa.add %[[TA]], %[[TB]] : (tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
// CHECK-NEXT: return %[[ADD]]
func.func @no_sink_mismatched_perms(%arg0: tensor<1x16x8x3xf32>, %arg1: tensor<1x8x3x16xf32>) -> tensor<1x3x16x8xf32> {
  %0 = tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x16x8x3xf32>) -> tensor<1x3x16x8xf32>
  %1 = tosa.transpose %arg1 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x8x3x16xf32>) -> tensor<1x3x16x8xf32>
  %2 = tosa.add %0, %1 : (tensor<1x3x16x8xf32>, tensor<1x3x16x8xf32>) -> tensor<1x3x16x8xf32>
  return %2 : tensor<1x3x16x8xf32>
}
