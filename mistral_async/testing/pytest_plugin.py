"""Pytest plugin providing the ``fake_mistral`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import FakeMistral


@pytest.fixture
def fake_mistral() -> Iterator[FakeMistral]:
    """A started :class:`FakeMistral`, running in a background thread.

    The thread mode makes it usable from sync tests and from async tests of any framework.
    """
    with FakeMistral() as fake:
        yield fake
