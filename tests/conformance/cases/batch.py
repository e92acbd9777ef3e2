"""Cases of the ``batch`` group.

The calls on a job need one on the fake server: :func:`job` uploads an input file and
creates a job with it, and gives the job's id.
"""

from __future__ import annotations

import datetime as dt

from mistral_async import AsyncMistral
from mistral_async.types.batch import BatchJob, DeleteBatchJobResponse, ListBatchJobsResponse

from ..case import Case

REQUESTS = (
    b'{"custom_id": "0", "body": {"max_tokens": 50, "messages": '
    b'[{"role": "user", "content": "What is the best French cheese?"}]}}\n'
    b'{"custom_id": "1", "body": {"messages": [{"role": "user", "content": "Hi"}]}}\n'
)


async def input_file(client: AsyncMistral) -> str:
    """Upload a batch input file; its id."""
    uploaded = await client.files.upload(file=("requests.jsonl", REQUESTS), purpose="batch")
    return uploaded.id


async def job(client: AsyncMistral) -> str:
    """Create a batch job over an uploaded input file; its id."""
    created = await client.batch.jobs.create(
        input_files=[await input_file(client)],
        endpoint="/v1/chat/completions",
        model="mistral-small-latest",
    )
    return created.id


CASES: dict[str, Case] = {
    "jobs_api_routes_batch_create_batch_job": Case(
        method="batch.jobs.create",
        setup=input_file,
        kwargs=lambda file_id: {
            "input_files": [file_id],
            "endpoint": "/v1/chat/completions",
            "model": "mistral-small-latest",
            "metadata": {"team": "support", "run": "nightly"},
            "timeout_hours": 48,
        },
        response_type=BatchJob,
    ),
    "jobs_api_routes_batch_create_batch_job:inline": Case(
        method="batch.jobs.create",
        kwargs={
            "requests": [
                {"custom_id": "a", "body": {"input": ["Hello"]}},
                {"body": {"input": "World"}},
            ],
            "endpoint": "/v1/embeddings",
            "model": "mistral-embed",
            "metadata": None,
        },
        response_type=BatchJob,
    ),
    "jobs_api_routes_batch_create_batch_job:agent": Case(
        method="batch.jobs.create",
        setup=input_file,
        kwargs=lambda file_id: {
            "input_files": [file_id],
            "endpoint": "/v1/chat/completions",
            "agent_id": "ag_0123456789",
            "model": None,
        },
        response_type=BatchJob,
        note="model=None is sent as null; agent_id runs the requests with an agent",
    ),
    "jobs_api_routes_batch_get_batch_jobs": Case(
        method="batch.jobs.list",
        kwargs={
            "page": 1,
            "page_size": 5,
            "model": "mistral-small-latest",
            "agent_id": "ag_0123456789",
            "created_after": dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "created_by_me": True,
            "status": ["QUEUED", "RUNNING"],
            "order_by": "created",
        },
        returns="paginator",
        response_type=ListBatchJobsResponse,
        note="metadata is left out: the spec types it as an object, which a query string "
        "cannot carry, and the SDK sends it as JSON text",
    ),
    "jobs_api_routes_batch_get_batch_jobs:one-status": Case(
        method="batch.jobs.list",
        setup=job,
        kwargs={"status": ["SUCCESS"], "created_after": "2025-01-02T03:04:05Z"},
        returns="paginator",
        response_type=ListBatchJobsResponse,
    ),
    "jobs_api_routes_batch_get_batch_job": Case(
        method="batch.jobs.get",
        setup=job,
        args=lambda job_id: (job_id,),
        response_type=BatchJob,
    ),
    "jobs_api_routes_batch_get_batch_job:inline": Case(
        method="batch.jobs.get",
        setup=job,
        args=lambda job_id: (job_id,),
        kwargs={"inline": True},
        response_type=BatchJob,
    ),
    "jobs_api_routes_batch_delete_batch_job": Case(
        method="batch.jobs.delete",
        setup=job,
        kwargs=lambda job_id: {"job_id": job_id},
        response_type=DeleteBatchJobResponse,
    ),
    "jobs_api_routes_batch_cancel_batch_job": Case(
        method="batch.jobs.cancel",
        setup=job,
        kwargs=lambda job_id: {"job_id": job_id},
        response_type=BatchJob,
    ),
}
