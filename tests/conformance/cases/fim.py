"""Cases of the ``fim`` group.

``POST /v1/fim/completions`` answers JSON or an event stream: ``fim.complete`` serves it
under the operationId's own key, ``fim.stream`` under ``<operationId>:stream``.
"""

from __future__ import annotations

from typing import Any

from mistral_async.types import CompletionChunk, FIMCompletionResponse

from ..case import Case

OP = "fim_completion_v1_fim_completions_post"

EVERYTHING: dict[str, Any] = {
    "model": "codestral-latest",
    "prompt": "def fibonacci(n: int) -> int:\n",
    "suffix": "\nprint(fibonacci(10))\n",
    "temperature": 0.2,
    "top_p": 0.95,
    "max_tokens": 128,
    "min_tokens": 4,
    "stop": ["\n\n\n", "# end"],
    "random_seed": 7,
    "metadata": {"file": "fib.py"},
    "prompt_cache_key": "fib",
}

CASES: dict[str, Case] = {
    OP: Case(method="fim.complete", kwargs=EVERYTHING, response_type=FIMCompletionResponse),
    f"{OP}:stream": Case(
        method="fim.stream",
        kwargs={**EVERYTHING, "stop": "\n\n"},
        returns="stream",
        response_type=CompletionChunk,
    ),
    f"{OP}:nulls": Case(
        method="fim.complete",
        kwargs={
            "model": "codestral-latest",
            "prompt": "x = ",
            **dict.fromkeys(
                (
                    "suffix",
                    "temperature",
                    "top_p",
                    "max_tokens",
                    "min_tokens",
                    "stop",
                    "random_seed",
                    "metadata",
                    "prompt_cache_key",
                )
            ),
        },
        response_type=FIMCompletionResponse,
        note="an explicit None is sent as null; the spec allows null for these",
    ),
}
