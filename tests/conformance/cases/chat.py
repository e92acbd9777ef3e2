"""Cases of the ``chat`` group.

``POST /v1/chat/completions`` answers JSON or an event stream: ``chat.complete`` serves it
under the operationId's own key, ``chat.stream`` under ``<operationId>:stream``.
"""

from __future__ import annotations

from typing import Any

from mistral_async._converter import structure
from mistral_async.types import (
    AssistantMessage,
    ChatCompletionResponse,
    CompletionChunk,
    DocumentURLChunk,
    FileChunk,
    Function,
    FunctionCall,
    FunctionName,
    ImageURL,
    ImageURLChunk,
    JsonSchema,
    Prediction,
    ReferenceChunk,
    ResponseFormat,
    SystemMessage,
    TextChunk,
    ThinkChunk,
    Tool,
    ToolCall,
    ToolChoice,
    ToolMessage,
    UserMessage,
)

from ..case import Case

OP = "chat_completion_v1_chat_completions_post"
FILE_ID = "6f1c1c1e-2b9a-4c3e-9a55-0d1c3b8f2a10"

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}},
    "required": ["city"],
}

# Every role, as attrs objects and as dicts, with every kind of content chunk a request takes.
MESSAGES: list[Any] = [
    SystemMessage(
        [
            TextChunk("You are terse."),
            ThinkChunk([TextChunk("Plan first.")], signature="sig", closed=True),
        ]
    ),
    {"role": "system", "content": "Answer in English."},
    UserMessage(
        [
            TextChunk("What is in these?"),
            ImageURLChunk(ImageURL("https://example.com/cat.png", detail="high")),
            ImageURLChunk("data:image/png;base64,iVBORw0KGgo="),
            DocumentURLChunk("https://example.com/report.pdf", document_name="report.pdf"),
            FileChunk(FILE_ID),
            ReferenceChunk([1, "two"]),
            {"type": "input_audio", "input_audio": "UklGRiQAAABXQVZF"},
        ]
    ),
    {"role": "user", "content": [{"type": "text", "text": "And the weather in Paris?"}]},
    AssistantMessage(
        content=None,
        tool_calls=[
            ToolCall(
                FunctionCall(name="get_weather", arguments='{"city": "Paris"}'),
                id="call_1",
                type="function",
                index=0,
            ),
            ToolCall(FunctionCall(name="get_weather", arguments={"city": "Lyon"}), id="call_2"),
        ],
    ),
    ToolMessage('{"temp": 21}', tool_call_id="call_1", name="get_weather"),
    {"role": "tool", "content": [{"type": "text", "text": "18"}], "tool_call_id": "call_2"},
    AssistantMessage("It is 21 C in Paris"),
    {"role": "user", "content": "Thanks. Now as JSON."},
    {"role": "assistant", "content": "{", "prefix": True},
]

TOOLS: list[Any] = [
    Tool(Function("get_weather", WEATHER, description="Weather of a city", strict=True)),
    {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object"}, "strict": False},
    },
    {"type": "web_search"},
    {"type": "code_interpreter"},
    {"type": "document_library", "library_ids": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"]},
]

EVERYTHING: dict[str, Any] = {
    "model": "mistral-large-latest",
    "messages": MESSAGES,
    "temperature": 0.3,
    "top_p": 0.9,
    "max_tokens": 256,
    "stop": ["\n\n", "END"],
    "random_seed": 42,
    "metadata": {"user": "u-1", "attempt": 2, "tags": ["a"]},
    "response_format": ResponseFormat(
        "json_schema",
        JsonSchema("weather", WEATHER, description="A weather report", strict=True),
    ),
    "tools": TOOLS,
    "tool_choice": ToolChoice(FunctionName("get_weather")),
    "presence_penalty": 0.5,
    "frequency_penalty": -0.5,
    "n": 2,
    "prediction": Prediction('{"city": "Paris"}'),
    "parallel_tool_calls": False,
    "reasoning_effort": "high",
    "prompt_mode": "reasoning",
    "guardrails": [
        {
            "block_on_error": True,
            "moderation_llm_v1": {"action": "block", "ignore_other_categories": True},
        },
        {"moderation_llm_v2": {"model_name": "mistral-moderation-2603", "action": "none"}},
    ],
    "prompt_cache_key": "conformance",
    "service_tier": "standard_only",
    "safe_prompt": True,
}

# Every nullable parameter sent as an explicit null.
NULLS: dict[str, Any] = {
    "model": "mistral-small-latest",
    "messages": [{"role": "user", "content": None}, {"role": "user", "content": "Hi"}],
    **dict.fromkeys(
        (
            "temperature",
            "top_p",
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

# An assistant message as a response gives it, appended to continue the conversation (the
# documented way). Responses may carry fields this SDK version does not know (kept in
# ``extra_fields``, here ``added_later``); they are not request fields and must not be sent.
REPLY = structure(
    {
        "role": "assistant",
        "content": "Let me check.",
        "prefix": False,
        "added_later": "x",
        "tool_calls": [
            {
                "id": "call_9",
                "type": "function",
                "index": 0,
                "function": {"name": "get_weather", "arguments": "{}", "added_later": 1},
                "added_later": True,
            }
        ],
    },
    AssistantMessage,
)

CASES: dict[str, Case] = {
    OP: Case(
        method="chat.complete",
        kwargs=EVERYTHING,
        response_type=ChatCompletionResponse,
    ),
    f"{OP}:stream": Case(
        method="chat.stream",
        kwargs={
            **EVERYTHING,
            "stop": "END",
            "n": 1,
            "tool_choice": "any",
            "response_format": {"type": "json_object"},
            "prediction": {"type": "content", "content": ""},
            "service_tier": "auto",
        },
        returns="stream",
        response_type=CompletionChunk,
    ),
    f"{OP}:nulls": Case(
        method="chat.complete",
        kwargs=NULLS,
        response_type=ChatCompletionResponse,
        note="an explicit None is sent as null; the spec allows null for these",
    ),
    f"{OP}:stream-minimal": Case(
        method="chat.stream",
        kwargs={
            "model": "mistral-small-latest",
            "messages": [{"role": "user", "content": "Hi"}],
            "tool_choice": "none",
            "response_format": ResponseFormat("text"),
        },
        returns="stream",
        response_type=CompletionChunk,
    ),
    f"{OP}:reply-sent-back": Case(
        method="chat.complete",
        kwargs={
            "model": "mistral-small-latest",
            "messages": [
                {"role": "user", "content": "Weather?"},
                REPLY,
                ToolMessage("21 C", tool_call_id="call_9"),
            ],
            "tools": TOOLS[:1],
        },
        response_type=ChatCompletionResponse,
        note="a parsed response message sent back must not carry the response's unknown fields",
    ),
}
