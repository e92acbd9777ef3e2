"""``POST /v1/moderations``, ``/v1/classifications`` and their ``/v1/chat/...`` twins.

Results are deterministic functions of the text:

- Moderation flags a category when the text contains one of its trigger words
  (:data:`MODERATION_WORDS`; ``pii`` also fires on an e-mail address or a phone number).
  A flagged category scores from 0.9 to 1, the others below 0.01.
- Classification scores each label of each target of the model: a label gets a large
  boost per trigger word found (:data:`CLASSIFIER_WORDS`) plus a small hash of the text,
  then each target's scores are normalised to sum to 1. A model's targets default to
  :data:`DEFAULT_TARGETS`; tests (or a fake fine-tuning job) can declare others with
  ``fake.state(ClassifiersState).targets[model] = {"target": ["label", ...]}``.

A chat input is moderated or classified as the text of all its messages.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from .._app import Call, FakeApp
from .._generate import content_text, count_tokens
from .._validation import _MESSAGE, Array, FreeDict, Model, Null, Str, Union

__all__ = [
    "CLASSIFIER_WORDS",
    "DEFAULT_TARGETS",
    "MODERATION_CATEGORIES",
    "MODERATION_WORDS",
    "ClassifiersState",
    "classify_text",
    "moderate_text",
    "register",
]

MODERATION_CATEGORIES = (
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous_and_criminal_content",
    "selfharm",
    "health",
    "financial",
    "law",
    "pii",
)
MODERATION_WORDS: dict[str, frozenset[str]] = {
    "sexual": frozenset({"sex", "sexual", "nude", "porn", "explicit"}),
    "hate_and_discrimination": frozenset({"hate", "racist", "bigot", "slur", "inferior"}),
    "violence_and_threats": frozenset({"kill", "murder", "attack", "stab", "shoot", "threat"}),
    "dangerous_and_criminal_content": frozenset(
        {"bomb", "explosive", "steal", "weapon", "drugs", "hack"}
    ),
    "selfharm": frozenset({"suicide", "selfharm", "overdose"}),
    "health": frozenset({"diagnosis", "medication", "symptoms", "disease", "prescription"}),
    "financial": frozenset({"invest", "investment", "stock", "stocks", "loan", "crypto"}),
    "law": frozenset({"lawsuit", "lawyer", "legal", "sue", "court"}),
    "pii": frozenset({"ssn", "passport", "password", "address"}),
}
DEFAULT_TARGETS: dict[str, list[str]] = {
    "sentiment": ["negative", "neutral", "positive"],
    "intent": ["question", "request", "statement"],
}
CLASSIFIER_WORDS: dict[str, frozenset[str]] = {
    "negative": frozenset({"bad", "awful", "hate", "terrible", "sad", "horrible", "worst"}),
    "positive": frozenset({"good", "great", "love", "excellent", "happy", "wonderful", "best"}),
    "question": frozenset({"what", "why", "how", "when", "where", "who", "?"}),
    "request": frozenset({"please", "could", "can", "would"}),
}

_WORD = re.compile(r"\w+|\?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d .-]{7,}\d")

_STR = Str()
_CONVERSATION = Array(_MESSAGE)
CLASSIFICATION_REQUEST = Model(
    "ClassificationRequest",
    {"model": _STR, "metadata": Union(FreeDict(), Null()), "input": Union(_STR, Array(_STR))},
    required=["input", "model"],
    top_level=True,
)
CHAT_MODERATION_REQUEST = Model(
    "ChatModerationRequest",
    {"input": Union(_CONVERSATION, Array(_CONVERSATION)), "model": _STR},
    required=["input", "model"],
    top_level=True,
)
_INSTRUCT = Model("InstructRequest", {"messages": _CONVERSATION}, required=["messages"])
CHAT_CLASSIFICATION_REQUEST = Model(
    "ChatClassificationRequest",
    {"model": _STR, "input": Union(_INSTRUCT, Array(_INSTRUCT))},
    required=["input", "model"],
    top_level=True,
)


class ClassifiersState:
    """Per-server classifier settings: the targets (and their labels) of each model."""

    def __init__(self) -> None:
        """Start with every model using :data:`DEFAULT_TARGETS`."""
        self.targets: dict[str, dict[str, list[str]]] = {}

    def targets_of(self, model: str) -> dict[str, list[str]]:
        """The targets of ``model``, each with its labels."""
        return self.targets.get(model, DEFAULT_TARGETS)


def register(app: FakeApp) -> None:
    """Add the moderation and classification routes."""
    app.route("POST", "/v1/moderations", moderations)
    app.route("POST", "/v1/chat/moderations", chat_moderations)
    app.route("POST", "/v1/classifications", classifications)
    app.route("POST", "/v1/chat/classifications", chat_classifications)


def _fraction(*parts: str) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:6], "big") / float(1 << 48)


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def _has_contact(text: str) -> bool:
    """Whether ``text`` holds an e-mail address or a phone number (9 digits or more)."""
    if _EMAIL.search(text):
        return True
    return any(sum(c.isdigit() for c in m.group()) >= 9 for m in _PHONE.finditer(text))


def moderate_text(text: str) -> dict[str, Any]:
    """The moderation result (``categories`` and ``category_scores``) of ``text``."""
    words = _words(text)
    categories: dict[str, bool] = {}
    scores: dict[str, float] = {}
    for category in MODERATION_CATEGORIES:
        flagged = bool(words & MODERATION_WORDS[category])
        if category == "pii":
            flagged = flagged or _has_contact(text)
        noise = _fraction(category, text)
        categories[category] = flagged
        scores[category] = 0.9 + 0.1 * noise if flagged else 0.01 * noise
    return {"categories": categories, "category_scores": scores}


def classify_text(text: str, targets: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The classification result of ``text``: each target's label scores (summing to 1)."""
    words = _words(text)
    result: dict[str, Any] = {}
    for target, labels in targets.items():
        raw = {
            label: 0.1
            + 0.2 * _fraction(target, label, text)
            + 4.0 * len(words & CLASSIFIER_WORDS.get(label, frozenset()))
            for label in labels
        }
        total = sum(raw.values()) or 1.0
        result[target] = {"scores": {label: value / total for label, value in raw.items()}}
    return result


def _conversation_text(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(content_text(message.get("content")) for message in messages)


def _texts(raw: str | list[str]) -> list[str]:
    return [raw] if isinstance(raw, str) else raw


def _reply(call: Call, model: str, texts: Sequence[str], results: list[Any]) -> web.Response:
    call.charge_tokens(sum(count_tokens(text) for text in texts))
    return call.ok({"id": uuid.uuid4().hex, "model": model, "results": results})


async def moderations(call: Call) -> web.StreamResponse:
    """``POST /v1/moderations``."""
    payload = await call.json(CLASSIFICATION_REQUEST)
    texts = _texts(payload["input"])
    return _reply(call, payload["model"], texts, [moderate_text(text) for text in texts])


async def chat_moderations(call: Call) -> web.StreamResponse:
    """``POST /v1/chat/moderations``: one result per conversation."""
    payload = await call.json(CHAT_MODERATION_REQUEST)
    raw: list[Any] = payload["input"]
    conversations = raw if raw and isinstance(raw[0], list) else [raw]
    texts = [_conversation_text(messages) for messages in conversations]
    return _reply(call, payload["model"], texts, [moderate_text(text) for text in texts])


async def classifications(call: Call) -> web.StreamResponse:
    """``POST /v1/classifications``."""
    payload = await call.json(CLASSIFICATION_REQUEST)
    texts = _texts(payload["input"])
    targets = call.state(ClassifiersState).targets_of(payload["model"])
    return _reply(call, payload["model"], texts, [classify_text(text, targets) for text in texts])


async def chat_classifications(call: Call) -> web.StreamResponse:
    """``POST /v1/chat/classifications``: one result per conversation."""
    payload = await call.json(CHAT_CLASSIFICATION_REQUEST)
    raw = payload["input"]
    requests: list[dict[str, Any]] = raw if isinstance(raw, list) else [raw]
    texts = [_conversation_text(request["messages"]) for request in requests]
    targets = call.state(ClassifiersState).targets_of(payload["model"])
    return _reply(call, payload["model"], texts, [classify_text(text, targets) for text in texts])
