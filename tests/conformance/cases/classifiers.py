"""Cases of the ``classifiers`` group: moderation and classification, of texts and of chats."""

from __future__ import annotations

from typing import Any

from mistral_async.types import (
    AssistantMessage,
    ImageURLChunk,
    SystemMessage,
    TextChunk,
    ToolMessage,
    UserMessage,
)
from mistral_async.types.classifiers import (
    ClassificationResponse,
    InstructRequest,
    ModerationResponse,
)

from ..case import Case

MODERATION = "mistral-moderation-latest"
CLASSIFIER = "ft:classifier:ministral-3b-latest:fake:20250101:abc12345"

# A conversation using every message role, typed and as dicts, with content chunks and a
# tool call, so the request checks cover the chat message schemas.
CONVERSATION: list[Any] = [
    SystemMessage([TextChunk("You are a helpful assistant.")]),
    UserMessage(
        [
            TextChunk("What is in this picture? Tell me the weather too."),
            ImageURLChunk(image_url="https://example.com/cat.png"),
        ]
    ),
    AssistantMessage(
        content="",
        tool_calls=[
            {  # type: ignore[list-item]
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    ),
    ToolMessage(content='{"sky": "clear"}', tool_call_id="call_1", name="get_weather"),
    {"role": "assistant", "content": "A cat, and the sky is clear in Paris."},
]

CASES: dict[str, Case] = {
    "moderations_v1_moderations_post": Case(
        method="classifiers.moderate",
        kwargs={
            "model": MODERATION,
            "inputs": ["I will hurt you.", "Have a nice day!"],
            "metadata": {"source": "comments", "batch": 7},
        },
        response_type=ModerationResponse,
        note="the SDK's inputs= is the API's input",
    ),
    "moderations_v1_moderations_post:one": Case(
        method="classifiers.moderate",
        kwargs={"model": MODERATION, "inputs": "One text.", "metadata": None},
        response_type=ModerationResponse,
    ),
    "chat_moderations_v1_chat_moderations_post": Case(
        method="classifiers.moderate_chat",
        kwargs={"model": MODERATION, "inputs": CONVERSATION},
        response_type=ModerationResponse,
    ),
    "chat_moderations_v1_chat_moderations_post:several": Case(
        method="classifiers.moderate_chat",
        kwargs={
            "model": MODERATION,
            "inputs": [
                [{"role": "user", "content": "Hi"}],
                [UserMessage("How are you?"), AssistantMessage("Fine, thanks.")],
            ],
        },
        response_type=ModerationResponse,
    ),
    "classifications_v1_classifications_post": Case(
        method="classifiers.classify",
        kwargs={
            "model": CLASSIFIER,
            "inputs": ["Great product!", "Terrible service."],
            "metadata": {"source": "reviews"},
        },
        response_type=ClassificationResponse,
    ),
    "classifications_v1_classifications_post:one": Case(
        method="classifiers.classify",
        kwargs={"model": CLASSIFIER, "inputs": "Could you help me?"},
        response_type=ClassificationResponse,
    ),
    "chat_classifications_v1_chat_classifications_post": Case(
        method="classifiers.classify_chat",
        kwargs={"model": CLASSIFIER, "inputs": InstructRequest(messages=CONVERSATION)},
        response_type=ClassificationResponse,
        note="one conversation: the API's input is then one InstructRequest, not a list",
    ),
    "chat_classifications_v1_chat_classifications_post:several": Case(
        method="classifiers.classify_chat",
        kwargs={
            "model": CLASSIFIER,
            "inputs": [
                {"messages": [{"role": "user", "content": "I love it"}]},
                InstructRequest([UserMessage("Why?"), AssistantMessage("Because.")]),
            ],
        },
        response_type=ClassificationResponse,
    ),
}
