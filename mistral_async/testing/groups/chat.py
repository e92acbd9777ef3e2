"""``POST /v1/chat/completions`` and ``POST /v1/fim/completions``."""

from __future__ import annotations

from aiohttp import web

from .._app import Call, FakeApp
from .._completions import Choice, CompletionScript, chat_choices, respond
from .._generate import apply_limits, count_tokens, fim_reply, prompt_tokens
from .._validation import CHAT_REQUEST, FIM_REQUEST


def register(app: FakeApp) -> None:
    """Add the chat and FIM completion routes."""
    app.route("POST", "/v1/chat/completions", chat)
    app.route("POST", "/v1/fim/completions", fim)


async def chat(call: Call) -> web.StreamResponse:
    """``POST /v1/chat/completions``."""
    payload = await call.json(CHAT_REQUEST)
    return await respond(
        call,
        model=payload["model"],
        stream=bool(payload.get("stream")),
        prompt_tokens=prompt_tokens(payload["messages"]),
        choices=chat_choices(payload, call.state(CompletionScript)),
    )


async def fim(call: Call) -> web.StreamResponse:
    """``POST /v1/fim/completions``."""
    payload = await call.json(FIM_REQUEST)
    prompt: str = payload["prompt"]
    suffix: str | None = payload.get("suffix")
    text, finish = apply_limits(
        fim_reply(prompt, suffix), payload.get("max_tokens"), payload.get("stop")
    )
    return await respond(
        call,
        model=payload["model"],
        stream=bool(payload.get("stream")),
        prompt_tokens=count_tokens(prompt) + count_tokens(suffix or ""),
        choices=[Choice(text, None, finish)],
    )
