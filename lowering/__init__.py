"""The quantized lowering: `dequantize -> float TOSA op -> quantize` to integer TOSA.

- `registry`: the table of lowerings (root op, benefit, dtypes, the aten ops the
  quantizer annotates for each) and the phase order; `tosaic ops` prints it.
- `match`: operands and results in quantized terms (tracing through layout ops).
- `build`: typed integer builders (rescale, requantize, saturate, convolutions, sums).
- one module per family of entries: `conv`, `matmul`, `elementwise`, `pool`,
  `data_movement`, `softmax`, `table`.

The pass that runs it is `tosaic-lower-quantized` (tosaic/passes/lower_quantized.py).
"""
