"""Types of agent completions.

An agent completion takes chat messages and answers with a chat completion, so the
messages, tools and responses are the chat types (:mod:`mistral_async.types.chat`); only
the request differs: an ``agent_id`` in place of the model and its sampling settings.
"""

from __future__ import annotations

import attrs

from . import _validate as v
from .chat import _ChatParams

__all__ = ["AgentsCompletionRequest"]


@attrs.define(slots=True, kw_only=True)
class AgentsCompletionRequest(_ChatParams):
    """The body of an agent completion request: the chat parameters, with an agent."""

    agent_id: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
