"""``client.ocr``: text and structure from documents and images."""

from __future__ import annotations

from ._base import AsyncResource

__all__ = ["AsyncOcr"]


class AsyncOcr(AsyncResource):
    """Optical character recognition."""

    __slots__ = ()
