"""Run one case against the module's fake server and capture the requests its call made.

One :class:`RecordingFake` (a :class:`~mistral_async.testing.FakeMistral` in thread mode)
serves a whole test module, reset before each case; each case runs its setup, then its
call, and the requests made after the setup's are the call's. The fake records the
method, the raw path, the headers and the body, but keeps only the first value of each
query parameter, so :class:`RecordingFake` also keeps each request's raw target (path and
query string); for the async client, a ``TraceConfig`` on its session cross-checks that
both saw the same request.

A case runs with the async client (``AsyncMistral``, awaited) or the blocking one
(``Mistral``, called from the test's thread). The setup always runs with an async client
on the same fake. The result is consumed the way the case says (a stream read to its end,
a paginator's first page, a binary body read and closed) and checked against the case's
``response_type``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from yarl import URL

from mistral_async import AsyncMistral, AsyncStream, Mistral
from mistral_async._binary import AsyncBinaryResponse
from mistral_async._blocking import Paginator, Stream
from mistral_async._pagination import AsyncPaginator
from mistral_async._sync import sync_class
from mistral_async.testing import FakeMistral

from .case import Case
from .checks import Sent
from .typecheck import mismatch

__all__ = [
    "Mode",
    "Outcome",
    "RecordingFake",
    "client_options",
    "resolve_method",
    "run_case",
]

Mode: TypeAlias = Literal["async", "blocking"]
MODES: tuple[Mode, ...] = ("async", "blocking")


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


class RecordingFake(FakeMistral):
    """A fake server that also keeps each request's method and raw target (path and query,
    as sent), in the order the requests arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.raw_targets: list[tuple[str, str]] = []
        self._raw_lock = threading.Lock()

    def reset(self) -> None:
        """Back to the initial state (objects, faults, recorded requests), between cases."""
        super().reset()
        with self._raw_lock:
            self.raw_targets.clear()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        with self._raw_lock:
            self.raw_targets.append((request.method, request.raw_path))
        return await super()._handle(request)


def _accepts_admin_key() -> bool:
    return "admin_api_key" in inspect.signature(AsyncMistral.__init__).parameters


def client_options(fake: FakeMistral) -> dict[str, Any]:
    """How the conformance clients are built: both keys, the fake's URL, no retries."""
    options: dict[str, Any] = {
        "api_key": fake.api_key,
        "server_url": fake.url,
        "max_retries": 0,
    }
    if _accepts_admin_key():
        options["admin_api_key"] = fake.admin_api_key
    return options


@dataclass
class Outcome:
    """What running a case gave."""

    sent: list[Sent] = field(default_factory=list)
    """The requests the call made (after the setup's)."""
    path_values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """What went wrong apart from the request's conformance (setup, call, result)."""


_ASYNC_KINDS: dict[str, tuple[type, ...]] = {
    "stream": (AsyncStream,),
    "paginator": (AsyncPaginator,),
    "binary": (AsyncBinaryResponse,),
}


def _blocking_kinds() -> dict[str, tuple[type, ...]]:
    return {
        "stream": (Stream,),
        "paginator": (Paginator,),
        "binary": (sync_class(AsyncBinaryResponse),),
    }


def _kind_problems(case: Case, result: Any, kinds: dict[str, tuple[type, ...]]) -> list[str]:
    expected = kinds.get(case.returns)
    if expected is not None and not isinstance(result, expected):
        return [f"result: the case says {case.returns!r}, the method gave {type(result).__name__}"]
    every = tuple(t for k in kinds.values() for t in k)
    if case.returns == "value" and isinstance(result, every):
        return [f"result: the case says 'value', the method gave {type(result).__name__}"]
    return []


def _type_problems(case: Case, values: list[Any], what: str) -> list[str]:
    if case.response_type is None:
        return []
    problems = []
    for index, value in enumerate(values):
        where = what if len(values) == 1 else f"{what} {index}"
        found = mismatch(value, case.response_type, where)
        if found:
            problems.append(f"{found} (the response_type)")
            break
    return problems


async def _consume_async(case: Case, result: Any) -> list[str]:
    """Read an async call's result to its end, the way the case says; report what is off."""
    if inspect.isawaitable(result) and not isinstance(result, AsyncPaginator | AsyncStream):
        result = await result
    problems = _kind_problems(case, result, _ASYNC_KINDS)
    if problems:
        return problems
    if case.returns == "stream":
        events = []
        async with result as stream:
            async for item in stream:
                events.append(item)
        if not events:
            problems.append("result: the stream gave no event")
        return problems + _type_problems(case, events, "event")
    if case.returns == "paginator":
        return _type_problems(case, [await result], "first page")
    if case.returns == "binary":
        async with result as body:
            await body.read()
        return problems
    return _type_problems(case, [result], "result")


def _consume_blocking(case: Case, result: Any) -> list[str]:
    """The same, for the blocking client's result."""
    problems = _kind_problems(case, result, _blocking_kinds())
    if problems:
        return problems
    if case.returns == "stream":
        events = []
        with result as stream:
            events.extend(stream)
        if not events:
            problems.append("result: the stream gave no event")
        return problems + _type_problems(case, events, "event")
    if case.returns == "paginator":
        return _type_problems(case, [result.first_page()], "first page")
    if case.returns == "binary":
        with result as body:
            body.read()
        return problems
    return _type_problems(case, [result], "result")


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    status = getattr(exc, "status_code", None)
    if status == 404:
        text += " (the fake server does not serve this endpoint yet, or lost the object)"
    elif status == 401:
        text += " (the fake server refused the credentials)"
    elif status == 422:
        text += " (the fake server rejected the request)"
    return text


async def run_case(
    case: Case,
    operation_path_params: list[str],
    fake: RecordingFake,
    mode: Mode = "async",
    blocking: Mistral | None = None,
) -> Outcome:
    """Set up, call and consume ``case`` against ``fake`` (reset first: every case starts
    from the fake's initial state) with the ``mode`` client."""
    fake.reset()
    outcome = Outcome()
    urls: list[tuple[str, URL]] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        urls.append((params.method, params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        AsyncMistral(**client_options(fake), http_session=session) as client,
    ):
        state = None
        if case.setup is not None:
            try:
                state = await case.setup(client)
            except Exception as exc:
                outcome.problems.append(f"setup failed: {_describe(exc)}")
                return outcome
        recorded_before, raw_before, urls_before = (
            len(fake.requests),
            len(fake.raw_targets),
            len(urls),
        )
        target: Any = client if mode == "async" else blocking
        if target is None:
            raise ValueError("a blocking run needs the blocking client")
        try:
            method = resolve_method(target, case.method)
        except AttributeError as exc:
            outcome.problems.append(f"no SDK method: {exc}")
            return outcome
        outcome.path_values = case.expected_path_values(method, state, operation_path_params)
        try:
            args, kwargs = case.arguments(state)
            if mode == "async":
                outcome.problems += await _consume_async(case, method(*args, **kwargs))
            else:
                outcome.problems += _consume_blocking(case, method(*args, **kwargs))
        except Exception as exc:
            outcome.problems.append(f"the call failed: {_describe(exc)}")
        recorded = fake.requests[recorded_before:]
        raw_targets = fake.raw_targets[raw_before:]
        sent_urls = urls[urls_before:]
    if len(recorded) != len(raw_targets):
        outcome.problems.append(
            f"harness: the fake recorded {len(recorded)} requests and {len(raw_targets)} raw "
            "targets (has FakeMistral._handle been renamed?)"
        )
    if mode == "async" and len(recorded) != len(sent_urls):
        outcome.problems.append(
            f"harness: the fake recorded {len(recorded)} requests, aiohttp sent {len(sent_urls)}"
        )
    for index, (record, (raw_method, raw_target)) in enumerate(
        zip(recorded, raw_targets, strict=False)
    ):
        raw_path, _, raw_query = raw_target.partition("?")
        first_values: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            first_values.setdefault(name, value)
        if (record.method, record.path, record.query) != (raw_method, raw_path, first_values):
            outcome.problems.append(
                f"harness: the fake recorded {record.method} {record.path} {record.query}, "
                f"its raw target was {raw_method} {raw_target}"
            )
        if mode == "async" and index < len(sent_urls):
            method_sent, url = sent_urls[index]
            if (method_sent, url.raw_path, url.raw_query_string) != (
                raw_method,
                raw_path,
                raw_query,
            ):
                outcome.problems.append(
                    f"harness: aiohttp sent {method_sent} {url}, the fake got "
                    f"{raw_method} {raw_target}"
                )
        outcome.sent.append(
            Sent(record.method, record.path, raw_query, record.headers, record.body)
        )
    return outcome
