"""Cases of the ``models`` group (with the fine-tuned model update / archive / unarchive)."""

from __future__ import annotations

from mistral_async.types import (
    ArchiveModelResponse,
    DeleteModelResponse,
    FineTunedModel,
    ModelCard,
    ModelList,
    UnarchiveModelResponse,
)

from ..case import Case

FT = "ft:open-mistral-7b:fake:20240101:abc12345"
"""The fake server's fine-tuned model: its ``:`` must be percent-encoded in paths."""

CASES: dict[str, Case] = {
    "list_models_v1_models_get": Case(
        method="models.list",
        kwargs={"provider": "mistralai", "model": "mistral-small-latest"},
        response_type=ModelList,
    ),
    "list_models_v1_models_get:all": Case(method="models.list", response_type=ModelList),
    "retrieve_model_v1_models__model_id__get": Case(
        method="models.retrieve", args=(FT,), response_type=ModelCard
    ),
    "retrieve_model_v1_models__model_id__get:base": Case(
        method="models.retrieve",
        kwargs={"model_id": "mistral-small-latest", "timeout": 30},
        response_type=ModelCard,
    ),
    "delete_model_v1_models__model_id__delete": Case(
        method="models.delete", args=(FT,), response_type=DeleteModelResponse
    ),
    "jobs_api_routes_fine_tuning_update_fine_tuned_model": Case(
        method="models.update",
        args=(FT,),
        kwargs={"name": "my model", "description": "Tuned on support tickets."},
        response_type=FineTunedModel,
    ),
    "jobs_api_routes_fine_tuning_update_fine_tuned_model:nulls": Case(
        method="models.update",
        args=(FT,),
        kwargs={"name": None, "description": None},
        response_type=FineTunedModel,
    ),
    "jobs_api_routes_fine_tuning_archive_fine_tuned_model": Case(
        method="models.archive", args=(FT,), response_type=ArchiveModelResponse
    ),
    "jobs_api_routes_fine_tuning_unarchive_fine_tuned_model": Case(
        method="models.unarchive", args=(FT,), response_type=UnarchiveModelResponse
    ),
}
