"""``client.classifiers``: moderation and classification, of texts and of chats."""

from __future__ import annotations

from ._base import AsyncResource

__all__ = ["AsyncClassifiers"]


class AsyncClassifiers(AsyncResource):
    """Moderation and classification."""

    __slots__ = ()
