"""Shared fixtures: the anyio backend and fast retry waits.

The ``fake_mistral`` fixture (a started FakeMistral in a background thread) comes from
the package's own pytest plugin, registered as a ``pytest11`` entry point.
"""

from __future__ import annotations

import pytest

from mistral_async import _retry


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink backoff so retry tests run in milliseconds (wait lengths are tested apart)."""
    monkeypatch.setattr(_retry, "INITIAL_DELAY", 0.001)
    monkeypatch.setattr(_retry, "MAX_DELAY", 0.005)
