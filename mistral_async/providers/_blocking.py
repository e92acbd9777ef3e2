"""The blocking provider clients, generated from the async ones (typed by ``_blocking.pyi``)."""

from __future__ import annotations

from typing import Any

from .._sync import blocking_client
from .azure import AsyncMistralAzure
from .gcp import AsyncMistralGCP

__all__ = ["MistralAzure", "MistralGCP"]

MistralAzure: Any = blocking_client(AsyncMistralAzure)
"""The blocking client of Mistral models on Azure: the constructor and methods of
:class:`AsyncMistralAzure`."""

MistralGCP: Any = blocking_client(AsyncMistralGCP)
"""The blocking client of Mistral models on Vertex AI: the constructor and methods of
:class:`AsyncMistralGCP`."""
