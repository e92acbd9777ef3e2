"""Deterministic content generation for the fake server (replies, tokens, embeddings)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Any

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_PIECE_RE = re.compile(r"\s*\S+")

REPLY_TEMPLATE = "Hello! You said: {text}. This reply comes from the fake Mistral server."
EMPTY_REPLY = "Hello! This reply comes from the fake Mistral server."
DEFAULT_EMBEDDING_DIMENSION = 1024


def count_tokens(text: str) -> int:
    """Count "tokens" deterministically: words and punctuation marks."""
    return len(_TOKEN_RE.findall(text))


def content_text(content: object) -> str:
    """Extract the plain text of a message ``content`` (string, chunk list or null)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            chunk["text"]
            for chunk in content
            if isinstance(chunk, dict) and isinstance(chunk.get("text"), str)
        ]
        return " ".join(parts)
    return ""


def prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Count the prompt tokens of a list of chat messages."""
    total = 0
    for message in messages:
        total += count_tokens(content_text(message.get("content")))
        for call in message.get("tool_calls") or ():
            function = call.get("function", {})
            arguments = function.get("arguments", "")
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments)
            total += count_tokens(str(function.get("name", ""))) + count_tokens(arguments)
    return total


def chat_reply(messages: Sequence[Mapping[str, Any]], choice_index: int = 0) -> str:
    """Return the fixed reply to a conversation: a function of the last user message text.

    Choices after the first get a `` (alternative N)`` suffix so they differ. A trailing
    assistant message with ``prefix: true`` is prepended to the reply, as the real API does.
    """
    user_text = ""
    for message in reversed(messages):
        if message.get("role") == "user":
            user_text = content_text(message.get("content")).strip()
            break
    reply = REPLY_TEMPLATE.format(text=user_text) if user_text else EMPTY_REPLY
    if choice_index:
        reply = f"{reply} (alternative {choice_index})"
    if messages and messages[-1].get("role") == "assistant" and messages[-1].get("prefix"):
        prefix = content_text(messages[-1].get("content"))
        reply = (
            f"{prefix}{reply}"
            if prefix.endswith((" ", "\n")) or not prefix
            else (f"{prefix} {reply}")
        )
    return reply


def fim_reply(prompt: str, suffix: str | None) -> str:
    """Return the fixed fill-in-the-middle completion for ``prompt`` and ``suffix``."""
    reply = f" # Fake completion by the fake Mistral server for the prompt {prompt!r}"
    if suffix:
        reply += f" and the suffix {suffix!r}"
    return reply + "."


def example_from_schema(schema: object, hint: str, depth: int = 0) -> Any:
    """Build a small deterministic instance of a JSON schema (strings get ``hint``)."""
    if not isinstance(schema, Mapping) or depth > 6:
        return {} if depth == 0 else None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return example_from_schema(options[0], hint, depth + 1)
    schema_type = schema.get("type")
    if isinstance(schema_type, list):
        schema_type = next((t for t in schema_type if t != "null"), None)
    if schema_type == "object" or "properties" in schema:
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            return {}
        return {
            str(name): example_from_schema(sub, hint, depth + 1) for name, sub in properties.items()
        }
    if schema_type == "array":
        return [example_from_schema(schema.get("items"), hint, depth + 1)]
    if schema_type == "string":
        return hint
    if schema_type == "integer":
        return 0
    if schema_type == "number":
        return 0.0
    if schema_type == "boolean":
        return False
    return None


def format_reply(text: str, response_format: object) -> str:
    """Shape the reply for ``response_format`` (JSON object / JSON schema modes)."""
    if not isinstance(response_format, Mapping):
        return text
    kind = response_format.get("type")
    if kind == "json_object":
        return json.dumps({"reply": text})
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        return json.dumps(example_from_schema(schema, text))
    return text


def tool_arguments(tool: Mapping[str, Any] | None) -> str:
    """Return the JSON-encoded arguments of a fake call to ``tool``."""
    if tool is None:
        return "{}"
    function = tool.get("function")
    parameters = function.get("parameters") if isinstance(function, Mapping) else None
    value = example_from_schema(parameters, "example")
    if not isinstance(value, dict):
        value = {}
    return json.dumps(value)


def apply_limits(text: str, max_tokens: int | None, stop: object) -> tuple[str, str]:
    """Apply ``stop`` sequences and ``max_tokens`` to ``text``; return it and a finish reason."""
    finish_reason = "stop"
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cut = len(text)
    for sequence in stops:
        if isinstance(sequence, str) and sequence:
            position = text.find(sequence)
            if position != -1:
                cut = min(cut, position)
    text = text[:cut]
    if max_tokens is not None:
        matches = list(_TOKEN_RE.finditer(text))
        if len(matches) > max_tokens:
            text = text[: matches[max_tokens - 1].end()] if max_tokens > 0 else ""
            finish_reason = "length"
    return text, finish_reason


def split_pieces(text: str) -> list[str]:
    """Split ``text`` into one piece per word (leading whitespace kept; joins back exactly)."""
    pieces = _PIECE_RE.findall(text)
    rest = text[sum(len(p) for p in pieces) :]
    if rest:
        if pieces:
            pieces[-1] += rest
        else:
            pieces.append(rest)
    return pieces


def split_arguments(arguments: str, parts: int = 3) -> list[str]:
    """Split a JSON arguments string into at least two non-empty parts (when possible)."""
    if len(arguments) < 2:
        return [arguments]
    size = max(1, math.ceil(len(arguments) / max(2, parts)))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def embedding(text: str, dimension: int) -> list[float]:
    """Return a deterministic unit-length embedding of ``text``."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not a secret
    vector = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
    norm = math.sqrt(math.fsum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def _pack_bits(vector: Sequence[float]) -> list[int]:
    """Pack the signs of ``vector`` into bytes (most significant bit first)."""
    packed: list[int] = []
    for start in range(0, len(vector), 8):
        byte = 0
        for offset, value in enumerate(vector[start : start + 8]):
            if value > 0:
                byte |= 0x80 >> offset
        packed.append(byte)
    return packed


def encode_embedding(
    vector: Sequence[float], dtype: str, encoding: str
) -> list[float] | list[int] | str:
    """Quantize ``vector`` to ``dtype`` and encode it as a list or base64 string."""
    scale = max((abs(x) for x in vector), default=1.0) or 1.0
    values: list[float] | list[int]
    if dtype == "int8":
        values = [max(-128, min(127, round(x / scale * 127))) for x in vector]
        raw = struct.pack(f"<{len(values)}b", *values)
    elif dtype == "uint8":
        values = [max(0, min(255, round((x / scale + 1) * 127.5))) for x in vector]
        raw = bytes(values)
    elif dtype == "ubinary":
        values = _pack_bits(vector)
        raw = bytes(values)
    elif dtype == "binary":
        values = [b - 128 for b in _pack_bits(vector)]
        raw = struct.pack(f"<{len(values)}b", *values)
    else:
        values = list(vector)
        raw = struct.pack(f"<{len(values)}f", *values)
    if encoding == "base64":
        return base64.b64encode(raw).decode("ascii")
    return values
