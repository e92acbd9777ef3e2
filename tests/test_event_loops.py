"""One client used from one event loop after another: the first loop's session and
sockets are closed with that loop, so nothing is left for the garbage collector."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from mistral_async.testing import FakeMistral

SCRIPT = """
import asyncio, gc
from mistral_async import AsyncMistral

client = AsyncMistral(api_key={key!r}, server_url={url!r})

async def call():
    await client.models.list()
    async with client.chat.stream(model="m", messages=[{{"role": "user", "content": "x"}}]) as s:
        await s.until_done()

{body}
gc.collect()
print("ok")
"""


def run_under_w_error(fake: FakeMistral, body: str) -> subprocess.CompletedProcess[str]:
    code = SCRIPT.format(key=fake.api_key, url=fake.url, body=textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "body",
    [
        # Two asyncio.run calls, then a third that closes the client.
        "asyncio.run(call())\nasyncio.run(call())\nasyncio.run(client.aclose())",
        # Two runs and the client never closed: the last loop's shutdown closes it too.
        "asyncio.run(call())\nasyncio.run(call())",
        # asyncio.Runner, as test runners use it for per-test loops.
        "for _ in range(3):\n    with asyncio.Runner() as r:\n        r.run(call())",
    ],
    ids=["asyncio-run-then-close", "never-closed", "runners"],
)
def test_no_unclosed_session_when_the_loop_changes(fake_mistral: FakeMistral, body: str) -> None:
    done = run_under_w_error(fake_mistral, body)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    # -X dev shows ResourceWarnings; under -W error they are raised inside __del__
    # and reported on stderr ("Exception ignored ...").
    assert "Unclosed" not in done.stderr
    assert "unclosed" not in done.stderr
    assert "ResourceWarning" not in done.stderr
    assert "Exception ignored" not in done.stderr


def test_the_old_behaviour_would_be_caught(fake_mistral: FakeMistral) -> None:
    # The same scenario with a session closed by nobody is reported by this harness:
    # proof that the test above can fail.
    body = """
    import aiohttp
    async def leak():
        session = aiohttp.ClientSession()
        await session.get({url!r} + "/v1/models")
    asyncio.run(leak())
    """.replace("{url!r}", repr(fake_mistral.url))
    done = run_under_w_error(fake_mistral, body)
    assert "nclosed" in done.stderr


@pytest.mark.anyio
async def test_a_loop_still_running_elsewhere_is_refused(fake_mistral: FakeMistral) -> None:
    import asyncio
    import threading

    from mistral_async import AsyncMistral, MistralError

    client = AsyncMistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url)
    await client.models.list()
    errors: list[BaseException] = []

    def other_thread() -> None:
        async def call() -> None:
            await client.models.list()

        try:
            asyncio.run(call())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    await client.aclose()
    assert len(errors) == 1
    assert isinstance(errors[0], MistralError)
    assert "another running event loop" in str(errors[0])
