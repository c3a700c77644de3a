"""Python passes nested in MLIR's pass manager, like any upstream pass.

The bindings' `PassManager.add(callable)` adds a Python pass at the top level only. MLIR's
C API can do more: `mlirCreateExternalPass` makes a pass whose callbacks are ours, and
`mlirPassManagerGetNestedUnder` / `mlirOpPassManagerGetNestedUnder` /
`mlirOpPassManagerAddOwnedPass` put it into the nested pass manager of its anchor. This
module calls those functions through ctypes, in the bindings' own shared library, and
hands each anchored op to Python as an `ir.Operation` (through the `_CAPICreate`
capsule protocol the bindings use for C API interop).

So a `func.func` pass in `builtin.module(func.func(cse,tosaic-x,canonicalize))` runs
between cse and canonicalize on each function in turn, exactly where MLIR schedules it,
and MLIR's instrumentation sees it as what it is: IR dumps at function scope, failures
attributed to it, its own line in the timing report.

The pass manager must run single-threaded (`Context.enable_multithreading(False)`): a
Python callback from one of MLIR's worker threads would wait for the GIL that the
thread calling `PassManager.run` holds.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import os
import threading
import traceback
from typing import Callable

from torch_mlir import ir, passmanager


class _StringRef(ctypes.Structure):
    _fields_ = [("data", ctypes.c_char_p), ("length", ctypes.c_size_t)]


class _Handle(ctypes.Structure):  # every MLIR C API handle: struct { void *ptr; }
    _fields_ = [("ptr", ctypes.c_void_p)]


# Each callback takes and returns pointer-sized values only (a one-pointer struct and a
# one-byte MlirLogicalResult travel in registers exactly like a pointer or a char).
_CONSTRUCT = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_DESTRUCT = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_INITIALIZE = ctypes.CFUNCTYPE(ctypes.c_int8, ctypes.c_void_p, ctypes.c_void_p)
_CLONE = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
_RUN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


class _Callbacks(ctypes.Structure):
    _fields_ = [
        ("construct", _CONSTRUCT),
        ("destruct", _DESTRUCT),
        ("initialize", _INITIALIZE),
        ("clone", _CLONE),
        ("run", _RUN),
    ]


class _Entry:
    """One Python pass as MLIR holds it: its run function and the strings MLIR keeps
    pointers to (the op name is not copied), alive while any clone of the pass is."""

    def __init__(self, run: Callable[[ir.Operation], bool], strings: list[bytes]):
        self.run = run
        self.strings = strings
        self.references = 0


_ENTRIES: dict[int, _Entry] = {}
_KEYS = itertools.count(1)  # userData values: small integers, never a valid pointer
_LOCK = threading.Lock()


def _construct(key):
    with _LOCK:
        _ENTRIES[key].references += 1


def _destruct(key):
    try:
        with _LOCK:
            entry = _ENTRIES[key]
            entry.references -= 1
            if entry.references == 0:
                del _ENTRIES[key]
    except Exception:  # a pass manager outliving this module at interpreter exit
        pass


def _initialize(_a, _b):
    return 1  # success


def _clone(key):
    return key  # clones share the Python pass (the pass manager runs single-threaded)


def _run(a, b, c):
    # MLIR has called run(op, pass, userData); newer MLIR calls run(userData, op, pass).
    op, external, key = (a, b, c) if c in _ENTRIES else (b, c, a)
    try:
        ok = _ENTRIES[key].run(ir.Operation._CAPICreate(_capsule_new(op, _OPERATION_CAPSULE[0], None)))
    except BaseException:  # never let an exception vanish in ctypes: fail the pass
        traceback.print_exc()
        ok = False
    if not ok:
        _lib().mlirExternalPassSignalFailure(_Handle(external))


_CALLBACKS = _Callbacks(_CONSTRUCT(_construct), _DESTRUCT(_destruct), _INITIALIZE(_initialize),
                        _CLONE(_clone), _RUN(_run))

_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype = ctypes.c_char_p
_capsule_name.argtypes = [ctypes.py_object]

# The capsule name the bindings give an Operation ("torch_mlir.ir.Operation._CAPIPtr"),
# read off the pass manager's capsule ("torch_mlir.passmanager.PassManager._CAPIPtr").
_OPERATION_CAPSULE: list[bytes] = []


@functools.lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    """The shared library with MLIR's C API that the bindings themselves use."""
    from torch_mlir import _mlir_libs

    directory = os.path.dirname(_mlir_libs.__file__)
    names = sorted(n for n in os.listdir(directory) if n.startswith("lib") and "CAPI" in n and ".so" in n)
    for name in names:
        lib = ctypes.CDLL(os.path.join(directory, name))
        if hasattr(lib, "mlirCreateExternalPass"):
            break
    else:
        raise RuntimeError(f"no MLIR C API library with mlirCreateExternalPass in {directory}")
    lib.mlirCreateExternalPass.restype = _Handle
    lib.mlirCreateExternalPass.argtypes = [
        _Handle, _StringRef, _StringRef, _StringRef, _StringRef,
        ctypes.c_ssize_t, ctypes.c_void_p, _Callbacks, ctypes.c_void_p,
    ]
    lib.mlirTypeIDAllocatorCreate.restype = _Handle
    lib.mlirTypeIDAllocatorAllocateTypeID.restype = _Handle
    lib.mlirTypeIDAllocatorAllocateTypeID.argtypes = [_Handle]
    lib.mlirPassManagerGetNestedUnder.restype = _Handle
    lib.mlirPassManagerGetNestedUnder.argtypes = [_Handle, _StringRef]
    lib.mlirOpPassManagerGetNestedUnder.restype = _Handle
    lib.mlirOpPassManagerGetNestedUnder.argtypes = [_Handle, _StringRef]
    lib.mlirPassManagerAddOwnedPass.argtypes = [_Handle, _Handle]
    lib.mlirOpPassManagerAddOwnedPass.argtypes = [_Handle, _Handle]
    lib.mlirExternalPassSignalFailure.argtypes = [_Handle]
    return lib


@functools.lru_cache(maxsize=1)
def _type_ids() -> _Handle:
    return _lib().mlirTypeIDAllocatorCreate()  # lives as long as the process


def _pass_manager_handle(pm: passmanager.PassManager) -> _Handle:
    capsule = pm._CAPIPtr
    name = _capsule_name(capsule)
    if not _OPERATION_CAPSULE:
        _OPERATION_CAPSULE.append(name.split(b".passmanager.")[0] + b".ir.Operation._CAPIPtr")
    return _Handle(_capsule_pointer(capsule, name))


def _string_ref(data: bytes) -> _StringRef:
    return _StringRef(data, len(data))


def add_python_pass(
    pm: passmanager.PassManager,
    nesting: tuple[str, ...],
    run: Callable[[ir.Operation], bool],
    name: str,
    argument: str,
    description: str = "",
    op_name: str = "",
) -> None:
    """Add a pass that calls `run(op)` on each op it is scheduled on (False fails it).

    `nesting` is the path of op names below the pass manager's root (`("func.func",)`
    for `builtin.module(func.func(pass))`); `op_name` restricts the pass to one op kind
    ("" for any). `name` and `argument` are what MLIR prints for it (IR dump headers,
    timing, the textual pipeline)."""
    lib = _lib()
    top = _pass_manager_handle(pm)
    strings = [name.encode(), argument.encode(), description.encode(), op_name.encode()]
    key = next(_KEYS)
    with _LOCK:
        _ENTRIES[key] = _Entry(run, strings)
    handle = lib.mlirCreateExternalPass(
        lib.mlirTypeIDAllocatorAllocateTypeID(_type_ids()),
        *(_string_ref(s) for s in strings),
        0, None, _CALLBACKS, key,
    )
    if not nesting:
        lib.mlirPassManagerAddOwnedPass(top, handle)
        return
    nested = lib.mlirPassManagerGetNestedUnder(top, _string_ref(nesting[0].encode()))
    for anchor in nesting[1:]:
        nested = lib.mlirOpPassManagerGetNestedUnder(nested, _string_ref(anchor.encode()))
    lib.mlirOpPassManagerAddOwnedPass(nested, handle)
