"""``client.batch``: the jobs API and the ``run`` helper against the fake server.

The fake's jobs move one step per status read (QUEUED, RUNNING, a share of the requests
per read, then the end), so every test here is deterministic and fast.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import types
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

from mistral_async import (
    APITimeoutError,
    AsyncMistral,
    BadRequestError,
    InvalidParameterError,
    Mistral,
    NotFoundError,
)
from mistral_async.lib.batch import BatchJobError, BatchWaitTimeoutError
from mistral_async.testing import FakeMistral, FilesState
from mistral_async.testing.groups.batch import BatchState
from mistral_async.types import ChatCompletionResponse, EmbeddingResponse
from mistral_async.types.batch import BatchJob, BatchRequest, BatchResult, ListBatchJobsResponse

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
MODEL = "mistral-small-latest"
FAST = {"poll_interval": 0.001, "max_poll_interval": 0.005}


def reply(text: str) -> str:
    return f"Hello! You said: {text}. This reply comes from the fake Mistral server."


def chat(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def jsonl(*lines: Any) -> bytes:
    return b"".join(
        (line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines
    )


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url)


async def read_lines(client: AsyncMistral, file_id: str) -> list[dict[str, Any]]:
    async with await client.files.download(file_id) as body:
        return [json.loads(line) for line in (await body.read()).splitlines()]


async def until_done(client: AsyncMistral, job_id: str) -> list[BatchJob]:
    seen = []
    for _ in range(20):
        job = await client.batch.jobs.get(job_id)
        seen.append(job)
        if job.done:
            return seen
    raise AssertionError("the job never ended")


# -- the jobs API ----------------------------------------------------------------------------


async def test_a_job_runs_its_input_file_and_writes_output_and_error_files(
    fake_mistral: FakeMistral,
) -> None:
    lines = jsonl(
        {"custom_id": "ok-1", "body": {**chat("One"), "max_tokens": 50}},
        b"{not json",
        {"custom_id": "no-body"},
        {"custom_id": "bad", "body": {"messages": "not a list"}},
        {"custom_id": "stream", "body": {**chat("S"), "stream": True}},
        b"   ",
        {"custom_id": "ok-2", "body": chat("Two")},
    )
    async with client_for(fake_mistral) as client:
        uploaded = await client.files.upload(file=("in.jsonl", lines), purpose="batch")
        job = await client.batch.jobs.create(
            input_files=[uploaded.id],
            endpoint="/v1/chat/completions",
            model=MODEL,
            metadata={"team": "qa"},
            timeout_hours=2,
        )
        assert fake_mistral.last_request.json == {
            "endpoint": "/v1/chat/completions",
            "input_files": [uploaded.id],
            "model": MODEL,
            "metadata": {"team": "qa"},
            "timeout_hours": 2,
        }
        assert (job.status, job.total_requests, job.completed_requests) == ("QUEUED", 6, 0)
        assert job.input_files == [uploaded.id] and job.metadata == {"team": "qa"}
        seen = await until_done(client, job.id)
        assert [(j.status, j.completed_requests) for j in seen] == [
            ("RUNNING", 0),
            ("RUNNING", 2),
            ("RUNNING", 4),
            ("RUNNING", 6),
            ("SUCCESS", 6),
        ]
        done = seen[-1]
        assert (done.succeeded_requests, done.failed_requests) == (2, 4)
        assert done.started_at is not None and done.completed_at is not None
        assert {e.message: e.count for e in done.errors} == {
            "Invalid JSON line": 1,
            "Invalid request line": 1,
            "Request failed with HTTP 422": 1,
            "Streaming request": 1,
        }
        assert done.output_file and done.error_file
        output = await read_lines(client, done.output_file)
        errors = await read_lines(client, done.error_file)
        output_file = await client.files.retrieve(done.output_file)
        error_file = await client.files.retrieve(done.error_file)
    assert [line["custom_id"] for line in output] == ["ok-1", "ok-2"]
    assert output[0]["error"] is None and output[0]["response"]["status_code"] == 200
    assert output[0]["response"]["body"]["choices"][0]["message"]["content"] == reply("One")
    assert output[0]["response"]["body"]["model"] == MODEL  # the job's model was added
    assert [line["custom_id"] for line in errors] == [None, "no-body", "bad", "stream"]
    assert "invalid JSON" in errors[0]["error"]["message"]
    assert errors[2]["response"]["status_code"] == 422
    assert errors[2]["error"]["code"] == "422"
    assert errors[2]["response"]["body"]["detail"][0]["loc"] == ["body", "messages"]
    assert (output_file.purpose, output_file.sample_type, output_file.source) == (
        "batch",
        "batch_result",
        "mistral",
    )
    assert output_file.num_lines == 2
    assert (error_file.sample_type, error_file.num_lines) == ("batch_error", 4)


async def test_inline_requests_and_inline_results(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        job = await client.batch.jobs.create(
            endpoint="/v1/embeddings",
            model="mistral-embed",
            requests=[
                BatchRequest(custom_id="a", body={"input": ["Hello", "World"]}),
                {"body": {"input": "Alone"}},
            ],
        )
        assert fake_mistral.last_request.json["requests"] == [
            {"body": {"input": ["Hello", "World"]}, "custom_id": "a"},
            {"body": {"input": "Alone"}},
        ]
        assert (await client.batch.jobs.get(job.id, inline=True)).outputs is None  # not done
        assert fake_mistral.last_request.query == {"inline": "true"}
        await until_done(client, job.id)
        done = await client.batch.jobs.get(job.id, inline=True)
    assert done.status == "SUCCESS" and done.total_requests == 2
    assert done.outputs is not None
    assert [o["custom_id"] for o in done.outputs] == ["a", None]
    assert len(done.outputs[0]["response"]["body"]["data"]) == 2


async def test_create_checks_its_parameters_before_sending(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        jobs = client.batch.jobs
        bad: list[tuple[str, dict[str, Any]]] = [
            ("input_files", {"endpoint": "/v1/chat/completions"}),
            ("endpoint", {"endpoint": "/v1/images", "input_files": ["x"]}),
            (
                "timeout_hours",
                {"endpoint": "/v1/embeddings", "input_files": ["x"], "timeout_hours": 0},
            ),
            (
                "metadata",
                {"endpoint": "/v1/embeddings", "input_files": ["x"], "metadata": {"k" * 33: "v"}},
            ),
            (
                "metadata['k']",
                {"endpoint": "/v1/embeddings", "input_files": ["x"], "metadata": {"k": ""}},
            ),
            ("requests[0].body", {"endpoint": "/v1/embeddings", "requests": [{"custom_id": "a"}]}),
            ("requests", {"endpoint": "/v1/embeddings", "requests": [{"body": {}}] * 10_001}),
            ("input_files", {"endpoint": "/v1/embeddings", "input_files": "file-id"}),
        ]
        for param, kwargs in bad:
            with pytest.raises(InvalidParameterError) as caught:
                await jobs.create(**kwargs)
            assert caught.value.param == param, kwargs
    assert fake_mistral.requests == []


async def test_the_fake_validates_creations(fake_mistral: FakeMistral) -> None:
    headers = {"Authorization": f"Bearer {fake_mistral.api_key}"}

    async def post(body: dict[str, Any]) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session:
            url = fake_mistral.url + "/v1/batch/jobs"
            async with session.post(url, json=body, headers=headers) as resp:
                return resp.status, await resp.json()

    status, body = await post({"endpoint": "/v1/chat/completions"})
    assert status == 422 and "input_files or requests" in body["detail"][0]["msg"]
    status, body = await post({"endpoint": "/v1/nope", "requests": [], "timeout_hours": 500})
    assert status == 422
    assert {tuple(d["loc"]) for d in body["detail"]} == {
        ("body", "endpoint"),
        ("body", "timeout_hours"),
    }
    both = {"endpoint": "/v1/embeddings", "requests": [], "input_files": []}
    assert (await post(both))[0] == 422
    status, body = await post({"endpoint": "/v1/embeddings", "input_files": ["missing"]})
    assert status == 404 and body["message"] == "File not found: missing"


async def test_list_filters_and_pages(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        ids = []
        for i in range(5):
            job = await client.batch.jobs.create(
                endpoint="/v1/chat/completions",
                model=MODEL if i % 2 else "mistral-large-latest",
                requests=[{"body": chat("Hi")}],
                metadata={"index": str(i)},
            )
            ids.append(job.id)
        await until_done(client, ids[0])
        page = await client.batch.jobs.list(page_size=2)
        assert isinstance(page, ListBatchJobsResponse)
        assert page.total == 5 and [j.id for j in page.data] == [ids[4], ids[3]]
        assert [j.id async for j in client.batch.jobs.list(page_size=2)] == ids[::-1]
        oldest = await client.batch.jobs.list(order_by="created", page=1, page_size=3)
        assert [j.id for j in oldest.data] == ids[3:]
        assert [j.id for j in (await client.batch.jobs.list(status=["SUCCESS"])).data] == [ids[0]]
        small = await client.batch.jobs.list(model=MODEL, status=["QUEUED", "RUNNING"])
        assert [j.id for j in small.data] == [ids[3], ids[1]]
        tagged = await client.batch.jobs.list(metadata={"index": "2"}, created_by_me=True)
        assert [j.id for j in tagged.data] == [ids[2]]
        assert fake_mistral.last_request.query == {
            "metadata": '{"index":"2"}',
            "created_by_me": "true",
        }
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        assert (await client.batch.jobs.list(created_after=later)).total == 0
        assert (await client.batch.jobs.list(created_after="2020-01-01T00:00:00Z")).total == 5
        for kwargs in ({"status": ["DONE"]}, {"page_size": 0}, {"order_by": "name"}):
            with pytest.raises(InvalidParameterError):
                client.batch.jobs.list(**kwargs)  # type: ignore[arg-type]


async def test_cancel_delete_timeout_and_unknown_ids(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        jobs = client.batch.jobs
        job = await jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        cancelled = await jobs.cancel(job.id)
        assert cancelled.status == "CANCELLATION_REQUESTED"
        assert fake_mistral.last_request.path == f"/v1/batch/jobs/{job.id}/cancel"
        assert (await jobs.get(job.id)).status == "CANCELLED"
        assert (await jobs.cancel(job.id)).status == "CANCELLED"  # again: nothing to do

        finished = await jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        await until_done(client, finished.id)
        with pytest.raises(BadRequestError, match="already ended"):
            await jobs.cancel(finished.id)

        late = await jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        fake_mistral.state(BatchState).jobs[late.id].deadline = 0
        assert (await jobs.get(late.id)).status == "TIMEOUT_EXCEEDED"

        deleted = await jobs.delete(late.id)
        assert (deleted.id, deleted.deleted) == (late.id, True)
        for call in (jobs.get, jobs.cancel, jobs.delete):
            with pytest.raises(NotFoundError, match=f"Batch job not found: {late.id}"):
                await call(late.id)


async def test_requests_to_an_endpoint_the_fake_does_not_serve_fail_alone(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        job = await client.batch.jobs.create(
            endpoint="/v1/chat/completions", model=MODEL, requests=[{"body": chat("Hi")}]
        )
        fake_mistral.state(BatchState).jobs[job.id].endpoint = "/v1/not-served"
        done = (await until_done(client, job.id))[-1]
        assert done.status == "FAILED"  # no request succeeded
        assert done.error_file is not None
        (line,) = await read_lines(client, done.error_file)
    assert line["response"]["status_code"] == 404
    assert "does not serve POST /v1/not-served" in line["error"]["message"]


async def test_frozen_jobs_move_only_when_the_test_says() -> None:
    async with FakeMistral() as fake, client_for(fake) as client:  # in this event loop
        state = fake.state(BatchState)
        state.auto_advance = False
        job = await client.batch.jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        assert (await client.batch.jobs.get(job.id)).status == "QUEUED"
        assert (await state.advance(fake.app, job.id)).status == "RUNNING"
        await state.advance(fake.app, job.id)
        assert (await client.batch.jobs.get(job.id)).completed_requests == 1
        bad_date = await _get(fake, "/v1/batch/jobs?created_after=soon")
        bad_metadata = await _get(fake, "/v1/batch/jobs?metadata=notjson")
    assert bad_date[0] == bad_metadata[0] == 422
    assert bad_date[1]["detail"][0]["loc"] == ["query", "created_after"]
    assert bad_metadata[1]["detail"][0]["loc"] == ["query", "metadata"]


async def _get(fake: FakeMistral, path: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.url + path, headers=headers) as resp:
            return resp.status, await resp.json()


# -- wait ------------------------------------------------------------------------------------


async def test_wait_reports_progress_and_returns_the_finished_job(
    fake_mistral: FakeMistral,
) -> None:
    seen: list[tuple[str, int]] = []

    async def on_progress(job: BatchJob) -> None:  # a coroutine function is awaited
        seen.append((job.status, job.completed_requests))

    async with client_for(fake_mistral) as client:
        job = await client.batch.jobs.create(
            endpoint="/v1/chat/completions",
            model=MODEL,
            requests=[{"body": chat(str(i))} for i in range(9)],
        )
        done = await client.batch.jobs.wait(job.id, on_progress=on_progress, **FAST)
    assert done.status == "SUCCESS" and done.succeeded_requests == 9
    assert seen == [("RUNNING", 0), ("RUNNING", 3), ("RUNNING", 6), ("RUNNING", 9), ("SUCCESS", 9)]


async def test_wait_gives_up_after_its_timeout(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(BatchState).auto_advance = False
    async with client_for(fake_mistral) as client:
        job = await client.batch.jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        with pytest.raises(BatchWaitTimeoutError) as caught:
            await client.batch.jobs.wait(job.id, timeout=0.2, **FAST)
        with pytest.raises(InvalidParameterError, match="poll_interval"):
            await client.batch.jobs.wait(job.id, poll_interval=0)
    assert caught.value.job.id == job.id and caught.value.job.status == "QUEUED"
    assert caught.value.timeout == 0.2
    assert isinstance(caught.value, APITimeoutError)  # as the fine-tuning wait's
    assert "still QUEUED after 0.2 s" in str(caught.value)
    reads = [r for r in fake_mistral.requests if r.method == "GET"]
    # Polled several times, with pauses growing to 5 ms: at most about 0.2 / 0.005 reads.
    assert 3 <= len(reads) <= 45


async def test_wait_raises_when_the_job_fails_unless_told_not_to(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        failing = await client.batch.jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": 42}}]
        )
        with pytest.raises(BatchJobError) as caught:
            await client.batch.jobs.wait(failing.id, **FAST)
        assert caught.value.status == "FAILED" and caught.value.job.failed_requests == 1
        assert "Request failed with HTTP 422" in str(caught.value)
        cancelled = await client.batch.jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        await client.batch.jobs.cancel(cancelled.id)
        job = await client.batch.jobs.wait(cancelled.id, raise_on_failure=False, **FAST)
        assert job.status == "CANCELLED"


async def test_wait_and_run_on_a_raw_response_client(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        raw = client.with_raw_response
        created = await raw.batch.jobs.create(
            endpoint="/v1/embeddings", model="m", requests=[{"body": {"input": "a"}}]
        )
        last = await raw.batch.jobs.wait(created.parse().id, request_timeout=5, **FAST)
        assert last.status_code == 200 and last.parse().status == "SUCCESS"
        results = [r async for r in raw.batch.run([chat("x")], model=MODEL, **FAST)]
    assert [r.custom_id for r in results] == ["0"]
    assert isinstance(results[0].response, ChatCompletionResponse)


def test_blocking_jobs_and_wait(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        job = client.batch.jobs.create(
            endpoint="/v1/fim/completions",
            model="codestral-latest",
            requests=[{"custom_id": "f", "body": {"prompt": "def add(a, b):"}}],
        )
        seen: list[str] = []
        done = client.batch.jobs.wait(job.id, on_progress=lambda j: seen.append(j.status), **FAST)
        assert done.status == "SUCCESS" and seen[-1] == "SUCCESS"
        assert [j.id for j in client.batch.jobs.list()] == [job.id]
        assert client.batch.jobs.get(job.id, inline=True).outputs[0]["custom_id"] == "f"
        other = client.batch.jobs.create(
            endpoint="/v1/fim/completions", model="m", requests=[{"body": {"prompt": "x"}}]
        )
        assert client.batch.jobs.cancel(other.id).status == "CANCELLATION_REQUESTED"
        assert client.batch.jobs.delete(other.id).deleted is True


# -- the run helper --------------------------------------------------------------------------


async def test_run_turns_1000_chat_requests_into_1000_results_in_order(
    fake_mistral: FakeMistral,
) -> None:
    fake_mistral.state(BatchState).steps = 4
    progress: list[tuple[str, int]] = []
    async with client_for(fake_mistral) as client:
        results = [
            result
            async for result in client.batch.run(
                (chat(f"Question {i}") for i in range(1000)),  # a generator: read once
                model=MODEL,
                on_progress=lambda job: progress.append((job.status, job.completed_requests)),
                **FAST,
            )
        ]
    assert [r.custom_id for r in results] == [str(i) for i in range(1000)]
    assert all(isinstance(r, BatchResult) and r.ok and r.error is None for r in results)
    for i, result in enumerate(results):
        assert isinstance(result.response, ChatCompletionResponse)
        assert result.response.choices[0].message.content == reply(f"Question {i}")
        assert result.status_code == 200
    # The callback saw the job move, step by step, to the end.
    assert progress == [
        ("QUEUED", 0),
        ("RUNNING", 0),
        ("RUNNING", 250),
        ("RUNNING", 500),
        ("RUNNING", 750),
        ("RUNNING", 1000),
        ("SUCCESS", 1000),
    ]
    # One upload of the requests as JSONL, with the job's model, not one per request.
    uploads = [r for r in fake_mistral.requests if r.path == "/v1/files" and r.method == "POST"]
    assert len(uploads) == 1
    (create,) = [r for r in fake_mistral.requests if r.path == "/v1/batch/jobs"]
    assert create.json["model"] == MODEL and create.json["endpoint"] == "/v1/chat/completions"
    stored = fake_mistral.state(FilesState).get(create.json["input_files"][0])
    assert stored is not None and stored.purpose == "batch" and stored.extra["num_lines"] == 1000
    first = json.loads(stored.read_bytes().splitlines()[0])
    assert first == {"custom_id": "0", "body": chat("Question 0")}


async def test_run_reports_the_errors_of_failed_requests(fake_mistral: FakeMistral) -> None:
    async def requests() -> AsyncIterator[Any]:  # an async iterator works too
        yield ("good", chat("Fine"))
        yield {"custom_id": "bad-messages", "body": {"messages": "nope"}}
        yield BatchRequest(custom_id="streamed", body={**chat("S"), "stream": True})
        yield chat("numbered")  # gets the id "3"

    async with client_for(fake_mistral) as client:
        results = [r async for r in client.batch.run(requests(), model=MODEL, **FAST)]
    assert [r.custom_id for r in results] == ["good", "bad-messages", "streamed", "3"]
    good, bad, streamed, numbered = results
    assert good.ok and numbered.ok
    assert isinstance(numbered.response, ChatCompletionResponse)
    assert not bad.ok and bad.response is None and bad.status_code == 422
    assert bad.error is not None and "HTTP 422" in bad.error.message and bad.error.code == "422"
    assert bad.body["detail"][0]["type"] == "list_type"  # the endpoint's own answer
    assert streamed.error is not None and "streaming" in streamed.error.message
    assert streamed.status_code is None  # it never reached the endpoint


async def test_run_parses_other_endpoints_and_keeps_json_on_request(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        typed = [
            r
            async for r in client.batch.run(
                [{"input": ["a", "b"]}], endpoint="/v1/embeddings", model="mistral-embed", **FAST
            )
        ]
        raw = [
            r
            async for r in client.batch.run(
                [{"input": "a"}],
                endpoint="/v1/embeddings",
                model="mistral-embed",
                response_type=dict,
                **FAST,
            )
        ]
    assert isinstance(typed[0].response, EmbeddingResponse)
    assert len(typed[0].response.data) == 2
    assert isinstance(raw[0].response, dict) and raw[0].response["object"] == "list"


async def test_run_checks_its_input_before_sending(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        cases: list[tuple[str, Any, dict[str, Any]]] = [
            ("requests[1].custom_id", [("a", chat("x")), ("a", chat("y"))], {}),
            ("requests[1].custom_id", [chat("x"), ("0", chat("y"))], {}),
            ("requests[0].custom_id", [(1, chat("x"))], {}),
            ("requests[0]", ["just a string"], {}),
            ("requests", [], {}),
            ("requests", 42, {}),
            ("endpoint", [chat("x")], {"endpoint": "/v1/images"}),
            ("timeout_hours", [chat("x")], {"timeout_hours": 169}),
            ("poll_interval", [chat("x")], {"poll_interval": -1}),
        ]
        for param, requests, kwargs in cases:
            with pytest.raises(InvalidParameterError) as caught:
                async for _ in client.batch.run(requests, model=MODEL, **kwargs):
                    pass
            assert caught.value.param == param, (requests, kwargs)
    assert fake_mistral.requests == []


async def test_run_raises_after_the_results_when_the_job_fails(fake_mistral: FakeMistral) -> None:
    results: list[BatchResult] = []
    async with client_for(fake_mistral) as client:
        with pytest.raises(BatchJobError) as caught:
            async for result in client.batch.run(
                [{"messages": 1}, {"messages": 2}], model=MODEL, **FAST
            ):
                results.append(result)
    assert [r.custom_id for r in results] == ["0", "1"]
    assert all(r.error is not None for r in results)
    job = caught.value.job
    assert job.status == "FAILED" and job.failed_requests == 2
    assert "ended FAILED: 0 of 2 requests succeeded" in str(caught.value)


async def test_a_job_cancelled_midway_yields_what_ran_then_raises(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:

        async def cancel_midway(job: BatchJob) -> None:
            if job.status == "RUNNING" and job.completed_requests:
                await client.batch.jobs.cancel(job.id)

        results: list[BatchResult] = []
        with pytest.raises(BatchJobError) as caught:
            async for result in client.batch.run(
                [chat(str(i)) for i in range(30)],
                model=MODEL,
                on_progress=cancel_midway,
                **FAST,
            ):
                results.append(result)
    assert caught.value.job.status == "CANCELLED"
    assert [r.custom_id for r in results] == [str(i) for i in range(10)]  # the first third ran


async def test_an_interrupted_run_cancels_its_job(fake_mistral: FakeMistral) -> None:
    state = fake_mistral.state(BatchState)
    state.auto_advance = False  # the job never moves: the run waits for ever
    created = asyncio.Event()
    async with client_for(fake_mistral) as client:

        async def consume() -> None:
            def on_progress(job: BatchJob) -> None:
                created.set()

            async for _ in client.batch.run(
                [chat("x")], model=MODEL, on_progress=on_progress, **FAST
            ):
                pass

        task = asyncio.create_task(consume())
        await asyncio.wait_for(created.wait(), 5)
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        (job,) = state.jobs.values()
        assert job.status == "CANCELLATION_REQUESTED"

        with pytest.raises(BatchWaitTimeoutError):
            async for _ in client.batch.run([chat("y")], model=MODEL, timeout=0.02, **FAST):
                pass
        kept = list(state.jobs.values())[-1]
        assert kept.status == "CANCELLATION_REQUESTED"

        async for _ in _timeout_without_cancel(client):
            pass
        assert list(state.jobs.values())[-1].status == "QUEUED"


async def _timeout_without_cancel(client: AsyncMistral) -> AsyncIterator[BatchResult]:
    with pytest.raises(BatchWaitTimeoutError):
        async for result in client.batch.run(
            [chat("z")], model=MODEL, timeout=0.02, cancel_on_exit=False, **FAST
        ):
            yield result


async def test_progress_bar_needs_tqdm(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match="pip install tqdm") as caught:
            async for _ in client.batch.run([chat("x")], model=MODEL, progress_bar=True):
                pass
    assert caught.value.param == "progress_bar"
    assert fake_mistral.requests == []


class FakeBar:
    """What the helper uses of a tqdm bar."""

    made: ClassVar[list[FakeBar]] = []

    def __init__(self, *, total: int | None, unit: str, desc: str) -> None:
        self.total, self.unit, self.desc = total, unit, desc
        self.n = 0
        self.postfix: list[str] = []
        self.closed = False
        FakeBar.made.append(self)

    def update(self, count: int) -> None:
        self.n += count

    def set_postfix_str(self, text: str) -> None:
        self.postfix.append(text)

    def close(self) -> None:
        self.closed = True


async def test_progress_bar_with_tqdm(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("tqdm.auto")
    module.tqdm = FakeBar  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", module)
    FakeBar.made.clear()
    async with client_for(fake_mistral) as client:
        results = [
            r
            async for r in client.batch.run(
                [chat(str(i)) for i in range(6)], model=MODEL, progress_bar=True, **FAST
            )
        ]
    assert len(results) == 6
    (bar,) = FakeBar.made
    assert (bar.total, bar.n, bar.unit, bar.closed) == (6, 6, "req", True)
    assert bar.postfix[0] == "QUEUED" and bar.postfix[-1] == "SUCCESS"


def test_blocking_run_is_a_plain_iterator(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        results = client.batch.run(
            [("first", chat("A")), ("second", {"messages": "bad"})], model=MODEL, **FAST
        )
        assert isinstance(results, Iterator)
        first, second = list(results)
        assert first.custom_id == "first" and first.response.choices[0].message.content == reply(
            "A"
        )
        assert second.custom_id == "second" and second.status_code == 422
        # Stopping early closes the run (its temporary files) at once.
        partial = client.batch.run([chat("1"), chat("2")], model=MODEL, **FAST)
        assert next(partial).custom_id == "0"
        partial.close()
        with pytest.raises(StopIteration):
            next(partial)


def test_the_example_runs(fake_mistral: FakeMistral) -> None:
    env = dict(
        os.environ,
        MISTRAL_API_KEY=fake_mistral.api_key,
        MISTRAL_SERVER_URL=fake_mistral.url,
        BATCH_POLL_INTERVAL="0.01",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "batch.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Running the batch:", "  job QUEUED: 0/4 done"]
    assert "  job SUCCESS: 4/4 done" in lines
    assert f"cheese: {reply('What is the best French cheese?')}" in lines
    assert f"bread: {reply('What is the best French bread?')}" in lines
    assert "broken failed (HTTP 422)" in lines
    assert "Embeddings job SUCCESS: 1 succeeded" in lines
    assert "Output file: 1 line(s)" in lines
    assert lines[-1] == "Blocking result 0: ok=True"
