"""Cases of the ``agents`` group.

``POST /v1/agents/completions`` is served by ``agents.complete``. With ``"stream": true`` the
API answers a chat-completion event stream (``agents.stream``, tested in
``tests/test_agents.py``), but the spec declares only the JSON response, so the harness
takes no streaming case for it. The fake server knows any agent id starting with ``ag``.
"""

from __future__ import annotations

from typing import Any

from mistral_async.types import (
    ChatCompletionResponse,
    Function,
    FunctionName,
    JsonSchema,
    Prediction,
    ResponseFormat,
    Tool,
    ToolChoice,
    UserMessage,
)

from ..case import Case
from .chat import MESSAGES, TOOLS, WEATHER

OP = "agents_completion_v1_agents_completions_post"
AGENT = "ag_019a7c2e4b6d7f00a1b2c3d4e5f60718"

EVERYTHING: dict[str, Any] = {
    "agent_id": AGENT,
    "messages": MESSAGES,
    "max_tokens": 256,
    "stop": ["\n\n", "END"],
    "random_seed": 42,
    "metadata": {"user": "u-1", "attempt": 2},
    "response_format": ResponseFormat(
        "json_schema", JsonSchema("weather", WEATHER, description="A report", strict=True)
    ),
    "tools": [
        *TOOLS,
        {"type": "web_search_premium"},
        {"type": "image_generation"},
        {"type": "connector", "connector_id": "c-1"},
    ],
    "tool_choice": ToolChoice(FunctionName("get_weather")),
    "presence_penalty": 0.5,
    "frequency_penalty": -0.5,
    "n": 2,
    "prediction": Prediction('{"city": "Paris"}'),
    "parallel_tool_calls": False,
    "reasoning_effort": "low",
    "prompt_mode": "reasoning",
    "guardrails": [{"block_on_error": False, "moderation_llm_v1": {"action": "block"}}],
    "prompt_cache_key": "agents-conformance",
    "service_tier": "auto",
}

NULLS: dict[str, Any] = {
    "agent_id": AGENT,
    "messages": [{"role": "user", "content": "Hi"}],
    **dict.fromkeys(
        (
            "max_tokens",
            "stop",
            "random_seed",
            "metadata",
            "tools",
            "presence_penalty",
            "frequency_penalty",
            "n",
            "reasoning_effort",
            "prompt_mode",
            "guardrails",
            "prompt_cache_key",
            "service_tier",
        )
    ),
}

CASES: dict[str, Case] = {
    OP: Case(method="agents.complete", kwargs=EVERYTHING, response_type=ChatCompletionResponse),
    f"{OP}:nulls": Case(
        method="agents.complete",
        kwargs=NULLS,
        response_type=ChatCompletionResponse,
        note="an explicit None is sent as null; the spec allows null for these",
    ),
    f"{OP}:minimal": Case(
        method="agents.complete",
        kwargs={
            "agent_id": AGENT,
            "messages": [UserMessage("Hi")],
            "tool_choice": "none",
            "response_format": ResponseFormat("text"),
            "tools": [Tool(Function("get_weather", WEATHER))],
            "stop": "END",
        },
        response_type=ChatCompletionResponse,
    ),
}
