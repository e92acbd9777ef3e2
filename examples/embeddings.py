"""Embeddings: turn texts into vectors and compare them with cosine similarity.

Run it with ``python examples/embeddings.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

from mistral_async import AsyncMistral

MODEL = "mistral-embed"
TEXTS = [
    "The cat sat on the mat.",
    "A feline was resting on the rug.",
]


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """cos(a, b) = a.b / (|a| |b|): 1 for the same direction, 0 for unrelated vectors."""
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norms


async def main() -> None:
    async with AsyncMistral() as client:
        # One request embeds every input; ``data[i]`` is the embedding of ``TEXTS[i]``.
        response = await client.embeddings.create(model=MODEL, inputs=TEXTS)

    vectors: list[list[float]] = []
    for item in sorted(response.data, key=lambda d: d.index):
        # ``embedding`` is a list of floats (a base64 string only with encoding_format="base64").
        assert isinstance(item.embedding, list)
        vectors.append(item.embedding)

    print(f"Embedded {len(vectors)} texts into {len(vectors[0])} dimensions")
    if response.usage is not None:
        print("Prompt tokens:", response.usage.prompt_tokens)
    similarity = cosine_similarity(vectors[0], vectors[1])
    print(f"Cosine similarity of {TEXTS[0]!r} and {TEXTS[1]!r}: {similarity:.4f}")


if __name__ == "__main__":
    asyncio.run(main())
