"""The blocking client's public classes: the runtime side of the generated ``_blocking.pyi``.

The classes themselves are generated from the async ones by :mod:`mistral_async._sync`;
the stub beside this file gives type checkers their exact signatures.
"""

from __future__ import annotations

from typing import Any

from ._sync import Mistral, Paginator, Stream, async_classes, blocking_name, sync_class

__all__ = ["Mistral", "Paginator", "Stream"]


def __getattr__(name: str) -> Any:
    for async_name, cls in async_classes().items():
        if blocking_name(async_name) == name:
            return sync_class(cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
