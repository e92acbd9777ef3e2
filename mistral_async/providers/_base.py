"""``ProviderClient``: the base of the cloud providers' async clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Self

from .._client import ApiKey, BaseAsyncClient
from .._errors import InvalidParameterError
from .._types import NOT_GIVEN, NotGiven, Timeout

if TYPE_CHECKING:
    from .._retry import RetryDelay

__all__ = ["ProviderClient"]


class ProviderClient(BaseAsyncClient):
    """A client whose URLs the provider decides (``route``) and whose 404s name the URL
    (subclasses pass ``session_core=provider_core(...)`` to ``BaseAsyncClient``)."""

    def with_options(
        self,
        *,
        api_key: ApiKey | None = None,
        admin_api_key: ApiKey | None = None,
        server_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | None = None,
        retry_delay: RetryDelay | NotGiven | None = NOT_GIVEN,
        retry_log_level: int | NotGiven | None = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        stream_timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A copy of this client with other defaults, sharing its connection pool and cache.

        ``api_key`` replaces the credential (a key, or a function returning a token);
        ``default_headers`` are added to this client's. The endpoint cannot change
        (``server_url`` raises: create another client), and provider clients have no admin
        key (``admin_api_key`` raises). Closing either closes the pool.
        """
        if server_url is not None:
            raise InvalidParameterError(
                "server_url", "a provider client's endpoint cannot change; create another client"
            )
        if admin_api_key is not None:
            raise InvalidParameterError(
                "admin_api_key", "provider clients have no admin operations, so no admin key"
            )
        return super().with_options(
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
            retry_log_level=retry_log_level,
            default_headers=default_headers,
            stream_timeout=stream_timeout,
        )
