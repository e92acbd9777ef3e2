"""Types shared by several API areas."""

from __future__ import annotations

import attrs

from .._converter import Model

__all__ = ["UsageInfo"]


@attrs.define(slots=True)
class UsageInfo(Model):
    """Token (and audio) usage of one request."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_audio_seconds: int | None = None
    service_tier: str | None = None
