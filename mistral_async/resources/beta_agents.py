"""``client.beta.agents``: create, version and manage agents."""

from __future__ import annotations

from ._base import AsyncResource

__all__ = ["AsyncBetaAgents"]


class AsyncBetaAgents(AsyncResource):
    """Agents: create, update, version and alias them."""

    __slots__ = ()
