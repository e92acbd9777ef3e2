"""``POST /v1/agents/completions``: agent completions, answered like chat completions.

The body is validated per the spec's ``AgentsCompletionRequest`` (the chat request without
``model``, ``temperature``, ``top_p`` and ``safe_prompt``, with a required ``agent_id``);
the reply and the stream are chat's (:func:`~.._completions.respond`).

Which agent ids exist: an agent of the beta agents group's ``AgentsState`` (when that group
is installed), whose ``model`` then names the completion's model; otherwise any id starting
with ``"ag"`` (as the API's ``ag_...`` ids do) stands for an agent of
``mistral-medium-latest``. Any other id gets the API's 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._completions import CompletionScript, chat_choices, respond
from .._generate import prompt_tokens
from .._validation import CHAT_REQUEST, Model, Str

__all__ = ["AGENTS_REQUEST", "DEFAULT_AGENT_MODEL", "register"]

DEFAULT_AGENT_MODEL = "mistral-medium-latest"
_NOT_FOR_AGENTS = frozenset({"model", "temperature", "top_p", "safe_prompt"})

AGENTS_REQUEST = Model(
    "AgentsCompletionRequest",
    {
        **{k: v for k, v in CHAT_REQUEST.properties.items() if k not in _NOT_FOR_AGENTS},
        "agent_id": Str(),
    },
    required=["messages", "agent_id"],
    top_level=True,
)


def register(app: FakeApp) -> None:
    """Add the agent completion route."""
    app.route("POST", "/v1/agents/completions", complete)


async def complete(call: Call) -> web.StreamResponse:
    """``POST /v1/agents/completions``."""
    payload = await call.json(AGENTS_REQUEST)
    model = agent_model(call, payload["agent_id"])
    return await respond(
        call,
        model=model,
        stream=bool(payload.get("stream")),
        prompt_tokens=prompt_tokens(payload["messages"]),
        choices=chat_choices(payload, call.state(CompletionScript)),
    )


def agent_model(call: Call, agent_id: str) -> str:
    """The model of agent ``agent_id``; raises :class:`Abort` (404) for an unknown agent."""
    agent = _stored_agent(call, agent_id)
    if agent is not None:
        model = agent.get("model") if isinstance(agent, Mapping) else getattr(agent, "model", None)
        return model if isinstance(model, str) and model else DEFAULT_AGENT_MODEL
    if agent_id.startswith("ag"):
        return DEFAULT_AGENT_MODEL
    raise Abort(call.not_found("Agent", agent_id))


def _stored_agent(call: Call, agent_id: str) -> Any:
    """The agent from the beta agents group's state, or ``None`` (also without that group).

    Imported lazily so that this group works with or without it; its state is probed for
    ``get(id)``, an ``agents`` mapping or membership, whichever it offers.
    """
    try:
        from .beta_agents import AgentsState  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    state: Any = call.state(AgentsState)
    getter = getattr(state, "get", None)
    if callable(getter):
        return getter(agent_id)
    agents = getattr(state, "agents", None)
    if isinstance(agents, Mapping):
        return agents.get(agent_id)
    try:
        return {} if agent_id in state else None
    except TypeError:
        return None
