"""A local fake of the Mistral AI REST API, for demos and tests.

``FakeMistral`` serves the chat, FIM, embeddings and models endpoints with deterministic
replies, records every request and can inject faults (errors, delays, cut streams, dropped
connections). It depends only on aiohttp and can run in the current event loop
(``async with``) or in a background thread (``with``)::

    with FakeMistral() as fake:
        client = SomeClient(api_key=fake.api_key, server_url=fake.url)

Run ``python -m mistral_async.testing --port 8000`` to serve it from a terminal.
"""

from ._server import DEFAULT_API_KEY, FakeMistral, Headers, RecordedRequest

__all__ = ["DEFAULT_API_KEY", "FakeMistral", "Headers", "RecordedRequest"]
