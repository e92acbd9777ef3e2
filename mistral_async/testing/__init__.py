"""A local fake of the Mistral AI REST API, for demos and tests.

``FakeMistral`` serves the Mistral endpoints with deterministic replies, records every request
and can inject faults (errors, delays, cut streams, dropped connections). It depends only on
aiohttp and can run in the current event loop (``async with``) or in a background thread
(``with``)::

    with FakeMistral() as fake:
        client = SomeClient(api_key=fake.api_key, server_url=fake.url)

Endpoints come in groups (``mistral_async.testing.groups``); add your own with
``FakeMistral(extra_groups=[register])`` where ``register(app: FakeApp)`` adds routes whose
handlers receive a :class:`Call` (see ``mistral_async.testing._app`` for the details).

It also answers as Mistral models on Azure and Vertex AI do (URL shapes and auth; see
:mod:`mistral_async.testing.groups.providers` and :class:`CloudAuth`).

Run ``python -m mistral_async.testing --port 8000`` to serve it from a terminal.
"""

from ._app import Abort, Call, FakeApp
from ._body import Blob, Form, UploadedFile
from ._completions import CompletionScript
from ._server import DEFAULT_ADMIN_API_KEY, DEFAULT_API_KEY, FakeMistral, Headers, RecordedRequest
from ._store import FilesState, StoredFile
from .groups.providers import (
    AZURE_SERVERLESS_PREFIX,
    DEFAULT_AZURE_API_KEY,
    DEFAULT_AZURE_TOKEN,
    DEFAULT_GCP_TOKEN,
    CloudAuth,
)
from .groups.realtime import RealtimeState
from .groups.spec_ops import SpecStore

__all__ = [
    "AZURE_SERVERLESS_PREFIX",
    "DEFAULT_ADMIN_API_KEY",
    "DEFAULT_API_KEY",
    "DEFAULT_AZURE_API_KEY",
    "DEFAULT_AZURE_TOKEN",
    "DEFAULT_GCP_TOKEN",
    "Abort",
    "Blob",
    "Call",
    "CloudAuth",
    "CompletionScript",
    "FakeApp",
    "FakeMistral",
    "FilesState",
    "Form",
    "Headers",
    "RealtimeState",
    "RecordedRequest",
    "SpecStore",
    "StoredFile",
    "UploadedFile",
]
