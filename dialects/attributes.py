"""The discardable attributes tosaic puts on IR, named once.

- `tosaic.io` (on `func.func` argument/result attribute dictionaries): the quantization
  of a graph input or output (dtype, scale, zero point), written by tosaic-quantize-io
  and read by the verifier and the compile report.
- `tosaic.int8_weight` (on a lowered convolution or matmul): why a weight with an int4
  quantization range is stored as int8; report.json lists these layers.
- `tosaic.int8x4` (on `func.func` argument/result attribute dictionaries): the packed int8x4
  type of a graph input or output compiled with `--io-packing` (its layout, logical shape
  and padding), written by tosaic-materialize-int8x4 when it makes the words plain i32.
- `tosaic.int8x4_perms` (next to it): the permutation from the program's tensor to the
  packed logical one ([0, 2, 3, 1]: the program's NCHW input is packed as NHWC).
- `tosaic.int8x4_removed` (on `func.func`): how many pack/unpack conversions
  tosaic-fold-int8x4 removed from the function.
"""

IO = "tosaic.io"
INT8_WEIGHT = "tosaic.int8_weight"
INT8X4 = "tosaic.int8x4"
INT8X4_REMOVED = "tosaic.int8x4_removed"
INT8X4_PERMS = "tosaic.int8x4_perms"
