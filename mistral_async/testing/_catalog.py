"""The fake server's model catalog (base models plus one mutable fine-tuned model)."""

from __future__ import annotations

import copy
import time
from typing import Any

FINE_TUNED_MODEL_ID = "ft:open-mistral-7b:fake:20240101:abc12345"

_OWNER = "mistralai"
_ORGANIZATION = "fake-organization"
_WORKSPACE = "00000000-0000-4000-8000-00000000f00d"
_JOB = "0f6a2d3e-4b1c-4d5e-9f00-abc123456789"

_CAPABILITY_NAMES = (
    "completion_chat",
    "function_calling",
    "reasoning",
    "completion_fim",
    "fine_tuning",
    "vision",
    "ocr",
    "classification",
    "moderation",
    "audio",
    "audio_transcription",
    "audio_transcription_realtime",
    "audio_speech",
    "unified_resources",
)


def _capabilities(*enabled: str) -> dict[str, bool]:
    """Return a ModelCapabilities object with the ``enabled`` flags set."""
    unknown = set(enabled) - set(_CAPABILITY_NAMES)
    assert not unknown, unknown
    return {name: name in enabled for name in _CAPABILITY_NAMES}


def _base_card(
    model_id: str,
    *,
    name: str,
    description: str,
    created: int,
    context: int,
    temperature: float | None,
    aliases: list[str],
    capabilities: dict[str, bool],
) -> dict[str, Any]:
    """Build a BaseModelCard."""
    return {
        "id": model_id,
        "object": "model",
        "created": created,
        "owned_by": _OWNER,
        "capabilities": capabilities,
        "name": name,
        "description": description,
        "max_context_length": context,
        "aliases": aliases,
        "deprecation": None,
        "deprecation_replacement_model": None,
        "default_model_temperature": temperature,
        "type": "base",
    }


def _fine_tuned_card(model_id: str, *, root: str, job: str, created: int) -> dict[str, Any]:
    """Build a FTModelCard."""
    return {
        "id": model_id,
        "object": "model",
        "created": created,
        "owned_by": _ORGANIZATION,
        "capabilities": _capabilities("completion_chat", "fine_tuning"),
        "name": None,
        "description": None,
        "max_context_length": 32768,
        "aliases": [],
        "deprecation": None,
        "deprecation_replacement_model": None,
        "default_model_temperature": None,
        "type": "fine-tuned",
        "job": job,
        "root": root,
        "archived": False,
    }


def _initial_cards() -> dict[str, dict[str, Any]]:
    """Build the catalog every server instance starts with."""
    chat = ("completion_chat", "function_calling")
    cards = [
        _base_card(
            "mistral-small-latest",
            name="mistral-small-2506",
            description="Efficient small model for everyday tasks.",
            created=1750000000,
            context=131072,
            temperature=0.3,
            aliases=["mistral-small-2506"],
            capabilities=_capabilities(*chat, "fine_tuning", "vision"),
        ),
        _base_card(
            "mistral-medium-latest",
            name="mistral-medium-2508",
            description="Frontier-class multimodal model.",
            created=1754000000,
            context=131072,
            temperature=0.3,
            aliases=["mistral-medium-2508"],
            capabilities=_capabilities(*chat, "vision"),
        ),
        _base_card(
            "mistral-large-latest",
            name="mistral-large-2411",
            description="Top-tier reasoning model for high-complexity tasks.",
            created=1731000000,
            context=131072,
            temperature=0.7,
            aliases=["mistral-large-2411"],
            capabilities=_capabilities(*chat, "fine_tuning"),
        ),
        _base_card(
            "codestral-latest",
            name="codestral-2508",
            description="Cutting-edge language model for coding and fill-in-the-middle.",
            created=1754000000,
            context=256000,
            temperature=0.3,
            aliases=["codestral-2508"],
            capabilities=_capabilities(*chat, "completion_fim", "fine_tuning"),
        ),
        _base_card(
            "mistral-embed",
            name="mistral-embed",
            description="State-of-the-art semantic model for extracting text representations.",
            created=1702000000,
            context=8192,
            temperature=None,
            aliases=[],
            capabilities=_capabilities(),
        ),
        _fine_tuned_card(FINE_TUNED_MODEL_ID, root="open-mistral-7b", job=_JOB, created=1704067200),
    ]
    return {card["id"]: card for card in cards}


class ModelCatalog:
    """Models known to one fake server; fine-tuned models can be added, changed and deleted.

    A per-server state: groups reach it with ``call.state(ModelCatalog)``.
    """

    def __init__(self) -> None:
        self._cards = _initial_cards()

    def list_models(
        self, provider: str | None = None, model: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the model cards, optionally filtered by owner and by id or alias."""
        cards = [copy.deepcopy(card) for card in self._cards.values()]
        if provider:
            cards = [card for card in cards if card["owned_by"] == provider]
        if model:
            cards = [card for card in cards if model == card["id"] or model in card["aliases"]]
        return cards

    def get(self, model_id: str) -> dict[str, Any] | None:
        """Return the card of ``model_id`` (exact id), or ``None``."""
        card = self._cards.get(model_id)
        return copy.deepcopy(card) if card is not None else None

    def is_fine_tuned(self, model_id: str) -> bool:
        """Tell whether ``model_id`` is an existing fine-tuned model."""
        card = self._cards.get(model_id)
        return card is not None and card["type"] == "fine-tuned"

    def add_fine_tuned(
        self, model_id: str, *, root: str, job: str, created: int | None = None
    ) -> dict[str, Any]:
        """Add (or replace) a fine-tuned model, e.g. when a fake fine-tuning job succeeds.

        Returns its model card.
        """
        when = int(time.time()) if created is None else created
        self._cards[model_id] = _fine_tuned_card(model_id, root=root, job=job, created=when)
        return copy.deepcopy(self._cards[model_id])

    def delete(self, model_id: str) -> None:
        """Remove a model."""
        del self._cards[model_id]

    def update(self, model_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``name``/``description`` changes and return the fine-tuned model view."""
        card = self._cards[model_id]
        for key in ("name", "description"):
            if key in changes:
                card[key] = changes[key]
        return self.fine_tuned_view(model_id)

    def set_archived(self, model_id: str, archived: bool) -> None:
        """Archive or unarchive a fine-tuned model."""
        self._cards[model_id]["archived"] = archived

    def fine_tuned_view(self, model_id: str) -> dict[str, Any]:
        """Return a fine-tuned model as a ``CompletionFineTunedModel`` object."""
        card = self._cards[model_id]
        capabilities = card["capabilities"]
        return {
            "id": card["id"],
            "object": "model",
            "created": card["created"],
            "owned_by": card["owned_by"],
            "workspace_id": _WORKSPACE,
            "root": card["root"],
            "root_version": "0.3",
            "archived": card["archived"],
            "name": card["name"],
            "description": card["description"],
            "capabilities": {
                name: capabilities[name]
                for name in (
                    "completion_chat",
                    "completion_fim",
                    "function_calling",
                    "fine_tuning",
                    "classification",
                )
            },
            "max_context_length": card["max_context_length"],
            "aliases": list(card["aliases"]),
            "job": card["job"],
            "model_type": "completion",
        }
