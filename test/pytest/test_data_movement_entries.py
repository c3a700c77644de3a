"""Every data movement lowering entry, end to end on the TOSA reference model.

Fake-quantized PyTorch programs reach only some data movement entries (tosaic's passes
move a transpose's quantization off it first, and a graph output reverse or tile is
rare), so each entry is also checked on hand-written IR: dequantize -> op -> quantize
(entry `<op>.quantized`) and dequantize -> op -> reverse -> quantize (the first op then
lowers as `<op>.dequantized`), lowered by tosaic-lower-quantized, serialized, run on the
reference model and compared with numpy's op on the dequantized values, quantized as
PyTorch does (round half to even). Input scale 0.5, output scale 0.25 and zero point 3:
a requantize by exactly 2, so every output is exact.
"""

import numpy as np
import pytest
from torch_mlir import ir

import tosaic
from tosaic.dialects import new_context
from tosaic.targets import registry as targets
from tosaic.targets.tosa_flatbuffer import serialize
from tosaic.pipelines.textual import build_pass_manager

IN_SCALE, OUT_SCALE, OUT_ZP = 0.5, 0.25, 3


def _q(name, value, shape, scale, zp, out):
    return (f'"tosaic.{name}"({value}) {{axis = -1 : i64, qmax = 127 : i64, qmin = -128 : i64, '
            f"scale = array<f64: {scale}>, zero_point = array<i64: {zp}>}} : (tensor<{shape}x{'f32' if name == 'quantize' else 'i8'}>) "
            f"-> tensor<{shape}x{out}>")


def _shape(dims):
    return "x".join(str(d) for d in dims)


# op: (input shape, output shape, definitions, op text with {x}, numpy function)
OPS = {
    "reshape": ((2, 6), (3, 4), ["%s = tosa.const_shape {values = dense<[3, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>"],
                "tosa.reshape {x}, %s : (tensor<2x6xf32>, !tosa.shape<2>) -> tensor<3x4xf32>",
                lambda a: a.reshape(3, 4)),
    "transpose": ((2, 3), (3, 2), [], "tosa.transpose {x} {{perms = array<i32: 1, 0>}} : (tensor<2x3xf32>) -> tensor<3x2xf32>",
                  lambda a: a.T),
    "slice": ((2, 6), (2, 3), ["%start = tosa.const_shape {values = dense<[0, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>",
                               "%size = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>"],
              "tosa.slice {x}, %start, %size : (tensor<2x6xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x3xf32>",
              lambda a: a[:, 1:4]),
    "tile": ((1, 2), (3, 2), ["%m = tosa.const_shape {values = dense<[3, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>"],
             "tosa.tile {x}, %m : (tensor<1x2xf32>, !tosa.shape<2>) -> tensor<3x2xf32>",
             lambda a: np.tile(a, (3, 1))),
    "reverse": ((2, 3), (2, 3), [], "tosa.reverse {x} {{axis = 1 : i32}} : (tensor<2x3xf32>) -> tensor<2x3xf32>",
                lambda a: a[:, ::-1]),
    "identity": ((2, 3), (2, 3), [], "tosa.identity {x} : (tensor<2x3xf32>) -> tensor<2x3xf32>", lambda a: a),
    "gather": ((1, 4, 3), (1, 2, 3),
               ['%idx = "tosa.const"() <{values = dense<[[3, 0]]> : tensor<1x2xi32>}> : () -> tensor<1x2xi32>'],
               "tosa.gather {x}, %idx : (tensor<1x4x3xf32>, tensor<1x2xi32>) -> tensor<1x2x3xf32>",
               lambda a: a[:, [3, 0], :]),
    "resize": ((1, 2, 2, 1), (1, 4, 4, 1),
               ["%scale = tosa.const_shape {values = dense<[4, 2, 4, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>",
                "%offset = tosa.const_shape {values = dense<[0, 0]> : tensor<2xindex>} : () -> !tosa.shape<2>",
                "%border = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>"],
               "tosa.resize {x}, %scale, %offset, %border {{mode = NEAREST_NEIGHBOR}} : (tensor<1x2x2x1xf32>, "
               "!tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x4x4x1xf32>",
               lambda a: _nearest(a, (1, 4, 4, 1), [(4, 2), (4, 2)], [0, 0])),
    "pad": ((1, 2), (1, 4), ["%p = tosa.const_shape {values = dense<[0, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>",
                             '%zero = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>'],
            "tosa.pad {x}, %p, %zero : (tensor<1x2xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x4xf32>",
            lambda a: np.pad(a, ((0, 0), (1, 1)))),
}


def _reverse_axis(shape) -> int:
    """The last axis longer than 1 (a reverse of a length-1 axis folds away)."""
    return max(i for i, d in enumerate(shape) if d > 1)


def _nearest(a: np.ndarray, out_shape, scale, offset, axes=(1, 2)) -> np.ndarray:
    """TOSA RESIZE, NEAREST_NEIGHBOR: output o reads input (o * d + offset) // n, plus one
    where the remainder is at least n / 2, clamped to the input."""
    for axis, (n, d), off in zip(axes, scale, offset):
        index = []
        for o in range(out_shape[axis]):
            q, r = divmod(o * d + off, n)
            index.append(min(max(q + (2 * r >= n), 0), a.shape[axis] - 1))
        a = np.take(a, index, axis=axis)
    return a


def _program(op: str, then_reverse: bool) -> str:
    ins, outs, defs, text, _ = OPS[op]
    lines = [f"func.func @main(%arg0: tensor<{_shape(ins)}xi8>) -> tensor<{_shape(outs)}xi8> {{"]
    lines += ["  " + d for d in defs]
    lines.append(f"  %x = {_q('dequantize', '%arg0', _shape(ins), IN_SCALE, 0, 'f32')}")
    lines.append(f"  %y = {text.format(x='%x')}")
    last = "%y"
    if then_reverse:
        lines.append(f"  %r = tosa.reverse %y {{axis = {_reverse_axis(outs)} : i32}} : (tensor<{_shape(outs)}xf32>) "
                     f"-> tensor<{_shape(outs)}xf32>")
        last = "%r"
    lines.append(f"  %q = {_q('quantize', last, _shape(outs), OUT_SCALE, OUT_ZP, 'i8')}")
    lines += [f"  return %q : tensor<{_shape(outs)}xi8>", "}"]
    return "\n".join(lines)


def _expected(op: str, x: np.ndarray, then_reverse: bool) -> np.ndarray:
    y = OPS[op][4](x.astype(np.float32) * np.float32(IN_SCALE))
    if then_reverse:
        y = np.flip(y, axis=_reverse_axis(OPS[op][1]))
    return np.clip(np.round(y / OUT_SCALE) + OUT_ZP, -128, 127).astype(np.int8)


@pytest.mark.parametrize("then_reverse", [False, True], ids=["quantized", "dequantized"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_entry_on_reference_model(op, then_reverse):
    with new_context() as context:
        module = ir.Module.parse(_program(op, then_reverse))
        pm = build_pass_manager("builtin.module(func.func(tosaic-lower-quantized),canonicalize)", context)
        pm.pass_manager.run(module.operation)
        text = str(module)
        assert "tosaic." not in text and "f32" not in text, text
        flatbuffer = serialize(module, targets.target("tosa-int").family.tosa)
    x = np.random.default_rng(0).integers(-128, 128, size=OPS[op][0]).astype(np.int8)
    (got,) = tosaic.run(flatbuffer, [x])
    np.testing.assert_array_equal(got, _expected(op, x, then_reverse))


pytestmark = pytest.mark.lowering(
    "gather.constant-indices", "gather.dequantized",
    "identity.quantized", "identity.dequantized",
    "pad.quantized", "pad.dequantized",
    "reshape.quantized", "reshape.dequantized",
    "resize.quantized", "resize.dequantized",
    "reverse.quantized", "reverse.dequantized",
    "slice.quantized", "slice.dequantized",
    "tile.quantized", "tile.dequantized",
    "transpose.quantized", "transpose.dequantized",
)
