"""The response cache over real HTTP: what is cached, for how long, for whom, and when
it is dropped."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from mistral_async import AsyncMistral, InvalidParameterError, Mistral, ResponseValidationError
from mistral_async._cache import Cache
from mistral_async._json import fragment
from mistral_async.testing import FakeMistral
from mistral_async.types import UserMessage
from mistral_async.types.chat import ChatCompletionRequest
from mistral_async.types.embeddings import EmbeddingRequest

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    kwargs.setdefault("cache", True)
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


def sent(fake: FakeMistral, path: str) -> int:
    return sum(1 for r in fake.requests if r.path == path)


async def test_embeddings_are_answered_from_the_cache(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        first = await client.embeddings.create(model="mistral-embed", inputs=["a", "b"])
        again = await client.embeddings.create(model="mistral-embed", inputs=["a", "b"])
        other = await client.embeddings.create(model="mistral-embed", inputs=["c"])
        assert client.cache is not None
        stats = client.cache.stats
    assert again is first  # in memory, a hit returns the object built the first time
    assert other.data[0].embedding != first.data[0].embedding
    assert sent(fake_mistral, "/v1/embeddings") == 2
    assert (stats.hits, stats.misses, stats.entries, stats.stores) == (1, 2, 2, 2)
    assert stats.hit_rate == pytest.approx(1 / 3)


async def test_share_objects_false_gives_each_hit_its_own_objects(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral, cache=Cache(share_objects=False)) as client:
        first = await client.embeddings.create(model="mistral-embed", inputs=["a"])
        again = await client.embeddings.create(model="mistral-embed", inputs=["a"])
    assert again == first
    assert again is not first
    assert again.data[0].embedding is not first.data[0].embedding
    assert sent(fake_mistral, "/v1/embeddings") == 1


async def test_what_is_cached_by_default(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        for _ in range(2):
            await client.classifiers.moderate(model="mistral-moderation-latest", inputs=["x"])
            await client.models.list()
            await client.models.retrieve("mistral-small-latest")
            await client.chat.complete(model="mistral-small-latest", messages=HI)
            await client.fim.complete(model="codestral-latest", prompt="def f():")
    # Deterministic reads and computations once; completions every time.
    assert sent(fake_mistral, "/v1/moderations") == 1
    assert sent(fake_mistral, "/v1/models") == 1
    assert sent(fake_mistral, "/v1/models/mistral-small-latest") == 1
    assert sent(fake_mistral, "/v1/chat/completions") == 2
    assert sent(fake_mistral, "/v1/fim/completions") == 2


async def test_a_completion_is_cached_when_the_call_asks(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        one = await client.chat.complete(model="mistral-small-latest", messages=HI, cache=True)
        two = await client.chat.complete(model="mistral-small-latest", messages=HI, cache=True)
        three = await client.chat.complete(model="mistral-small-latest", messages=HI)
    assert one == two
    assert three.id != one.id
    assert sent(fake_mistral, "/v1/chat/completions") == 2


async def test_cache_false_bypasses_the_cache_for_one_call(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.models.list()
        await client.models.list(cache=False)
        await client.models.list()
    assert sent(fake_mistral, "/v1/models") == 2


async def test_streams_and_mutations_refuse_cache_true(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match="cache"):
            await client.models.delete("ft:model:1", cache=True)
        with pytest.raises(InvalidParameterError, match="streams are never cached"):
            async with client.chat.stream(model="m", messages=HI, cache=True):
                pass
    async with client_for(fake_mistral, cache=None) as client:
        with pytest.raises(InvalidParameterError, match="no response cache"):
            await client.models.list(cache=True)
    assert fake_mistral.requests == []


async def test_entries_expire_after_their_ttl(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral, cache=Cache(ttl=0.2)) as client:
        await client.models.list()
        await client.models.list()
        await asyncio.sleep(0.3)
        await client.models.list()
        assert client.cache is not None
        assert client.cache.stats.expirations == 1
    assert sent(fake_mistral, "/v1/models") == 2


async def test_least_recently_used_entries_go_first(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral, cache=Cache(max_entries=2)) as client:
        for text in ("a", "b", "a", "c", "a", "b"):
            await client.embeddings.create(model="mistral-embed", inputs=[text])
        assert client.cache is not None
        stats = client.cache.stats
    # a, b stored; a hit; c evicts b (a was used later); a hit; b sent again, evicting c.
    assert sent(fake_mistral, "/v1/embeddings") == 4
    assert (stats.hits, stats.entries, stats.evictions) == (2, 2, 2)


async def test_a_mutation_drops_the_reads_it_changed(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.models.list()
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
        await client.models.list()
        assert sent(fake_mistral, "/v1/models") == 1
        # Archiving a fine-tuned model (under /v1/fine_tuning/models) changes /v1/models.
        with pytest.raises(Exception):  # noqa: B017, PT011 - the fake may not know the id
            await client.models.archive(model_id="ft:unknown")
        await client.models.list()
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
    assert sent(fake_mistral, "/v1/models") == 2
    assert sent(fake_mistral, "/v1/embeddings") == 1  # other collections untouched


async def test_invalidate_and_clear(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        cache = client.cache
        assert cache is not None
        await client.models.list()
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
        assert await cache.invalidate(prefix="/v1/models") == 1
        assert cache.stats.entries == 1
        await client.models.list()
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
        await cache.clear()
        assert cache.stats.entries == 0
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
        with pytest.raises(InvalidParameterError, match="prefix"):
            await cache.invalidate(prefix="v1/models")
    assert sent(fake_mistral, "/v1/models") == 2
    assert sent(fake_mistral, "/v1/embeddings") == 2


async def test_two_keys_never_share_an_entry() -> None:
    seen: list[str] = []

    async def models(request: web.Request) -> web.Response:
        key = request.headers["Authorization"]
        seen.append(key)
        return web.json_response({"object": "list", "data": [], "owner": key[-4:]})

    shared = Cache()
    async with _server(models) as url:
        async with AsyncMistral(api_key="sk-tenant-one-0001", server_url=url, cache=shared) as one:
            await one.models.list()
            await one.models.list()
            other = one.with_options(api_key="sk-tenant-two-0002")
            await other.models.list()
            await other.models.list()
            await one.models.list(api_key="sk-per-call-0003")
    assert seen == [
        "Bearer sk-tenant-one-0001",
        "Bearer sk-tenant-two-0002",
        "Bearer sk-per-call-0003",
    ]
    entries = shared._memory._entries  # type: ignore[union-attr]
    assert len(entries) == 3
    for key, (_, entry) in entries.items():
        assert "sk-" not in key
        assert b"sk-" not in entry.content or b"owner" in entry.content


async def test_two_servers_never_share_an_entry() -> None:
    shared = Cache()
    async with FakeMistral() as a, FakeMistral(api_key="sk-same") as b:
        for fake in (a, b):
            async with AsyncMistral(api_key=fake.api_key, server_url=fake.url, cache=shared) as c:
                await c.models.list()
        assert len(a.requests) == len(b.requests) == 1


async def test_concurrent_identical_misses_send_one_request(fake_mistral: FakeMistral) -> None:
    fake_mistral.delay_next(0.2)
    async with client_for(fake_mistral) as client:
        results = await asyncio.gather(
            *[client.embeddings.create(model="mistral-embed", inputs=["same"]) for _ in range(20)]
        )
        assert client.cache is not None
        stats = client.cache.stats
    assert sent(fake_mistral, "/v1/embeddings") == 1
    assert all(r == results[0] for r in results)
    assert (stats.misses, stats.coalesced) == (1, 19)


async def test_a_cancelled_leader_does_not_fail_the_waiters(fake_mistral: FakeMistral) -> None:
    fake_mistral.delay_next(0.3)
    async with client_for(fake_mistral) as client:
        leader = asyncio.ensure_future(
            client.embeddings.create(model="mistral-embed", inputs=["x"])
        )
        await asyncio.sleep(0.05)
        waiter = asyncio.ensure_future(
            client.embeddings.create(model="mistral-embed", inputs=["x"])
        )
        await asyncio.sleep(0.05)
        leader.cancel()
        result = await waiter
    assert result.data[0].embedding
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_errors_are_not_cached_and_reach_every_waiter(fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next(1, status=400)
    async with client_for(fake_mistral, max_retries=0) as client:
        with pytest.raises(Exception, match="400"):
            await client.models.list()
        await client.models.list()
        await client.models.list()
        assert client.cache is not None
        assert client.cache.stats.stores == 1
    assert sent(fake_mistral, "/v1/models") == 2


async def test_raw_responses_from_the_cache(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        first = await client.with_raw_response.models.list()
        again = await client.with_raw_response.models.list()
    assert again.status_code == 200
    assert again.request_id == first.request_id
    assert again.parse() == first.parse()
    assert sent(fake_mistral, "/v1/models") == 1


class DictBackend:
    """A user's store: async get / set / delete over a dict, recording what it saw."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[bytes, float]] = {}
        self.calls: list[str] = []

    async def get(self, key: str) -> bytes | None:
        self.calls.append("get")
        found = self.data.get(key)
        return None if found is None else found[0]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self.calls.append("set")
        self.data[key] = (value, ttl)

    async def delete(self, key: str) -> None:
        self.calls.append("delete")
        self.data.pop(key, None)


async def test_a_custom_backend_stores_bytes_and_no_key(fake_mistral: FakeMistral) -> None:
    backend = DictBackend()
    async with client_for(fake_mistral, cache=Cache(backend=backend, ttl=42)) as client:
        first = await client.models.list()
        again = await client.models.list()
        assert again == first
        (key,) = backend.data
        value, ttl = backend.data[key]
        assert isinstance(value, bytes)
        assert ttl == 42
        assert fake_mistral.api_key.encode() not in value
        assert fake_mistral.api_key not in key
        assert await client.cache.invalidate(prefix="/v1/models") == 1  # type: ignore[union-attr]
        assert backend.data == {}
    assert sent(fake_mistral, "/v1/models") == 1
    assert backend.calls == ["get", "set", "get", "delete"]


async def test_a_broken_backend_does_not_break_calls(fake_mistral: FakeMistral) -> None:
    class Broken(DictBackend):
        async def get(self, key: str) -> bytes | None:
            raise ConnectionError("store down")

        async def set(self, key: str, value: bytes, ttl: float) -> None:
            raise ConnectionError("store down")

    async with client_for(fake_mistral, cache=Cache(backend=Broken())) as client:
        await client.models.list()
        await client.models.list()
        assert client.cache is not None
        assert client.cache.stats.errors == 4
    assert sent(fake_mistral, "/v1/models") == 2


def test_bad_cache_settings_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="ttl"):
        Cache(ttl=0)
    with pytest.raises(InvalidParameterError, match="max_entries"):
        Cache(max_entries=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="backend"):
        Cache(backend=object())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="cache"):
        AsyncMistral(api_key="sk-x", cache="yes")  # type: ignore[arg-type]


async def test_an_answer_that_does_not_parse_is_not_stored() -> None:
    calls = 0

    async def models(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return web.Response(body=b"{not json", content_type="application/json")

    async with _server(models) as url:
        async with AsyncMistral(api_key="sk-parse-0001", server_url=url, cache=True) as client:
            for _ in range(2):
                with pytest.raises(ResponseValidationError, match="not valid JSON"):
                    await client.models.list()
            assert client.cache is not None
            assert client.cache.stats.stores == 0
    assert calls == 2


# -- repeated calls: a caching client goes from the arguments straight to the entry ----


def count_checks(monkeypatch: pytest.MonkeyPatch, request: Any = EmbeddingRequest) -> list[int]:
    """Count the checks a method runs (``request.validated``, embeddings' by default)."""
    counter = [0]
    original = request.validated.__func__

    def counting(cls: Any, *args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(request, "validated", classmethod(counting))
    return counter


async def test_a_repeated_call_skips_its_checks(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = count_checks(monkeypatch)
    async with client_for(fake_mistral) as client:
        first = await client.embeddings.create(model="mistral-embed", inputs=["a"])
        for _ in range(3):
            assert await client.embeddings.create(model="mistral-embed", inputs=["a"]) is first
        assert checks == [1]
        other = await client.embeddings.create(model="mistral-embed", inputs=["b"])
        assert other is not first
        # Per-call options other than cache= take the whole way, and still hit.
        assert (
            await client.embeddings.create(model="mistral-embed", inputs=["a"], timeout=9) is first
        )
        assert checks == [3]
        assert client.cache is not None
        assert (client.cache.stats.hits, client.cache.stats.misses) == (4, 2)
    assert sent(fake_mistral, "/v1/embeddings") == 2


async def test_a_repeated_call_still_expires_and_is_dropped(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral, cache=Cache(ttl=0.2)) as client:
        cache = client.cache
        assert cache is not None

        async def embed() -> None:
            await client.embeddings.create(model="mistral-embed", inputs=["a"])

        await embed()
        await embed()
        await asyncio.sleep(0.3)
        await embed()  # expired: sent again
        await embed()
        assert await cache.invalidate(prefix="/v1/embeddings") == 1
        await embed()  # dropped: sent again
        await cache.clear()
        await embed()
    assert sent(fake_mistral, "/v1/embeddings") == 4


async def test_a_repeated_call_never_crosses_keys() -> None:
    seen: list[str] = []

    async def embeddings(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        seen.append(key)
        return web.json_response(
            {"id": "e", "object": "list", "model": key[-4:], "data": [], "usage": {}}
        )

    keys = iter(["sk-one-0001", "sk-four-0004", "sk-one-0001"])
    shared = Cache()
    async with _server(embeddings, "/v1/embeddings", "POST") as url:
        one = AsyncMistral(api_key="sk-one-0001", server_url=url, cache=shared)
        rotating = AsyncMistral(api_key=lambda: next(keys), server_url=url, cache=shared)
        async with one, rotating:
            two = one.with_options(api_key="sk-two-0002")
            owners = [
                (await client.embeddings.create(model="m", inputs=["a"])).model
                for client in (one, one, two, two)
            ]
            per_call = await one.embeddings.create(model="m", inputs=["a"], api_key="sk-three-0003")
            # A key callable is read on every call: one, four, one.
            owners += [
                (await rotating.embeddings.create(model="m", inputs=["a"])).model for _ in range(3)
            ]
            assert shared.stats.hits == 4
    assert seen == ["sk-one-0001", "sk-two-0002", "sk-three-0003", "sk-four-0004"]
    assert per_call.model == "0003"
    assert owners == ["0001", "0001", "0002", "0002", "0001", "0004", "0001"]


class EmbedModel(enum.Enum):
    EMBED = "mistral-embed"


async def test_arguments_that_are_not_plain_values_are_checked_every_time(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        for _ in range(2):
            await client.embeddings.create(model="mistral-embed", inputs=["a"])
            await client.embeddings.create(
                model="mistral-embed", inputs=["a"], output_dimension=None
            )
        # Each encodes as a cached call does, but is not what the API takes.
        with pytest.raises(InvalidParameterError, match="model"):
            await client.embeddings.create(model=EmbedModel.EMBED, inputs=["a"])  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="output_dimension"):
            await client.embeddings.create(
                model="mistral-embed",
                inputs=["a"],
                output_dimension=math.nan,  # type: ignore[arg-type]
            )
    assert sent(fake_mistral, "/v1/embeddings") == 2


async def test_attrs_arguments_are_keyed_by_class_and_fields(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = count_checks(monkeypatch, ChatCompletionRequest)
    message = UserMessage(content="Hi")
    async with client_for(fake_mistral) as client:

        async def ask(*messages: Any) -> Any:
            return await client.chat.complete(
                model="mistral-small-latest", messages=list(messages), cache=True
            )

        first = await ask(message)
        assert await ask(UserMessage(content="Hi")) is first  # equal fields: the same call
        message.content = "Bye"  # changed in place: a new call
        bye = await ask(message)
        assert bye is not first
        assert await ask(message) is bye
    assert sent(fake_mistral, "/v1/chat/completions") == 2
    # With orjson (the fast extra) a repeat with attrs objects skips the checks too;
    # the stdlib encoder cannot key them, and checks them every time.
    assert checks == ([2] if fragment is not None else [4])


async def test_raw_and_parsed_repeats_are_answered_apart(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        parsed = await client.embeddings.create(model="mistral-embed", inputs=["a"])
        raw = client.with_raw_response
        for _ in range(2):
            answer = await raw.embeddings.create(model="mistral-embed", inputs=["a"])
            assert answer.status_code == 200
            assert answer.parse() == parsed
        assert await client.embeddings.create(model="mistral-embed", inputs=["a"]) is parsed
    assert sent(fake_mistral, "/v1/embeddings") == 1


async def test_a_generated_read_is_repeated_from_the_cache(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        voice = await client.audio.voices.create(name="calm", sample_audio="UklGRg==")
        first = await client.audio.voices.get(voice.id, cache=True)
        assert await client.audio.voices.get(voice.id, cache=True) is first
        assert await client.audio.voices.get(voice.id) is not first  # not cached unless asked
    assert sent(fake_mistral, f"/v1/audio/voices/{voice.id}") == 2


async def test_a_change_drops_the_reads_cached_on_request(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        voice = await client.audio.voices.create(name="calm", sample_audio="UklGRg==")
        await client.audio.voices.get(voice.id, cache=True)
        await client.audio.voices.get(voice.id, cache=True)
        # A change elsewhere leaves it.
        with pytest.raises(Exception):  # noqa: B017, PT011 - the fake may not know the id
            await client.models.archive(model_id="ft:unknown")
        await client.audio.voices.get(voice.id, cache=True)
        await client.audio.voices.update(voice.id, name="bright")
        renamed = await client.audio.voices.get(voice.id, cache=True)
    assert renamed.name == "bright"
    assert sent(fake_mistral, f"/v1/audio/voices/{voice.id}") == 3  # get, update, get again


@contextlib.asynccontextmanager
async def _server(
    handler: Any, path: str = "/v1/models", method: str = "GET"
) -> AsyncIterator[str]:
    """An aiohttp server answering ``method path`` (``GET /v1/models``) with ``handler``."""
    app = web.Application()
    app.router.add_route(method, path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def test_the_blocking_client_caches_too(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url, cache=True) as client:
        first = client.embeddings.create(model="mistral-embed", inputs=["a"])
        assert client.embeddings.create(model="mistral-embed", inputs=["a"]) == first
        assert client.cache.stats.hits == 1
        client.cache.clear()
        client.embeddings.create(model="mistral-embed", inputs=["a"])
    assert sent(fake_mistral, "/v1/embeddings") == 2
