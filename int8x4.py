"""Packed int8x4 for runtimes: produce and read the int32 words of packed graph IO.

    import tosaic.int8x4
    words = tosaic.int8x4.pack(x_int8, "4W4C", padding=zero_point)   # feed the flatbuffer
    y = tosaic.int8x4.unpack(words, "4W4C", logical_shape)            # read its output

The layouts, the physical shape and which byte of which word holds which element are
written down in `tosaic.dialects.int8x4`; report.json's `packing` entry of a graph input
or output compiled with `--io-packing` gives its layout, logical shape and padding.
"""

from tosaic.dialects.int8x4 import LAYOUTS, pack, physical_shape, unpack

__all__ = ["LAYOUTS", "pack", "physical_shape", "unpack"]
