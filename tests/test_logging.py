"""Debug logging over real HTTP: one line per request and response, credentials redacted,
bodies cut, streams counted, retries at the chosen level, nothing on the root logger."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import pytest

from mistral_async import AsyncMistral, configure_logging
from mistral_async._logging import redacted, shorten
from mistral_async.testing import FakeMistral

pytestmark = pytest.mark.anyio


def fake_env(fake: FakeMistral) -> dict[str, str]:
    """The environment a fresh process needs to reach the fake server."""
    return {"MISTRAL_API_KEY": fake.api_key, "MISTRAL_SERVER_URL": fake.url}


HI = [{"role": "user", "content": "Hi"}]


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mistral_async"]


async def test_a_request_and_its_response_at_debug(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    async with client_for(fake_mistral, default_headers={"X-Goog-Api-Key": "g-secret-value"}) as c:
        await c.chat.complete(model="mistral-small-latest", messages=HI)
    request, response, body = lines(caplog)
    assert request.startswith(f"Request POST {fake_mistral.url}/v1/chat/completions (attempt 1)")
    assert "'Authorization': '<redacted>'" in request
    assert "'X-Goog-Api-Key': '<redacted>'" in request
    assert '"model":"mistral-small-latest"' in request
    assert response.startswith(f"Response POST {fake_mistral.url}/v1/chat/completions -> 200 in ")
    assert "(attempt 1, request id " in response
    assert "x-ratelimit-remaining-tokens-minute" in response  # not mistaken for a credential
    assert body.startswith("Response body POST")
    text = "\n".join(lines(caplog))
    assert fake_mistral.api_key not in text
    assert "g-secret-value" not in text


async def test_failures_and_retries_are_logged_with_their_attempt(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture, fast_retries: None
) -> None:
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    fake_mistral.fail_next(1, status=503)
    async with client_for(fake_mistral) as client:
        await client.models.list()
    text = lines(caplog)
    assert any("-> 503" in line and "(attempt 1" in line for line in text)
    assert any(line.startswith("Retrying GET /v1/models") for line in text)
    assert any("-> 200" in line and "(attempt 2" in line for line in text)


async def test_streams_log_their_opening_and_event_count(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    async with client_for(fake_mistral) as client:
        async with client.chat.stream(model="m", messages=HI, max_tokens=5) as stream:
            events = [e async for e in stream]
    text = lines(caplog)
    assert any(
        line.startswith("Stream POST /v1/chat/completions opened: status 200") for line in text
    )
    assert f"Stream POST /v1/chat/completions ended after {len(events)} events" in text


async def test_nothing_is_formatted_when_debug_is_off(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, logger="mistral_async")
    from mistral_async import _logging

    def boom(*args: Any) -> str:
        raise AssertionError("formatted while DEBUG is off")

    monkeypatch.setattr(_logging, "redacted", boom)
    monkeypatch.setattr(_logging, "shorten", boom)
    async with client_for(fake_mistral) as client:
        await client.chat.complete(model="m", messages=HI)
        async with client.chat.stream(model="m", messages=HI) as stream:
            await stream.until_done()
    assert lines(caplog) == []


async def test_retry_log_level_and_silence(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture, fast_retries: None
) -> None:
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    async with client_for(fake_mistral, retry_log_level=logging.WARNING) as client:
        fake_mistral.fail_next(1, status=503)
        await client.models.list()
        fake_mistral.fail_next(1, status=503)
        await client.models.list(retry_log_level=None)
        fake_mistral.fail_next(1, status=503)
        await client.with_options(retry_log_level=None).models.list()
        fake_mistral.fail_next(1, status=503)
        await client.models.list(retry_log_level=logging.ERROR)
    retries = [r for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert [r.levelno for r in retries] == [logging.WARNING, logging.ERROR]
    assert len(fake_mistral.requests) == 8


def test_redaction_and_truncation() -> None:
    headers = {
        "Authorization": "Bearer k",
        "api-key": "k",
        "x-api-key": "k",
        "Cookie": "c",
        "X-Amz-Security-Token": "t",
        "x-ratelimit-limit-tokens-minute": "100",
        "Content-Type": "application/json",
    }
    assert redacted(headers) == {
        "Authorization": "<redacted>",
        "api-key": "<redacted>",
        "x-api-key": "<redacted>",
        "Cookie": "<redacted>",
        "X-Amz-Security-Token": "<redacted>",
        "x-ratelimit-limit-tokens-minute": "100",
        "Content-Type": "application/json",
    }
    configure_logging(logging.WARNING, body_limit=10)
    try:
        assert shorten(b"0123456789abcdef") == "0123456789... <16 bytes>"
        # The secret is redacted before the cut: not even its first characters show.
        assert shorten(b'{"k": "sk-secret-1"}', ["sk-secret-1"]) == '{"k": "<re... <20 bytes>'
        configure_logging(logging.WARNING, body_limit=100)
        assert shorten(b'{"k":"sk-1"}', ["sk-1"]) == '{"k":"<redacted>"}'
    finally:
        configure_logging(logging.WARNING, body_limit=1024)
        logging.getLogger("mistral_async").setLevel(logging.DEBUG)  # the suite's level


def test_configure_logging_touches_only_our_logger() -> None:
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    ours = logging.getLogger("mistral_async")
    level = ours.level
    handler = logging.NullHandler()
    try:
        configure_logging("info", handler=handler)
        assert ours.level == logging.INFO
        assert handler in ours.handlers
        configure_logging("debug")  # replaces the handler it added before
        assert handler not in ours.handlers
    finally:
        from mistral_async import _logging

        for added in _logging._our_handler:
            ours.removeHandler(added)
        _logging._our_handler.clear()
        ours.setLevel(level)
    assert (root.level, list(root.handlers)) == before
    with pytest.raises(Exception, match="unknown logging level"):
        configure_logging("loud")


def test_mistral_log_env_turns_debug_lines_on_in_a_fresh_process(fake_mistral: FakeMistral) -> None:
    script = (
        "import asyncio, logging\n"
        "from mistral_async import AsyncMistral\n"
        "async def main():\n"
        "    async with AsyncMistral() as c:  # key and URL from the environment\n"
        "        await c.models.list()\n"
        "asyncio.run(main())\n"
        "assert logging.getLogger().handlers == [], 'the root logger was configured'\n"
    )
    env = {**os.environ, "MISTRAL_LOG": "debug", **fake_env(fake_mistral)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "DEBUG mistral_async: Request GET" in done.stderr
    assert "-> 200 in" in done.stderr
    assert fake_mistral.api_key not in done.stderr
    env["MISTRAL_LOG"] = "info"
    quiet = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert quiet.returncode == 0, quiet.stderr
    assert "Request GET" not in quiet.stderr
