"""``POST /v1/embeddings``."""

from __future__ import annotations

import uuid

from aiohttp import web

from .._app import Call, FakeApp
from .._generate import DEFAULT_EMBEDDING_DIMENSION, count_tokens, embedding, encode_embedding
from .._validation import EMBEDDING_REQUEST


def register(app: FakeApp) -> None:
    """Add the embeddings route."""
    app.route("POST", "/v1/embeddings", embeddings)


async def embeddings(call: Call) -> web.StreamResponse:
    """``POST /v1/embeddings``."""
    payload = await call.json(EMBEDDING_REQUEST)
    raw_input = payload["input"]
    inputs: list[str] = [raw_input] if isinstance(raw_input, str) else raw_input
    dimension = payload.get("output_dimension") or DEFAULT_EMBEDDING_DIMENSION
    dtype = payload.get("output_dtype", "float")
    encoding = payload.get("encoding_format", "float")
    used = sum(count_tokens(text) for text in inputs)
    call.charge_tokens(used)
    return call.ok(
        {
            "id": uuid.uuid4().hex,
            "object": "list",
            "model": payload["model"],
            "usage": {"prompt_tokens": used, "completion_tokens": 0, "total_tokens": used},
            "data": [
                {
                    "object": "embedding",
                    "embedding": encode_embedding(embedding(text, dimension), dtype, encoding),
                    "index": index,
                }
                for index, text in enumerate(inputs)
            ],
        }
    )
