"""The CLIs' checks of what a user names on the command line (program files, output
directories, input arrays), run before torch is imported so a mistake is reported at
once, and the checks of input arrays against a program's signature.

Nothing here imports torch: `tosaic compile missing.pt2` answers in well under a second.
"""

from __future__ import annotations

import os

from tosaic.driver.errors import TosaicError

# One example input above this many bytes (float32) is a typo, not a model input: torch
# would try to allocate it and the process would be killed, not report.
MAX_INPUT_BYTES = 1 << 31


def split_program(spec: str) -> tuple[str, str | None]:
    """(path, class name or None) of `PROGRAM.pt2` or `file.py:ModelClass`."""
    if spec.endswith(".pt2") or ":" not in spec:
        return spec, None
    path, _, class_name = spec.rpartition(":")
    return path, class_name


def check_program(spec: str) -> None:
    """The program argument names an existing file of the right kind."""
    path, class_name = split_program(spec)
    if class_name is None and path.endswith(".py"):
        raise TosaicError(f"{path} is a Python file: name the model class in it as file.py:ModelClass")
    if class_name is not None and not class_name.isidentifier():
        raise TosaicError(f"'{spec}' does not name a model class: use file.py:ModelClass")
    if os.path.isdir(path):
        raise TosaicError(f"{path} is a directory, not a {'Python file' if class_name else '.pt2 program'}")
    if not os.path.exists(path):
        raise TosaicError(f"no such file: {path}" if class_name else f"no such program file: {path}")
    if class_name is None and os.path.getsize(path) == 0:
        raise TosaicError(f"cannot load '{path}' as a torch.export program: the file is empty")


def check_input_shape(dims: tuple[int, ...]) -> None:
    elements = 1
    for d in dims:
        elements *= d
    if elements * 4 > MAX_INPUT_BYTES:
        raise TosaicError(f"input shape {'x'.join(map(str, dims))} is too large ({elements} elements, "
                          f"{elements * 4 / 2**30:.0f} GiB as float32)")


def check_output_dir(path: str, flag: str) -> str | None:
    """`path` is, or can be made, a directory we can write: made now, before any work.
    Returns the path if this call created it (`remove_if_empty` undoes that on failure)."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise TosaicError(f"{flag} {path}: exists and is not a directory")
    created = None if os.path.isdir(path) else path
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise TosaicError(f"{flag} {path}: cannot create the directory: {e.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise TosaicError(f"{flag} {path}: the directory is not writable")
    return created


def remove_if_empty(path: str | None) -> None:
    """Remove a directory `check_output_dir` made, if the command failed before writing to it."""
    if path and os.path.isdir(path) and not os.listdir(path):
        os.rmdir(path)


def check_input_file(path: str, what: str) -> None:
    if os.path.isdir(path):
        raise TosaicError(f"{what} {path} is a directory, not a file")
    if not os.path.exists(path):
        raise TosaicError(f"{what}: no such file: {path}")


def check_directory(path: str, flag: str) -> None:
    if not os.path.exists(path):
        raise TosaicError(f"{flag}: no such directory: {path}")
    if not os.path.isdir(path):
        raise TosaicError(f"{flag}: {path} is not a directory")


def check_arrays(arrays, expected, what: str) -> None:
    """Each array against the program's (shape, dtype name) for that input; `expected` is
    a list of (shape, dtype) with dtype a numpy dtype name or None (any)."""
    if len(arrays) != len(expected):
        raise TosaicError(f"{what}: the program takes {len(expected)} input(s), got {len(arrays)}")
    for index, (array, (shape, dtype)) in enumerate(zip(arrays, expected)):
        got = tuple(array.shape)
        if got != tuple(shape):
            raise TosaicError(f"{what}: input {index} has shape {'x'.join(map(str, got)) or 'scalar'}, the "
                              f"program takes {'x'.join(map(str, shape))}")
        if dtype is not None and str(array.dtype) != dtype:
            raise TosaicError(f"{what}: input {index} is {array.dtype}, the program takes {dtype}")
