"""The discardable attributes tosaic puts on IR, named once.

- `tosaic.io` (on `func.func` argument/result attribute dictionaries): the quantization
  of a graph input or output (dtype, scale, zero point), written by tosaic-quantize-io
  and read by the verifier and the compile report.
- `tosaic.int8_weight` (on a lowered convolution or matmul): why a weight with an int4
  quantization range is stored as int8; report.json lists these layers.
"""

IO = "tosaic.io"
INT8_WEIGHT = "tosaic.int8_weight"
