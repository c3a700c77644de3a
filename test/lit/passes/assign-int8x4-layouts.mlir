// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts))' | filecheck %s
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts{results=false}))' | filecheck %s --check-prefix=NORESULTS
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts{layout=4H4W padding=0}))' | filecheck %s --check-prefix=FIXED
// RUN: tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-assign-int8x4-layouts{layout=none graph-io=4W4C}))' | filecheck %s --check-prefix=IO

// A conv chain: each conv input reads packed 4W4C words (pack/unpack on the edge, padded
// with the conv's input zero point), and each conv's int8 result (its rescale) is written
// packed, padded with the rescale's output zero point.
// CHECK-LABEL: func.func @conv_chain
// CHECK: %[[P0:.*]] = "tosaic.pack_int8x4"(%arg0) : (tensor<1x5x7x3xi8>) -> tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, -3 : i64>>
// CHECK: %[[U0:.*]] = "tosaic.unpack_int8x4"(%[[P0]])
// CHECK: %[[C:.*]] = tosa.conv2d %[[U0]]
// CHECK: %[[R:.*]] = tosa.rescale %[[C]]
// CHECK: %[[P1:.*]] = "tosaic.pack_int8x4"(%[[R]]) : (tensor<1x5x7x6xi8>) -> tensor<1x5x2x2x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 6>, i8, 5 : i64>>
// CHECK: %[[U1:.*]] = "tosaic.unpack_int8x4"(%[[P1]])
// CHECK: %[[K:.*]] = tosa.clamp %[[U1]]
// CHECK: %[[P2:.*]] = "tosaic.pack_int8x4"(%[[K]])
// CHECK: %[[U2:.*]] = "tosaic.unpack_int8x4"(%[[P2]])
// CHECK: tosa.conv2d %[[U2]], %{{.*}}, %{{.*}}, %[[OZP:.*]], %{{.*}} {acc_type = i32
// NORESULTS-LABEL: func.func @conv_chain
// NORESULTS-COUNT-2: "tosaic.pack_int8x4"
// NORESULTS-NOT: "tosaic.pack_int8x4"
// FIXED-LABEL: func.func @conv_chain
// FIXED: "tosaic.pack_int8x4"(%arg0) : (tensor<1x5x7x3xi8>) -> tensor<1x2x2x3x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>
// IO-LABEL: func.func @conv_chain
// IO-SAME: (%arg0: tensor<1x5x2x1x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 3>, i8, 0 : i64>>) -> tensor<1x5x2x2x4xi32, #tosaic.int8x4<"4W4C", array<i64: 1, 5, 7, 6>, i8, 0 : i64>>
// IO: %[[U:.*]] = "tosaic.unpack_int8x4"(%arg0)
// IO: tosa.conv2d %[[U]]
// IO: %[[P:.*]] = "tosaic.pack_int8x4"
// IO-NEXT: return %[[P]]
func.func @conv_chain(%x: tensor<1x5x7x3xi8>) -> tensor<1x5x7x6xi8> {
  %w = "tosa.const"() <{values = dense<1> : tensor<6x1x1x3xi8>}> : () -> tensor<6x1x1x3xi8>
  %w2 = "tosa.const"() <{values = dense<1> : tensor<6x1x1x6xi8>}> : () -> tensor<6x1x1x6xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<6xi32>}> : () -> tensor<6xi32>
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wzp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s = "tosa.const"() <{values = dense<32> : tensor<1xi8>}> : () -> tensor<1xi8>
  %rzp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x7x3xi8>, tensor<6x1x1x3xi8>, tensor<6xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x5x7x6xi32>
  %r = tosa.rescale %c, %m, %s, %rzp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x5x7x6xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x5x7x6xi8>
  %k = tosa.clamp %r {max_val = 127 : i8, min_val = 5 : i8} : (tensor<1x5x7x6xi8>) -> tensor<1x5x7x6xi8>
  %c2 = tosa.conv2d %k, %w2, %b, %ozp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x7x6xi8>, tensor<6x1x1x6xi8>, tensor<6xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x5x7x6xi32>
  %r2 = tosa.rescale %c2, %m, %s, %rzp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x5x7x6xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x5x7x6xi8>
  return %r2 : tensor<1x5x7x6xi8>
}

// -----

// Matmul operands (both activations) read 4H4W words: [B, H, W] in blocks of 4 rows x 4 columns.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: "tosaic.pack_int8x4"(%arg0) : (tensor<1x5x7xi8>) -> tensor<1x2x2x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 5, 7>, i8, 2 : i64>>
// CHECK-DAG: "tosaic.pack_int8x4"(%arg1) : (tensor<1x7x6xi8>) -> tensor<1x2x2x4xi32, #tosaic.int8x4<"4H4W", array<i64: 1, 7, 6>, i8, -1 : i64>>
// CHECK: tosa.matmul
// NORESULTS-LABEL: func.func @matmul
// IO-LABEL: func.func @matmul
// IO-NOT: tosaic.
// IO: return
func.func @matmul(%a: tensor<1x5x7xi8>, %b: tensor<1x7x6xi8>) -> tensor<1x5x6xi32> {
  %azp = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %bzp = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.matmul %a, %b, %azp, %bzp : (tensor<1x5x7xi8>, tensor<1x7x6xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x5x6xi32>
  return %0 : tensor<1x5x6xi32>
}

// -----

// Not packed: a constant operand (weights), a conv3d input (rank 5: no layout applies),
// an int16 activation, and ops that are neither convolutions nor matmuls.
// CHECK-LABEL: func.func @not_packed
// CHECK-NOT: tosaic.
// CHECK: return
// FIXED-LABEL: func.func @not_packed
// FIXED-NOT: tosaic.
// FIXED: return
func.func @not_packed(%x: tensor<1x2x5x7x3xi8>, %y: tensor<1x5x7x3xi16>) -> (tensor<1x2x5x7x6xi32>, tensor<1x5x7x6xi48>, tensor<1x5x7x3xi16>) {
  %w = "tosa.const"() <{values = dense<1> : tensor<6x1x1x1x3xi8>}> : () -> tensor<6x1x1x1x3xi8>
  %w2 = "tosa.const"() <{values = dense<1> : tensor<6x1x1x3xi8>}> : () -> tensor<6x1x1x3xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<6xi32>}> : () -> tensor<6xi32>
  %b48 = "tosa.const"() <{values = dense<0> : tensor<6xi48>}> : () -> tensor<6xi48>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp16 = "tosa.const"() <{values = dense<0> : tensor<1xi16>}> : () -> tensor<1xi16>
  %0 = tosa.conv3d %x, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x2x5x7x3xi8>, tensor<6x1x1x1x3xi8>, tensor<6xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x5x7x6xi32>
  %1 = tosa.conv2d %y, %w2, %b48, %zp16, %zp {acc_type = i48, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x7x3xi16>, tensor<6x1x1x3xi8>, tensor<6xi48>, tensor<1xi16>, tensor<1xi8>) -> tensor<1x5x7x6xi48>
  %2 = tosa.clamp %y {max_val = 100 : i16, min_val = 0 : i16} : (tensor<1x5x7x3xi16>) -> tensor<1x5x7x3xi16>
  return %0, %1, %2 : tensor<1x2x5x7x6xi32>, tensor<1x5x7x6xi48>, tensor<1x5x7x3xi16>
}

// -----

// graph-io packs int8 IO only: uint8 IO (its tosaic.io dtype) keeps its type.
// IO-LABEL: func.func @uint8_io
// IO-SAME: (%arg0: tensor<1x5x7x3xi8> {tosaic.io = {dtype = "uint8"
// IO-NOT: "tosaic.
// IO: return
func.func @uint8_io(%x: tensor<1x5x7x3xi8> {tosaic.io = {dtype = "uint8", scale = 0.5 : f64, zero_point = 128 : i64}}) -> (tensor<1x5x7x3xi8> {tosaic.io = {dtype = "uint8", scale = 0.5 : f64, zero_point = 128 : i64}}) {
  return %x : tensor<1x5x7x3xi8>
}
