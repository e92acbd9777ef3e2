"""What every resource shares: access to the client's session core, and typed casts."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

from .._converter import Model, converter
from .._pagination import AsyncPaginator
from .._types import NOT_GIVEN, REQUEST_OPTION_NAMES

if TYPE_CHECKING:
    from .._client import AsyncMistral
    from .._operation import Operation
    from .._streaming import AsyncStream
    from .._types import RequestOptions

__all__ = ["AsyncResource", "cast_to", "stream_twin"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
T = TypeVar("T")
P2 = TypeVar("P2")
S2 = TypeVar("S2")


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
        binary = op.kind == "binary"
        result: T = await client._core.request(
            client._config,
            op.method,
            path,
            op.cast,
            body=body,
            query=query,
            options=options,
            raw=client._raw and not binary and op.items is None,
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
