"""Cases of the ``fine_tuning.jobs`` group (the five operations of the July 2026 spec).

Job creation needs training files on the fake server: :func:`training_files` uploads two with
``files.upload``. The fake moves a job one step per ``get``, so :func:`validated_job` reads a
job created with ``auto_start=False`` until it is ``VALIDATED``, ready for ``start``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mistral_async import AsyncMistral
from mistral_async.types.fine_tuning import (
    ClassifierTargetIn,
    ClassifierTrainingParametersIn,
    CompletionTrainingParametersIn,
    DetailedFineTuningJob,
    FineTuningJob,
    GithubRepositoryIn,
    JobsOut,
    LegacyJobMetadataOut,
    TrainingFile,
    WandbIntegration,
    structure_create_result,
)

from ..case import Case

CHAT = (
    b'{"messages": [{"role": "user", "content": "Hi"}, '
    b'{"role": "assistant", "content": "Hello"}]}\n'
)
CLASSIFY = b'{"text": "I love it", "labels": {"sentiment": "positive"}}\n'
WANDB_KEY = "0123456789abcdef0123456789abcdef01234567"


async def training_files(client: AsyncMistral) -> dict[str, str]:
    """Upload a training and a validation file (and a classifier one); their ids."""
    ids = {}
    for name, content in (("train", CHAT), ("valid", CHAT), ("classify", CLASSIFY)):
        uploaded = await client.files.upload(file=(f"{name}.jsonl", content), purpose="fine-tune")
        ids[name] = uploaded.id
    return ids


async def job(client: AsyncMistral) -> str:
    """Create a completion job; its id."""
    files = await training_files(client)
    created = await client.fine_tuning.jobs.create(
        model="mistral-small-latest", training_files=[files["train"]], hyperparameters={}
    )
    return created.id


async def validated_job(client: AsyncMistral) -> str:
    """Create a job with ``auto_start=False`` and read it until it is VALIDATED; its id."""
    files = await training_files(client)
    created = await client.fine_tuning.jobs.create(
        model="mistral-small-latest",
        training_files=[files["train"]],
        hyperparameters={"training_steps": 5},
        auto_start=False,
    )
    await client.fine_tuning.jobs.wait(created.id, poll_interval=0, timeout=5)
    return created.id


def full_job(files: dict[str, str]) -> dict[str, Any]:
    """Every body parameter of a completion job."""
    return {
        "model": "mistral-small-latest",
        "training_files": [TrainingFile(files["train"], weight=2.0), files["train"]],
        "validation_files": [files["valid"]],
        "suffix": "support-bot",
        "integrations": [
            WandbIntegration(project="support", api_key=WANDB_KEY, name="run", run_name="r1")
        ],
        "auto_start": False,
        "invalid_sample_skip_percentage": 0.1,
        "job_type": "completion",
        "hyperparameters": CompletionTrainingParametersIn(
            training_steps=10,
            learning_rate=1e-4,
            weight_decay=0.1,
            warmup_fraction=0.05,
            epochs=1.5,
            seq_len=4096,
            fim_ratio=0.9,
        ),
        "repositories": [
            GithubRepositoryIn(name="docs", owner="acme", token="ghp_token", ref="main", weight=0.5)
        ],
    }


CASES: dict[str, Case] = {
    "jobs_api_routes_fine_tuning_get_fine_tuning_jobs": Case(
        method="fine_tuning.jobs.list",
        kwargs={
            "page": 1,
            "page_size": 10,
            "model": "mistral-small-latest",
            "created_after": datetime(2026, 1, 1, tzinfo=UTC),
            "created_before": "2030-01-01T00:00:00Z",
            "created_by_me": True,
            "status": "SUCCESS",
            "wandb_project": "support",
            "wandb_name": "run",
            "suffix": "support-bot",
        },
        returns="paginator",
        response_type=JobsOut,
    ),
    "jobs_api_routes_fine_tuning_create_fine_tuning_job": Case(
        method="fine_tuning.jobs.create",
        setup=training_files,
        kwargs=full_job,
        response_type=FineTuningJob,
        parse=structure_create_result,
        note="answers a job, or LegacyJobMetadataOut for a dry run: one parser for both",
    ),
    "jobs_api_routes_fine_tuning_create_fine_tuning_job:dry-run": Case(
        method="fine_tuning.jobs.create",
        setup=training_files,
        kwargs=lambda files: {**full_job(files), "dry_run": True},
        response_type=LegacyJobMetadataOut,
        parse=structure_create_result,
    ),
    "jobs_api_routes_fine_tuning_create_fine_tuning_job:classifier": Case(
        method="fine_tuning.jobs.create",
        setup=training_files,
        kwargs=lambda files: {
            "model": "mistral-small-latest",
            "training_files": [{"file_id": files["classify"], "weight": 1}],
            "job_type": "classifier",
            "hyperparameters": ClassifierTrainingParametersIn(training_steps=5, epochs=2),
            "classifier_targets": [
                ClassifierTargetIn(
                    name="sentiment",
                    labels=["positive", "negative"],
                    weight=1.0,
                    loss_function="single_class",
                ),
                {"name": "topic", "labels": ["billing", "other"]},
            ],
            "integrations": None,
            "repositories": None,
            "dry_run": False,
        },
        response_type=FineTuningJob,
        parse=structure_create_result,
    ),
    "jobs_api_routes_fine_tuning_get_fine_tuning_job": Case(
        method="fine_tuning.jobs.get",
        setup=job,
        args=lambda job_id: (job_id,),
        response_type=DetailedFineTuningJob,
    ),
    "jobs_api_routes_fine_tuning_cancel_fine_tuning_job": Case(
        method="fine_tuning.jobs.cancel",
        setup=job,
        kwargs=lambda job_id: {"job_id": job_id},
        response_type=DetailedFineTuningJob,
    ),
    "jobs_api_routes_fine_tuning_start_fine_tuning_job": Case(
        method="fine_tuning.jobs.start",
        setup=validated_job,
        args=lambda job_id: (job_id,),
        response_type=DetailedFineTuningJob,
    ),
}
