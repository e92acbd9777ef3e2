"""``client.batch.jobs``: create, list, read and cancel batch jobs."""

from __future__ import annotations

from .._client import ResourceSlot
from ._base import AsyncResource

__all__ = ["AsyncBatch", "AsyncBatchJobs"]


class AsyncBatchJobs(AsyncResource):
    """Batch jobs: many requests run by Mistral's batch engine."""

    __slots__ = ()


class AsyncBatch(AsyncResource):
    """Batch processing (``client.batch.jobs``)."""

    __slots__ = ("__dict__",)

    jobs: ResourceSlot[AsyncBatchJobs] = ResourceSlot(".resources.batch:AsyncBatchJobs")
