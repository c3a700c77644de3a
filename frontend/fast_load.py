"""A faster `torch.export.load`: its deserializer asks `typing.get_type_hints` for the
same few schema dataclasses once per serialized node, argument and tensor (15,000 times
for a quantized MobileNetV2, two thirds of the load). The answer depends only on the
class, so while loading it is computed once per class."""

from __future__ import annotations

import contextlib
import typing


@contextlib.contextmanager
def cached_type_hints():
    original = typing.get_type_hints
    cache: dict = {}

    def get_type_hints(obj, globalns=None, localns=None, include_extras=False):
        if localns is not None or not isinstance(obj, type):
            return original(obj, globalns, localns, include_extras)
        key = (obj, id(globalns), include_extras)
        if key not in cache:
            cache[key] = original(obj, globalns, localns, include_extras)
        return dict(cache[key])

    typing.get_type_hints = get_type_hints
    try:
        yield
    finally:
        typing.get_type_hints = original
