"""Mistral models on the cloud providers: Azure AI Foundry and Google Cloud Vertex AI.

::

    from mistral_async import AsyncMistralAzure, AsyncMistralGCP, MistralAzure, MistralGCP

The clients share :class:`~mistral_async.AsyncMistral`'s resources (``chat``, ``fim``,
``ocr``), types, streams, retries, timeouts and errors; they only decide where requests go
and how they are authenticated. Modules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._blocking import MistralAzure, MistralGCP
    from .azure import DEFAULT_AZURE_API_VERSION, AsyncMistralAzure, AzureApiFamily
    from .gcp import AsyncMistralGCP, GoogleTokenSource

__all__ = [
    "DEFAULT_AZURE_API_VERSION",
    "AsyncMistralAzure",
    "AsyncMistralGCP",
    "AzureApiFamily",
    "GoogleTokenSource",
    "MistralAzure",
    "MistralGCP",
]

_LOCATIONS = {
    "DEFAULT_AZURE_API_VERSION": ".azure",
    "AsyncMistralAzure": ".azure",
    "AzureApiFamily": ".azure",
    "AsyncMistralGCP": ".gcp",
    "GoogleTokenSource": ".gcp",
    "MistralAzure": "._blocking",
    "MistralGCP": "._blocking",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
