// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-fold-int8x4))' | filecheck %s

// cancel: unpack -> pack of the same packed type is the packed value itself.
// CHECK-LABEL: func.func @cancel
// CHECK-SAME: attributes {tosaic.int8x4_removed = 2 : i64}
// CHECK-NOT: "tosaic.
// CHECK: return %arg0
func.func @cancel(%p: tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>> {
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  %q = "tosaic.pack_int8x4"(%u) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  return %q : tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
}

// -----

// propagate: the clamp (layout-neutral) joins the layout region: it reads the rescale's
// result directly and the region is packed once after it.
// CHECK-LABEL: func.func @propagate
// CHECK-SAME: attributes {tosaic.int8x4_removed = 2 : i64}
// CHECK: %[[K:.*]] = tosa.clamp %arg0
// CHECK-NEXT: %[[P:.*]] = "tosaic.pack_int8x4"(%[[K]])
// CHECK-NEXT: %[[U:.*]] = "tosaic.unpack_int8x4"(%[[P]])
// CHECK-NEXT: return %[[U]]
func.func @propagate(%y: tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8> {
  %p = "tosaic.pack_int8x4"(%y) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  %k = tosa.clamp %u {max_val = 127 : i8, min_val = 0 : i8} : (tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8>
  %p2 = "tosaic.pack_int8x4"(%k) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  %u2 = "tosaic.unpack_int8x4"(%p2) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  return %u2 : tensor<1x5x7x3xi8>
}

// -----

// merge: two packs of one value to one type are one (then their unpacks too).
// CHECK-LABEL: func.func @merge
// CHECK-SAME: attributes {tosaic.int8x4_removed = 2 : i64}
// CHECK-COUNT-1: "tosaic.pack_int8x4"
// CHECK-COUNT-1: "tosaic.unpack_int8x4"
// CHECK-NOT: "tosaic.
// CHECK: return
func.func @merge(%y: tensor<1x5x7x3xi8>) -> (tensor<1x5x7x3xi8>, tensor<1x5x7x3xi8>) {
  %p = "tosaic.pack_int8x4"(%y) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  %p2 = "tosaic.pack_int8x4"(%y) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  %u2 = "tosaic.unpack_int8x4"(%p2) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  return %u, %u2 : tensor<1x5x7x3xi8>, tensor<1x5x7x3xi8>
}

// -----

// Kept: unpack -> pack to another layout, or to another padding value, is a real
// conversion; a conversion whose users are not all layout-neutral ops leading to packs
// (here a max pool, and a graph output) stays.
// CHECK-LABEL: func.func @kept
// CHECK-SAME: attributes {tosaic.int8x4_removed = 0 : i64}
// CHECK-COUNT-3: "tosaic.pack_int8x4"
// CHECK: tosa.max_pool2d
func.func @kept(%p: tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>, %y: tensor<1x5x7x3xi8>) -> (tensor<1x2x2x3x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>, tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 4 : i64>>, tensor<1x5x7x3xi8>, tensor<1x5x7x3xi8>) {
  %u = "tosaic.unpack_int8x4"(%p) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  %h = "tosaic.pack_int8x4"(%u) : (tensor<1x5x7x3xi8>) -> tensor<1x2x2x3x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  %b = "tosaic.pack_int8x4"(%u) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 4 : i64>>
  %q = "tosaic.pack_int8x4"(%y) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
  %v = "tosaic.unpack_int8x4"(%q) : (tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x7x3xi8>
  %m = tosa.max_pool2d %v {kernel = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x7x3xi8>) -> tensor<1x5x7x3xi8>
  return %h, %b, %m, %v : tensor<1x2x2x3x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>, tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 4 : i64>>, tensor<1x5x7x3xi8>, tensor<1x5x7x3xi8>
}
