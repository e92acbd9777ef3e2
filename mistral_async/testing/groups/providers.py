"""The cloud providers' URL shapes and auth, routed onto the ordinary chat, FIM and OCR handlers.

So that provider code can be tested offline, the fake server also answers as:

- **Azure Foundry** (at the server's root, ``endpoint=fake.url, api_family="foundry"``):
  ``POST /models/chat/completions`` and ``POST /providers/mistral/azure/ocr``;
- **Azure serverless** (under ``/azure-serverless``, ``endpoint=fake.url +
  "/azure-serverless", api_family="serverless"``): ``POST /v1/chat/completions`` and
  ``POST /v1/ocr``;
- **Vertex AI** (``server_url=fake.url``): ``POST /v1/projects/{project}/locations/
  {region}/publishers/mistralai/models/{model}:rawPredict`` (``:streamRawPredict`` for
  streams), dispatched on the body: ``messages`` → chat, ``prompt`` → FIM, ``document``
  → OCR.

Azure routes want an ``api-version`` query parameter (400 without it) and either the key
(``api-key: <key>`` or ``Authorization: Bearer <key>``) or an Entra ID token
(``Authorization: Bearer <token>``). Vertex routes want ``Authorization: Bearer <token>``
with a known access token, and the body's ``model`` (when given) must be the path's. The
accepted credentials are the server's :class:`CloudAuth` state
(``fake.state(CloudAuth)``), which tests may change.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from .._app import Call, FakeApp
from . import chat as chat_group
from . import ocr as ocr_group

__all__ = [
    "AZURE_SERVERLESS_PREFIX",
    "DEFAULT_AZURE_API_KEY",
    "DEFAULT_AZURE_TOKEN",
    "DEFAULT_GCP_TOKEN",
    "CloudAuth",
    "register",
]

AZURE_SERVERLESS_PREFIX: Final = "/azure-serverless"
"""Where the Azure serverless paths are served (they would clash with Mistral's own)."""
DEFAULT_AZURE_API_KEY: Final = "fake-azure-key"
DEFAULT_AZURE_TOKEN: Final = "fake-entra-token"  # noqa: S105 - a fake server's token
DEFAULT_GCP_TOKEN: Final = "fake-gcp-token"  # noqa: S105 - a fake server's token

Handler = Callable[[Call], Awaitable[web.StreamResponse]]


class CloudAuth:
    """The credentials the provider routes accept (per server; ``fake.reset()`` restores them).

    ``azure_api_key``: the Azure key; ``azure_tokens``: accepted Entra ID tokens;
    ``gcp_tokens``: accepted Google access tokens. Add tokens to the sets to accept more.
    """

    def __init__(self) -> None:
        self.azure_api_key = DEFAULT_AZURE_API_KEY
        self.azure_tokens: set[str] = {DEFAULT_AZURE_TOKEN}
        self.gcp_tokens: set[str] = {DEFAULT_GCP_TOKEN}


def register(app: FakeApp) -> None:
    """Add the Azure (Foundry and serverless) and Vertex AI routes."""
    app.route("POST", "/models/chat/completions", _azure(chat_group.chat), auth="none")
    app.route("POST", "/providers/mistral/azure/ocr", _azure(ocr_group.ocr), auth="none")
    serverless = AZURE_SERVERLESS_PREFIX
    app.route("POST", f"{serverless}/v1/chat/completions", _azure(chat_group.chat), auth="none")
    app.route("POST", f"{serverless}/v1/ocr", _azure(ocr_group.ocr), auth="none")
    app.route(
        "POST",
        "/v1/projects/{project}/locations/{region}/publishers/mistralai/models/{model_action}",
        _vertex,
        auth="none",
    )


def _bearer(call: Call) -> str | None:
    scheme, _, token = call.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _unauthorized(call: Call) -> web.StreamResponse:
    return call.error(401, "Unauthorized", type="authentication_error")


def _azure(handler: Handler) -> Handler:
    async def azure(call: Call) -> web.StreamResponse:
        auth = call.state(CloudAuth)
        key = call.headers.get("api-key")
        bearer = _bearer(call)
        if key is not None:
            if key.strip() != auth.azure_api_key:
                return _unauthorized(call)
        elif bearer is None or (bearer != auth.azure_api_key and bearer not in auth.azure_tokens):
            return _unauthorized(call)
        if not call.query.get("api-version"):
            return call.error(
                400, "Missing required query parameter: api-version", type="invalid_request_error"
            )
        return await handler(call)

    azure.__doc__ = f"Azure's shape of {handler.__doc__}"
    return azure


async def _vertex(call: Call) -> web.StreamResponse:
    """``POST .../publishers/mistralai/models/{model}:rawPredict`` (or ``:streamRawPredict``)."""
    token = _bearer(call)
    if token is None or token not in call.state(CloudAuth).gcp_tokens:
        return _unauthorized(call)
    raw_segment = call.path.rsplit("/", 1)[1]
    raw_model, _, action = raw_segment.rpartition(":")
    model = urllib.parse.unquote(raw_model)
    if action not in ("rawPredict", "streamRawPredict") or not model:
        return call.not_found("Publisher model action", raw_segment)
    payload = await call.json()
    if not isinstance(payload, dict):
        return call.error(400, "The body must be a JSON object")
    if payload.get("model", model) != model:
        return call.error(400, f"The body's model {payload['model']!r} is not the path's {model!r}")
    if bool(payload.get("stream")) != (action == "streamRawPredict"):
        return call.error(400, "Streams go to :streamRawPredict, other calls to :rawPredict")
    if "messages" in payload:
        return await chat_group.chat(call)
    if "prompt" in payload:
        return await chat_group.fim(call)
    if "document" in payload:
        return await ocr_group.ocr(call)
    return call.error(400, "Not a chat, FIM or OCR request")
