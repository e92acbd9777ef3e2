"""A FastAPI app that relays Mistral chat completions, streamed or whole.

Run it with either of::

    uvicorn examples.fastapi_app:app          # from the repository root
    python examples/fastapi_app.py            # on http://127.0.0.1:8000 (or $PORT)

(``MISTRAL_API_KEY`` and optionally ``MISTRAL_SERVER_URL`` set), then::

    curl -N 'http://127.0.0.1:8000/chat?q=Tell+me+a+story'   # text as it is generated
    curl 'http://127.0.0.1:8000/complete?q=Hello'            # JSON, once complete

One ``AsyncMistral`` client is created when the app starts and closed when it stops:
its connection pool is shared by every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

from mistral_async import APIError, APIStatusError, AsyncMistral
from mistral_async.types import UserMessage

MODEL = "mistral-small-latest"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Created inside the server's event loop; reads MISTRAL_API_KEY / MISTRAL_SERVER_URL.
    async with AsyncMistral() as client:
        app.state.mistral = client
        yield
    # Leaving ``async with`` closed the client's connections (at server shutdown).


app = FastAPI(title="mistral_async example", lifespan=lifespan)


def mistral(request: Request) -> AsyncMistral:
    """The app's shared client."""
    client: AsyncMistral = request.app.state.mistral
    return client


async def relay(client: AsyncMistral, question: str) -> AsyncIterator[str]:
    """Yield the answer's text pieces as they arrive from the API.

    If the HTTP client disconnects, Starlette stops the response: this generator is
    cancelled (or closed) and ``async with`` closes the upstream stream, so the
    connection to the API is not left open reading an answer nobody wants.
    """
    async with client.chat.stream(model=MODEL, messages=[UserMessage(content=question)]) as stream:
        async for chunk in stream:
            if chunk.choices and (text := chunk.choices[0].delta.text):
                yield text


@app.get("/chat")
async def chat(request: Request, q: str) -> StreamingResponse:
    """Stream the answer to ``q`` as plain text."""
    # The response starts (status 200) before the first API event: an API error
    # past this point can only cut the body short.
    return StreamingResponse(relay(mistral(request), q), media_type="text/plain; charset=utf-8")


@app.get("/complete")
async def complete(request: Request, q: str) -> dict[str, Any]:
    """Answer ``q`` in one JSON response."""
    client = mistral(request)
    try:
        response = await client.chat.complete(model=MODEL, messages=[UserMessage(content=q)])
    except APIStatusError as exc:
        raise HTTPException(502, f"Mistral API error {exc.status_code}: {exc.message}") from exc
    except APIError as exc:
        raise HTTPException(502, f"Mistral API unavailable: {exc}") from exc
    usage = response.usage
    return {
        "answer": response.choices[0].message.text,
        "model": response.model,
        "total_tokens": usage.total_tokens if usage is not None else None,
    }


if __name__ == "__main__":
    import os

    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
