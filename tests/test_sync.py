"""The blocking client: from plain threads, many threads, and inside a running event loop."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import mistral_async
from mistral_async import Mistral
from mistral_async.testing import FakeMistral

HI = [{"role": "user", "content": "Hi"}]


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mistral-async-loop"]


def test_works_inside_a_running_event_loop(fake_mistral: FakeMistral) -> None:
    """A sync helper called from async code (or a notebook cell) must not deadlock."""

    async def notebook_cell() -> str:
        with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
            text = client.chat.complete(model="m", messages=HI).choices[0].message.text
            streamed = "".join(
                c.choices[0].delta.text for c in client.chat.stream(model="m", messages=HI)
            )
            assert streamed == text
            return text

    assert asyncio.run(notebook_cell()).startswith("Hello! You said: Hi.")


def test_eight_threads_share_one_client(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:

        def work(i: int) -> str:
            messages = [{"role": "user", "content": f"thread {i}"}]
            reply = client.chat.complete(model="m", messages=messages).choices[0].message.text
            with client.chat.stream(model="m", messages=messages) as stream:
                assert repr(stream).startswith("<Stream POST /v1/chat/completions ")
                assert stream.get_final_completion().choices[0].message.text == reply
            return reply

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(work, range(32)))
    assert all(f"You said: thread {i}." in r for i, r in enumerate(replies))
    assert len(fake_mistral.requests) == 64


def test_close_stops_the_loop_thread(fake_mistral: FakeMistral) -> None:
    before = len(loop_threads())
    client = Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url)
    client.models.list()
    assert len(loop_threads()) == before + 1
    client.close()
    client.close()  # closing twice is fine
    assert len(loop_threads()) == before
    with pytest.raises(mistral_async.MistralError, match="closed"):
        client.models.list()
    fake_mistral.wait_for_open_connections_sync(0)


def test_errors_are_the_same_types(fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next(1, status=404)
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        with pytest.raises(mistral_async.NotFoundError) as caught:
            client.models.retrieve("nope")
        with pytest.raises(mistral_async.AuthenticationError):
            client.chat.complete(model="m", messages=HI, api_key="wrong-key")
    assert caught.value.status_code == 404


def test_with_options_and_raw_response_share_the_loop(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        quick = client.with_options(max_retries=0)
        assert quick.models.list().data
        raw = client.with_raw_response.chat.complete(model="m", messages=HI)
        assert raw.status_code == 200 and raw.request_id
        assert raw.parse().choices[0].message.content
        assert len(loop_threads()) >= 1
    assert client.base_url == fake_mistral.url


def test_breaking_out_of_a_sync_stream_releases_the_connection(fake_mistral: FakeMistral) -> None:
    fake_mistral.stream_delay = 0.01
    with Mistral(
        api_key=fake_mistral.api_key, server_url=fake_mistral.url, connection_limit=1
    ) as client:
        for _ in range(3):
            for _ in client.chat.stream(model="m", messages=HI):
                break
        assert client.models.list().data
    fake_mistral.wait_for_open_connections_sync(0)
