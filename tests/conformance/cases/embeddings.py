"""Cases of the ``embeddings`` group."""

from __future__ import annotations

from mistral_async.types import EmbeddingResponse

from ..case import Case

OP = "embeddings_v1_embeddings_post"

CASES: dict[str, Case] = {
    OP: Case(
        method="embeddings.create",
        kwargs={
            "model": "mistral-embed",
            "inputs": ["Embed this sentence.", "As well as this one."],
            "output_dimension": 256,
            "output_dtype": "int8",
            "encoding_format": "base64",
            "metadata": {"batch": "b-1"},
        },
        response_type=EmbeddingResponse,
        note="the SDK's inputs= is the API's input",
    ),
    f"{OP}:one": Case(
        method="embeddings.create",
        kwargs={
            "model": "codestral-embed",
            "inputs": "One text.",
            "output_dimension": None,
            "output_dtype": "float",
            "encoding_format": "float",
            "metadata": None,
        },
        response_type=EmbeddingResponse,
    ),
}
