// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-materialize-int8x4))' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-materialize-int8x4{bitwise=true}))' | filecheck %s --check-prefix=BITWISE

// pack: pad to the blocks with the padding value, split W and C into (blocks, 4), move
// each block's 4x4 bytes innermost, then bytes to words: the unsigned byte
// (b - ((b >> 7) << 8)), shifted by 8k, the four lanes added (disjoint bits).
// CHECK-LABEL: func.func @pack
// CHECK-SAME: -> (tensor<1x5x2x1x4xi32> {tosaic.int8x4 = {layout = "4W4C", logical_shape = array<i64: 1, 5, 7, 3>, padding = -3 : i64}})
// CHECK: %[[PADC:.*]] = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}>
// CHECK: %[[PAD:.*]] = tosa.pad %arg0, %{{.*}}, %[[PADC]] : (tensor<1x5x7x3xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x5x8x4xi8>
// CHECK: %[[SPLIT:.*]] = tosa.reshape %[[PAD]], %{{.*}} -> tensor<1x5x2x4x1x4xi8>
// CHECK: %[[BLOCKS:.*]] = tosa.transpose %[[SPLIT]] {perms = array<i32: 0, 1, 2, 4, 3, 5>} : (tensor<1x5x2x4x1x4xi8>) -> tensor<1x5x2x1x4x4xi8>
// CHECK: %[[S:.*]] = tosa.cast %[[BLOCKS]] : (tensor<1x5x2x1x4x4xi8>) -> tensor<1x5x2x1x4x4xi32>
// CHECK: %[[NEG:.*]] = tosa.arithmetic_right_shift %[[S]]
// CHECK: %[[N256:.*]] = tosa.logical_left_shift %[[NEG]]
// CHECK: %[[U:.*]] = tosa.sub %[[S]], %[[N256]]
// CHECK: %[[SHIFTS:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[\[\[}}0, 8, 16, 24]]]]]]> : tensor<1x1x1x1x1x4xi32>}>
// CHECK: %[[W:.*]] = tosa.logical_left_shift %[[U]], %[[SHIFTS]]
// CHECK-COUNT-4: tosa.slice %[[W]]
// CHECK-COUNT-3: tosa.add
// CHECK: %[[WORDS:.*]] = tosa.reshape %{{.*}} -> tensor<1x5x2x1x4xi32>
// CHECK: return %[[WORDS]]
// BITWISE-LABEL: func.func @pack
// BITWISE: tosa.cast
// BITWISE-NEXT: "tosa.const"() <{values = dense<255>
// BITWISE-NEXT: tosa.bitwise_and
// BITWISE: tosa.logical_left_shift
// BITWISE-COUNT-3: tosa.bitwise_or
func.func @pack(%x: tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>> {
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>
  return %p : tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>
}

// -----

// unpack: each word repeated 4 times, byte k sign-extended by << (24 - 8k) then >> 24,
// cast to i8 (exact), the blocks back in place, the padding sliced off.
// CHECK-LABEL: func.func @unpack
// CHECK-SAME: (%arg0: tensor<1x5x2x1x4xi32> {tosaic.int8x4 = {layout = "4W4C", logical_shape = array<i64: 1, 5, 7, 3>, padding = -3 : i64}})
// CHECK: %[[R:.*]] = tosa.reshape %arg0, %{{.*}} : (tensor<1x5x2x1x4xi32>, !tosa.shape<6>) -> tensor<1x5x2x1x4x1xi32>
// CHECK: %[[T:.*]] = tosa.tile %[[R]], %{{.*}} -> tensor<1x5x2x1x4x4xi32>
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[\[\[\[}}24, 16, 8, 0]]]]]]> : tensor<1x1x1x1x1x4xi32>}>
// CHECK: %[[L:.*]] = tosa.logical_left_shift %[[T]]
// CHECK: %[[A:.*]] = tosa.arithmetic_right_shift %[[L]], %{{.*}} {round = false}
// CHECK: %[[B:.*]] = tosa.cast %[[A]] : (tensor<1x5x2x1x4x4xi32>) -> tensor<1x5x2x1x4x4xi8>
// CHECK: %[[BACK:.*]] = tosa.transpose %[[B]] {perms = array<i32: 0, 1, 2, 4, 3, 5>}
// CHECK: %[[P:.*]] = tosa.reshape %[[BACK]], %{{.*}} -> tensor<1x5x8x4xi8>
// CHECK: %[[X:.*]] = tosa.slice %[[P]], %{{.*}}, %{{.*}} : (tensor<1x5x8x4xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x5x7x3xi8>
// CHECK: return %[[X]]
func.func @unpack(%p: tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>) -> tensor<1x5x7x3xi8> {
  %x = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>) -> tensor<1x5x7x3xi8>
  return %x : tensor<1x5x7x3xi8>
}

// -----

// No padding where the dims are multiples of 4; nothing else changes.
// CHECK-LABEL: func.func @aligned
// CHECK-NOT: tosa.pad
// CHECK-NOT: tosa.slice {{.*}} -> tensor<1x4x8x4xi8>
// CHECK: return
func.func @aligned(%x: tensor<1x4x8x4xi8>) -> tensor<1x4x8x4xi8> {
  %p = "tosaic.pack_int8x4"(%x) : (tensor<1x4x8x4xi8>) -> tensor<1x4x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 4, 8, 4>, i8, 0 : i64>>
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x4x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 4, 8, 4>, i8, 0 : i64>>) -> tensor<1x4x8x4xi8>
  return %u : tensor<1x4x8x4xi8>
}

// -----

// A function without int8x4 is left as it is.
// CHECK-LABEL: func.func @untouched
// CHECK-NEXT: return %arg0 : tensor<2xi8>
func.func @untouched(%x: tensor<2xi8>) -> tensor<2xi8> {
  return %x : tensor<2xi8>
}
