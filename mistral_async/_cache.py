"""The response cache: answers of deterministic operations, kept for a while and shared.

::

    client = AsyncMistral(cache=True)                          # in memory, 300 s, 1,024 answers
    client = AsyncMistral(cache=Cache(ttl=600, max_entries=10_000))
    client = AsyncMistral(cache=Cache(backend=my_store))       # async get / set / delete

What is cached by default: successful answers of embeddings, moderations and
classifications (text and chat), OCR, and reads (``GET``) of models, files' metadata,
agents and libraries. Never streams, downloads, uploads, errors or partial answers;
completions (chat, FIM, agents) only when a call asks with ``cache=True``; no call
when it passes ``cache=False``.

Entries are keyed by the server's URL, a hash of the credentials sent (two keys never
share an answer; the key itself is never stored), the method, the path and a hash of
the query, the body and the other request headers. A mutation through the client
(create, update, delete, archive...) drops the cached reads of the collection it
changed (reads cached with ``cache=True`` elsewhere: of its family, ``/v1/audio`` for
``/v1/audio/voices/x``), and concurrent identical misses send one request.

A method called again with the same plain arguments (strings, numbers, lists and
dicts of them) on the same client skips the checks and the body building it did the
first time: the call's arguments lead straight to the entry they produced (see
``CALL`` in ``_types``). Anything else goes the whole way, and still hits the cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from ._errors import InvalidParameterError
from ._json import dumps, loads
from ._types import CACHE_MUTATE, CACHE_READ, CREDENTIAL_HEADERS, NOT_GIVEN, CallKey, Headers

__all__ = ["Cache", "CacheBackend", "CacheStats"]

log: Final = logging.getLogger("mistral_async")

READ: Final = CACHE_READ
MUTATE: Final = CACHE_MUTATE

_COMPUTATIONS: Final = frozenset(
    {
        "/v1/embeddings",
        "/v1/moderations",
        "/v1/chat/moderations",
        "/v1/classifications",
        "/v1/chat/classifications",
        "/v1/ocr",
    }
)
_COLLECTIONS: Final = ("/v1/models", "/v1/files", "/v1/agents", "/v1/libraries")
# Reads under those collections whose answers change on their own: processing status,
# and signed URLs that expire.
_VOLATILE: Final = re.compile(r"/(status|url|signed-url|signed_url|[a-z_-]*signed-url|content)$")
# Mutations under another path that change a cached collection.
_ALIASES: Final = {"/v1/fine_tuning/models": "/v1/models"}
_NOT_STORED: Final = frozenset({"set-cookie", "connection", "keep-alive", "transfer-encoding"})


@runtime_checkable
class CacheBackend(Protocol):
    """Where a :class:`Cache` keeps its entries, if not in memory (Redis, memcached...).

    Keys are short ASCII strings; values are bytes. ``set`` should keep a value for
    ``ttl`` seconds at most. Errors a backend raises are logged and the call goes on
    without the cache.
    """

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None``."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key`` (no error when it is not there)."""
        ...


@attrs.frozen(slots=True)
class CacheStats:
    """What a :class:`Cache` did so far."""

    hits: int
    """Calls answered from the cache."""
    misses: int
    """Cacheable calls sent to the server."""
    coalesced: int
    """Calls that waited for an identical call in flight instead of sending their own."""
    entries: int
    """Entries held now (in memory; for a custom backend, the ones this process wrote)."""
    stores: int
    """Answers stored."""
    evictions: int
    """Entries dropped to stay within ``max_entries``."""
    expirations: int
    """Entries found too old."""
    invalidations: int
    """Entries dropped by :meth:`Cache.invalidate`, :meth:`Cache.clear` or a mutation."""
    errors: int
    """Backend calls that failed (the calls went on without the cache)."""

    @property
    def hit_rate(self) -> float:
        """``hits / (hits + misses + coalesced)`` (0 before any call)."""
        total = self.hits + self.misses + self.coalesced
        return self.hits / total if total else 0.0


@attrs.define(slots=True)
class Entry:
    """One stored answer (``result``: the object built from it by ``cast``, kept by the
    in-memory store when objects are shared)."""

    status: int
    headers: Headers
    content: bytes
    result: Any = NOT_GIVEN
    cast: Any = None

    def encode(self) -> bytes:
        """The entry as bytes, for a backend."""
        head = dumps([self.status, list(self.headers.items())], str)
        return head + b"\n" + self.content

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        """An entry from :meth:`encode`'s bytes."""
        head, _, content = data.partition(b"\n")
        status, headers = loads(head)
        return cls(int(status), Headers([(str(k), str(v)) for k, v in headers]), content)


class _Memory:
    """The in-memory store: least recently used entries go first, old ones expire."""

    __slots__ = ("_entries", "max_entries")

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Entry]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)


class _LeaderGone(Exception):
    """The call the others waited for was cancelled: they send their own."""


def _check_number(name: str, value: Any, *, integer: bool = False) -> None:
    kind = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
        raise InvalidParameterError(name, f"must be a positive number, not {value!r}")
    if value <= 0:
        raise InvalidParameterError(name, f"must be > 0, not {value!r}")


class Cache:
    """A response cache for a client (``AsyncMistral(cache=Cache(...))``).

    Args:
        ttl: Seconds an answer is kept (default 300).
        max_entries: The most answers kept in memory (default 1,024; least recently
            used first out). With a ``backend``, how many keys this process remembers
            for :meth:`invalidate` and :meth:`clear`.
        backend: Your own store (any object with async ``get`` / ``set`` / ``delete``,
            see :class:`CacheBackend`); entries then outlive the process and may be
            shared by several. Invalidation reaches the keys this process wrote; the
            others expire after ``ttl``.
        share_objects: In memory, a hit returns the very object the first answer was
            parsed into (the fastest hit: no parsing at all), so treat cached results
            as read-only. ``False`` parses the stored answer again on every hit, giving
            each caller its own objects. Answers from a ``backend`` are always parsed.

    One cache may serve several clients (``with_options`` copies share their client's);
    entries of different keys or servers never mix.
    """

    def __init__(
        self,
        *,
        ttl: float = 300.0,
        max_entries: int = 1024,
        backend: CacheBackend | None = None,
        share_objects: bool = True,
    ) -> None:
        _check_number("ttl", ttl)
        if not isinstance(share_objects, bool):
            raise InvalidParameterError("share_objects", f"must be a bool, not {share_objects!r}")
        self.share_objects = share_objects
        _check_number("max_entries", max_entries, integer=True)
        if backend is not None and not isinstance(backend, CacheBackend):
            raise InvalidParameterError(
                "backend", "must have async get(key), set(key, value, ttl) and delete(key)"
            )
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self.backend = backend
        self._memory = _Memory(max_entries) if backend is None else None
        # key -> path of what a custom backend holds (for invalidate and clear).
        self._index: OrderedDict[str, str] = OrderedDict()
        # Bumped when a collection's reads are dropped: a read that began before does not store.
        self._generation = 0
        self._inflight: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[Entry]]] = {}
        self._who: dict[int, tuple[Mapping[str, str], str, tuple[str, str]]] = {}
        # Families of paths (``/v1/audio``) with reads cached on request (``cache=True``):
        # a change anywhere in one drops them all.
        self._opted: set[str] = set()
        # Method calls seen before -> (config, entry key, cast, raw): see _recall.
        self._calls: dict[CallKey, tuple[Any, str, Callable[[Any], Any], bool]] = {}
        self._hits = self._misses = self._coalesced = self._stores = 0
        self._evictions = self._expirations = self._invalidations = self._errors = 0

    def __repr__(self) -> str:
        where = "memory" if self.backend is None else type(self.backend).__name__
        return f"<Cache {where} ttl={self.ttl:g}s max_entries={self.max_entries}>"

    @property
    def stats(self) -> CacheStats:
        """Hits, misses and the rest, counted since the cache was made."""
        entries = len(self._memory) if self._memory is not None else len(self._index)
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            coalesced=self._coalesced,
            entries=entries,
            stores=self._stores,
            evictions=self._evictions,
            expirations=self._expirations,
            invalidations=self._invalidations,
            errors=self._errors,
        )

    async def clear(self) -> None:
        """Drop every entry (with a backend: every entry this process wrote)."""
        self._generation += 1
        self._calls.clear()
        if self._memory is not None:
            self._invalidations += len(self._memory._entries)
            self._memory._entries.clear()
            return
        keys = list(self._index)
        self._index.clear()
        for key in keys:
            await self._backend_delete(key)
        self._invalidations += len(keys)

    async def invalidate(self, *, prefix: str) -> int:
        """Drop the entries whose API path starts with ``prefix`` (``"/v1/models"``);
        return how many were dropped."""
        if not isinstance(prefix, str) or not prefix.startswith("/"):
            raise InvalidParameterError(
                "prefix", f"must be an API path such as '/v1/models', not {prefix!r}"
            )
        self._generation += 1
        if self._memory is not None:
            entries = self._memory._entries
            doomed = [key for key in entries if _path_of(key).startswith(prefix)]
            for key in doomed:
                del entries[key]
        else:
            doomed = [key for key, path in self._index.items() if path.startswith(prefix)]
            for key in doomed:
                del self._index[key]
                await self._backend_delete(key)
        self._invalidations += len(doomed)
        return len(doomed)

    # -- what the session core calls --------------------------------------------------

    def _plan(self, method: str, path: str, asked: bool | None) -> int:
        """``READ``, ``MUTATE`` or 0 for a call (``asked``: the call's ``cache=`` option)."""
        if method == "GET":
            if asked is False:
                return 0
            if asked:
                if _cached_collection(path) is None:
                    # A read cached on request: changes to its family drop it from now on.
                    self._opted.add(_family(path))
                return READ
            if _cached_collection(path) is None or _VOLATILE.search(path):
                return 0
            return READ
        if method == "POST" and (asked or (asked is None and path in _COMPUTATIONS)):
            return READ
        if asked:
            raise InvalidParameterError(
                "cache", f"a {method} changes data; its answer cannot be cached"
            )
        return MUTATE if _collection_of(path) is not None or self._opted_family(path) else 0

    def _opted_family(self, path: str) -> str | None:
        """The family of ``path`` (``/v1/audio`` for ``/v1/audio/voices/x``) when reads in it
        were cached on request."""
        opted = self._opted
        if not opted:
            return None
        family = _family(path)
        return family if family in opted else None

    def _key(
        self,
        base_url: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        query: Sequence[tuple[str, Any]] | None,
        body: bytes | None,
    ) -> str:
        """The entry key of a request: who asks (hashed), what, and a digest of the rest."""
        # Who asks and the other headers, hashed once per headers object: a client's
        # prepared headers are the same object on every call.
        memo = self._who.get(id(headers))
        if memo is None or memo[0] is not headers or memo[1] != base_url:
            memo = (headers, base_url, _who_and_headers(base_url, headers))
            if len(self._who) >= 256:
                self._who.clear()
            self._who[id(headers)] = memo
        who, what = memo[2]
        if query or body is not None:
            digest = hashlib.sha256(what.encode())
            if query:
                digest.update(dumps([[k, str(v)] for k, v in query], str))
            if body is not None:
                digest.update(b"\0body\0" + body)
            what = digest.hexdigest()[:32]
        return f"{who} {method} {path} {what}"

    async def _fetch(
        self, key: str, path: str, send: Callable[[], Awaitable[tuple[Entry, Any]]]
    ) -> tuple[Entry, Any]:
        """The cached answer of ``key``, or ``send()``'s (``(entry, result)``), stored.

        Returns ``(entry, result)``; ``result`` is ``NOT_GIVEN`` when the answer came
        from the cache or from an identical call in flight (the caller parses
        ``entry``). Concurrent identical misses make one ``send``.
        """
        entry = await self._lookup(key)
        if entry is not None:
            self._hits += 1
            return entry, NOT_GIVEN
        loop = asyncio.get_running_loop()
        while True:
            pending = self._inflight.get(key)
            if pending is None or pending[0] is not loop:
                break
            self._coalesced += 1
            try:
                return await asyncio.shield(pending[1]), NOT_GIVEN
            except _LeaderGone:
                continue  # the call we waited for was cancelled: send our own
        self._misses += 1
        future: asyncio.Future[Entry] = loop.create_future()
        self._inflight[key] = (loop, future)
        generation = self._generation
        try:
            entry, result = await send()
        except asyncio.CancelledError:
            future.set_exception(_LeaderGone())
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            if self._inflight.get(key, (None, None))[1] is future:
                del self._inflight[key]
        future.set_result(entry)
        if entry.status < 300 and entry.content and generation == self._generation:
            await self._store(key, path, entry)
        return entry, result

    async def _mutated(self, path: str) -> None:
        """A call changed the collection of ``path``: drop its cached reads."""
        collection = _collection_of(path) or self._opted_family(path)
        if collection is not None:
            await self.invalidate(prefix=collection)

    # -- storage ----------------------------------------------------------------------

    def _remember(
        self, call: CallKey, config: Any, key: str, cast: Callable[[Any], Any], raw: bool
    ) -> None:
        """``call`` (a method's arguments on ``config``) sends the request of entry ``key``."""
        if self._memory is None:
            return  # a backend's entries are fetched and parsed anyway
        calls = self._calls
        if len(calls) >= self.max_entries:
            calls.clear()
        calls[call] = (config, key, cast, raw)

    def _recall(
        self, call: CallKey, config: Any
    ) -> tuple[Entry, Callable[[Any], Any], bool] | None:
        """The in-memory hit of a method call seen before: ``(entry, cast, raw)``, counted.

        ``None`` when the call is new, or its entry is gone (expired, evicted, dropped by
        a mutation): the call then goes the whole way.
        """
        found = self._calls.get(call)
        if found is None or found[0] is not config:
            return None
        entry = self._peek(found[1])
        if entry is None:
            return None
        return entry, found[2], found[3]

    def _peek(self, key: str) -> Entry | None:
        """A hit from the in-memory store, counted (``None``: a miss, or not in memory)."""
        memory = self._memory
        if memory is None:
            return None
        found = memory._entries.get(key)
        if found is None:
            return None
        expires, entry = found
        if expires < time.monotonic():
            return None  # counted and dropped by _lookup
        memory._entries.move_to_end(key)
        self._hits += 1
        return entry

    async def _lookup(self, key: str) -> Entry | None:
        memory = self._memory
        if memory is not None:
            found = memory._entries.get(key)
            if found is None:
                return None
            expires, entry = found
            if expires < time.monotonic():
                del memory._entries[key]
                self._expirations += 1
                return None
            memory._entries.move_to_end(key)
            return entry
        backend = self.backend
        assert backend is not None
        try:
            data = await backend.get(key)
        except Exception as exc:  # noqa: BLE001 - a broken store must not break calls
            self._backend_failed("get", exc)
            return None
        if data is None:
            self._index.pop(key, None)
            return None
        try:
            return Entry.decode(data)
        except Exception as exc:  # noqa: BLE001 - a corrupt entry is a miss
            self._backend_failed("decode", exc)
            return None

    async def _store(self, key: str, path: str, entry: Entry) -> None:
        entry = Entry(
            entry.status,
            Headers([(k, v) for k, v in entry.headers.items() if k.lower() not in _NOT_STORED]),
            entry.content,
            entry.result if self.share_objects else NOT_GIVEN,
            entry.cast if self.share_objects else None,
        )
        self._stores += 1
        memory = self._memory
        if memory is not None:
            entries = memory._entries
            entries[key] = (time.monotonic() + self.ttl, entry)
            entries.move_to_end(key)
            while len(entries) > memory.max_entries:
                entries.popitem(last=False)
                self._evictions += 1
            return
        backend = self.backend
        assert backend is not None
        try:
            await backend.set(key, entry.encode(), self.ttl)
        except Exception as exc:  # noqa: BLE001 - a broken store must not break calls
            self._backend_failed("set", exc)
            return
        self._index[key] = path
        self._index.move_to_end(key)
        while len(self._index) > self.max_entries:
            self._index.popitem(last=False)

    async def _backend_delete(self, key: str) -> None:
        assert self.backend is not None
        try:
            await self.backend.delete(key)
        except Exception as exc:  # noqa: BLE001 - a broken store must not break calls
            self._backend_failed("delete", exc)

    def _backend_failed(self, what: str, exc: Exception) -> None:
        self._errors += 1
        log.warning("Response cache %s failed: %s: %s", what, type(exc).__name__, exc)


def _who_and_headers(base_url: str, headers: Mapping[str, str]) -> tuple[str, str]:
    """Digests of who sends ``headers`` (server and credentials) and of the others."""
    who = hashlib.sha256(base_url.encode())
    what = hashlib.sha256()
    for name, value in sorted(headers.items()):
        lowered = name.lower()
        if lowered in CREDENTIAL_HEADERS:
            who.update(b"\0" + lowered.encode() + b"\0" + value.encode())
        else:
            what.update(f"{lowered}\0{value}\n".encode())
    return who.hexdigest()[:32], what.hexdigest()[:32]


def _path_of(key: str) -> str:
    return key.split(" ", 3)[2]


def _family(path: str) -> str:
    """The first two segments of an API path: ``/v1/audio`` for ``/v1/audio/voices/x``."""
    return "/".join(path.split("/", 3)[:3])


def _collection_of(path: str) -> str | None:
    """The cached collection a mutation of ``path`` changes (``/v1/models`` for
    ``/v1/models/x`` and for ``/v1/fine_tuning/models/x``)."""
    for alias, collection in _ALIASES.items():
        if path.startswith(alias):
            return collection
    return _cached_collection(path)


def _cached_collection(path: str) -> str | None:
    """The collection whose reads are cached that ``path`` is in, if any."""
    for collection in _COLLECTIONS:
        if path.startswith(collection) and (
            len(path) == len(collection) or path[len(collection)] == "/"
        ):
            return collection
    return None
