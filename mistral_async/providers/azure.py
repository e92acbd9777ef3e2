"""``AsyncMistralAzure``: Mistral models deployed on Microsoft Azure AI Foundry.

Two URL families serve them:

- **Foundry** resources (``https://<resource>.services.ai.azure.com``, also reached as
  ``*.cognitiveservices.azure.com`` or ``*.openai.azure.com``): chat at
  ``/models/chat/completions``, OCR at ``/providers/mistral/azure/ocr``. The key goes in an
  ``api-key`` header (Azure AI Model Inference API).
- **Serverless** (pay-as-you-go) endpoints (``https://<deployment>.<region>.models.ai.azure.com``):
  chat at ``/v1/chat/completions``, OCR at ``/v1/ocr``. The key goes in
  ``Authorization: Bearer <key>`` (as Mistral's Azure documentation shows).

Both get the ``api-version`` query parameter on every request, and both accept a Microsoft
Entra ID token (``Authorization: Bearer <token>``) instead of a key.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import parse_qsl, quote, urlsplit

from yarl import URL

from .._client import ApiKey
from .._errors import InvalidParameterError
from .._resource_slot import ResourceSlot
from .._types import NOT_GIVEN, NotGiven, Timeout
from ._base import ProviderClient
from ._core import provider_core

if TYPE_CHECKING:
    import aiohttp

    from .._cache import Cache
    from .._raw import AsyncMistralAzureWithRawResponse
    from .._retry import RetryDelay
    from ..resources.chat import AsyncChat
    from ..resources.ocr import AsyncOcr

__all__ = ["DEFAULT_AZURE_API_VERSION", "AsyncMistralAzure", "AzureApiFamily"]

AzureApiFamily = Literal["foundry", "serverless"]
"""The two URL families of Mistral models on Azure (see :class:`AsyncMistralAzure`)."""

DEFAULT_AZURE_API_VERSION: Final = "2024-05-01-preview"
"""The ``api-version`` sent when none is given: the Azure AI Model Inference API version
Mistral's models on Azure are documented with."""

_FOUNDRY_HOSTS: Final = (
    ".services.ai.azure.com",
    ".cognitiveservices.azure.com",
    ".openai.azure.com",
)
_SERVERLESS_HOSTS: Final = (".models.ai.azure.com", ".inference.ai.azure.com")
# Operation suffixes of a pasted "Target URI", longest first, with the family they imply.
_OPERATIONS: Final[tuple[tuple[str, AzureApiFamily | None], ...]] = (
    ("/providers/mistral/azure/ocr", "foundry"),
    ("/chat/completions", None),
    ("/fim/completions", None),
    ("/ocr", None),
)
_FAMILY_PREFIXES: Final[tuple[tuple[str, AzureApiFamily], ...]] = (
    ("/models", "foundry"),
    ("/v1", "serverless"),
)
_PATHS: Final[dict[AzureApiFamily, dict[str, str]]] = {
    "foundry": {
        "/v1/chat/completions": "/models/chat/completions",
        "/v1/ocr": "/providers/mistral/azure/ocr",
    },
    "serverless": {
        "/v1/chat/completions": "/v1/chat/completions",
        "/v1/ocr": "/v1/ocr",
    },
}
_API_VERSION: Final = re.compile(r"[A-Za-z0-9._-]+")


def parse_endpoint(
    endpoint: str, api_family: AzureApiFamily | None
) -> tuple[str, AzureApiFamily, str | None]:
    """``(base URL, family, api-version found in the URL)`` of an endpoint or Target URI.

    The operation suffix (``/chat/completions``, ``/ocr``...) and the family's own prefix
    (``/models``, ``/v1``) are removed; what is left of the path (a gateway's prefix) stays.
    """
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise InvalidParameterError("endpoint", f"must be a non-empty URL string, not {endpoint!r}")
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError(
            "endpoint",
            f"must be an http(s) URL such as https://<resource>.services.ai.azure.com, "
            f"not {_safe(endpoint)!r}",
        )
    if parts.username or parts.password:
        raise InvalidParameterError("endpoint", "must not carry credentials (user:password@)")
    if parts.fragment:
        raise InvalidParameterError("endpoint", "must not have a #fragment")
    version = None
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "api-version":
            raise InvalidParameterError(
                "endpoint",
                f"has a query parameter {name!r}; only api-version is understood "
                "(pass other parameters with extra_query=)",
            )
        version = value
    path = parts.path.rstrip("/")
    hinted: AzureApiFamily | None = None
    for suffix, family in _OPERATIONS:
        if path.endswith(suffix):
            path, hinted = path[: -len(suffix)], family
            break
    for prefix, family in _FAMILY_PREFIXES:
        if path.endswith(prefix):
            path, hinted = path[: -len(prefix)], hinted or family
            break
    path = path.rstrip("/")
    host = parts.hostname.lower()
    by_host: AzureApiFamily | None = None
    if host.endswith(_FOUNDRY_HOSTS):
        by_host = "foundry"
    elif host.endswith(_SERVERLESS_HOSTS):
        by_host = "serverless"
    if api_family is not None:
        if api_family not in _PATHS:
            raise InvalidParameterError(
                "api_family", f"must be 'foundry' or 'serverless', not {api_family!r}"
            )
        family = api_family
    elif by_host is not None:
        family = by_host
    elif hinted is not None:
        family = hinted
    else:
        raise InvalidParameterError(
            "api_family",
            f"cannot tell the API family of {_safe(endpoint)!r} from its host: pass "
            "api_family='foundry' (paths /models/..., /providers/mistral/azure/ocr) or "
            "'serverless' (paths /v1/...)",
        )
    base = f"{parts.scheme}://{parts.netloc}{path}"
    return base, family, version


def _safe(endpoint: str) -> str:
    """The endpoint for an error message: without user info or query."""
    try:
        parts = urlsplit(endpoint.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<an invalid URL>"
    return f"{parts.scheme}://{host}{port}{parts.path}"


class AsyncMistralAzure(ProviderClient):
    """The asynchronous client of Mistral models on Azure AI Foundry.

    ::

        async with AsyncMistralAzure(endpoint="https://my-res.services.ai.azure.com",
                                     api_key="...") as client:
            r = await client.chat.complete(model="mistral-medium-2505",
                                           messages=[{"role": "user", "content": "Hi"}])

    ``chat`` and ``ocr`` are those of :class:`~mistral_async.AsyncMistral` (same parameters,
    types, streams, retries, errors, raw responses); operations Azure does not serve are
    absent. ``request()`` reaches any other path of the endpoint (``/v1/...`` paths become
    ``/models/...`` on Foundry), with ``api-version``.

    Args:
        endpoint: The resource or deployment URL, or the operation's "Target URI" pasted
            from the portal (``.../models/chat/completions?api-version=...``,
            ``.../v1/ocr``): the operation and the ``/models`` or ``/v1`` prefix are removed.
            Defaults to the ``AZURE_ENDPOINT`` environment variable.
        api_key: The key, or a function (plain or async) returning it. Defaults to the
            ``AZURE_API_KEY`` environment variable. Foundry resources get it as
            ``api-key: <key>``, serverless endpoints as ``Authorization: Bearer <key>``.
        azure_ad_token_provider: Instead of a key, a function (plain or async) returning a
            Microsoft Entra ID access token (scope ``https://cognitiveservices.azure.com/.default``),
            called per request and sent as ``Authorization: Bearer <token>``; for example
            ``azure.identity.get_bearer_token_provider(credential, scope)``.
        api_family: ``"foundry"`` or ``"serverless"``; by default told from the host
            (``*.services.ai.azure.com``, ``*.cognitiveservices.azure.com``,
            ``*.openai.azure.com``: Foundry; ``*.models.ai.azure.com``: serverless), then
            from a pasted path (``/models``: Foundry, ``/v1``: serverless).
        api_version: The ``api-version`` query parameter sent with every request (default
            :data:`DEFAULT_AZURE_API_VERSION`, or the one in a pasted Target URI).

    The other arguments are those of :class:`~mistral_async.AsyncMistral` (``timeout``,
    ``max_retries``, ``http_session``...).
    """

    chat: ResourceSlot[AsyncChat] = ResourceSlot(".resources.chat:AsyncChat")
    ocr: ResourceSlot[AsyncOcr] = ResourceSlot(".resources.ocr:AsyncOcr")

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        api_key: ApiKey | None = None,
        azure_ad_token_provider: ApiKey | None = None,
        api_family: AzureApiFamily | None = None,
        api_version: str | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = 2,
        retry_delay: RetryDelay | None = None,
        retry_log_level: int | None = logging.INFO,
        default_headers: Mapping[str, str] | None = None,
        stream_timeout: float | None = 60.0,
        cache: bool | Cache | None = None,
        tracing: bool | None = None,
        tracer_provider: Any = None,
        trace_content: bool | None = None,
        trust_env: bool = False,
        ssl: Any = True,
        proxy: str | None = None,
        connection_limit: int = 100,
        http_session: aiohttp.ClientSession | None = None,
    ) -> None:
        if endpoint is None:
            endpoint = os.environ.get("AZURE_ENDPOINT") or None
            if endpoint is None:
                raise InvalidParameterError(
                    "endpoint",
                    "no endpoint: pass endpoint= or set the AZURE_ENDPOINT environment variable",
                )
        base, family, url_version = parse_endpoint(endpoint, api_family)
        if api_version is None:
            api_version = url_version or DEFAULT_AZURE_API_VERSION
        elif url_version is not None and url_version != api_version:
            raise InvalidParameterError(
                "api_version",
                f"{api_version!r} differs from the endpoint's api-version {url_version!r}; "
                "give one of them",
            )
        if not isinstance(api_version, str) or not _API_VERSION.fullmatch(api_version):
            raise InvalidParameterError(
                "api_version",
                f"must be a version string such as '2024-05-01-preview', not {api_version!r}",
            )
        if api_key is not None and azure_ad_token_provider is not None:
            raise InvalidParameterError(
                "azure_ad_token_provider", "give api_key or azure_ad_token_provider, not both"
            )
        key_header = "Authorization"
        credential: ApiKey | None = azure_ad_token_provider
        if azure_ad_token_provider is not None:
            if not callable(azure_ad_token_provider):
                raise InvalidParameterError(
                    "azure_ad_token_provider",
                    "must be a function (plain or async) returning an Entra ID token",
                )
        else:
            credential = api_key if api_key is not None else os.environ.get("AZURE_API_KEY") or None
            if credential is None:
                raise InvalidParameterError(
                    "api_key",
                    "no credentials: pass api_key= (or set AZURE_API_KEY), or "
                    "azure_ad_token_provider=",
                )
            if family == "foundry":
                key_header = "api-key"
        self._family: AzureApiFamily = family
        self._api_version = api_version
        self._entra = azure_ad_token_provider is not None
        query = "?api-version=" + quote(api_version, safe="")
        paths = _PATHS[family]
        known = {path: URL(base + target + query, encoded=True) for path, target in paths.items()}

        def route(method: str, path: str, body: Any, stream: bool) -> URL:
            url = known.get(path)
            if url is not None:
                return url
            target = path
            if family == "foundry" and path.startswith("/v1/"):
                target = "/models/" + path[len("/v1/") :]
            # request() paths may carry their own query: api-version joins it.
            joiner = "&" if "?" in target else "?"
            return URL(base + target + joiner + query[1:], encoded=True)

        super().__init__(
            base_url=base,
            api_key=credential,
            timeout=timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
            retry_log_level=retry_log_level,
            default_headers=default_headers,
            stream_timeout=stream_timeout,
            cache=cache,
            tracing=tracing,
            tracer_provider=tracer_provider,
            trace_content=trace_content,
            trust_env=trust_env,
            ssl=ssl,
            proxy=proxy,
            connection_limit=connection_limit,
            http_session=http_session,
            route=route,
            key_header=key_header,
            session_core=provider_core(
                "check the endpoint, the deployment (model) name and api_family "
                f"(this client uses the {family} paths)"
            ),
        )

    @property
    def api_family(self) -> AzureApiFamily:
        """``"foundry"`` or ``"serverless"``: the URL family this client uses."""
        return self._family

    @property
    def api_version(self) -> str:
        """The ``api-version`` sent with every request."""
        return self._api_version

    @property
    def with_raw_response(self) -> AsyncMistralAzureWithRawResponse:
        """The same client, whose methods return a :class:`RawResponse` (see
        :attr:`AsyncMistral.with_raw_response <mistral_async.AsyncMistral.with_raw_response>`)."""
        clone: AsyncMistralAzureWithRawResponse = self._raw_clone()
        return clone

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={self.base_url!r} api_family={self._family!r} "
            f"api_version={self._api_version!r}>"
        )
