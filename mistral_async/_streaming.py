"""Streams of typed events over SSE that always give their connection back.

:class:`AsyncStream` is an async iterator and an async context manager. The request
is sent when the stream is entered (or first read) and retried, when it fails, until
the first event has arrived, never after. Leaving the stream early, an exception, a
``break`` or the task being cancelled closes the response, so no connection leaks.

A *resumable* stream (``resume=True``: the event streams whose events carry SSE ids)
goes further: when the connection breaks after events arrived, it reconnects by itself
with ``Last-Event-ID`` set to the last event delivered, drops any event it already
delivered, and goes on. A clean end of the body ends it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import aiohttp

from ._errors import (
    APIConnectionError,
    APIError,
    APIStreamError,
    APITimeoutError,
    MistralError,
    ResponseValidationError,
)
from ._json import loads
from ._response import request_id_of
from ._retry import MAX_RETRY_AFTER, RetryPolicy, call_with_retries, is_retryable
from ._session import CLIENT_ERRORS, guarded
from ._sse import SSEDecoder
from ._types import Headers

__all__ = ["AsyncStream"]

T = TypeVar("T")


_DONE = "[DONE]"
_FOLD_EVERY = 4096
_SEEN_IDS = 65536
"""How many delivered event ids a resumable stream remembers to drop replayed events."""


class _RecentIds:
    """The ids of the last events delivered (a bounded set, oldest forgotten first)."""

    __slots__ = ("_ids", "_order")

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._order: deque[str] = deque()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        if event_id in self._ids:
            return
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > _SEEN_IDS:
            self._ids.discard(self._order.popleft())


class AsyncStream(Generic[T]):
    # Streams that end with a final event rather than ``data: [DONE]`` (conversations,
    # transcriptions) set these in a subclass: an event that ends the stream, and an
    # event that is an error to raise.
    _final_event: Callable[[Any], bool] | None = None
    _error_event: Callable[[Any], bool] | None = None

    """An async iterator of typed events, and an async context manager.

    ::

        async with client.chat.stream(model=..., messages=...) as stream:
            print(stream.headers["x-request-id"])  # available before the first event
            async for chunk in stream:
                print(chunk.choices[0].delta.text, end="")

    ``stream_timeout`` (seconds between two events, the first included) raises
    :class:`APITimeoutError` when exceeded; comments and keep-alives do not reset it.

    Resumable streams (the workflow event streams) reconnect by themselves when the
    connection breaks after events arrived, with ``Last-Event-ID``; an event already
    delivered is never delivered again. At most ``max_retries`` reconnects in a row may
    bring no new event (waits: exponential backoff, at least the stream's SSE ``retry``),
    then :class:`APIConnectionError` is raised.
    """

    def __init__(
        self,
        open_response: Callable[..., Awaitable[aiohttp.ClientResponse]],
        cast: Callable[[Any], T],
        *,
        idle_timeout: float | None,
        retry: RetryPolicy,
        what: str,
        resume: bool = False,
        observer: Any = None,
    ) -> None:
        self._open_response = open_response
        self._cast = cast
        self._idle_timeout = idle_timeout
        self._retry = retry
        self._max_retries = retry.max_retries
        self._what = what
        # Told when the stream opens, of each event and when it ends (logs, spans).
        self._observer = observer
        self._response: aiohttp.ClientResponse | None = None
        self._items: deque[T] = deque()
        self._decoder = SSEDecoder()
        self._deadline = 0.0
        self._started = False
        self._done = False
        self._closed = False
        self._headers: Headers | None = None
        self._status = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        # Streams that add their events up (get_final_completion) call _fold_into().
        self._history: list[T] | None = None
        self._accumulator: Any = None
        # An error that arrived after events still undelivered: raised once they are read.
        self._error: BaseException | None = None
        # Resumable streams: the ids delivered, the last one, the break to resume from,
        # reconnects since the last new event, and requests sent in all.
        self._seen: _RecentIds | None = _RecentIds() if resume else None
        self._last_id: str | None = None
        self._broken: APIConnectionError | None = None
        self._reconnects = 0
        self._sends = 0

    # -- public surface --------------------------------------------------------------

    @property
    def headers(self) -> Headers:
        """The response headers (the stream must have been entered or read)."""
        if self._headers is None:
            raise RuntimeError("The stream has not been opened yet; enter it or read from it")
        return self._headers

    @property
    def status_code(self) -> int:
        """The HTTP status of the response (0 before the stream is opened)."""
        return self._status

    @property
    def request_id(self) -> str | None:
        """The request id the API gave this stream."""
        return None if self._headers is None else request_id_of(self._headers)

    async def __aenter__(self) -> Self:
        if not self._started:
            await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        items = self._items
        if items:
            return items.popleft()
        return await self._next_slow()

    async def aclose(self) -> None:
        """Stop reading and give the connection back (closing it if the stream is unfinished)."""
        self._close()

    async def until_done(self) -> None:
        """Read the stream to its end, dropping the events."""
        async for _ in self:
            pass

    def _fold_into(self, accumulator: Any) -> None:
        """Add every parsed event up in ``accumulator`` (``add(events)``, ``result()``).

        Events the caller already iterated over count too.
        """
        self._history = []
        self._accumulator = accumulator

    async def _fold_rest(self) -> Any:
        """Read the rest of the stream; what all its events add up to."""
        await self.until_done()
        if self._history:
            self._accumulator.add(self._history)
            self._history.clear()
        return self._accumulator.result()

    # -- internals ---------------------------------------------------------------------

    async def _start(self) -> None:
        self._started = True
        self._loop = asyncio.get_running_loop()
        observer = self._observer
        if observer is not None:
            observer.starting()
        try:
            await call_with_retries(
                self._open_attempt,
                self._retry,
                self._what,
                None if observer is None else observer.on_retry,
            )
        except BaseException as exc:
            self._close(exc)
            raise
        if observer is not None:
            observer.opened(self._status, self.request_id)

    async def _open_attempt(self) -> None:
        """Open the response and read until the first event: retries stop being safe after."""
        self._close_response()
        self._decoder = SSEDecoder()
        self._items.clear()
        resp = await self._open_headers()
        self._response = resp
        self._status = resp.status
        self._headers = Headers(list(resp.headers.items()))
        self._closed = False
        self._restart_deadline()
        try:
            while not self._items and not self._done:
                await self._read_more()
        except BaseException:
            # Released now, so nothing stays open while the retry loop sleeps.
            self._close_response()
            raise

    async def _open_headers(self, last_event_id: str | None = None) -> aiohttp.ClientResponse:
        """Send the request; ``stream_timeout`` covers the wait for the headers too."""
        self._sends += 1
        opening = (
            self._open_response() if last_event_id is None else self._open_response(last_event_id)
        )
        if self._idle_timeout is None:
            return await opening
        try:
            async with asyncio.timeout(self._idle_timeout):
                return await opening
        except TimeoutError:
            raise self._idle_error() from None

    def _restart_deadline(self) -> None:
        if self._idle_timeout is not None:
            assert self._loop is not None
            self._deadline = self._loop.time() + self._idle_timeout

    async def _next_slow(self) -> T:
        if not self._started:
            await self._start()
        try:
            while not self._items:
                error = self._error
                if error is not None:
                    self._error = None
                    raise error
                if self._done or self._closed:
                    self._close()
                    raise StopAsyncIteration
                await self._read_more()
        except StopAsyncIteration:
            raise
        except BaseException as exc:
            self._close(exc)
            raise
        return self._items.popleft()

    async def _read_chunk(self, resp: aiohttp.ClientResponse) -> bytes:
        if self._idle_timeout is None:
            return await resp.content.readany()
        assert self._loop is not None
        remaining = self._deadline - self._loop.time()
        if remaining <= 0:
            raise self._idle_error()
        try:
            async with asyncio.timeout(remaining):
                return await resp.content.readany()
        except TimeoutError:
            raise self._idle_error() from None

    def _idle_error(self) -> APITimeoutError:
        return APITimeoutError(
            f"No stream event arrived within stream_timeout={self._idle_timeout:g} s",
            request_id=self.request_id,
        )

    async def _read_more(self) -> None:
        resp = self._response
        if resp is None:
            if self._broken is not None:
                await self._reconnect()
                return
            raise APIConnectionError("The stream was closed", request_id=self.request_id)
        try:
            chunk = await guarded(self._read_chunk(resp))
        except APIConnectionError as error:
            if error.request_id is None:
                error.request_id = self.request_id
            if self._resumable(error):
                self._break(error)
                return
            raise
        resume = self._seen is not None
        cut = False
        if chunk:
            events = self._decoder.feed(chunk)
        elif resume:
            # Strict: an event left without its blank line was cut off; it is resumed.
            events, cut = self._decoder.end()
        else:
            events = self._decoder.flush()
        try:
            if events:
                self._handle(events, at_eof=not chunk and not resume)
            if not chunk and not self._done:
                if cut:
                    raise APIConnectionError(
                        "The stream ended in the middle of an event", request_id=self.request_id
                    )
                if resume:
                    self._done = True  # a clean end of the body ends a resumable stream
                else:
                    ending = "its final event" if self._final_event is not None else "[DONE]"
                    raise APIConnectionError(
                        f"The stream ended before it was complete (no {ending})",
                        request_id=self.request_id,
                    )
        except MistralError as exc:
            if isinstance(exc, APIConnectionError) and self._resumable(exc):
                self._break(exc)
                return
            if not self._items:
                raise
            # Deliver the events that came before the error first.
            self._error = exc
            self._close_response()
            return
        if self._done:
            await self._finish(resp)

    # -- resuming ------------------------------------------------------------------------

    def _resumable(self, error: APIConnectionError) -> bool:
        """Whether a break is resumed: a resumable stream, events with ids delivered, no timeout."""
        return (
            self._seen is not None
            and self._last_id is not None
            and self._max_retries > 0
            and not isinstance(error, APITimeoutError)
        )

    def _break(self, error: APIConnectionError) -> None:
        """The connection broke: let it go; the next read (once the events already received
        are delivered) reconnects."""
        self._broken = error
        self._close_response()

    async def _reconnect(self) -> None:
        """Open the stream again after a break, from the last event delivered."""
        error: APIError | None = self._broken
        assert error is not None
        while True:
            self._reconnects += 1
            if self._reconnects > self._max_retries:
                self._broken = None
                exhausted = APIConnectionError(
                    f"The stream broke and could not be resumed after {self._max_retries} "
                    f"reconnects without a new event: {error.message}",
                    request_id=self.request_id,
                )
                exhausted.attempts = self._sends
                raise exhausted from error
            delay = self._retry.wait(error, self._reconnects)
            asked = self._decoder.retry
            if asked is not None:
                delay = max(delay, min(asked / 1000, MAX_RETRY_AFTER))
            self._retry.emit(
                "Resuming %s after event id %r in %.2f s (reconnect %d of %d: %s)",
                self._what,
                self._last_id,
                delay,
                self._reconnects,
                self._max_retries,
                error.message,
            )
            await asyncio.sleep(delay)
            try:
                resp = await self._open_headers(self._last_id)
            except APIError as exc:
                if not is_retryable(exc):
                    self._broken = None
                    raise
                error = exc
                continue
            break
        self._broken = None
        self._response = resp
        self._status = resp.status
        self._headers = Headers(list(resp.headers.items()))
        self._decoder = SSEDecoder(self._last_id, self._decoder.retry)
        self._restart_deadline()

    def _handle(self, events: list[Any], at_eof: bool = False) -> None:
        cast = self._cast
        items = self._items
        append = items.append
        before = len(items)
        got_data = False
        error_event, final_event = self._error_event, self._final_event
        seen = self._seen
        for event in events:
            data = event.data
            if data == _DONE:
                self._done = True
                break
            if seen is not None and event.has_id and event.id in seen:
                continue  # delivered before the stream was resumed
            try:
                obj = loads(data)
            except ValueError as exc:
                if event.event == "error":
                    raise self._stream_error(data) from None
                if at_eof:
                    # The body ended inside this event: it was cut off, not malformed.
                    raise APIConnectionError(
                        "The stream ended in the middle of an event", request_id=self.request_id
                    ) from None
                raise self._invalid(data, exc) from exc
            if event.event == "error" or (type(obj) is dict and obj.get("object") == "error"):
                raise self._stream_error(obj)
            try:
                item = cast(obj)
            except Exception as exc:
                raise self._invalid(data, exc) from exc
            if error_event is not None and error_event(item):
                raise self._stream_error(obj)
            append(item)
            got_data = True
            if seen is not None:
                self._delivered(event.id, event.has_id)
            if final_event is not None and final_event(item):
                # The stream's own last event: what follows is only the end of the body.
                self._done = True
                break
        if got_data:
            self._restart_deadline()
            if self._observer is not None:
                self._observer.events(list(itertools.islice(items, before, None)))
            history = self._history
            if history is not None:
                history.extend(itertools.islice(items, before, None))
                if len(history) >= _FOLD_EVERY:
                    # Folded as they come, so a long stream holds no more than this many.
                    self._accumulator.add(history)
                    history.clear()

    def _delivered(self, event_id: str | None, has_id: bool) -> None:
        self._reconnects = 0
        if event_id is not None:
            self._last_id = event_id
            if has_id:
                assert self._seen is not None
                self._seen.add(event_id)

    def _invalid(self, data: str, exc: Exception) -> ResponseValidationError:
        return ResponseValidationError(
            f"A stream event does not fit the expected type: {type(exc).__name__}: {exc}",
            raw_body=data.encode(),
            status_code=self._status,
            request_id=self.request_id,
        )

    def _stream_error(self, obj: Any) -> APIStreamError:
        payload = obj.get("error", obj) if isinstance(obj, dict) else obj
        if isinstance(payload, dict):
            message = str(payload.get("message") or payload.get("detail") or payload)
            err_type, code = payload.get("type"), payload.get("code")
        else:
            message, err_type, code = str(payload), None, None
        return APIStreamError(
            message,
            body=obj,
            type=None if err_type is None else str(err_type),
            code=None if code is None else str(code),
            request_id=self.request_id,
        )

    async def _finish(self, resp: aiohttp.ClientResponse) -> None:
        """After [DONE]: read the (empty) rest so the connection can be reused."""
        try:
            while not resp.content.at_eof():
                if not await self._read_chunk(resp):
                    break
        except (*CLIENT_ERRORS, APITimeoutError):
            resp.close()
        finally:
            self._response = None
            resp.release()

    def _close_response(self) -> None:
        resp, self._response = self._response, None
        if resp is not None:
            # Unfinished: the connection still carries unread events and cannot be reused.
            resp.close()

    def _close(self, error: BaseException | None = None) -> None:
        self._closed = True
        self._items.clear()
        self._close_response()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.closed(self._done, error)

    def __del__(self) -> None:
        resp = self._response
        if resp is None:
            return
        self._response = None
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            resp.close()
        else:
            loop.call_soon_threadsafe(resp.close)

    def __repr__(self) -> str:
        state = "done" if self._done else "closed" if self._closed else "open"
        return f"<AsyncStream {self._what} {state}>"
