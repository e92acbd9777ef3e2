"""``/v1/models`` and ``/v1/fine_tuning/models/{model_id}`` (over :class:`ModelCatalog`)."""

from __future__ import annotations

from aiohttp import web

from .._app import Call, FakeApp
from .._catalog import ModelCatalog
from .._validation import UPDATE_MODEL_REQUEST


def register(app: FakeApp) -> None:
    """Add the model routes."""
    app.route("GET", "/v1/models", list_models)
    app.route("GET", "/v1/models/{model_id}", get_model)
    app.route("DELETE", "/v1/models/{model_id}", delete_model)
    app.route("PATCH", "/v1/fine_tuning/models/{model_id}", update_model)
    app.route("POST", "/v1/fine_tuning/models/{model_id}/archive", archive_model)
    app.route("DELETE", "/v1/fine_tuning/models/{model_id}/archive", unarchive_model)


async def list_models(call: Call) -> web.StreamResponse:
    """``GET /v1/models``."""
    cards = call.state(ModelCatalog).list_models(
        call.query.get("provider"), call.query.get("model")
    )
    return call.ok({"object": "list", "data": cards})


async def get_model(call: Call) -> web.StreamResponse:
    """``GET /v1/models/{model_id}``."""
    model_id = call.params["model_id"]
    card = call.state(ModelCatalog).get(model_id)
    if card is None:
        return call.not_found("Model", model_id)
    return call.ok(card)


async def delete_model(call: Call) -> web.StreamResponse:
    """``DELETE /v1/models/{model_id}`` (fine-tuned models only)."""
    model_id = call.params["model_id"]
    catalog = call.state(ModelCatalog)
    if catalog.get(model_id) is None:
        return call.not_found("Model", model_id)
    if not catalog.is_fine_tuned(model_id):
        return call.error(403, f"Base model {model_id} cannot be deleted")
    catalog.delete(model_id)
    return call.ok({"id": model_id, "object": "model", "deleted": True})


async def update_model(call: Call) -> web.StreamResponse:
    """``PATCH /v1/fine_tuning/models/{model_id}``."""
    payload = await call.json(UPDATE_MODEL_REQUEST)
    model_id = call.params["model_id"]
    catalog = call.state(ModelCatalog)
    if not catalog.is_fine_tuned(model_id):
        return call.not_found("Model", model_id)
    return call.ok(catalog.update(model_id, payload))


async def archive_model(call: Call) -> web.StreamResponse:
    """``POST /v1/fine_tuning/models/{model_id}/archive``."""
    return _set_archived(call, archived=True)


async def unarchive_model(call: Call) -> web.StreamResponse:
    """``DELETE /v1/fine_tuning/models/{model_id}/archive``."""
    return _set_archived(call, archived=False)


def _set_archived(call: Call, *, archived: bool) -> web.StreamResponse:
    """Archive or unarchive a fine-tuned model."""
    model_id = call.params["model_id"]
    catalog = call.state(ModelCatalog)
    if not catalog.is_fine_tuned(model_id):
        return call.not_found("Model", model_id)
    catalog.set_archived(model_id, archived)
    return call.ok({"id": model_id, "object": "model", "archived": archived})
