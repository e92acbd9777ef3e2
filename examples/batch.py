"""Batch inference: many requests in one batch job, at a lower price than one by one.

Run it with ``python examples/batch.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). A real batch job takes minutes to hours; the fake server's
jobs move one step per status read, so try it there with ``BATCH_POLL_INTERVAL=0.05``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from mistral_async import AsyncMistral, Mistral
from mistral_async.types import ChatCompletionResponse
from mistral_async.types.batch import BatchJob

MODEL = "mistral-small-latest"
POLL_INTERVAL = float(os.environ.get("BATCH_POLL_INTERVAL", "10"))  # seconds between reads
QUESTIONS = {
    "cheese": "What is the best French cheese?",
    "wine": "What is the best French wine?",
    "bread": "What is the best French bread?",
}


def report(job: BatchJob) -> None:
    """Called each time the job advances."""
    print(f"  job {job.status}: {job.completed_requests}/{job.total_requests} done")


async def main() -> None:
    async with AsyncMistral() as client:
        # One call: the requests are written to a JSONL file, uploaded, run as a job, and
        # the results come back in the order of the requests, matched by custom_id.
        requests: list[Any] = [
            (name, {"messages": [{"role": "user", "content": question}], "max_tokens": 100})
            for name, question in QUESTIONS.items()
        ]
        # A request the API rejects fails alone; its error is reported with its result.
        requests.append(("broken", {"messages": "not a list"}))
        print("Running the batch:")
        async for result in client.batch.run(
            requests,
            model=MODEL,
            metadata={"example": "batch"},
            poll_interval=POLL_INTERVAL,
            on_progress=report,  # or progress_bar=True with tqdm installed
        ):
            if result.ok:
                assert isinstance(result.response, ChatCompletionResponse)
                print(f"{result.custom_id}: {result.response.choices[0].message.text}")
            else:
                assert result.error is not None
                print(f"{result.custom_id} failed (HTTP {result.status_code})")

        # The jobs API itself: inline requests (up to 10,000), then wait for the job.
        job = await client.batch.jobs.create(
            endpoint="/v1/embeddings",
            model="mistral-embed",
            requests=[{"custom_id": "hello", "body": {"input": ["Hello", "World"]}}],
        )
        job = await client.batch.jobs.wait(job.id, poll_interval=POLL_INTERVAL)
        print(f"Embeddings job {job.status}: {job.succeeded_requests} succeeded")
        if job.output_file:
            async with await client.files.download(job.output_file) as body:
                lines = (await body.read()).decode().splitlines()
            print(f"Output file: {len(lines)} line(s)")

        recent = await client.batch.jobs.list(page_size=5, status=["SUCCESS"])
        print(f"Successful jobs: {recent.total}")


def blocking() -> None:
    """The same helper on the blocking client is a plain iterator."""
    with Mistral() as client:
        prompts = [{"messages": [{"role": "user", "content": "Say hi"}]}]  # custom_id "0"
        for result in client.batch.run(prompts, model=MODEL, poll_interval=POLL_INTERVAL):
            print(f"Blocking result {result.custom_id}: ok={result.ok}")


if __name__ == "__main__":
    asyncio.run(main())
    blocking()
