"""The response cache (see :class:`Cache`)."""

from __future__ import annotations

__all__ = ["Cache"]


class Cache:
    """A response cache."""
