"""JSON encoding and decoding: orjson when installed (the ``fast`` extra), else the stdlib."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "fragment", "loads", "plain_dumps", "refuse"]

loads: Callable[[bytes | str], Any]
_dumps_impl: Callable[[Any, Callable[[Any], Any]], bytes]
plain_dumps: Callable[..., bytes]
"""``plain_dumps(obj, default=refuse)``: encode JSON values only (dicts, lists, tuples,
strings, numbers, booleans, None); other objects, even those ``dumps`` would convert
(attrs objects, dates, dataclasses, subclasses with orjson), go to ``default``, which
raises ``TypeError`` unless it knows them. Used for keys of calls: values it encodes
alike are sent alike."""
fragment: Callable[[bytes], Any] | None
"""``orjson.Fragment`` (raw text placed as is by ``plain_dumps``), or None without orjson."""


def refuse(value: Any) -> Any:
    """A ``default`` for ``plain_dumps`` that takes nothing."""
    raise TypeError(f"not a plain JSON value: {type(value).__name__}")


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

    _plain = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), default=refuse, allow_nan=True
    )

    def _stdlib_plain_dumps(obj: Any, default: Callable[[Any], Any] = refuse) -> bytes:
        # The standard library has no raw fragments: nothing a default gives is taken.
        return _plain.encode(obj).encode()

    loads = json.loads
    _dumps_impl = _stdlib_dumps
    plain_dumps = _stdlib_plain_dumps
    fragment = None
else:

    def _orjson_dumps(obj: Any, default: Callable[[Any], Any]) -> bytes:
        return orjson.dumps(obj, default=default, option=orjson.OPT_NON_STR_KEYS)

    # Subclasses, dataclasses and dates go to _refuse rather than being converted.
    _PLAIN_OPTIONS = (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )

    def _orjson_plain_dumps(obj: Any, default: Callable[[Any], Any] = refuse) -> bytes:
        return orjson.dumps(obj, default=default, option=_PLAIN_OPTIONS)

    loads = orjson.loads
    _dumps_impl = _orjson_dumps
    plain_dumps = _orjson_plain_dumps
    fragment = orjson.Fragment


def dumps(obj: Any, default: Callable[[Any], Any]) -> bytes:
    """Encode ``obj`` as compact UTF-8 JSON; ``default`` converts unknown objects."""
    return _dumps_impl(obj, default)
