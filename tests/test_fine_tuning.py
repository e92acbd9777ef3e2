"""``client.fine_tuning.jobs``, async and blocking, over real HTTP to the fake server.

The fake moves a job one step per ``get``: QUEUED -> VALIDATING -> VALIDATED -> RUNNING
(+ a checkpoint per read, ``running_steps`` of them) -> SUCCESS, so ``wait(poll_interval=0)``
sees every status in order without sleeping.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mistral_async import (
    APITimeoutError,
    AsyncMistral,
    BadRequestError,
    ConflictError,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    RawResponse,
    UnprocessableEntityError,
)
from mistral_async.resources._base import cast_to
from mistral_async.testing import FakeMistral
from mistral_async.testing._store import FilesState
from mistral_async.testing.groups.fine_tuning import FineTuningState
from mistral_async.types.fine_tuning import (
    ClassifierDetailedJobOut,
    ClassifierJobOut,
    ClassifierTargetIn,
    ClassifierTrainingParametersIn,
    CompletionDetailedJobOut,
    CompletionJobOut,
    CompletionTrainingParametersIn,
    DetailedFineTuningJob,
    FineTuningJobError,
    GithubRepositoryIn,
    GithubRepositoryOut,
    JobsOut,
    JobTimeoutError,
    LegacyJobMetadataOut,
    TrainingFile,
    WandbIntegration,
    WandbIntegrationOut,
)

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
MODEL = "mistral-small-latest"
SAMPLE = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]}
CHAT_DATA = (json.dumps(SAMPLE) + "\n").encode() * 3
CLASSIFIER_DATA = b'{"text": "great", "labels": {"sentiment": "positive"}}\n' * 2
WANDB_KEY = "k" * 40
PATH = "/v1/fine_tuning/jobs"
PROGRESS = ["VALIDATING", "VALIDATED", "RUNNING", "RUNNING", "RUNNING", "SUCCESS"]


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url)


def seed_file(fake: FakeMistral, data: bytes = CHAT_DATA, purpose: str = "fine-tune") -> str:
    """Put a training file straight into the fake's file store; its id."""
    return fake.state(FilesState).add(data, filename="train.jsonl", purpose=purpose).id


async def new_job(client: AsyncMistral, fake: FakeMistral, **kwargs: Any) -> CompletionJobOut:
    params: dict[str, Any] = {
        "model": MODEL,
        "training_files": [seed_file(fake)],
        "hyperparameters": {},
        **kwargs,
    }
    job = await client.fine_tuning.jobs.create(**params)
    assert isinstance(job, CompletionJobOut)
    return job


# -- create -------------------------------------------------------------------------------------


async def test_create_sends_every_parameter(fake_mistral: FakeMistral) -> None:
    train, valid = seed_file(fake_mistral), seed_file(fake_mistral)
    async with client_for(fake_mistral) as client:
        job = await client.fine_tuning.jobs.create(
            model=MODEL,
            training_files=[TrainingFile(train, weight=2.0), {"file_id": train}, train],
            validation_files=[valid],
            suffix="support",
            integrations=[WandbIntegration(project="ft", api_key=WANDB_KEY, name="run-1")],
            auto_start=False,
            invalid_sample_skip_percentage=0.2,
            job_type="completion",
            hyperparameters=CompletionTrainingParametersIn(
                training_steps=12, learning_rate=5e-5, fim_ratio=0.5
            ),
            repositories=[GithubRepositoryIn(name="docs", owner="acme", token="t", ref="main")],
        )
    sent = fake_mistral.last_request
    assert sent.method == "POST" and sent.path == PATH and sent.query == {}
    assert sent.json == {
        "model": MODEL,
        "training_files": [
            {"file_id": train, "weight": 2.0},
            {"file_id": train},
            {"file_id": train},
        ],
        "validation_files": [valid],
        "suffix": "support",
        "integrations": [{"project": "ft", "api_key": WANDB_KEY, "name": "run-1", "type": "wandb"}],
        "auto_start": False,
        "invalid_sample_skip_percentage": 0.2,
        "job_type": "completion",
        "hyperparameters": {"training_steps": 12, "learning_rate": 5e-5, "fim_ratio": 0.5},
        "repositories": [
            {"name": "docs", "owner": "acme", "token": "t", "ref": "main", "type": "github"}
        ],
    }
    assert isinstance(job, CompletionJobOut)
    assert job.status == "QUEUED" and job.auto_start is False and job.suffix == "support"
    assert job.training_files == [train, train, train] and job.validation_files == [valid]
    assert job.hyperparameters.training_steps == 12 and job.hyperparameters.fim_ratio == 0.5
    assert job.hyperparameters.learning_rate == 5e-5
    assert job.metadata is not None and job.metadata.cost is not None
    (integration,) = job.integrations or []
    assert isinstance(integration, WandbIntegrationOut) and integration.project == "ft"
    assert "api_key" not in integration.to_dict()  # the key is never sent back
    (repository,) = job.repositories
    assert isinstance(repository, GithubRepositoryOut) and len(repository.commit_id) == 40


async def test_create_classifier_job(fake_mistral: FakeMistral) -> None:
    file_id = seed_file(fake_mistral, CLASSIFIER_DATA)
    async with client_for(fake_mistral) as client:
        job = await client.fine_tuning.jobs.create(
            model=MODEL,
            training_files=[file_id],
            job_type="classifier",
            hyperparameters=ClassifierTrainingParametersIn(epochs=2),
            classifier_targets=[
                ClassifierTargetIn(name="sentiment", labels=["positive", "negative"]),
                {"name": "topic", "labels": ["a", "b"], "loss_function": "multi_class"},
            ],
        )
        assert isinstance(job, ClassifierJobOut) and job.job_type == "classifier"
        detailed = await client.fine_tuning.jobs.get(job.id)
    assert isinstance(detailed, ClassifierDetailedJobOut)
    assert [(t.name, t.loss_function) for t in detailed.classifier_targets] == [
        ("sentiment", "single_class"),
        ("topic", "multi_class"),
    ]


async def test_dry_run_estimates_without_creating_a_job(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        estimate = await client.fine_tuning.jobs.create(
            model=MODEL,
            training_files=[seed_file(fake_mistral)],
            hyperparameters={"training_steps": 4},
            dry_run=True,
        )
        assert fake_mistral.last_request.query == {"dry_run": "true"}
        page = await client.fine_tuning.jobs.list()
    assert isinstance(estimate, LegacyJobMetadataOut)
    assert estimate.object == "job.metadata" and estimate.training_steps == 4
    assert estimate.train_tokens == 4 * (estimate.train_tokens_per_step or 0) > 0
    assert estimate.cost is not None and estimate.cost > 0 and estimate.details
    assert page.total == 0 and fake_mistral.state(FineTuningState).jobs == {}


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": ""}, "model"),
        ({"hyperparameters": None}, "hyperparameters"),
        ({"hyperparameters": {"learning_rate": 2}}, "hyperparameters.learning_rate"),
        ({"hyperparameters": {"training_steps": 0}}, "hyperparameters.training_steps"),
        ({"hyperparameters": {"seq_len": 99.5}}, "hyperparameters.seq_len"),
        ({"training_files": "f"}, "training_files"),
        ({"training_files": [{"weight": 1}]}, "training_files[0].file_id"),
        ({"training_files": [TrainingFile("f", weight=0)]}, "training_files[0].weight"),
        ({"validation_files": ["ok", 3]}, "validation_files[1]"),
        ({"suffix": "x" * 19}, "suffix"),
        ({"integrations": [{"project": "p", "api_key": "short"}]}, "integrations[0].api_key"),
        ({"integrations": [{"project": "p"}]}, "integrations[0].api_key"),
        (
            {"integrations": [{"type": "mlflow", "project": "p", "api_key": WANDB_KEY}]},
            "integrations[0].type",
        ),
        ({"auto_start": "yes"}, "auto_start"),
        ({"invalid_sample_skip_percentage": 0.6}, "invalid_sample_skip_percentage"),
        ({"job_type": "reranker"}, "job_type"),
        ({"repositories": [{"name": "r", "owner": "o"}]}, "repositories[0].token"),
        (
            {"classifier_targets": [{"name": "t", "labels": ["a"], "loss_function": "x"}]},
            "classifier_targets[0].loss_function",
        ),
        ({"classifier_targets": [{"name": "t", "labels": "a"}]}, "classifier_targets[0].labels"),
        ({"dry_run": "yes"}, "dry_run"),
    ],
)
async def test_bad_parameters_are_refused_before_sending(
    fake_mistral: FakeMistral, kwargs: dict[str, Any], param: str
) -> None:
    params: dict[str, Any] = {
        "model": MODEL,
        "training_files": ["f"],
        "hyperparameters": {},
        **kwargs,
    }
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError) as caught:
            await client.fine_tuning.jobs.create(**params)
    assert caught.value.param == param
    assert fake_mistral.requests == []


async def test_the_server_checks_the_body_files_and_model(fake_mistral: FakeMistral) -> None:
    file_id = seed_file(fake_mistral)
    async with client_for(fake_mistral) as client:
        jobs = client.fine_tuning.jobs
        # extra_body slips past the client's checks, to show the fake's own 422.
        with pytest.raises(UnprocessableEntityError) as invalid:
            await jobs.create(
                model=MODEL,
                training_files=[file_id],
                hyperparameters={},
                extra_body={"hyperparameters": {"warmup_fraction": 3}, "colour": "blue"},
            )
        locs = [tuple(d["loc"]) for d in invalid.value.detail]
        assert ("body", "colour") in locs
        assert any(loc[:2] == ("body", "hyperparameters") for loc in locs)
        with pytest.raises(NotFoundError, match="File not found: 00000000"):
            await jobs.create(
                model=MODEL,
                training_files=["00000000-0000-4000-8000-000000000000"],
                hyperparameters={},
            )
        with pytest.raises(BadRequestError, match="not available for fine-tuning"):
            await jobs.create(model="mistral-embed", training_files=[file_id], hyperparameters={})
        batch_file = seed_file(fake_mistral, purpose="batch")
        with pytest.raises(BadRequestError, match="purpose 'batch'"):
            await jobs.create(model=MODEL, training_files=[batch_file], hyperparameters={})
        with pytest.raises(UnprocessableEntityError) as no_targets:
            await jobs.create(
                model=MODEL, training_files=[file_id], hyperparameters={}, job_type="classifier"
            )
        assert no_targets.value.detail[0]["loc"] == ["body", "classifier_targets"]
    assert fake_mistral.state(FineTuningState).jobs == {}


# -- get, list ---------------------------------------------------------------------------------


async def test_get_moves_the_job_on_and_parses_events(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        job = await client.fine_tuning.jobs.get(created.id)
        assert fake_mistral.last_request.method == "GET"
        assert fake_mistral.last_request.path == f"{PATH}/{created.id}"
        assert isinstance(job, CompletionDetailedJobOut) and job.status == "VALIDATING"
        assert [e.data and e.data["status"] for e in job.events] == ["QUEUED", "VALIDATING"]
        assert all(e.name == "status-updated" and e.created_at > 0 for e in job.events)
        with pytest.raises(NotFoundError, match="Job not found"):
            await client.fine_tuning.jobs.get("00000000-0000-4000-8000-000000000000")
        with pytest.raises(UnprocessableEntityError):
            await client.fine_tuning.jobs.get("not-a-uuid")
        with pytest.raises(InvalidParameterError):
            await client.fine_tuning.jobs.get("")


async def test_list_filters_and_pages(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        first = await new_job(client, fake_mistral, suffix="a")
        second = await new_job(
            client,
            fake_mistral,
            suffix="b",
            integrations=[{"project": "proj", "api_key": WANDB_KEY, "name": "run"}],
        )
        third = await new_job(client, fake_mistral, suffix="a")
        await client.fine_tuning.jobs.wait(third.id, poll_interval=0)
        jobs = client.fine_tuning.jobs

        page = await jobs.list()
        assert isinstance(page, JobsOut) and page.total == 3
        assert [j.id for j in page.data] == [third.id, second.id, first.id]  # newest first
        assert all(not hasattr(j, "events") for j in page.data)  # list gives no events
        assert [j.id for j in (await jobs.list(suffix="a")).data] == [third.id, first.id]
        assert [j.id for j in (await jobs.list(status="SUCCESS")).data] == [third.id]
        assert [j.id for j in (await jobs.list(wandb_project="proj")).data] == [second.id]
        assert [j.id for j in (await jobs.list(wandb_name="run")).data] == [second.id]
        assert (await jobs.list(model="codestral-latest")).total == 0
        future = datetime(2100, 1, 1, tzinfo=UTC)
        assert (await jobs.list(created_after=future, created_by_me=True)).total == 0
        assert fake_mistral.last_request.query == {
            "created_after": "2100-01-01T00:00:00+00:00",
            "created_by_me": "true",
        }
        assert (await jobs.list(created_before="2100-01-01T00:00:00Z")).total == 3

        fake_mistral.clear_requests()
        walked = [job.id async for job in jobs.list(page_size=2)]
        assert walked == [third.id, second.id, first.id]
        assert [r.query for r in fake_mistral.requests] == [
            {"page_size": "2"},
            {"page_size": "2", "page": "1"},
        ]
        with pytest.raises(InvalidParameterError, match="status"):
            jobs.list(status="DONE")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="created_after"):
            jobs.list(created_after="yesterday")
        with pytest.raises(InvalidParameterError, match="page_size"):
            jobs.list(page_size=-1)


# -- wait, cancel, start -----------------------------------------------------------------------


async def test_wait_reports_progress_in_order_and_publishes_the_model(
    fake_mistral: FakeMistral,
) -> None:
    seen: list[tuple[str, int]] = []
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral, suffix="bot")
        job = await client.fine_tuning.jobs.wait(
            created.id,
            poll_interval=0,
            on_progress=lambda j: seen.append((j.status, len(j.checkpoints))),
        )
        assert [status for status, _ in seen] == PROGRESS
        assert [count for _, count in seen] == [0, 0, 0, 1, 2, 2]
        assert isinstance(job, CompletionDetailedJobOut) and job.status == "SUCCESS"
        assert job.done and job.trained_tokens and job.fine_tuned_model
        assert job.fine_tuned_model.startswith(f"ft:{MODEL}:bot:")
        losses = [c.metrics.train_loss or 0 for c in job.checkpoints]
        assert losses == sorted(losses, reverse=True)  # the loss goes down
        card = await client.models.retrieve(job.fine_tuned_model)
        assert card.id == job.fine_tuned_model and getattr(card, "job", None) == job.id
        listed = await client.models.list()
        assert job.fine_tuned_model in [m.id for m in listed.data]
        reply = await client.chat.complete(
            model=job.fine_tuned_model, messages=[{"role": "user", "content": "Hi"}]
        )
        assert reply.choices[0].message.text


async def test_wait_calls_back_on_changes_only_and_awaits_async_callbacks(
    fake_mistral: FakeMistral,
) -> None:
    state = fake_mistral.state(FineTuningState)
    seen: list[str] = []

    async def progress(job: DetailedFineTuningJob) -> None:
        seen.append(job.status)

    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        state.hold(created.id)  # reads leave it QUEUED
        fake_mistral.clear_requests()
        waiting = asyncio.create_task(
            client.fine_tuning.jobs.wait(created.id, poll_interval=0.01, on_progress=progress)
        )
        # Let several polls see the same QUEUED job; none of them is cut short, so every
        # answer reaches the callback logic and the order below is exact.
        while len(fake_mistral.requests) < 4:
            await asyncio.sleep(0.005)
        assert seen == ["QUEUED"]
        state.hold(created.id, False)
        job = await asyncio.wait_for(waiting, 10)
    assert job.status == "SUCCESS"
    assert seen == ["QUEUED", *PROGRESS]


async def test_wait_times_out_with_the_last_job(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(FineTuningState).running_steps = 10_000
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        with pytest.raises(JobTimeoutError) as caught:
            await client.fine_tuning.jobs.wait(created.id, poll_interval=0.01, timeout=0.2)
    assert isinstance(caught.value, APITimeoutError)
    assert caught.value.job is not None and caught.value.job.status == "RUNNING"
    assert caught.value.timeout == 0.2 and created.id in str(caught.value)


async def test_the_timeout_bounds_a_slow_poll_too(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        fake_mistral.delay_next(5.0)
        started = time.monotonic()
        with pytest.raises(JobTimeoutError) as caught:
            await client.fine_tuning.jobs.wait(created.id, poll_interval=0, timeout=0.2)
        assert time.monotonic() - started < 2
        assert caught.value.job is None  # no poll got through


async def test_wait_raises_on_failure_unless_told_not_to(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        fake_mistral.state(FineTuningState).fail(created.id, "out of memory")
        with pytest.raises(FineTuningJobError) as caught:
            await client.fine_tuning.jobs.wait(created.id, poll_interval=0)
        assert caught.value.status == "FAILED" and caught.value.reason == "out of memory"
        assert caught.value.job.id == created.id and "out of memory" in str(caught.value)

        other = await new_job(client, fake_mistral)
        fake_mistral.state(FineTuningState).fail(other.id)
        job = await client.fine_tuning.jobs.wait(other.id, poll_interval=0, raise_on_failure=False)
        assert job.status == "FAILED" and job.fine_tuned_model is None


async def test_invalid_training_data_fails_validation(fake_mistral: FakeMistral) -> None:
    mixed = CHAT_DATA + b'{"prompt": "no messages"}\n'  # one bad sample of four
    async with client_for(fake_mistral) as client:
        job = await client.fine_tuning.jobs.create(
            model=MODEL, training_files=[seed_file(fake_mistral, mixed)], hyperparameters={}
        )
        with pytest.raises(FineTuningJobError) as caught:
            await client.fine_tuning.jobs.wait(job.id, poll_interval=0)
        assert caught.value.status == "FAILED_VALIDATION"
        assert caught.value.reason and "1 of 4 samples are invalid" in caught.value.reason
        tolerant = await client.fine_tuning.jobs.create(
            model=MODEL,
            training_files=[seed_file(fake_mistral, mixed)],
            hyperparameters={},
            invalid_sample_skip_percentage=0.25,
        )
        done = await client.fine_tuning.jobs.wait(tolerant.id, poll_interval=0)
        assert done.status == "SUCCESS"


async def test_cancel(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        await client.fine_tuning.jobs.get(created.id)
        job = await client.fine_tuning.jobs.cancel(job_id=created.id)
        assert fake_mistral.last_request.method == "POST"
        assert fake_mistral.last_request.path == f"{PATH}/{created.id}/cancel"
        assert isinstance(job, CompletionDetailedJobOut)
        assert job.status == "CANCELLATION_REQUESTED"
        with pytest.raises(FineTuningJobError) as caught:
            await client.fine_tuning.jobs.wait(created.id, poll_interval=0)
        assert caught.value.status == "CANCELLED"
        with pytest.raises(ConflictError, match="cannot be cancelled"):
            await client.fine_tuning.jobs.cancel(created.id)


async def test_start_after_auto_start_false(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral, auto_start=False)
        with pytest.raises(ConflictError, match="not VALIDATED"):
            await client.fine_tuning.jobs.start(created.id)
        # wait returns at VALIDATED: the job would not move before start.
        validated = await client.fine_tuning.jobs.wait(created.id, poll_interval=0)
        assert validated.status == "VALIDATED" and validated.metadata is not None
        assert (await client.fine_tuning.jobs.get(created.id)).status == "VALIDATED"
        started = await client.fine_tuning.jobs.start(created.id)
        assert fake_mistral.last_request.path == f"{PATH}/{created.id}/start"
        assert started.status == "STARTED"
        done = await client.fine_tuning.jobs.wait(created.id, poll_interval=0)
        assert done.status == "SUCCESS" and done.fine_tuned_model
        with pytest.raises(ConflictError):
            await client.fine_tuning.jobs.start(created.id)


async def test_wait_with_raw_response_gives_the_last_raw_poll(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        raw: Any = await client.with_raw_response.fine_tuning.jobs.wait(created.id, poll_interval=0)
    assert isinstance(raw, RawResponse) and raw.status_code == 200
    assert raw.request_id and raw.parse().status == "SUCCESS"


async def test_wait_checks_its_parameters(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        wait = client.fine_tuning.jobs.wait
        with pytest.raises(InvalidParameterError, match="poll_interval"):
            await wait("00000000-0000-4000-8000-000000000000", poll_interval=-1)
        with pytest.raises(InvalidParameterError, match="timeout"):
            await wait("00000000-0000-4000-8000-000000000000", timeout="1")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="on_progress"):
            await wait("00000000-0000-4000-8000-000000000000", on_progress=3)  # type: ignore[arg-type]
    assert fake_mistral.requests == []


async def test_wait_passes_poll_options(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await new_job(client, fake_mistral)
        fake_mistral.clear_requests()
        await client.fine_tuning.jobs.wait(
            created.id, poll_interval=0, request_timeout=5, extra_headers={"X-Trace": "1"}
        )
    assert len(fake_mistral.requests) == len(PROGRESS)
    assert all(r.headers["x-trace"] == "1" for r in fake_mistral.requests)


# -- parsing what this SDK does not know ---------------------------------------------------


def test_unknown_job_types_and_integrations_are_kept() -> None:
    base = {
        "id": "j",
        "auto_start": True,
        "model": MODEL,
        "status": "PAUSED",
        "created_at": 1,
        "modified_at": 2,
        "training_files": [],
        "hyperparameters": {"learning_rate": 0.1},
        "job_type": "reranker",
        "rerank_depth": 5,
        "integrations": [{"type": "mlflow", "uri": "x"}, {"project": "p"}],
    }
    parse = cast_to(DetailedFineTuningJob)
    job = parse(base)
    assert isinstance(job, CompletionDetailedJobOut)
    assert job.job_type == "reranker" and job.status == "PAUSED" and not job.done
    assert job.rerank_depth == 5 and job.extra_fields == {"rerank_depth": 5}
    assert job.integrations == [{"type": "mlflow", "uri": "x"}, WandbIntegrationOut("p")]
    broken = {"job_type": "reranker", "id": "j"}
    assert parse(broken) == broken


# -- the blocking client -------------------------------------------------------------------------


def test_blocking_client_every_method(fake_mistral: FakeMistral) -> None:
    file_id = seed_file(fake_mistral)
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        jobs = client.fine_tuning.jobs
        estimate = jobs.create(
            model=MODEL, training_files=[file_id], hyperparameters={}, dry_run=True
        )
        assert isinstance(estimate, LegacyJobMetadataOut)
        created = jobs.create(model=MODEL, training_files=[file_id], hyperparameters={})
        assert isinstance(created, CompletionJobOut) and created.status == "QUEUED"
        assert jobs.get(created.id).status == "VALIDATING"
        seen: list[str] = []
        done = jobs.wait(created.id, poll_interval=0, on_progress=lambda j: seen.append(j.status))
        assert seen == PROGRESS[1:] and done.status == "SUCCESS"
        assert client.models.retrieve(done.fine_tuned_model or "").id == done.fine_tuned_model

        manual = jobs.create(
            model=MODEL, training_files=[file_id], hyperparameters={}, auto_start=False
        )
        assert jobs.wait(manual.id, poll_interval=0).status == "VALIDATED"
        assert jobs.start(manual.id).status == "STARTED"
        assert jobs.cancel(manual.id).status == "CANCELLATION_REQUESTED"
        with pytest.raises(FineTuningJobError):
            jobs.wait(manual.id, poll_interval=0)

        assert [j.id for j in jobs.list(page_size=1)] == [manual.id, created.id]
        assert jobs.list(status="CANCELLED").total == 1
        with pytest.raises(JobTimeoutError):
            jobs.wait(
                jobs.create(model=MODEL, training_files=[file_id], hyperparameters={}).id,
                poll_interval=0,
                timeout=0,
            )


# -- the example ---------------------------------------------------------------------------------


def test_example_runs_against_the_fake_server(fake_mistral: FakeMistral) -> None:
    env = dict(
        os.environ,
        MISTRAL_API_KEY=fake_mistral.api_key,
        MISTRAL_SERVER_URL=fake_mistral.url,
        POLL_INTERVAL="0.01",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "fine_tuning.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Uploaded support.jsonl")
    assert lines[1].startswith("Estimate: ") and "EUR" in lines[1]
    assert lines[2].startswith("Created job ") and lines[2].endswith(": QUEUED")
    assert [line.split()[0] for line in lines[3:9]] == PROGRESS
    assert lines[9].startswith(f"Fine-tuned model: ft:{MODEL}:support:")
    assert lines[10] == (
        "Answer: Hello! You said: Can I change my plan?. "
        "This reply comes from the fake Mistral server."
    )
    # The job and the model it made are on the server, as the script said.
    (job,) = fake_mistral.state(FineTuningState).jobs.values()
    assert job["status"] == "SUCCESS" and lines[9].endswith(job["fine_tuned_model"])
