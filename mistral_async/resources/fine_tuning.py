"""``client.fine_tuning.jobs``: create, list, read, start and cancel fine-tuning jobs."""

from __future__ import annotations

from .._client import ResourceSlot
from ._base import AsyncResource

__all__ = ["AsyncFineTuning", "AsyncFineTuningJobs"]


class AsyncFineTuningJobs(AsyncResource):
    """Fine-tuning jobs."""

    __slots__ = ()


class AsyncFineTuning(AsyncResource):
    """Fine-tuning (``client.fine_tuning.jobs``)."""

    __slots__ = ("__dict__",)

    jobs: ResourceSlot[AsyncFineTuningJobs] = ResourceSlot(
        ".resources.fine_tuning:AsyncFineTuningJobs"
    )
