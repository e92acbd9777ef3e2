"""Errors, retries, timeouts, per-client options and raw responses.

Run it with ``python examples/errors_and_retries.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set).

Every error the SDK raises is a ``MistralError``. Failures talking to the API are
``APIError``s: ``APIStatusError`` (an error status, with a subclass per status such as
``RateLimitError`` for 429) and ``APIConnectionError`` (no connection, or it broke;
``APITimeoutError`` is one). Connection errors, timeouts and 408/429/5xx answers are
retried automatically (twice by default, honouring ``Retry-After``) before being raised.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mistral_async import (
    APIConnectionError,
    APIStatusError,
    AsyncMistral,
    RateLimitError,
    Timeout,
)
from mistral_async.types import UserMessage

MODEL = "mistral-small-latest"


async def ask(client: AsyncMistral, question: str, **options: Any) -> str | None:
    """Ask one question; report API errors instead of raising them.

    ``options`` are per-call settings such as ``max_retries=``, ``timeout=`` or ``api_key=``.
    """
    try:
        response = await client.chat.complete(
            model=MODEL, messages=[UserMessage(content=question)], **options
        )
    except RateLimitError as exc:
        # 429, still failing after the retries: slow down. The headers say for how long.
        print(f"Rate limited after {exc.attempts} attempt(s): {exc.message}")
        print("  Retry-After:", exc.headers.get("retry-after"))
        return None
    except APIStatusError as exc:
        # Any other error status: 401 bad key, 422 invalid parameters, 5xx...
        print(f"API error {exc.status_code} ({type(exc).__name__}): {exc.message}")
        print("  request id:", exc.request_id)  # quote it when asking support
        return None
    except APIConnectionError as exc:
        # The server could not be reached, or the connection broke (or timed out).
        print(f"Connection error ({type(exc).__name__}): {exc}")
        return None
    answer = response.choices[0].message.text
    print("Answer:", answer)
    return answer


async def main() -> None:
    # Client-wide defaults: 3 retries, 30 s per request (10 s at most to connect).
    async with AsyncMistral(max_retries=3, timeout=Timeout(total=30, connect=10)) as client:
        # 1. Per-call options override the client's: no retries and a 20 s limit here.
        await ask(client, "What is a rate limit?", max_retries=0, timeout=20)

        # 2. An error status: a wrong key (for this call only) gives 401 AuthenticationError.
        await ask(client, "Will this work?", api_key="not-a-valid-key")

        # 3. A connection error: a copy of the client pointing at a port nobody listens on.
        #    with_options() makes a client with other defaults that shares the connection pool.
        unreachable = client.with_options(
            server_url="http://127.0.0.1:9", max_retries=0, timeout=Timeout(total=5, connect=2)
        )
        await ask(unreachable, "Is anybody there?")

        # 4. A patient copy for long answers: more retries, and 2 minutes per request.
        patient = client.with_options(max_retries=5, timeout=120)
        await ask(patient, "Explain exponential backoff.")

        # 5. Raw responses: status, headers, request id and rate-limit figures, then the
        #    usual parsed result with .parse().
        raw = await client.with_raw_response.chat.complete(
            model=MODEL, messages=[UserMessage(content="Show me the headers.")]
        )
        print("Raw status:", raw.status_code, "request id:", raw.request_id)
        for window, limit in raw.rate_limit.windows.items():
            print(f"  rate limit {window}: {limit.remaining} of {limit.limit} remaining")
        completion = raw.parse()
        print("Parsed answer:", completion.choices[0].message.text)


if __name__ == "__main__":
    asyncio.run(main())
