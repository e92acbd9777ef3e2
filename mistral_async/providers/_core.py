"""What the cloud providers' clients share: the session core that names the URL of a 404.

A provider client builds its URLs itself (``ClientConfig.route``); when an endpoint answers
404 the usual cause is a wrong endpoint, API family, region or model, so the error says
which URL was tried (its scheme, host, path and ``api-version``; never a key).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
from yarl import URL

from .._errors import EndpointNotFoundError, NotFoundError
from .._session import SessionCore

__all__ = ["ProviderCore", "shown_url"]

_SHOWN_QUERY: Final = frozenset({"api-version"})

UrlHook = Callable[[URL], Awaitable[URL]]
"""Completes a routed URL just before it is sent (after the credentials were read)."""


def shown_url(url: URL) -> str:
    """``url`` as an error may show it: no user info, no fragment, and of the query only
    ``api-version`` (a query could carry anything a caller added)."""
    bare = url.with_user(None).with_fragment(None).with_query(None)
    kept = [(k, v) for k, v in url.query.items() if k in _SHOWN_QUERY]
    return str(bare.with_query(kept) if kept else bare)


class ProviderCore(SessionCore):
    """A :class:`SessionCore` whose 404s become :class:`EndpointNotFoundError` (with the URL),
    and whose URLs may be completed by ``url_hook`` just before they are sent."""

    __slots__ = ("_hint", "_url_hook")

    def __init__(
        self,
        *,
        hint: str,
        url_hook: UrlHook | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._hint = hint
        self._url_hook = url_hook

    async def send(
        self, method: str, url: URL, *args: Any, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        """Send as :meth:`SessionCore.send` does; a 404 names the URL that was tried."""
        if self._url_hook is not None:
            url = await self._url_hook(url)
        try:
            return await super().send(method, url, *args, **kwargs)
        except NotFoundError as exc:
            if isinstance(exc, EndpointNotFoundError):
                raise
            raise EndpointNotFoundError.wrap(exc, method, shown_url(url), self._hint) from None


def provider_core(hint: str, url_hook: UrlHook | None = None) -> Callable[..., ProviderCore]:
    """The ``session_core`` of a provider client: a :class:`ProviderCore` with ``hint``
    (what to check when an endpoint is not found) and ``url_hook`` bound."""
    return functools.partial(ProviderCore, hint=hint, url_hook=url_hook)
