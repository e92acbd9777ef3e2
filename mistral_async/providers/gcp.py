"""``AsyncMistralGCP``: Mistral models on Google Cloud Vertex AI.

Every operation is a ``rawPredict`` (``streamRawPredict`` for streams) of the model::

    https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{region}
        /publishers/mistralai/models/{model}:rawPredict

(``region="global"``: the host is ``aiplatform.googleapis.com``). The body is the Mistral
API's own. Requests carry ``Authorization: Bearer <access token>``: a token you give, or
one from Google credentials (Application Default Credentials by default), renewed ahead of
expiry in a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib.util
import logging
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from .._client import ApiKey
from .._errors import CredentialsError, InvalidParameterError
from .._resource_slot import ResourceSlot
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven, Timeout
from ._base import ProviderClient
from ._core import provider_core

if TYPE_CHECKING:
    import aiohttp

    from .._cache import Cache
    from .._raw import AsyncMistralGCPWithRawResponse
    from .._retry import RetryDelay
    from ..resources.chat import AsyncChat
    from ..resources.fim import AsyncFim
    from ..resources.ocr import AsyncOcr

__all__ = ["CLOUD_PLATFORM_SCOPE", "AsyncMistralGCP", "GoogleTokenSource"]

log: Final = logging.getLogger("mistral_async")

CLOUD_PLATFORM_SCOPE: Final = "https://www.googleapis.com/auth/cloud-platform"
"""The OAuth scope Vertex AI wants; asked for when credentials are loaded from ADC."""

_REGION: Final = re.compile(r"[a-z]+(?:-[a-z]+)*[0-9]+|global|us|eu")
_PROJECT: Final = re.compile(r"[a-z0-9][a-z0-9.:-]{0,99}")
# Operations Vertex serves, all through rawPredict of the model named in the body.
_OPERATIONS: Final = frozenset({"/v1/chat/completions", "/v1/fim/completions", "/v1/ocr"})
# The project segment of URLs routed before the credentials named the project (ADC): it
# is filled in just before sending, once the credentials are loaded. No project id can
# encode to it (a NUL).
_PENDING_PROJECT: Final = "%00"


class GoogleTokenSource:
    """Access tokens of Google credentials (``google-auth``), for :class:`AsyncMistralGCP`.

    An async callable: ``await source()`` gives a valid token. The credentials are loaded
    (Application Default Credentials, unless ``credentials`` is given) and refreshed in a
    worker thread, never on the event loop: a refresh starts when the token is missing or
    expires within ``refresh_margin`` seconds, and concurrent callers wait for that one
    refresh. Nothing happens before the first call (``google-auth`` is imported then).

    Pass one as ``access_token=`` to share credentials between clients.
    """

    def __init__(
        self,
        credentials: Any = None,
        *,
        scopes: tuple[str, ...] = (CLOUD_PLATFORM_SCOPE,),
        refresh_margin: float = 300.0,
    ) -> None:
        if credentials is not None and not callable(getattr(credentials, "refresh", None)):
            raise InvalidParameterError(
                "credentials", "must be google.auth credentials (an object with refresh())"
            )
        if isinstance(refresh_margin, bool) or not isinstance(refresh_margin, int | float):
            raise InvalidParameterError("refresh_margin", "must be a number of seconds")
        if refresh_margin < 0:
            raise InvalidParameterError("refresh_margin", "must be >= 0")
        self._credentials = credentials
        self._scopes = scopes
        self._margin = datetime.timedelta(seconds=refresh_margin)
        self._project: str | None = _credentials_project(credentials)
        self._pending: asyncio.Future[str] | None = None
        self.refreshes = 0
        """How many times the credentials were refreshed (for monitoring and tests)."""

    @property
    def project_id(self) -> str | None:
        """The project the credentials belong to, when they name one (known once loaded)."""
        return self._project

    @property
    def credentials(self) -> Any:
        """The google-auth credentials (``None`` until ADC are loaded by the first call)."""
        return self._credentials

    def __repr__(self) -> str:
        kind = type(self._credentials).__name__ if self._credentials is not None else "ADC"
        return f"<GoogleTokenSource {kind} project={self._project!r}>"

    async def __call__(self) -> str:
        credentials = self._credentials
        if credentials is not None and self._fresh(credentials):
            token: str = credentials.token
            return token
        loop = asyncio.get_running_loop()
        pending = self._pending
        if pending is None or pending.done() or pending.get_loop() is not loop:
            # One renewal at a time; it runs in a worker thread and is shielded, so that a
            # cancelled caller neither cancels it nor lets a second one start meanwhile.
            pending = self._pending = asyncio.ensure_future(asyncio.to_thread(self._renew))
            pending.add_done_callback(_consume)
        return await asyncio.shield(pending)

    def _fresh(self, credentials: Any) -> bool:
        token = getattr(credentials, "token", None)
        if not token:
            return False
        expiry = getattr(credentials, "expiry", None)
        if expiry is None:
            return True
        now = datetime.datetime.now(datetime.UTC)
        if expiry.tzinfo is None:  # google-auth keeps naive UTC datetimes
            now = now.replace(tzinfo=None)
        remaining: datetime.timedelta = expiry - now
        return remaining > self._margin

    def _renew(self) -> str:
        """Load (ADC) and refresh the credentials; runs in a worker thread."""
        try:
            import google.auth
            import google.auth.exceptions
        except ImportError:
            raise CredentialsError(
                "Google credentials need the google-auth package: pip install 'mistral-async[gcp]'"
            ) from None
        try:
            credentials = self._credentials
            if credentials is None:
                credentials, project = google.auth.default(scopes=list(self._scopes))
                self._project = self._project or project or _credentials_project(credentials)
                self._credentials = credentials
            if not self._fresh(credentials):
                credentials.refresh(_transport_request())
                self.refreshes += 1
                log.debug("Refreshed the Google Cloud access token")
        except google.auth.exceptions.GoogleAuthError as exc:
            raise CredentialsError(
                f"Google credentials failed: {type(exc).__name__}: {exc}"
            ) from None
        token = getattr(credentials, "token", None)
        if not isinstance(token, str) or not token:
            raise CredentialsError("the Google credentials gave no access token after refresh")
        return token

    async def project(self) -> str | None:
        """The credentials' project, loading ADC first (in a worker thread) when needed."""
        if self._credentials is None:
            await self()
        return self._project


def _consume(future: asyncio.Future[str]) -> None:
    # A renewal whose every caller was cancelled must not log "exception never retrieved".
    if not future.cancelled():
        future.exception()


def _credentials_project(credentials: Any) -> str | None:
    project = getattr(credentials, "project_id", None)
    return project if isinstance(project, str) and project else None


def _transport_request() -> Any:
    try:
        from google.auth.transport.requests import Request
    except ImportError:
        raise CredentialsError(
            "refreshing Google credentials needs the requests package: "
            "pip install 'mistral-async[gcp]'"
        ) from None
    return Request()


def vertex_base_url(region: str) -> str:
    """The Vertex AI host of ``region`` (``global``: ``aiplatform.googleapis.com``)."""
    if region == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{region}-aiplatform.googleapis.com"


class AsyncMistralGCP(ProviderClient):
    """The asynchronous client of Mistral models on Google Cloud Vertex AI.

    ::

        async with AsyncMistralGCP(project_id="my-project", region="europe-west4") as client:
            r = await client.chat.complete(model="mistral-small-2503",
                                           messages=[{"role": "user", "content": "Hi"}])

    ``chat``, ``fim`` and ``ocr`` are those of :class:`~mistral_async.AsyncMistral` (same
    parameters, types, streams, retries, errors, raw responses); the model named in each
    call goes into the URL. Operations Vertex AI does not serve are absent.

    Args:
        project_id: The Google Cloud project. Defaults to the ``GOOGLE_CLOUD_PROJECT``
            environment variable, then to the project of the credentials.
        region: The Vertex AI region (``"europe-west4"``, ``"us-central1"``...) or
            ``"global"``. Defaults to the ``GOOGLE_CLOUD_REGION`` environment variable.
        access_token: An OAuth access token, or a function (plain or async) returning one,
            called per request (your own token flow, or a :class:`GoogleTokenSource`).
        credentials: google-auth credentials to take tokens from (refreshed ahead of
            expiry, in a worker thread). With neither this nor ``access_token``,
            Application Default Credentials are used (needs ``mistral-async[gcp]``),
            loaded on the first request.
        server_url: Another base URL than the region's Vertex AI host (a Private Service
            Connect endpoint, a gateway, a local fake).

    The other arguments are those of :class:`~mistral_async.AsyncMistral` (``timeout``,
    ``max_retries``, ``http_session``...).
    """

    chat: ResourceSlot[AsyncChat] = ResourceSlot(".resources.chat:AsyncChat")
    fim: ResourceSlot[AsyncFim] = ResourceSlot(".resources.fim:AsyncFim")
    ocr: ResourceSlot[AsyncOcr] = ResourceSlot(".resources.ocr:AsyncOcr")

    def __init__(
        self,
        *,
        project_id: str | None = None,
        region: str | None = None,
        access_token: ApiKey | None = None,
        credentials: Any = None,
        server_url: str | None = None,
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
        if region is None:
            region = os.environ.get("GOOGLE_CLOUD_REGION") or None
            if region is None:
                raise InvalidParameterError(
                    "region",
                    "no region: pass region= (such as 'europe-west4' or 'global') or set "
                    "GOOGLE_CLOUD_REGION",
                )
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            raise InvalidParameterError(
                "region",
                f"must be a Vertex AI region such as 'europe-west4', 'us-central1' or "
                f"'global', not {region!r}",
            )
        if project_id is None:
            project_id = os.environ.get("GOOGLE_CLOUD_PROJECT") or None
        if project_id is not None and (
            not isinstance(project_id, str) or not _PROJECT.fullmatch(project_id)
        ):
            raise InvalidParameterError(
                "project_id", f"must be a Google Cloud project id, not {project_id!r}"
            )
        if access_token is not None and credentials is not None:
            raise InvalidParameterError("credentials", "give access_token or credentials, not both")
        source: GoogleTokenSource | None = None
        token: ApiKey
        if access_token is not None:
            token = access_token
            if isinstance(access_token, GoogleTokenSource):
                source = access_token
        else:
            if credentials is None and importlib.util.find_spec("google.auth") is None:
                raise InvalidParameterError(
                    "access_token",
                    "no credentials: pass access_token= or credentials=, or install "
                    "'mistral-async[gcp]' (google-auth) for Application Default Credentials",
                )
            source = token = GoogleTokenSource(credentials)
        if project_id is None and source is not None:
            project_id = source.project_id
        if project_id is None and (source is None or source.credentials is not None):
            raise InvalidParameterError(
                "project_id",
                "no project: pass project_id= or set GOOGLE_CLOUD_PROJECT (these credentials "
                "do not name one)",
            )
        self._project = project_id
        self._region = region
        self._token_source = source
        base = (server_url if server_url is not None else vertex_base_url(region)).rstrip("/")
        location = path_param("region", region)
        project_segment = [path_param("project_id", project_id) if project_id else None]

        def route(method: str, path: str, body: Any, stream: bool) -> URL:
            if path not in _OPERATIONS:
                raise InvalidParameterError(
                    "path",
                    f"Vertex AI serves chat, FIM and OCR (through rawPredict), not {method} {path}",
                )
            model = body.get("model") if isinstance(body, Mapping) else None
            if not isinstance(model, str) or not model:
                raise InvalidParameterError(
                    "model", "is required on Vertex AI (it names the endpoint), as a string"
                )
            action = "streamRawPredict" if stream else "rawPredict"
            project = project_segment[0] or _PENDING_PROJECT
            return URL(
                f"{base}/v1/projects/{project}/locations/{location}/publishers/mistralai/"
                f"models/{path_param('model', model)}:{action}",
                encoded=True,
            )

        async def url_hook(url: URL) -> URL:
            if project_segment[0] is not None or f"/projects/{_PENDING_PROJECT}/" not in (
                url.raw_path
            ):
                return url
            assert source is not None
            project = await source.project()
            if project is None:
                raise InvalidParameterError(
                    "project_id",
                    "no project: the Application Default Credentials do not name one; "
                    "pass project_id= or set GOOGLE_CLOUD_PROJECT",
                )
            self._project = project
            project_segment[0] = path_param("project_id", project)
            text = str(url).replace(
                f"/projects/{_PENDING_PROJECT}/", f"/projects/{project_segment[0]}/", 1
            )
            return URL(text, encoded=True)

        super().__init__(
            base_url=base,
            api_key=token,
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
            session_core=provider_core(
                "check the project, the region and the model name (is it enabled in Model "
                "Garden for this project and region?)",
                None if project_id is not None else url_hook,
            ),
        )

    @property
    def project_id(self) -> str | None:
        """The Google Cloud project (``None`` until ADC name it, on the first request)."""
        return self._project

    @property
    def region(self) -> str:
        """The Vertex AI region."""
        return self._region

    @property
    def token_source(self) -> GoogleTokenSource | None:
        """Where tokens come from when they come from Google credentials (else ``None``)."""
        return self._token_source

    @property
    def with_raw_response(self) -> AsyncMistralGCPWithRawResponse:
        """The same client, whose methods return a :class:`RawResponse` (see
        :attr:`AsyncMistral.with_raw_response <mistral_async.AsyncMistral.with_raw_response>`)."""
        clone: AsyncMistralGCPWithRawResponse = self._raw_clone()
        return clone

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={self.base_url!r} project_id={self._project!r} "
            f"region={self._region!r}>"
        )
