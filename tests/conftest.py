"""Shared fixtures: the anyio backend, fast retry waits, and the scan of every log record
for API keys.

The ``fake_mistral`` fixture (a started FakeMistral in a background thread) comes from
the package's own pytest plugin, registered as a ``pytest11`` entry point.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from mistral_async import _retry, _session


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink backoff so retry tests run in milliseconds (wait lengths are tested apart)."""
    monkeypatch.setattr(_retry, "INITIAL_DELAY", 0.001)
    monkeypatch.setattr(_retry, "MAX_DELAY", 0.005)


# -- No credential in any log line -----------------------------------------------------
#
# For the whole run the ``mistral_async`` logger is at DEBUG (so every request, response,
# retry and stream of every scenario is logged), and every key a client is given (or a
# call passes) is remembered. A record that contains one of them fails the test that
# produced it, whatever the scenario: errors, retries, streams, uploads, providers.

_KEYS: set[str] = set()
_LEAKS: list[str] = []


class _KeyScanner(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        for key in list(_KEYS):
            if key in text:
                _LEAKS.append(f"{key[:3]}...({len(key)}) in {record.levelname} {text[:200]!r}")


def _remember(value: object) -> None:
    # Keys that are plain words ("conformance") would match ordinary text: not scanned.
    if isinstance(value, str) and len(value) >= 6 and not value.isalpha():
        _KEYS.add(value)


@pytest.fixture(scope="session", autouse=True)
def _scan_logs_for_keys() -> Iterator[None]:
    original_config = _session.ClientConfig.__init__
    original_settings = _session.CallSettings.__init__

    def config_init(self: Any, **kwargs: Any) -> None:
        _remember(kwargs.get("api_key"))
        _remember(kwargs.get("admin_api_key"))
        original_config(self, **kwargs)

    def settings_init(self: Any, config: Any, options: Any) -> None:
        _remember(options.get("api_key"))
        _remember(options.get("admin_api_key"))
        original_settings(self, config, options)

    _session.ClientConfig.__init__ = config_init  # type: ignore[method-assign]
    _session.CallSettings.__init__ = settings_init  # type: ignore[method-assign]
    logger = logging.getLogger("mistral_async")
    level = logger.level
    handler = _KeyScanner(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(message)s %(args)s %(exc_text)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        _session.ClientConfig.__init__ = original_config  # type: ignore[method-assign]
        _session.CallSettings.__init__ = original_settings  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_key_in_logs() -> Iterator[None]:
    _LEAKS.clear()
    yield
    leaks = list(_LEAKS)
    _LEAKS.clear()
    assert not leaks, f"an API key appeared in a log record: {leaks}"
