"""JSON encoding and decoding: orjson when installed (the ``fast`` extra), else the stdlib."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads"]

loads: Callable[[bytes | str], Any]
_dumps_impl: Callable[[Any, Callable[[Any], Any]], bytes]

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    _encoder_cache: dict[Any, json.JSONEncoder] = {}

    def _stdlib_dumps(obj: Any, default: Callable[[Any], Any]) -> bytes:
        encoder = _encoder_cache.get(default)
        if encoder is None:
            encoder = json.JSONEncoder(
                ensure_ascii=False, separators=(",", ":"), default=default, allow_nan=False
            )
            _encoder_cache[default] = encoder
        return encoder.encode(obj).encode()

    loads = json.loads
    _dumps_impl = _stdlib_dumps
else:

    def _orjson_dumps(obj: Any, default: Callable[[Any], Any]) -> bytes:
        return orjson.dumps(obj, default=default, option=orjson.OPT_NON_STR_KEYS)

    loads = orjson.loads
    _dumps_impl = _orjson_dumps


def dumps(obj: Any, default: Callable[[Any], Any]) -> bytes:
    """Encode ``obj`` as compact UTF-8 JSON; ``default`` converts unknown objects."""
    return _dumps_impl(obj, default)
