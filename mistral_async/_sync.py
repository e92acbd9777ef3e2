"""The blocking API, generated from the async one: no method is written twice.

Each :class:`Mistral` owns an event loop in a daemon thread, hosted by an anyio
:class:`~anyio.from_thread.BlockingPortal`. A blocking method hands its coroutine to
that loop and waits for the result, so it works from plain threads, from many
threads at once, and from code that already runs an event loop in the current
thread (a notebook cell, a sync helper inside an async app). The per-call hop uses
``asyncio.run_coroutine_threadsafe`` directly, so anyio's machinery stays off the
per-request path. Streams become plain iterators and context managers, fed in
batches so that the thread hop is paid per network read, not per event.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
import sys
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from ._binary import AsyncBinaryResponse
from ._client import AsyncMistral, BaseAsyncClient, ResourceSlot
from ._errors import MistralError
from ._pagination import AsyncPaginator
from ._streaming import AsyncStream
from ._types import Headers
from .resources._base import AsyncResource

__all__ = ["Mistral", "Stream", "blocking_client"]

T = TypeVar("T")
P = TypeVar("P")
I = TypeVar("I")  # noqa: E741 - the item type


class _Portal:
    """An event loop in a daemon thread, run by an anyio blocking portal."""

    def __init__(self) -> None:
        from anyio.from_thread import BlockingPortal

        ready = threading.Event()
        box: dict[str, Any] = {}

        async def host() -> None:
            async with BlockingPortal() as portal:
                box["portal"] = portal
                box["loop"] = asyncio.get_running_loop()
                ready.set()
                await portal.sleep_until_stopped()

        def main() -> None:
            import anyio

            try:
                anyio.run(host, backend="asyncio")
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                box["error"] = exc
                ready.set()

        # A daemon thread: a script that never closes its client must still exit.
        self._thread = threading.Thread(target=main, name="mistral-async-loop", daemon=True)
        self._thread.start()
        ready.wait()
        if "error" in box:
            raise MistralError(f"could not start the event loop thread: {box['error']!r}")
        self._portal = box["portal"]
        self.loop: asyncio.AbstractEventLoop = box["loop"]
        self.closed = False

    def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` (a coroutine function) on the loop and wait for it."""
        if self.closed:
            raise MistralError("This client was closed; create a new one")
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                "A blocking Mistral method was called from the client's own event loop; "
                "use AsyncMistral there"
            )
        future = asyncio.run_coroutine_threadsafe(fn(*args, **kwargs), self.loop)
        try:
            return future.result()
        except BaseException:
            # KeyboardInterrupt and friends: cancel the coroutine so the loop is not wedged.
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and wait for its thread."""
        if self.closed:
            return
        self.closed = True
        if threading.current_thread() is self._thread:
            return
        self._portal.call(self._portal.stop, True)
        self._thread.join()


def _stop_portal(portal: _Portal, client: BaseAsyncClient) -> None:
    if portal.closed:
        return
    try:
        portal.run(client.aclose)
    finally:
        portal.stop()


class Stream(Generic[T]):
    """The blocking twin of :class:`AsyncStream`: an iterator and a context manager.

    ::

        with client.chat.stream(model=..., messages=...) as stream:
            for chunk in stream:
                print(chunk.choices[0].delta.text, end="")
    """

    def __init__(self, stream: AsyncStream[T], portal: _Portal) -> None:
        self._async = stream
        self._portal = portal
        self._buffer: deque[T] = deque()

    @property
    def headers(self) -> Headers:
        """The response headers (the stream must have been entered or read)."""
        return self._async.headers

    @property
    def status_code(self) -> int:
        """The HTTP status of the response (0 before the stream is opened)."""
        return self._async.status_code

    @property
    def request_id(self) -> str | None:
        """The request id the API gave this stream."""
        return self._async.request_id

    def __enter__(self) -> Self:
        self._portal.run(self._async.__aenter__)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        buffer = self._buffer
        if not buffer:
            buffer.extend(self._portal.run(_next_batch, self._async))
            if not buffer:
                raise StopIteration
        return buffer.popleft()

    def close(self) -> None:
        """Stop reading and give the connection back."""
        self._buffer.clear()
        if not self._portal.closed:
            self._portal.run(self._async.aclose)

    def until_done(self) -> None:
        """Read the stream to its end, dropping the events."""
        for _ in self:
            pass

    def __repr__(self) -> str:
        # Only the leading class name ("<AsyncStream", "<AsyncRealtime..."): the rest may
        # hold the caller's own text.
        head, space, rest = repr(self._async).partition(" ")
        return blocking_name(head) + space + rest


async def _next_batch(stream: AsyncStream[T]) -> list[T]:
    """The next event and every other one already received."""
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        return []
    batch = [first]
    items = stream._items
    if items:
        batch.extend(items)
        items.clear()
    return batch


def _wrap(portal: _Portal, value: Any) -> Any:
    if isinstance(value, AsyncStream | AsyncResource | AsyncBinaryResponse):
        return sync_class(type(value))(value, portal)
    cache = sys.modules.get("mistral_async._cache")  # loaded only by clients that cache
    if cache is not None and isinstance(value, cache.Cache):
        return sync_class(type(value))(value, portal)
    if isinstance(value, AsyncPaginator):
        return Paginator(value, portal)
    if isinstance(value, AsyncIterator):
        return BlockingIterator(value, portal)
    return value


class BlockingIterator(Iterator[T]):
    """A plain iterator over an async iterator that runs on the client's loop."""

    def __init__(self, source: AsyncIterator[T], portal: _Portal) -> None:
        self._source = source
        self._portal = portal

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        try:
            item: T = self._portal.run(_anext, self._source)
        except StopAsyncIteration:
            raise StopIteration from None
        return item

    def close(self) -> None:
        """Stop early, releasing what the async iterator holds."""
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None and not self._portal.closed:
            self._portal.run(aclose)


async def _anext(source: AsyncIterator[T]) -> T:
    return await source.__anext__()


class Paginator(Generic[P, I]):
    """The blocking twin of :class:`AsyncPaginator`: iterate it for every item across pages.

    ::

        for file in client.files.list():        # every item, fetching pages as needed
            ...
        page = client.files.list().first_page() # one page object
        client.files.list().data                # the first page's fields, directly
    """

    def __init__(self, paginator: AsyncPaginator[P, I], portal: _Portal) -> None:
        self._async = paginator
        self._portal = portal
        self._first: list[P] = []

    def first_page(self) -> P:
        """The first page (fetched once)."""
        if not self._first:
            self._first.append(self._portal.run(self._async.first_page))
        return self._first[0]

    def pages(self) -> Iterator[P]:
        """Every page, fetched one after the other."""
        pages = BlockingIterator(self._async.pages(), self._portal)
        try:
            yield from pages
        finally:
            pages.close()

    def __iter__(self) -> Iterator[I]:
        for page in self.pages():
            yield from self._async._items(page)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.first_page(), name)

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncPaginator", "Paginator")


def blocking_name(text: str) -> str:
    """The blocking twin's name of an async type (``AsyncChat`` -> ``Chat``), in any text."""
    return _ASYNC_PREFIX.sub("", text)


_ASYNC_PREFIX = re.compile(r"\bAsync(?=[A-Z])")
_ASYNC_NAME = re.compile(r"\bAsync[A-Z]\w*")


def _blocking(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(fn):

        def call(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            return BlockingIterator(getattr(self._async, name)(*args, **kwargs), self._portal)

    elif inspect.iscoroutinefunction(fn):

        def call(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            portal = self._portal
            return _wrap(portal, portal.run(getattr(self._async, name), *args, **kwargs))

    else:

        def call(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            return _wrap(self._portal, getattr(self._async, name)(*args, **kwargs))

    functools.update_wrapper(call, fn)
    signature = inspect.signature(fn)
    returns = signature.return_annotation
    if isinstance(returns, str):
        returns = blocking_name(returns)
    call.__signature__ = signature.replace(return_annotation=returns)  # type: ignore[attr-defined]
    return call


class _SyncSlot:
    """A resource attribute of a blocking class: the blocking twin of the async resource."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        resource = _wrap(obj._portal, getattr(obj._async, self.name))
        obj.__dict__[self.name] = resource
        return resource


def _delegate(name: str, prop: property) -> property:
    return property(lambda self: _wrap(self._portal, getattr(self._async, name)), doc=prop.__doc__)


def _members(async_cls: type, stop: type) -> dict[str, Any]:
    """Blocking twins of a class's public methods, properties and resource attributes.

    ``aclose`` becomes ``close``; async generator methods become plain generators.
    """
    namespace: dict[str, Any] = {}
    for klass in reversed(async_cls.__mro__):
        if klass is object or issubclass(stop, klass):
            continue
        for name, value in vars(klass).items():
            if isinstance(value, ResourceSlot):
                namespace[name] = _SyncSlot(name)
            elif name.startswith("_"):
                continue
            elif isinstance(value, property):
                namespace[name] = _delegate(name, value)
            elif inspect.isfunction(value):
                namespace["close" if name == "aclose" else name] = _blocking(name, value)
    return namespace


class SyncResource:
    """Base of the generated blocking resource classes."""

    def __init__(self, async_resource: Any, portal: _Portal) -> None:
        self._async = async_resource
        self._portal = portal

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class SyncObject(SyncResource):
    """Base of generated blocking twins of other objects (a download's body, ...)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._portal.closed:
            self._portal.run(self._async.__aexit__, exc_type, exc, tb)

    def __repr__(self) -> str:
        return blocking_name(repr(self._async))


_classes: dict[type, type] = {}
_classes_lock = threading.Lock()


def sync_class(async_cls: type) -> type:
    """The blocking twin of an async resource or stream class, generated once."""
    cls = _classes.get(async_cls)
    if cls is None:
        with _classes_lock:
            cls = _classes.get(async_cls)
            if cls is None:
                cls = _classes[async_cls] = _generate(async_cls)
    return cls


def _generate(async_cls: type) -> type:
    if issubclass(async_cls, AsyncStream):
        if async_cls is AsyncStream:
            return Stream
        base: type = Stream
        namespace = _members(async_cls, AsyncStream)
    elif issubclass(async_cls, AsyncResource):
        base = SyncResource
        namespace = _members(async_cls, AsyncResource)
    else:
        base = SyncObject
        namespace = _members(async_cls, object)
    namespace["__doc__"] = blocking_name(async_cls.__doc__ or "")
    namespace["__module__"] = "mistral_async"
    return type(blocking_name(async_cls.__name__), (base,), namespace)


class _MistralBase(SyncResource):
    """Base of the blocking clients: each wraps an instance of its ``_async_class``."""

    _async_class: type[BaseAsyncClient] = AsyncMistral

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        client = self._async_class(*args, **kwargs)
        portal = _Portal()
        super().__init__(client, portal)
        self._finalizer = weakref.finalize(self, _stop_portal, portal, client)

    @classmethod
    def _sibling(cls, client: BaseAsyncClient, parent: Any) -> Any:
        twin = cls.__new__(cls)
        SyncResource.__init__(twin, client, parent._portal)
        twin._finalizer = parent._finalizer
        return twin

    def with_options(self, **kwargs: Any) -> Any:
        """A copy of this client with other defaults, sharing its connections and loop."""
        return self._sibling(self._async.with_options(**kwargs), self)

    @property
    def with_raw_response(self) -> Any:
        """The same client, whose methods return a :class:`RawResponse`."""
        return self._sibling(self._async.with_raw_response, self)

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._async.base_url  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the connections and stop this client's event loop thread."""
        self._finalizer()

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        name = type(self._async).__name__
        return repr(self._async).replace(name, blocking_name(name), 1)


def _client_class(async_cls: type[BaseAsyncClient] = AsyncMistral, module: str = __name__) -> type:
    """The blocking twin of an async client class (``AsyncMistralAzure`` -> ``MistralAzure``).

    Its constructor takes the async class's arguments; its resources, properties and
    methods are generated from the async ones (``aclose`` becomes ``close``).
    """
    # What _MistralBase defines itself (close, with_options, with_raw_response...) wins.
    namespace = {
        name: value
        for name, value in _members(async_cls, object).items()
        if name not in vars(_MistralBase)
    }
    async_name = async_cls.__name__
    name = blocking_name(async_name)
    doc = async_cls.__doc__ or ""
    first = doc.strip().split("\n", 1)[0]
    namespace["__doc__"] = (
        doc.replace(first, f"The blocking twin of :class:`{async_name}` (generated from it).", 1)
        .replace(f"async with {async_name}(", f"with {name}(")
        .replace("await client.", "client.")
    )
    namespace["__module__"] = module
    namespace["_async_class"] = async_cls
    return type(name, (_MistralBase,), namespace)


_clients: dict[type, type] = {}


def blocking_client(async_cls: type[BaseAsyncClient], module: str = "mistral_async") -> Any:
    """The blocking twin of any async client class, generated once per class.

    ::

        MistralAzure = blocking_client(AsyncMistralAzure)
    """
    if async_cls is AsyncMistral:
        return Mistral
    cls = _clients.get(async_cls)
    if cls is None:
        with _classes_lock:
            cls = _clients.get(async_cls)
            if cls is None:
                cls = _clients[async_cls] = _client_class(async_cls, module)
    return cls


Mistral: Any = _client_class()
"""The blocking Mistral client: the same constructor and methods as :class:`AsyncMistral`."""


def async_classes(*roots: type) -> dict[str, type]:
    """Every async resource and stream class reachable from the client classes ``roots``
    (default: :class:`AsyncMistral`), by name.

    Imports every resource module; used by ``_blocking`` and the stub generator.
    """
    found: dict[str, type] = {}

    def walk(cls: type) -> None:
        # Slots may come from a base (the generated ``ClientSlots``, ``BetaSlots``...).
        slots = [v for k in cls.__mro__ for v in vars(k).values() if isinstance(v, ResourceSlot)]
        for value in slots:
            resource = value.load()
            if found.get(resource.__name__) is resource:
                continue
            found[resource.__name__] = resource
            walk(resource)
        for klass in cls.__mro__:
            for value in vars(klass).values():
                returns = getattr(value, "__annotations__", {}).get("return")
                if not isinstance(returns, str):
                    continue
                module = sys.modules[value.__module__]
                for name in _ASYNC_NAME.findall(returns):
                    target = getattr(module, name, None)
                    # AsyncStream itself has its hand-written twin, Stream.
                    if (
                        isinstance(target, type)
                        and issubclass(target, AsyncStream | AsyncBinaryResponse)
                        and target is not AsyncStream
                    ):
                        found[name] = target

    for root in roots or (AsyncMistral,):
        walk(root)
    return found
