"""What every resource shares: access to the client's session core, and typed casts."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Final, ParamSpec, TypeVar, overload

from .._converter import Model, converter
from .._json import fragment, plain_dumps, refuse
from .._pagination import AsyncPaginator
from .._types import CALL, NOT_GIVEN, REQUEST_OPTION_NAMES, CallKey

if TYPE_CHECKING:
    from .._client import AsyncMistral
    from .._operation import Operation
    from .._streaming import AsyncStream
    from .._types import RequestOptions

__all__ = ["AsyncResource", "cast_to", "recalled", "stream_twin"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
T = TypeVar("T")
P2 = TypeVar("P2")
S2 = TypeVar("S2")
AR = TypeVar("AR", bound="AsyncResource")


def cast_to(cls: Any) -> Callable[[Any], Any]:
    """The parse function for decoded JSON of type ``cls`` (hooks are built once, here)."""
    hook = converter.get_structure_hook(cls)
    return lambda data: hook(data, cls)


def body_of(request: Model) -> dict[str, Any]:
    """The JSON body of an attrs request object (parameters not given are left out)."""
    body: dict[str, Any] = converter.unstructure(request)
    return body


def params(frame_locals: dict[str, Any]) -> dict[str, Any]:
    """The parameters a method was given, from its ``locals()``.

    ``self``, the per-call options and parameters left at ``NOT_GIVEN`` are left out.
    """
    given = {k: v for k, v in frame_locals.items() if v is not NOT_GIVEN}
    given.pop("self", None)
    given.pop("options", None)
    return given


def split_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the per-call options (``timeout``, ``max_retries``...) out of a stream method's
    keyword arguments; what is left are the API's parameters."""
    return {k: kwargs.pop(k) for k in list(kwargs) if k in REQUEST_OPTION_NAMES}


_OPTIONS_BUT_CACHE: Final = REQUEST_OPTION_NAMES - {"cache"}
# Argument types whose checks depend on their JSON value alone.
_PLAIN: Final = frozenset({str, int, float, bool, type(None), list, tuple, dict})


def _model_text(value: Any) -> Any:
    """An attrs object in a call's key: ``@module.Class{fields}``, which no plain value
    encodes to (a bare ``@`` is not JSON), so it never matches a dict of the same fields."""
    if fragment is None or not isinstance(value, Model):
        return refuse(value)
    kind = type(value)
    name = f"@{kind.__module__}.{kind.__qualname__}".encode()
    return fragment(name + plain_dumps(value.to_dict()))


def _call_text(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bytes | None:
    """A method call as JSON, for the response cache to recall; ``None`` when it cannot be
    recalled: per-call options other than ``cache=``, or an argument whose checks depend
    on more than its value (NaN, an enum, a subclass...), which is checked on every call.
    attrs objects (with orjson) are keyed by their class and fields."""
    for value in (*args, *kwargs.values()):
        kind = type(value)
        if kind in _PLAIN:
            if kind is float and not math.isfinite(value):
                return None
        elif not isinstance(value, Model):
            return None
    if not _OPTIONS_BUT_CACHE.isdisjoint(kwargs):
        return None
    try:
        return plain_dumps((name, args, kwargs), _model_text)
    except (TypeError, ValueError):
        return None


def _recall(resource: AsyncResource, text: bytes | None, raw: bool) -> tuple[Any, CallKey | None]:
    """The cached answer of a call made before (or ``NOT_GIVEN``), and its key to set in
    ``CALL`` while the call runs the first time (``None``: do not record it)."""
    if text is None:
        return NOT_GIVEN, None
    config = resource._client._config
    call = (id(config), raw, text)
    found = config.cache._recall(call, config)
    if found is None:
        return NOT_GIVEN, call
    from .._session import _from_entry

    return _from_entry(*found), None


def recalled(
    fn: Callable[Concatenate[AR, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[AR, P], Coroutine[Any, Any, T]]:
    """Let a caching client answer a repeated call of this method from memory at once.

    For a method that makes one request. The first call runs in full (checks, body,
    request) and the session core records which cache entry it maps to; a later call
    with the same arguments on the same client skips straight to that entry while it is
    fresh (arguments that cannot be keyed, see ``_call_text``, are checked every time).
    Without a cache, or with tracing on, the method runs as written.
    """
    name = fn.__qualname__

    @functools.wraps(fn)
    async def call(self: AR, /, *args: P.args, **kwargs: P.kwargs) -> T:
        client = self._client
        config = client._config
        if config.cache is None or config.tracer is not None:
            return await fn(self, *args, **kwargs)
        found, key = _recall(self, _call_text(name, args, kwargs), client._raw)
        if found is not NOT_GIVEN:
            result: T = found
            return result
        return await _recorded(key, fn(self, *args, **kwargs))

    return call


async def _recorded(key: CallKey | None, call: Awaitable[T]) -> T:
    """Run a method call, with ``key`` in ``CALL`` for the session core to record."""
    if key is None:
        return await call
    token = CALL.set(key)
    try:
        return await call
    finally:
        CALL.reset(token)


def stream_twin(
    of: Callable[Concatenate[S, P], Awaitable[Any]],
) -> Callable[[Callable[..., R]], Callable[Concatenate[S, P], R]]:
    """Give a streaming method the same parameters as its non-streaming twin.

    The parameters are written once, on the twin; type checkers and ``help()`` see
    them on both.
    """

    def decorate(fn: Callable[..., R]) -> Callable[Concatenate[S, P], R]:
        signature = inspect.signature(of)
        returns = inspect.signature(fn).return_annotation
        fn.__signature__ = signature.replace(return_annotation=returns)  # type: ignore[attr-defined]
        return fn

    return decorate


class AsyncResource:
    """Base of the resource classes (``client.chat``, ``client.models``...)."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncMistral) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _request(
        self,
        method: str,
        path: str,
        cast: Callable[[Any], T],
        options: RequestOptions,
        *,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        form: list[tuple[str, Any]] | None = None,
        binary: bool = False,
        page: bool = False,
        accept: str | None = None,
    ) -> Any:
        client = self._client
        extra: dict[str, Any] = {} if accept is None else {"accept": accept}
        return await client._core.request(
            client._config,
            method,
            path,
            cast,
            body=body,
            query=query,
            form=form,
            options=options,
            # Pages feed paginators and downloads carry their own headers: never raw.
            raw=client._raw and not binary and not page,
            binary=binary,
            **extra,
        )

    async def _call(self, op: Operation[T], given: dict[str, Any]) -> T:
        """Make the call a generated method describes (``given``: its ``locals()``)."""
        client = self._client
        config = client._config
        binary = op.kind == "binary"
        raw = client._raw and not binary and op.items is None
        if config.cache is None or config.tracer is not None or binary:
            return await self._send(op, given, raw, binary)
        text = _call_text(f"{op.method} {op.path}", (), {**params(given), **given["options"]})
        found, key = _recall(self, text, raw)
        if found is not NOT_GIVEN:
            result: T = found
            return result
        return await _recorded(key, self._send(op, given, raw, binary))

    async def _send(self, op: Operation[T], given: dict[str, Any], raw: bool, binary: bool) -> T:
        options = given["options"]
        path, query, body, headers = op.build(given)
        client = self._client
        extra: dict[str, Any] = {}
        if op.auth != "bearer":
            extra["auth"] = op.auth
        if op.accept != "application/json":
            extra["accept"] = op.accept
        if headers:
            extra["headers"] = headers
        result: T = await client._core.request(
            client._config,
            op.method,
            path,
            op.cast,
            body=body,
            query=query,
            options=options,
            raw=raw,
            binary=binary,
            **extra,
        )
        return result

    def _page(self, op: Operation[P2], given: dict[str, Any]) -> AsyncPaginator[P2, Any]:
        """The paginator of a generated list method."""
        options = given["options"]
        names = [k for k in given if k != "self" and k != "options"]
        start = {k: given[k] for k in names if given[k] is not NOT_GIVEN}
        items = (op.items or "data").split(".")
        next_params = op.next_params
        assert next_params is not None

        async def fetch(params: dict[str, Any]) -> Any:
            call = dict.fromkeys(names, NOT_GIVEN)
            call.update(params)
            call["options"] = options  # kept out of the paginator's params (and its repr)
            return await self._call(op, call)

        def items_of(page: Any) -> list[Any]:
            for name in items:  # the list may sit one level down: "campaigns.results"
                page = getattr(page, name, None)
            return page or []

        return AsyncPaginator(fetch, start, items_of, next_params)

    @overload
    def _open(self, op: Operation[T], given: dict[str, Any]) -> AsyncStream[T]: ...
    @overload
    def _open(self, op: Operation[Any], given: dict[str, Any], stream_class: type[S2]) -> S2: ...
    def _open(self, op: Operation[Any], given: dict[str, Any], stream_class: Any = None) -> Any:
        """The stream of a generated streaming method (opened when entered or read)."""
        options = given["options"]
        path, query, body, headers = op.build(given)
        client = self._client
        extra: dict[str, Any] = {}
        if op.auth != "bearer":
            extra["auth"] = op.auth
        if headers:
            extra["headers"] = headers
        if query:
            extra["query"] = query
        if op.kind == "sse-resume":
            extra["resume"] = True
        if op.method != "POST":
            extra["method"] = op.method
        return client._core.stream(
            client._config,
            extra.pop("method", "POST"),
            path,
            op.cast,
            body=body,
            options=options,
            stream_class=stream_class,
            **extra,
        )

    def _stream(
        self,
        stream_class: type[AsyncStream[T]],
        path: str,
        cast: Callable[[Any], T],
        options: Mapping[str, Any],
        *,
        body: dict[str, Any] | None = None,
        form: list[tuple[str, Any]] | None = None,
    ) -> Any:
        """Open a stream lazily: a JSON ``body``, or a multipart ``form``."""
        client = self._client
        return client._core.stream(
            client._config,
            "POST",
            path,
            cast,
            body=body,
            form=form,
            options=options,  # type: ignore[arg-type]
            stream_class=stream_class,
        )
