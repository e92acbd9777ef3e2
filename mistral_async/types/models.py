"""Types of the models API: model cards, fine-tuned models and the results of model operations."""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from .._converter import Model, converter, register_union, tagged_union

__all__ = [
    "ArchiveModelResponse",
    "BaseModelCard",
    "ClassifierFineTunedModel",
    "ClassifierTargetResult",
    "CompletionFineTunedModel",
    "DeleteModelResponse",
    "FTModelCard",
    "FineTunedModel",
    "FineTunedModelCapabilities",
    "ModelCapabilities",
    "ModelCard",
    "ModelList",
    "UnarchiveModelResponse",
]


@attrs.define(slots=True)
class ModelCapabilities(Model):
    """What a model can do."""

    completion_chat: bool = False
    function_calling: bool = False
    reasoning: bool = False
    completion_fim: bool = False
    fine_tuning: bool = False
    vision: bool = False
    ocr: bool = False
    classification: bool = False
    moderation: bool = False
    audio: bool = False
    audio_transcription: bool = False
    audio_transcription_realtime: bool = False
    audio_speech: bool = False
    unified_resources: bool = False


@attrs.define(slots=True)
class BaseModelCard(Model):
    """A model Mistral provides."""

    id: str
    capabilities: ModelCapabilities = attrs.Factory(ModelCapabilities)
    object: str = "model"
    created: int | None = None
    owned_by: str = "mistralai"
    name: str | None = None
    description: str | None = None
    max_context_length: int = 32768
    aliases: list[str] = attrs.Factory(list)
    deprecation: str | None = None
    deprecation_replacement_model: str | None = None
    default_model_temperature: float | None = None
    internal: bool = False
    type: str = "base"


@attrs.define(slots=True)
class FTModelCard(BaseModelCard):
    """A fine-tuned model of yours."""

    job: str | None = None
    root: str | None = None
    archived: bool = False
    type: str = "fine-tuned"


ModelCard: TypeAlias = BaseModelCard | FTModelCard


@attrs.define(slots=True)
class ModelList(Model):
    """The models available to you."""

    data: list[ModelCard] = attrs.Factory(list)
    object: str = "list"


@attrs.define(slots=True)
class DeleteModelResponse(Model):
    """The result of deleting a model."""

    id: str
    object: str = "model"
    deleted: bool = True


@attrs.define(slots=True)
class ArchiveModelResponse(Model):
    """The result of archiving a fine-tuned model."""

    id: str
    object: str = "model"
    archived: bool = True


@attrs.define(slots=True)
class UnarchiveModelResponse(Model):
    """The result of unarchiving a fine-tuned model."""

    id: str
    object: str = "model"
    archived: bool = False


@attrs.define(slots=True)
class FineTunedModelCapabilities(Model):
    """What a fine-tuned model can do."""

    completion_chat: bool = True
    completion_fim: bool = False
    function_calling: bool = False
    fine_tuning: bool = False
    classification: bool = False


@attrs.define(slots=True)
class ClassifierTargetResult(Model):
    """One target of a classifier model."""

    name: str
    labels: list[str]
    weight: float
    loss_function: str


@attrs.define(slots=True)
class CompletionFineTunedModel(Model):
    """A fine-tuned completion model, as the update operation returns it."""

    id: str
    capabilities: FineTunedModelCapabilities = attrs.Factory(FineTunedModelCapabilities)
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None
    workspace_id: str | None = None
    root: str | None = None
    root_version: str | None = None
    archived: bool = False
    name: str | None = None
    description: str | None = None
    max_context_length: int = 32768
    aliases: list[str] = attrs.Factory(list)
    job: str | None = None
    model_type: str = "completion"


@attrs.define(slots=True)
class ClassifierFineTunedModel(CompletionFineTunedModel):
    """A fine-tuned classifier model, as the update operation returns it."""

    classifier_targets: list[ClassifierTargetResult] = attrs.Factory(list)
    model_type: str = "classifier"


FineTunedModel: TypeAlias = CompletionFineTunedModel | ClassifierFineTunedModel


def _unknown(cls: type[Any]) -> Any:
    return lambda data: converter.structure(data, cls) if isinstance(data, dict) else data


register_union(
    ModelCard,
    tagged_union(
        "type",
        {"base": BaseModelCard, "fine-tuned": FTModelCard},
        fallback=_unknown(BaseModelCard),
    ),
)
register_union(
    FineTunedModel,
    tagged_union(
        "model_type",
        {"completion": CompletionFineTunedModel, "classifier": ClassifierFineTunedModel},
        fallback=_unknown(CompletionFineTunedModel),
    ),
)


from .._types import NOT_GIVEN, NotGiven  # noqa: E402
from . import _validate as v  # noqa: E402


@attrs.define(slots=True, kw_only=True)
class UpdateModelRequest(Model):
    """The body of a fine-tuned model update."""

    name: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    description: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )


__all__ += ["UpdateModelRequest"]
