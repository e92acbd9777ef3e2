"""The examples run for real: each script against the fake server, the FastAPI app under uvicorn.

Scripts run as subprocesses (``python examples/<name>.py``) with ``MISTRAL_API_KEY`` and
``MISTRAL_SERVER_URL`` pointing at a :class:`FakeMistral` in thread mode, and must print
the fake server's deterministic replies. The FastAPI app is served by a real uvicorn
server (in a thread of this process, and as ``python examples/fastapi_app.py``) and called
over HTTP with a plain aiohttp client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mistral_async.testing import FakeMistral

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SCRIPT_TIMEOUT = 20.0
CHAT_PATH = "/v1/chat/completions"


def reply(text: str) -> str:
    """The fake server's chat answer to a last user message ``text``."""
    return f"Hello! You said: {text}. This reply comes from the fake Mistral server."


@pytest.fixture
def fake() -> Iterator[FakeMistral]:
    """A fake Mistral API in a background thread."""
    with FakeMistral() as server:
        yield server


def example_env(fake: FakeMistral, **extra: str) -> dict[str, str]:
    """The environment of an example: the SDK pointed at ``fake``, the repo importable."""
    env = dict(os.environ)
    env.update(
        MISTRAL_API_KEY=fake.api_key,
        MISTRAL_SERVER_URL=fake.url,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def run_example(name: str, fake: FakeMistral) -> str:
    """Run ``examples/<name>.py``; check it succeeded silently on stderr; return its stdout.

    ``-W error`` turns any warning the example triggers into a failure.
    """
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / f"{name}.py")],
        cwd=REPO,
        env=example_env(fake),
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stderr == "", result.stderr
    return result.stdout


def chat_requests(fake: FakeMistral) -> list[dict[str, Any]]:
    """The JSON bodies of the chat requests the fake server received, in order."""
    return [r.json for r in fake.requests if r.path == CHAT_PATH]


# -- scripts ---------------------------------------------------------------------------------


def test_async_chat(fake: FakeMistral) -> None:
    out = run_example("async_chat", fake)
    assert f"Answer: {reply('What is the capital of France?')}\n" in out
    assert f"Follow-up answer: {reply('And the capital of Italy?')}\n" in out
    assert "Finish reason: stop" in out
    usage = re.search(r"Usage: (\d+) prompt \+ (\d+) completion = (\d+) tokens", out)
    assert usage is not None
    prompt, completion, total = map(int, usage.groups())
    assert prompt > 0 and completion > 0 and total == prompt + completion

    first, second = chat_requests(fake)
    assert first["model"] == "mistral-small-latest"
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    # The follow-up carries the whole conversation: typed messages, the answer, a dict.
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"] == reply("What is the capital of France?")


def test_sync_chat(fake: FakeMistral) -> None:
    out = run_example("sync_chat", fake)
    assert f"Answer: {reply('Tell me a fun fact about octopuses.')}\n" in out
    assert f"Codestral: {reply('Reverse a list in Python.')}\n" in out
    assert re.search(r"Total tokens: \d+", out)
    assert [r["model"] for r in chat_requests(fake)] == ["mistral-small-latest", "codestral-latest"]


def test_streaming(fake: FakeMistral) -> None:
    fake.stream_delay = 0.005  # events in separate network reads
    out = run_example("streaming", fake)
    lines = out.splitlines()
    haiku, count = reply("Write a haiku about the sea."), reply("Count from one to five.")
    assert re.fullmatch(r"Request id: [0-9a-f]{32}", lines[0])
    # The deltas, printed as they came, add up to the whole reply on one line.
    assert lines[1] == haiku
    assert f"Full text: {haiku}" in lines
    assert "Finish reason: stop" in lines
    assert any(re.fullmatch(r"Total tokens: \d+", line) for line in lines)
    # The blocking variant.
    assert count in lines
    assert f"Sync full text: {count}" in lines
    assert all(body["stream"] is True for body in chat_requests(fake))
    assert len(chat_requests(fake)) == 2


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(math.fsum(x * x for x in a) * math.fsum(y * y for y in b))


def test_embeddings(fake: FakeMistral, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO))
    from examples.embeddings import TEXTS

    out = run_example("embeddings", fake)
    assert "Embedded 2 texts into 1024 dimensions" in out
    printed = re.search(r"Cosine similarity of .+: (-?\d\.\d{4})\n", out)
    assert printed is not None
    assert fake.last_request.json == {"model": "mistral-embed", "input": TEXTS}

    # The same vectors, fetched without the SDK: the example's arithmetic must agree.
    request = urllib.request.Request(
        f"{fake.url}/v1/embeddings",
        data=json.dumps({"model": "mistral-embed", "input": TEXTS}).encode(),
        headers={"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data = json.load(response)["data"]
    expected = _cosine(data[0]["embedding"], data[1]["embedding"])
    assert printed.group(1) == f"{expected:.4f}"


def test_tool_calls(fake: FakeMistral) -> None:
    out = run_example("tool_calls", fake)
    assert "Finish reason: tool_calls" in out
    call = re.search(r"Tool call (call_\w+): get_weather\(\{'city': 'example'\}\)", out)
    assert call is not None
    weather = reply("What's the weather like in Paris?")
    assert f"Answer: {weather}\n" in out

    first, second = chat_requests(fake)
    assert first["tool_choice"] == "any"
    assert first["tools"][0]["function"]["name"] == "get_weather"
    user, assistant, tool = second["messages"]
    assert (user["role"], assistant["role"], tool["role"]) == ("user", "assistant", "tool")
    assert assistant["tool_calls"][0]["id"] == call.group(1)
    assert tool["tool_call_id"] == call.group(1)
    assert json.loads(tool["content"]) == {"city": "example", "temperature_c": 21, "sky": "sunny"}


def test_errors_and_retries(fake: FakeMistral) -> None:
    out = run_example("errors_and_retries", fake)
    assert f"Answer: {reply('What is a rate limit?')}\n" in out
    assert "API error 401 (AuthenticationError): Unauthorized" in out
    assert re.search(r"request id: [0-9a-f]{32}", out)
    assert "Connection error (APIConnectionError): Could not connect to 127.0.0.1:9" in out
    assert f"Answer: {reply('Explain exponential backoff.')}\n" in out
    assert re.search(r"Raw status: 200 request id: [0-9a-f]{32}", out)
    assert re.search(r"rate limit tokens-minute: \d+(\.\d+)? of 2000000(\.0)? remaining", out)
    assert f"Parsed answer: {reply('Show me the headers.')}\n" in out
    # The wrong key was sent for that call only.
    good, wrong = f"Bearer {fake.api_key}", "Bearer not-a-valid-key"
    assert [r.headers["authorization"] for r in fake.requests] == [good, wrong, good, good]


def test_errors_and_retries_rate_limited(fake: FakeMistral) -> None:
    # The first call is made with max_retries=0, so a 429 reaches the RateLimitError handler.
    fake.fail_next(status=429, headers={"Retry-After": "0"})
    out = run_example("errors_and_retries", fake)
    assert "Rate limited after 1 attempt(s): Requests rate limit exceeded" in out
    assert "Retry-After: 0" in out
    assert reply("What is a rate limit?") not in out
    # ... and the script carries on.
    assert f"Parsed answer: {reply('Show me the headers.')}\n" in out


# -- the FastAPI app under uvicorn -----------------------------------------------------------


@contextmanager
def serve_in_thread(fake: FakeMistral, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Serve ``examples.fastapi_app:app`` with a real uvicorn server in a background thread.

    Yields the base URL; on exit, shuts uvicorn down (lifespan included) and joins it.
    """
    import uvicorn

    monkeypatch.syspath_prepend(str(REPO))  # "examples" importable however pytest was started
    monkeypatch.setenv("MISTRAL_API_KEY", fake.api_key)
    monkeypatch.setenv("MISTRAL_SERVER_URL", fake.url)
    config = uvicorn.Config(
        "examples.fastapi_app:app",
        lifespan="on",
        loop="asyncio",
        log_config=None,  # leave the test process's logging alone
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    with socket.socket() as sock:  # bound here: a free port, no race
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                assert thread.is_alive(), "uvicorn failed to start"
                assert time.monotonic() < deadline, "uvicorn did not start in time"
                time.sleep(0.01)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    assert not thread.is_alive(), "uvicorn did not shut down"


async def read_stream(url: str, q: str) -> tuple[int, str, list[bytes]]:
    """GET ``/chat``; return the status, content type and body chunks as they arrived."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/chat", params={"q": q}) as response,
    ):
        chunks = [chunk async for chunk in response.content.iter_any()]
        return response.status, response.headers["Content-Type"], chunks


async def get_json(url: str, path: str, q: str) -> tuple[int, Any]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}{path}", params={"q": q}) as response,
    ):
        return response.status, await response.json()


async def read_first_chunk_then_leave(url: str, q: str) -> bytes:
    """GET ``/chat``, read the first piece of the answer, then drop the connection."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/chat", params={"q": q}) as response,
    ):
        first = await response.content.readany()
        response.close()  # the body is unfinished: this closes the TCP connection
        return first


def assert_no_app_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_fastapi_app_streams_and_completes(
    fake: FakeMistral, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.stream_delay = 0.02  # one network write per word, a little apart
    with serve_in_thread(fake, monkeypatch) as url:
        status, content_type, chunks = asyncio.run(read_stream(url, "Stream to me"))
        assert status == 200
        assert content_type.startswith("text/plain")
        assert len(chunks) > 1  # it really streamed
        assert b"".join(chunks).decode() == reply("Stream to me")

        status, body = asyncio.run(get_json(url, "/complete", "Answer at once"))
        assert status == 200
        assert body["answer"] == reply("Answer at once")
        assert body["model"] == "mistral-small-latest"
        assert isinstance(body["total_tokens"], int) and body["total_tokens"] > 0

        # An API error becomes a 502 carrying the API's message (400 is not retried).
        fake.fail_next(status=400)
        status, body = asyncio.run(get_json(url, "/complete", "Fail, please"))
        assert status == 502
        assert body == {"detail": "Mistral API error 400: Bad request"}

        assert [b.get("stream", False) for b in chat_requests(fake)] == [True, False, False]
        # The app's one client reuses a single pooled connection to the API...
        assert fake.total_connections == 1
        assert fake.open_connections == 1
    # ... and the lifespan closes it when the app shuts down (this process lives on).
    fake.wait_for_open_connections_sync(0, timeout=2)
    assert_no_app_errors(caplog)


def test_fastapi_app_client_disconnect_closes_upstream(
    fake: FakeMistral, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.stream_delay = 0.1  # the whole answer would take well over a second
    with serve_in_thread(fake, monkeypatch) as url:
        first = asyncio.run(read_first_chunk_then_leave(url, "Tell me a long story"))
        assert first
        assert reply("Tell me a long story").startswith(first.decode())
        # The app noticed and closed its stream to the API while still running (a stream
        # read to its end would have left the connection open in the client's pool).
        fake.wait_for_open_connections_sync(0, timeout=2)
        assert fake.total_connections == 1

        # The app is still healthy.
        status, body = asyncio.run(get_json(url, "/complete", "Still there?"))
        assert status == 200
        assert body["answer"] == reply("Still there?")
    fake.wait_for_open_connections_sync(0, timeout=2)
    assert_no_app_errors(caplog)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_fastapi_app_as_script(fake: FakeMistral, tmp_path: Path) -> None:
    """``python examples/fastapi_app.py`` serves the app and stops cleanly on Ctrl-C."""
    port = free_port()
    log_path = tmp_path / "uvicorn.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-W", "always", str(EXAMPLES / "fastapi_app.py")],
            cwd=REPO,
            env=example_env(fake, PORT=str(port)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        status, _, chunks = asyncio.run(read_stream(url, "Hi from a script"))
        assert status == 200
        assert b"".join(chunks).decode() == reply("Hi from a script")
        status, body = asyncio.run(get_json(url, "/complete", "Bye"))
        assert (status, body["answer"]) == (200, reply("Bye"))

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log_path.read_text()
    assert "Application shutdown complete" in output
    for bad in ("Traceback", "Warning", "Unclosed", "Exception ignored", "ERROR"):
        assert bad not in output, output
