"""Run one case against a fresh fake server and capture the request its call made.

The fake server (:class:`~mistral_async.testing.FakeMistral`, thread mode) records the
method, the raw path, the headers and the body. It keeps only the first value of each
query parameter, so the query string itself is taken from the URL aiohttp sent (a
``TraceConfig`` on the client's session); the harness checks both saw the same request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from yarl import URL

from mistral_async import AsyncMistral, AsyncStream
from mistral_async._binary import AsyncBinaryResponse
from mistral_async._pagination import AsyncPaginator
from mistral_async.testing import FakeMistral

from .case import Case
from .checks import Sent

__all__ = ["Outcome", "resolve_method", "run_case"]


def resolve_method(root: Any, dotted: str) -> Callable[..., Any]:
    """``root.a.b.c`` for ``"a.b.c"``; ``AttributeError`` names the missing part."""
    target = root
    walked = []
    for name in dotted.split("."):
        walked.append(name)
        if not hasattr(target, name):
            raise AttributeError(f"{type(root).__name__} has no {'.'.join(walked)}")
        target = getattr(target, name)
    if not callable(target):
        raise AttributeError(f"{type(root).__name__}.{dotted} is not callable")
    return target  # type: ignore[no-any-return]


@dataclass
class Outcome:
    """What running a case gave."""

    sent: list[Sent] = field(default_factory=list)
    """The requests the call made (after the setup's)."""
    path_values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """What went wrong apart from the request's conformance (setup, call, result)."""


_KINDS: dict[str, tuple[type, ...]] = {
    "stream": (AsyncStream,),
    "paginator": (AsyncPaginator,),
    "binary": (AsyncBinaryResponse,),
}


def _instance_of(value: Any, expected: Any) -> bool | None:
    """``isinstance`` when ``expected`` is something it understands, else ``None``."""
    if expected is None:
        return None
    try:
        return isinstance(value, expected)
    except TypeError:
        return None


async def _consume(case: Case, result: Any) -> list[str]:
    """Read the call's result to its end, the way its kind asks; report what is off."""
    problems: list[str] = []
    if inspect.isawaitable(result) and not isinstance(result, AsyncPaginator | AsyncStream):
        result = await result
    expected = _KINDS.get(case.returns)
    if expected is not None and not isinstance(result, expected):
        problems.append(
            f"result: the case says {case.returns!r}, the method gave {type(result).__name__}"
        )
    if case.returns == "value" and isinstance(result, tuple(t for k in _KINDS.values() for t in k)):
        problems.append(f"result: the case says 'value', the method gave {type(result).__name__}")
    if case.returns == "stream" and isinstance(result, AsyncStream):
        first: list[Any] = []
        async with result as stream:
            async for item in stream:
                if not first:
                    first.append(item)
        if not first:
            problems.append("result: the stream gave no event")
        result = first[0] if first else None
    elif case.returns == "paginator" and isinstance(result, AsyncPaginator):
        result = await result
    elif case.returns == "binary" and isinstance(result, AsyncBinaryResponse):
        async with result as body:
            await body.read()
        return problems
    if result is not None and _instance_of(result, case.response_type) is False:
        problems.append(
            f"result: a {type(result).__name__}, not the case's response_type "
            f"{getattr(case.response_type, '__name__', case.response_type)}"
        )
    return problems


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    status = getattr(exc, "status_code", None)
    if status == 404:
        text += " (the fake server does not serve this endpoint yet, or lost the object)"
    elif status == 422:
        text += " (the fake server rejected the request)"
    return text


async def run_case(case: Case, operation_path_params: list[str]) -> Outcome:
    """Set up, call and consume ``case`` against a fresh fake server."""
    outcome = Outcome()
    urls: list[tuple[str, URL]] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        urls.append((params.method, params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    with FakeMistral() as fake:
        async with (
            aiohttp.ClientSession(trace_configs=[trace]) as session,
            AsyncMistral(
                api_key=fake.api_key, server_url=fake.url, max_retries=0, http_session=session
            ) as client,
        ):
            state = None
            if case.setup is not None:
                try:
                    state = await case.setup(client)
                except Exception as exc:
                    outcome.problems.append(f"setup failed: {_describe(exc)}")
                    return outcome
            recorded_before, urls_before = len(fake.requests), len(urls)
            try:
                method = resolve_method(client, case.method)
            except AttributeError as exc:
                outcome.problems.append(f"no SDK method: {exc}")
                return outcome
            outcome.path_values = case.expected_path_values(method, state, operation_path_params)
            try:
                args, kwargs = case.arguments(state)
                outcome.problems += await _consume(case, method(*args, **kwargs))
            except Exception as exc:
                outcome.problems.append(f"the call failed: {_describe(exc)}")
            recorded = fake.requests[recorded_before:]
            sent_urls = urls[urls_before:]
    if len(recorded) != len(sent_urls):
        outcome.problems.append(
            f"harness: the fake recorded {len(recorded)} requests, aiohttp sent {len(sent_urls)}"
        )
    for record, (method_sent, url) in zip(recorded, sent_urls, strict=False):
        raw_query = url.raw_query_string
        first_values: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            first_values.setdefault(name, value)
        if record.method != method_sent or record.query != first_values:
            outcome.problems.append(
                f"harness: the fake recorded {record.method} {record.path} {record.query}, "
                f"aiohttp sent {method_sent} {url}"
            )
        outcome.sent.append(
            Sent(record.method, record.path, raw_query, record.headers, record.body)
        )
    return outcome
