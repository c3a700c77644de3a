"""`--emit-c`: the Vela-compiled model as C source a firmware build compiles in.

OUTDIR/<name>_data.h declares, and OUTDIR/<name>_data.c defines:

* `const uint8_t <name>_data[]`: the bytes of Vela's output (`model_vela.tflite`, a TFLite
  flatbuffer whose ethos-u custom operator holds the NPU command stream and weights),
  16-byte aligned (the Ethos-U driver needs 16-byte aligned command streams and weights) in
  the linker section given (default `network_model_sec`), and `<name>_data_len`;
* per graph input and output: rank, shape, dtype, scale, zero point and layout, as macros
  `<NAME>_INPUT<i>_...` / `<NAME>_OUTPUT<i>_...` and a `const int32_t` shape array.
"""

from __future__ import annotations

import os
import re

from tosaic.driver.errors import TosaicError

DEFAULT_SECTION = "network_model_sec"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check(c_name: str, section: str) -> None:
    if not _IDENTIFIER.match(c_name):
        raise TosaicError(f"--c-name must be a C identifier, not '{c_name}'")
    if not section or any(c in section for c in '"\\\n'):
        raise TosaicError(f"--c-section must be a section name, not '{section}'")


def check_options(c_name: str, section: str, target: str) -> None:
    """The --emit-c options' errors, before a compile."""
    from tosaic import targets

    _check(c_name, section)
    if not targets.target(target).accelerator:
        raise TosaicError(f"--emit-c needs an Ethos-U target (it embeds Vela's compiled model), not {target}")


def _layout(signature: dict) -> str:
    if signature.get("packing"):
        return f"int8x4 {signature['packing']['layout']}"
    if signature.get("layout"):
        return signature["layout"]
    return "NCHW" if len(signature["shape"]) == 4 else "as the program"


def _io_lines(prefix: str, lower: str, kind: str, index: int, signature: dict) -> tuple[list[str], list[str]]:
    q = signature.get("quantization") or {}
    name = f"{prefix}_{kind.upper()}{index}"
    shape = signature["shape"]
    header = [
        f"#define {name}_RANK {len(shape)}",
        f"#define {name}_ELEMENTS {_product(shape)}",
        f'#define {name}_DTYPE "{q.get("dtype", signature["dtype"])}"',
        f'#define {name}_LAYOUT "{_layout(signature)}"',
    ]
    if q:
        header += [f"#define {name}_SCALE {q['scale']!r}f", f"#define {name}_ZERO_POINT ({q['zero_point']})"]
    array = f"{lower}_{kind}{index}_shape"
    header.append(f"extern const int32_t {array}[{len(shape)}];")
    source = [f"const int32_t {array}[{len(shape)}] = {{{', '.join(map(str, shape))}}};"]
    return header, source


def _product(shape) -> int:
    total = 1
    for d in shape:
        total *= d
    return total


def write_c(result, output_dir: str, c_name: str = "model", section: str = DEFAULT_SECTION) -> list[str]:
    """Write <c_name>_data.h/.c for a compile result with Vela output; returns the paths."""
    _check(c_name, section)
    model = getattr(result, "vela_model", None)
    if model is None:
        raise TosaicError("--emit-c needs an Ethos-U target: it embeds Vela's compiled model")
    prefix, lower = c_name.upper(), c_name
    report = result.report
    guard = f"{prefix}_DATA_H"
    header = [
        f"/* {lower}_data.h: written by tosaic (--emit-c) for {report['target']}: Vela's compiled model",
        f" * ({report['vela']['model']}, {len(model)} bytes) and its IO. */",
        f"#ifndef {guard}", f"#define {guard}", "", "#include <stddef.h>", "#include <stdint.h>", "",
        f"#define {prefix}_TARGET \"{report['target']}\"",
        f"#define {prefix}_ALIGNMENT 16",
        f"extern const uint8_t {lower}_data[];",
        f"extern const size_t {lower}_data_len;", "",
        f"#define {prefix}_NUM_INPUTS {len(report['inputs'])}",
        f"#define {prefix}_NUM_OUTPUTS {len(report['outputs'])}",
    ]
    source = [f"/* {lower}_data.c: written by tosaic (--emit-c). */", f'#include "{lower}_data.h"', ""]
    for kind, signatures in (("input", report["inputs"]), ("output", report["outputs"])):
        for i, signature in enumerate(signatures):
            h, c = _io_lines(prefix, lower, kind, i, signature)
            header += [""] + h
            source += c
    header += ["", f"#endif /* {guard} */", ""]
    rows = [", ".join(f"0x{b:02x}" for b in model[i:i + 16]) for i in range(0, len(model), 16)]
    source += [
        "",
        f'const uint8_t {lower}_data[] __attribute__((aligned(16), section("{section}"))) = {{',
        *(f"    {row}," for row in rows),
        "};",
        f"const size_t {lower}_data_len = {len(model)};",
        "",
    ]
    os.makedirs(output_dir, exist_ok=True)
    paths = [os.path.join(output_dir, f"{lower}_data.h"), os.path.join(output_dir, f"{lower}_data.c")]
    for path, lines in zip(paths, (header, source)):
        with open(path, "w") as f:
            f.write("\n".join(lines))
    return paths
