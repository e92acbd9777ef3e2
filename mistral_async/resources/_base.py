"""What every resource shares: access to the client's session core, and typed casts."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from .._converter import Model, converter
from .._types import NOT_GIVEN, REQUEST_OPTION_NAMES

if TYPE_CHECKING:
    from .._client import AsyncMistral
    from .._streaming import AsyncStream
    from .._types import RequestOptions

__all__ = ["AsyncResource", "cast_to", "stream_twin"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")
T = TypeVar("T")


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
    return {
        k: v
        for k, v in frame_locals.items()
        if v is not NOT_GIVEN and k != "self" and k != "options"
    }


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
    ) -> Any:
        client = self._client
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
