"""Where Vela 5.2.0 places the TOSA ops tosaic-materialize-int8x4 makes, on U55 and U85.

Each op kind of the materialised pack and unpack (both forms: the default, and bitwise=true) (a 1x5x7x3 int8 tensor in 4W4C, the
shapes the lowering uses: rank-6 blocks) is compiled alone, as a one-op TOSA graph, and
then the whole materialised pack and unpack graphs:

    .venv/bin/python benchmarks/int8x4_vela.py [--json FILE]

Prints one line per op kind and accelerator: NPU, CPU or rejected (with Vela's reason).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from torch_mlir import ir

from tosaic.dialects import int8x4, new_context
from tosaic.frontend import importer
from tosaic.targets import tosa_flatbuffer, vela
from tosaic.targets.registry import TosaTarget

ACCELERATORS = ("ethos-u55-128", "ethos-u85-256")

_B6_I8 = "tensor<1x5x2x1x4x4xi8>"
_B6 = "tensor<1x5x2x1x4x4xi32>"
_LANE = "tensor<1x5x2x1x4x1xi32>"


def _const(name, type_, value):
    return f'  %{name} = "tosa.const"() <{{values = dense<{value}> : {type_}}}> : () -> {type_}\n'


def _shape(name, dims):
    return (f'  %{name} = tosa.const_shape {{values = dense<[{", ".join(map(str, dims))}]> : '
            f'tensor<{len(dims)}xindex>}} : () -> !tosa.shape<{len(dims)}>\n')


# op kind -> (argument type, result type, body computing %r from %x)
OPS = {
    "tosa.pad (i8)": ("tensor<1x5x7x3xi8>", "tensor<1x5x8x4xi8>",
                      _shape("p", [0, 0, 0, 0, 0, 1, 0, 1]) + _const("c", "tensor<1xi8>", -3)
                      + "  %r = tosa.pad %x, %p, %c : (tensor<1x5x7x3xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x5x8x4xi8>\n"),
    "tosa.reshape (i8, rank 4 -> 6)": ("tensor<1x5x8x4xi8>", "tensor<1x5x2x4x1x4xi8>",
                                       _shape("s", [1, 5, 2, 4, 1, 4])
                                       + "  %r = tosa.reshape %x, %s : (tensor<1x5x8x4xi8>, !tosa.shape<6>) -> tensor<1x5x2x4x1x4xi8>\n"),
    "tosa.transpose (i8, rank 6)": ("tensor<1x5x2x4x2x4xi8>", "tensor<1x5x2x2x4x4xi8>",
                                    "  %r = tosa.transpose %x {perms = array<i32: 0, 1, 2, 4, 3, 5>} : "
                                    "(tensor<1x5x2x4x2x4xi8>) -> tensor<1x5x2x2x4x4xi8>\n"),
    "tosa.cast (i8 -> i32)": (_B6_I8, _B6, f"  %r = tosa.cast %x : ({_B6_I8}) -> {_B6}\n"),
    "tosa.bitwise_and (i32)": (_B6, _B6, _const("m", "tensor<1x1x1x1x1x1xi32>", 255)
                               + f"  %r = tosa.bitwise_and %x, %m : ({_B6}, tensor<1x1x1x1x1x1xi32>) -> {_B6}\n"),
    "tosa.logical_left_shift (i32)": (_B6, _B6, _const("s", "tensor<1x1x1x1x1x4xi32>", "[[[[[[0, 8, 16, 24]]]]]]")
                                      + f"  %r = tosa.logical_left_shift %x, %s : ({_B6}, tensor<1x1x1x1x1x4xi32>) -> {_B6}\n"),
    "tosa.slice (i32, rank 6)": (_B6, _LANE, _shape("a", [0, 0, 0, 0, 0, 1]) + _shape("b", [1, 5, 2, 1, 4, 1])
                                 + f"  %r = tosa.slice %x, %a, %b : ({_B6}, !tosa.shape<6>, !tosa.shape<6>) -> {_LANE}\n"),
    "tosa.bitwise_or (i32)": (_LANE, _LANE, _const("o", _LANE, 7)
                              + f"  %r = tosa.bitwise_or %x, %o : ({_LANE}, {_LANE}) -> {_LANE}\n"),
    "tosa.logical_right_shift (i32)": (_B6, _B6, _const("s", "tensor<1x1x1x1x1x4xi32>", "[[[[[[24, 16, 8, 0]]]]]]")
                                       + f"  %r = tosa.logical_right_shift %x, %s : ({_B6}, tensor<1x1x1x1x1x4xi32>) -> {_B6}\n"),
    "tosa.add (i32)": (_LANE, _LANE, _const("o", _LANE, 7) + f"  %r = tosa.add %x, %o : ({_LANE}, {_LANE}) -> {_LANE}\n"),
    "tosa.tile (i32, rank 6)": (_LANE, _B6, _shape("t", [1, 1, 1, 1, 1, 4])
                                + f"  %r = tosa.tile %x, %t : ({_LANE}, !tosa.shape<6>) -> {_B6}\n"),
    "tosa.arithmetic_right_shift (i32)": (_B6, _B6, _const("s", "tensor<1x1x1x1x1x1xi32>", 24)
                                          + f"  %r = tosa.arithmetic_right_shift %x, %s {{round = false}} : ({_B6}, tensor<1x1x1x1x1x1xi32>) -> {_B6}\n"),
    "tosa.sub (i32)": (_B6, _B6, _const("o", _B6, 7) + f"  %r = tosa.sub %x, %o : ({_B6}, {_B6}) -> {_B6}\n"),
    "tosa.cast (i32 -> i8)": (_B6, _B6_I8, f"  %r = tosa.cast %x : ({_B6}) -> {_B6_I8}\n"),
    "tosa.slice (i8, rank 4)": ("tensor<1x5x8x4xi8>", "tensor<1x5x7x3xi8>",
                                _shape("a", [0, 0, 0, 0]) + _shape("b", [1, 5, 7, 3])
                                + "  %r = tosa.slice %x, %a, %b : (tensor<1x5x8x4xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x5x7x3xi8>\n"),
}


def _one_op(arg, result, body):
    return f"func.func @main(%x: {arg}) -> {result} {{\n{body}  return %r : {result}\n}}\n"


def _whole(direction):
    with new_context(), ir.Location.unknown():
        packed = int8x4.PackedType("4W4C", (1, 5, 7, 3), -3)
        logical, words = str(packed.logical_type()), str(packed.tensor_type())
    src, dst = (logical, words) if direction == "pack" else (words, logical)
    return (f"func.func @main(%x: {src}) -> {dst} {{\n"
            f"  %r = \"tosaic.{direction}_int8x4\"(%x) : ({src}) -> {dst}\n  return %r : {dst}\n}}\n")


def _flatbuffer(text, materialize=None):
    with new_context():
        module = ir.Module.parse(text)
        if materialize is not None:
            importer.run_pipeline(module, f"builtin.module(func.func(tosaic-materialize-int8x4{{bitwise={materialize}}}),"
                                  "canonicalize)", "materialize")
        target = tosa_flatbuffer.target_for(module, TosaTarget("pro_int"))
        tosa_flatbuffer.attach_and_validate(module, target)
        return tosa_flatbuffer.serialize(module, target)


def place(flatbuffer, accelerator) -> str:
    with tempfile.TemporaryDirectory(prefix="int8x4-vela-") as tmp:
        path = os.path.join(tmp, "model.tosa")
        with open(path, "wb") as f:
            f.write(flatbuffer)
        try:
            result = vela.run_vela(path, accelerator, tmp)
        except vela.VelaError as e:
            reason = ", ".join(e.rejected_operators) or str(e).splitlines()[0]
            return f"rejected ({reason})"
        return f"NPU {result.npu_ops}/{result.npu_ops + result.cpu_ops}, {result.cycles_total} cycles" \
            if result.cpu_ops == 0 else f"CPU {result.cpu_ops}/{result.npu_ops + result.cpu_ops}"


def measure() -> dict:
    table = {}
    for name, (arg, result, body) in OPS.items():
        fb = _flatbuffer(_one_op(arg, result, body))
        table[name] = {acc: place(fb, acc) for acc in ACCELERATORS}
    for direction in ("pack", "unpack"):
        for bitwise in ("false", "true"):
            fb = _flatbuffer(_whole(direction), materialize=bitwise)
            table[f"{direction} 1x5x7x3 4W4C bitwise={bitwise}"] = {acc: place(fb, acc) for acc in ACCELERATORS}
    return table


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", help="also write the table here")
    args = p.parse_args(argv)
    table = measure()
    for name, row in table.items():
        print(f"{name:36s} " + "  ".join(f"{acc}: {row[acc]}" for acc in ACCELERATORS))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
