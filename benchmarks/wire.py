"""Deterministic Mistral-shaped payloads shared by the benchmark server and the harness.

Everything the server sends is built here from fixed inputs, so the harness can compute the
expected outcome of every workload (number of chunks, total text length, vector sizes) without
talking to the server, and every client can be checked against the same numbers.
"""

from __future__ import annotations

import json
import random
import struct
from functools import lru_cache
from typing import Any

CHAT_MODEL = "mistral-small-latest"
EMBED_MODEL = "mistral-embed"
EMBED_DIM = 1024
CREATED = 1_735_689_600
COMPLETION_ID = "cmpl-3f1c2a9b8e7d4c6f9a0b1c2d3e4f5a6b"
EMBEDDING_ID = "embd-8c0f2e1d3b4a59687766554433221100"

#: Words cycled through by streamed chunks; two contain non-ASCII characters on purpose.
WORDS: tuple[str, ...] = (
    "The ",
    "quick ",
    "brown ",
    "fox ",
    "jumps ",
    "over ",
    "the ",
    "lazy ",
    "dog, ",
    "naïve ",
    "café ",
    "owner. ",
)

#: Content of the assistant message in a non-streamed chat completion.
CHAT_CONTENT = (
    "Hello! I'm an AI assistant. How can I help you today? I can answer questions, "
    "summarise documents, write and review code, translate text, or brainstorm ideas "
    "with you. Just tell me what you need."
)

PROMPT_TOKENS = 5


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _usage(completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": completion_tokens,
        "total_tokens": PROMPT_TOKENS + completion_tokens,
    }


@lru_cache(maxsize=1)
def chat_completion_body() -> bytes:
    """Return the JSON body of a non-streamed ``chat.completion`` response."""
    return _dumps(
        {
            "id": COMPLETION_ID,
            "object": "chat.completion",
            "model": CHAT_MODEL,
            "created": CREATED,
            "usage": _usage(48),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": CHAT_CONTENT, "tool_calls": None},
                    "finish_reason": "stop",
                }
            ],
        }
    )


def chunk_text(index: int) -> str:
    """Return the ``delta.content`` of the chunk at ``index`` in a stream."""
    return WORDS[index % len(WORDS)]


def stream_text_len(n_chunks: int) -> int:
    """Return the total number of characters of text carried by a stream of ``n_chunks``."""
    full, rest = divmod(n_chunks, len(WORDS))
    return full * sum(len(w) for w in WORDS) + sum(len(w) for w in WORDS[:rest])


def stream_events(n_chunks: int) -> list[bytes]:
    """Return the SSE events of a stream of ``n_chunks`` chunks, ``data: [DONE]`` included.

    Every chunk carries one word; the last one also carries ``finish_reason: "stop"`` and the
    usage block, as the Mistral API does.
    """
    head = (
        '{"id":"'
        + COMPLETION_ID
        + '","object":"chat.completion.chunk","created":'
        + str(CREATED)
        + ',"model":"'
        + CHAT_MODEL
        + '","choices":[{"index":0,"delta":'
    )
    middle = [
        (
            "data: "
            + head
            + '{"content":'
            + json.dumps(w, ensure_ascii=False)
            + '},"finish_reason":null}]}\n\n'
        ).encode("utf-8")
        for w in WORDS
    ]
    events = [middle[i % len(WORDS)] for i in range(n_chunks - 1)]
    if n_chunks > 0:
        word = json.dumps(chunk_text(n_chunks - 1), ensure_ascii=False)
        usage = _dumps(_usage(n_chunks)).decode()
        last = (
            "data: "
            + head
            + '{"content":'
            + word
            + '},"finish_reason":"stop"}],"usage":'
            + usage
            + "}\n\n"
        )
        events.append(last.encode("utf-8"))
    events.append(b"data: [DONE]\n\n")
    return events


@lru_cache(maxsize=64)
def embedding_vector(index: int) -> tuple[float, ...]:
    """Return embedding number ``index``: 1024 deterministic half-precision-valued floats."""
    rng = random.Random(0x5EED + index)
    pack = struct.Struct("<e")
    return tuple(pack.unpack(pack.pack(rng.uniform(-0.12, 0.12)))[0] for _ in range(EMBED_DIM))


def embeddings_body(n_inputs: int) -> bytes:
    """Return the JSON body of an embeddings response with one vector per input."""
    return _dumps(
        {
            "id": EMBEDDING_ID,
            "object": "list",
            "data": [
                {"object": "embedding", "embedding": list(embedding_vector(i)), "index": i}
                for i in range(n_inputs)
            ],
            "model": EMBED_MODEL,
            "usage": {
                "prompt_tokens": 4 * n_inputs,
                "completion_tokens": 0,
                "total_tokens": 4 * n_inputs,
            },
        }
    )


def models_body() -> bytes:
    """Return the JSON body of ``GET /v1/models``."""
    card = {
        "object": "model",
        "created": CREATED,
        "owned_by": "mistralai",
        "capabilities": {
            "completion_chat": True,
            "completion_fim": False,
            "function_calling": True,
            "fine_tuning": False,
            "vision": False,
        },
        "max_context_length": 32768,
        "type": "base",
    }
    return _dumps(
        {
            "object": "list",
            "data": [
                {**card, "id": CHAT_MODEL, "name": CHAT_MODEL},
                {**card, "id": EMBED_MODEL, "name": EMBED_MODEL, "max_context_length": 8192},
            ],
        }
    )


def file_object_body(file_id: str, size: int, filename: str) -> bytes:
    """Return the JSON body answering a file upload."""
    return _dumps(
        {
            "id": file_id,
            "object": "file",
            "bytes": size,
            "created_at": CREATED,
            "filename": filename,
            "purpose": "batch",
            "sample_type": "batch_request",
            "source": "upload",
            "num_lines": None,
            "mimetype": "application/octet-stream",
            "signature": None,
        }
    )


def download_file_id(size: int) -> str:
    """Return the file id whose ``/content`` the server streams as ``size`` bytes."""
    return f"bench-{size}"


def parse_download_file_id(file_id: str) -> int | None:
    """Return the size encoded by :func:`download_file_id`, or ``None`` if it is not one."""
    prefix, _, size = file_id.partition("-")
    if prefix != "bench" or not size.isdigit():
        return None
    return int(size)


def embed_inputs(n_inputs: int) -> list[str]:
    """Return the ``n_inputs`` texts sent in one embeddings request."""
    return [
        f"Benchmark input sentence number {i} for the embeddings endpoint." for i in range(n_inputs)
    ]
