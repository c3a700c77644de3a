// RUN: not tosaic-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tosaic-verify-integer))' 2>&1 | filecheck %s

// Unsigned meaning on an internal tensor: a rescale reads a value as unsigned that is
// computed inside the graph (%5: the negate) (uint8 exists only at graph inputs and outputs).
// CHECK: verify-integer-uint8.mlir:[[# @LINE + 8]]:8: error: 'tosa.rescale' op reads %5 as unsigned, but it is not a graph input: uint8 is allowed only at graph inputs and outputs
func.func @unsigned_internal_input(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = tosa.const_shape {values = dense<[4]> : tensor<1xindex>} : () -> !tosa.shape<1>
  %r = tosa.reverse %arg0 {axis = 0 : i32} : (tensor<4xi8>) -> tensor<4xi8>
  %n = tosa.negate %r, %z0, %z0 : (tensor<4xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %a = tosa.rescale %n, %one, %s30, %z0, %z0 {input_unsigned = true, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  return %a : tensor<4xi8>
}

// -----

// A rescale writes uint8 that the graph keeps computing with.
// CHECK: verify-integer-uint8.mlir:[[# @LINE + 5]]:8: error: 'tosa.rescale' op writes %3 as unsigned, but it is used inside the graph
func.func @unsigned_internal_output(%arg0: tensor<4xi8>) -> tensor<4xi8> {
  %one = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %s30 = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %z0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %one, %s30, %z0, %z0 {input_unsigned = false, output_unsigned = true, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  %r = tosa.reverse %a {axis = 0 : i32} : (tensor<4xi8>) -> tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

// A uint8 graph input read directly as int8 by a non-rescale op.
// CHECK: verify-integer-uint8.mlir:[[# @LINE + 4]]:8: error: 'tosa.reverse' op reads the uint8 graph input %arg0 as int8 (only a rescale with input_unsigned may read it)
func.func @uint8_input_read_as_int8(%arg0: tensor<4xi8> {tosaic.io = {dtype = "uint8", scale = 0.5 : f64, zero_point = 128 : i64}}) -> tensor<4xi8> {
  %s = tosa.const_shape {values = dense<[4]> : tensor<1xindex>} : () -> !tosa.shape<1>
  %t = tosa.reshape %arg0, %s : (tensor<4xi8>, !tosa.shape<1>) -> tensor<4xi8>
  %r = tosa.reverse %t {axis = 0 : i32} : (tensor<4xi8>) -> tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

// A uint8 graph output not written by an output_unsigned rescale.
// CHECK: verify-integer-uint8.mlir:[[# @LINE + 2]]:8: error: 'tosa.reverse' op returns %0 as a uint8 graph output, but it is not written by a rescale with output_unsigned
func.func @uint8_output_not_rescaled(%arg0: tensor<4xi8>) -> (tensor<4xi8> {tosaic.io = {dtype = "uint8", scale = 0.5 : f64, zero_point = 0 : i64}}) {
  %r = tosa.reverse %arg0 {axis = 0 : i32} : (tensor<4xi8>) -> tensor<4xi8>
  return %r : tensor<4xi8>
}

