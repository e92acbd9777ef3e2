"""``client.beta``: the API's beta groups (agents, conversations, libraries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._client import ResourceSlot
from ._base import AsyncResource
from ._slots import BetaSlots

if TYPE_CHECKING:
    from .beta_agents import AsyncBetaAgents
    from .conversations import AsyncConversations
    from .libraries import AsyncLibraries

__all__ = ["AsyncBeta"]


class AsyncBeta(AsyncResource, BetaSlots):
    """Beta groups of the API: ``agents``, ``conversations``, ``libraries`` (hand-written) and
    the generated ``admin``, ``connectors``, ``observability``, ``prompts``, ``rag``,
    ``skills`` and ``users``."""

    __slots__ = ("__dict__",)

    agents: ResourceSlot[AsyncBetaAgents] = ResourceSlot(".resources.beta_agents:AsyncBetaAgents")
    conversations: ResourceSlot[AsyncConversations] = ResourceSlot(
        ".resources.conversations:AsyncConversations"
    )
    libraries: ResourceSlot[AsyncLibraries] = ResourceSlot(".resources.libraries:AsyncLibraries")
