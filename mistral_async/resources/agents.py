"""``client.agents``: completions from an agent, whole or streamed."""

from __future__ import annotations

from ._base import AsyncResource

__all__ = ["AsyncAgents"]


class AsyncAgents(AsyncResource):
    """Agent completions."""

    __slots__ = ()
