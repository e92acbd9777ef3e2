"""``client.beta.conversations``: start, continue and read conversations, whole or streamed."""

from __future__ import annotations

from ._base import AsyncResource

__all__ = ["AsyncConversations"]


class AsyncConversations(AsyncResource):
    """Conversations with models and agents."""

    __slots__ = ()
