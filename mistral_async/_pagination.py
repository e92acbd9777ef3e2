"""List endpoints: await for one page, or iterate every item across pages.

::

    page = await client.files.list(page_size=50)        # one page object, as the API sends it
    async for file in client.files.list():              # every item, fetching pages as needed
        ...
    async for page in client.files.list().pages():      # page by page
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPaginator", "by_cursor", "by_offset", "by_page_number"]

P = TypeVar("P")
I = TypeVar("I")  # noqa: E741 - the item type, as in the typing docs

NextParams = Callable[[Any, dict[str, Any], int], "dict[str, Any] | None"]


def by_page_number(page: str = "page", size: str = "page_size", start: int = 0) -> NextParams:
    """Paging by number: ask for the next page until one comes back short or empty."""

    def next_params(result: Any, params: dict[str, Any], count: int) -> dict[str, Any] | None:
        if count == 0:
            return None
        wanted = params.get(size)
        if isinstance(wanted, int) and count < wanted:
            return None
        total = getattr(result, "total", None)
        current = params.get(page, start)
        if isinstance(total, int) and isinstance(wanted, int) and (current + 1) * wanted >= total:
            return None
        return {**params, page: current + 1}

    return next_params


def by_cursor(field: str = "next_page_token", param: str = "page_token") -> NextParams:
    """Paging by cursor: follow ``result.<field>`` until it is empty.

    ``field`` may be dotted (``"pagination.next_cursor"``) for a cursor nested in the page.
    """
    path = field.split(".")

    def next_params(result: Any, params: dict[str, Any], count: int) -> dict[str, Any] | None:
        token = result
        for part in path:
            token = token.get(part) if isinstance(token, dict) else getattr(token, part, None)
        if not token or count == 0 or token == params.get(param):
            return None
        return {**params, param: token}

    return next_params


def by_offset(offset: str = "offset", limit: str = "limit") -> NextParams:
    """Paging by offset: move ``offset`` past the items received until a page is short."""

    def next_params(result: Any, params: dict[str, Any], count: int) -> dict[str, Any] | None:
        if count == 0:
            return None
        wanted = params.get(limit)
        if isinstance(wanted, int) and count < wanted:
            return None
        total = getattr(result, "total", None)
        current = params.get(offset, 0)
        if isinstance(total, int) and current + count >= total:
            return None
        return {**params, offset: current + count}

    return next_params


class AsyncPaginator(Generic[P, I]):
    """What a list method returns: awaitable (one page) and async-iterable (every item).

    ``await paginator`` gives the first page requested, as the API's page object (with
    its ``data``, ``total``...); ``async for item in paginator`` walks every item of
    every page; :meth:`pages` walks the pages. Nothing is sent before one of these.
    """

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Awaitable[P]],
        params: dict[str, Any],
        items: Callable[[P], list[I]],
        next_params: NextParams,
    ) -> None:
        self._fetch = fetch
        self._params = params
        self._items = items
        self._next_params = next_params

    def __await__(self) -> Generator[Any, None, P]:
        return self._fetch(dict(self._params)).__await__()

    async def first_page(self) -> P:
        """The first page (the same as ``await paginator``)."""
        return await self._fetch(dict(self._params))

    async def pages(self) -> AsyncIterator[P]:
        """Every page, fetched one after the other."""
        params: dict[str, Any] | None = dict(self._params)
        while params is not None:
            result = await self._fetch(params)
            yield result
            params = self._next_params(result, params, len(self._items(result)))

    async def _walk(self) -> AsyncIterator[I]:
        async for page in self.pages():
            for item in self._items(page):
                yield item

    def __aiter__(self) -> AsyncIterator[I]:
        return self._walk()

    def __repr__(self) -> str:
        return f"<AsyncPaginator params={self._params!r}>"
