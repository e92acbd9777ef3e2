"""What the generated methods do on the wire, over real HTTP to a server each test scripts.

The conformance suite checks every operation against the spec through the fake server;
these tests pin the generated machinery itself: every paging style the spec uses,
wire names that are not Python names, checks before sending, explicit nulls, encoded
ids, raw responses and the blocking twins.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web

from mistral_async import AsyncMistral, InvalidParameterError, Mistral, NotFoundError
from mistral_async.types import GetLog, VoiceResponse

pytestmark = pytest.mark.anyio

Handler = Callable[[web.Request], Any]


class Recorder:
    """A loopback server answering each request with ``answer(request)``; keeps requests."""

    def __init__(self, answer: Callable[[web.Request, Any], Any]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        self.requests.append((request.method, request.raw_path.split("?")[0], query, body))
        result = self.answer(request, body)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Callable[[web.Request, Any], Any]], Any]]:
    runners: list[web.AppRunner] = []

    async def start(answer: Callable[[web.Request, Any], Any]) -> tuple[Recorder, str]:
        recorder = Recorder(answer)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", recorder.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return recorder, f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def voice(n: int) -> dict[str, Any]:
    return complete(VoiceResponse, id=f"v{n}", name=f"voice {n}")


async def test_offset_paging_walks_every_item(serve: Any) -> None:
    voices = [voice(n) for n in range(7)]

    def answer(request: web.Request, _: Any) -> Any:
        offset, limit = int(request.query.get("offset", 0)), int(request.query["limit"])
        items = voices[offset : offset + limit]
        return {"items": items, "total": 7, "page": 0, "page_size": limit, "total_pages": 3}

    recorder, url = await serve(answer)
    async with AsyncMistral(api_key="k", server_url=url) as client:
        got = [v.id async for v in client.audio.voices.list(limit=3)]
        first = await client.audio.voices.list(limit=3)
    assert got == [f"v{n}" for n in range(7)]
    assert isinstance(first.items[0], VoiceResponse)
    offsets = [q.get("offset") for _, _, q, _ in recorder.requests[:3]]
    assert offsets == [None, ["3"], ["6"]]


async def test_page_number_paging_over_a_nested_results_list(serve: Any) -> None:
    judges = [_judge(f"j{n}") for n in range(5)]

    def answer(request: web.Request, _: Any) -> Any:
        page, size = int(request.query.get("page", 1)), int(request.query["page_size"])
        items = judges[(page - 1) * size : page * size]
        return {"judges": {"results": items, "count": len(judges)}}

    recorder, url = await serve(answer)
    async with AsyncMistral(api_key="k", server_url=url) as client:
        got = [j.id async for j in client.beta.observability.judges.list(page_size=2)]
    assert got == [f"j{n}" for n in range(5)]
    assert [q.get("page") for _, _, q, _ in recorder.requests] == [None, ["2"], ["3"]]


def _judge(judge_id: str) -> dict[str, Any]:
    from mistral_async.types.observability import Judge

    return complete(Judge, id=judge_id)


@pytest.mark.parametrize(
    ("method", "page_of"),
    [
        # cursor answered as a top-level next_cursor
        (
            "workflows.get_workflows",
            lambda items, nxt: {"workflows": items, "next_cursor": nxt},
        ),
        # cursor answered as pagination.next_cursor
        (
            "beta.connectors.list",
            lambda items, nxt: {
                "items": items,
                "pagination": {"next_cursor": nxt, "page_size": len(items)},
            },
        ),
    ],
)
async def test_cursor_paging(serve: Any, method: str, page_of: Any) -> None:
    pages = {None: ["a", "b"], "c1": ["c"], "c2": []}
    following = {None: "c1", "c1": "c2", "c2": None}

    def answer(request: web.Request, _: Any) -> Any:
        cursor = request.query.get("cursor")
        items = [_item(method, name) for name in pages[cursor]]
        return page_of(items, following[cursor])

    recorder, url = await serve(answer)
    async with AsyncMistral(api_key="k", server_url=url) as client:
        target: Any = client
        for part in method.split("."):
            target = getattr(target, part)
        got = [getattr(item, "name", None) async for item in target()]
    assert got == ["a", "b", "c"]
    assert [q.get("cursor") for _, _, q, _ in recorder.requests] == [None, ["c1"], ["c2"]]


def _item(method: str, name: str) -> dict[str, Any]:
    from mistral_async.resources import connectors, workflows

    op = (
        workflows._workflows_get_workflows
        if method.startswith("workflows")
        else (connectors._connectors_list)
    )
    page = typing.get_type_hints(op.returns)
    field = "workflows" if method.startswith("workflows") else "items"
    (item_type,) = typing.get_args(page[field])
    return complete(item_type, id=name, name=name)


def complete(cls: Any, **given: Any) -> dict[str, Any]:
    """A JSON object for the attrs type ``cls``: ``given``, plus a plain value for each
    other required field (so the test data stays valid as the spec grows)."""
    hints = typing.get_type_hints(cls)
    data = dict(given)
    for field in attrs.fields(cls):
        wire = field.metadata.get("mistral_async.wire", field.name)
        if not field.init or wire in data or field.default is not attrs.NOTHING:
            continue
        data[wire] = _plain(hints[field.name])
    return data


def _plain(tp: Any) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list:
        return []
    if origin is dict or tp is dict:
        return {}
    if args:  # a union: its first member
        return _plain(args[0])
    if attrs.has(tp):
        return complete(tp)
    return {str: "x", int: 0, float: 0.0, bool: False}.get(tp)


async def test_feed_cursor_paging_of_a_search_sends_the_wire_names(serve: Any) -> None:
    """POST search: the cursor is a query parameter, the next one sits in the feed; ``from_``
    goes on the wire as ``from``."""

    def answer(request: web.Request, body: Any) -> Any:
        cursor = request.query.get("cursor")
        results = [complete(GetLog, id="l1" if cursor is None else "l2")]
        return {"logs": {"results": results, "cursor": "k2" if cursor is None else None}}

    recorder, url = await serve(answer)
    async with AsyncMistral(api_key="k", server_url=url) as client:
        logs = client.beta.observability.logs.search(
            from_="2026-01-01T00:00:00Z", page_size=1, search_expression="level:error"
        )
        pages = [page async for page in logs.pages()]
    assert len(pages) == 2
    method, path, query, body = recorder.requests[0]
    assert (method, path) == ("POST", "/v1/observability/logs/search")
    assert query == {"from": ["2026-01-01T00:00:00Z"], "page_size": ["1"]}
    assert body == {"search_expression": "level:error"}
    assert recorder.requests[1][2]["cursor"] == ["k2"]


async def test_page_tokens_with_camel_case_wire_names(serve: Any) -> None:
    def answer(request: web.Request, _: Any) -> Any:
        token = request.query.get("pageToken")
        if token is None:
            return {"data": [_prompt("p1")], "nextPageToken": "t2"}
        return {"data": [_prompt("p2")], "nextPageToken": None}

    recorder, url = await serve(answer)
    async with AsyncMistral(api_key="k", server_url=url) as client:
        first = await client.beta.prompts.list(page_size=1)
        assert first.next_page_token == "t2"
        got = [p.name async for p in client.beta.prompts.list(page_size=1)]
    assert got == ["p1", "p2"]
    assert recorder.requests[0][2] == {"pageSize": ["1"]}
    assert recorder.requests[2][2] == {"pageSize": ["1"], "pageToken": ["t2"]}


def _prompt(name: str) -> dict[str, Any]:
    from mistral_async.types.prompts import Prompt

    return complete(Prompt, id=name, name=name)


async def test_bad_input_is_refused_before_anything_is_sent(serve: Any) -> None:
    recorder, url = await serve(lambda request, body: voice(1))
    async with AsyncMistral(api_key="k", server_url=url) as client:
        with pytest.raises(InvalidParameterError, match="name") as info:
            await client.audio.voices.create(name=42, sample_audio="UklGRg==")  # type: ignore[arg-type]
        assert info.value.param == "name"
        with pytest.raises(InvalidParameterError, match="age"):
            await client.audio.voices.update("v1", age="old")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="voice_id"):
            await client.audio.voices.get("")
    assert recorder.requests == []


async def test_explicit_none_is_sent_as_null_and_not_given_is_left_out(serve: Any) -> None:
    recorder, url = await serve(lambda request, body: voice(1))
    async with AsyncMistral(api_key="k", server_url=url) as client:
        result = await client.audio.voices.update("v1", description=None, tags=["calm"])
    assert isinstance(result, VoiceResponse)
    assert recorder.requests[0][3] == {"description": None, "tags": ["calm"]}


async def test_ids_are_encoded_so_they_cannot_change_the_route(serve: Any) -> None:
    recorder, url = await serve(lambda request, body: voice(1))
    async with AsyncMistral(api_key="k", server_url=url) as client:
        await client.audio.voices.get("../a b/?x")
    assert recorder.requests[0][1] == "/v1/audio/voices/..%2Fa%20b%2F%3Fx"


async def test_object_query_parameters_are_sent_one_pair_per_property(serve: Any) -> None:
    recorder, url = await serve(
        lambda request, body: {"items": [], "pagination": {"next_cursor": None, "page_size": 0}}
    )
    async with AsyncMistral(api_key="k", server_url=url) as client:
        await client.beta.connectors.list(
            query_filters={"fetch_user_data": True, "fetch_customer_data": False}
        )
    assert recorder.requests[0][2] == {
        "fetch_user_data": ["true"],
        "fetch_customer_data": ["false"],
    }


async def test_raw_responses_and_typed_errors(serve: Any) -> None:
    def answer(request: web.Request, _: Any) -> Any:
        if request.path.endswith("/missing"):
            return web.json_response({"detail": "no such voice"}, status=404)
        return web.json_response(voice(1), headers={"x-request-id": "req-1"})

    _, url = await serve(answer)
    async with AsyncMistral(api_key="k", server_url=url, max_retries=0) as client:
        raw = await client.with_raw_response.audio.voices.get("v1")
        assert raw.status_code == 200 and raw.request_id == "req-1"
        assert isinstance(raw.parse(), VoiceResponse)
        with pytest.raises(NotFoundError):
            await client.audio.voices.get("missing")


def test_the_blocking_twin_pages_too() -> None:
    """The blocking client is generated from the async one, generated methods included."""
    import asyncio
    import threading

    voices = [voice(n) for n in range(3)]
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def handle(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", 0))
        items = voices[offset : offset + 2]
        return web.json_response(
            {"items": items, "total": 3, "page": 0, "page_size": 2, "total_pages": 2}
        )

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/v1/audio/voices", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        box["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        box["stop"] = asyncio.Event()
        box["loop"] = asyncio.get_running_loop()
        ready.set()
        await box["stop"].wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    ready.wait()
    try:
        with Mistral(api_key="k", server_url=box["url"]) as client:
            assert [v.id for v in client.audio.voices.list(limit=2)] == ["v0", "v1", "v2"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join()
