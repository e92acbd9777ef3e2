"""Debug logging."""

from __future__ import annotations


def configure_from_env(level: str) -> None:
    """Apply ``MISTRAL_LOG``."""
