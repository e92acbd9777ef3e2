"""Fake ``/v1/fine_tuning/jobs`` endpoints (the July 2026 spec), over :class:`FineTuningState`.

Jobs move one step each time they are read with ``GET /v1/fine_tuning/jobs/{job_id}``, so a
test sees every status in order, deterministically, without waiting::

    QUEUED -> VALIDATING -> VALIDATED -> RUNNING -> RUNNING (+checkpoint) ... -> SUCCESS

A job created with ``auto_start=False`` stays ``VALIDATED`` until ``POST .../start`` (then
``STARTED`` -> ``RUNNING`` ...). ``POST .../cancel`` gives ``CANCELLATION_REQUESTED``, and the
next read ``CANCELLED``. Validation reads the training files from :class:`FilesState`: a file
with more invalid lines than ``invalid_sample_skip_percentage`` allows (a line that is not a
JSON object with ``messages``; for classifiers, with ``labels`` too) ends ``FAILED_VALIDATION``.
On ``SUCCESS`` the model is published in :class:`ModelCatalog`, so ``/v1/models`` lists it.

Tests steer jobs through ``fake.state(FineTuningState)``: ``running_steps`` (checkpoints
before success), ``fail(job_id, message)`` (the job fails while running), ``hold(job_id)``
(reads leave the job as it is) and ``advance(job_id, steps)``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._catalog import ModelCatalog
from .._store import FilesState
from .._validation import (
    Array,
    Body,
    Bool,
    Float,
    Int,
    Model,
    Str,
    Tagged,
    Union,
    nullable,
)

__all__ = ["FineTuningState", "register"]

_STATUSES = [
    "QUEUED",
    "STARTED",
    "VALIDATING",
    "VALIDATED",
    "RUNNING",
    "FAILED_VALIDATION",
    "FAILED",
    "SUCCESS",
    "CANCELLED",
    "CANCELLATION_REQUESTED",
]
_TERMINAL = frozenset({"SUCCESS", "FAILED", "FAILED_VALIDATION", "CANCELLED"})
_TOKENS_PER_STEP = 131072
_PRICE_PER_MILLION = 2.0  # EUR per million trained tokens (made up, but stable)
_SECONDS_PER_STEP = 12

# -- request schemas (JobIn and its parts, from the July 2026 spec) -------------------------------

_STR = Str()
_COMMON_HYPERPARAMETERS = {
    "training_steps": nullable(Int(ge=1)),
    "learning_rate": Float(ge=1e-8, le=1),
    "weight_decay": nullable(Float(ge=0, le=1)),
    "warmup_fraction": nullable(Float(ge=0, le=1)),
    "epochs": nullable(Float(gt=0)),
    "seq_len": nullable(Int(ge=100)),
}
_COMPLETION_HYPERPARAMETERS = Model(
    "CompletionTrainingParametersIn",
    {**_COMMON_HYPERPARAMETERS, "fim_ratio": nullable(Float(ge=0, le=1))},
)
_CLASSIFIER_HYPERPARAMETERS = Model("ClassifierTrainingParametersIn", _COMMON_HYPERPARAMETERS)
_TRAINING_FILE = Model(
    "TrainingFile", {"file_id": _STR, "weight": Float(gt=0)}, required=["file_id"]
)
_WANDB = Model(
    "WandbIntegration",
    {
        "type": Str(const="wandb"),
        "project": _STR,
        "name": nullable(_STR),
        "api_key": Str(min_length=40, max_length=40),
        "run_name": nullable(_STR),
    },
    required=["project", "api_key"],
)
_GITHUB = Model(
    "GithubRepositoryIn",
    {
        "type": Str(const="github"),
        "name": _STR,
        "owner": _STR,
        "ref": nullable(_STR),
        "weight": Float(gt=0),
        "token": _STR,
    },
    required=["name", "owner", "token"],
)
_TARGET = Model(
    "ClassifierTargetIn",
    {
        "name": _STR,
        "labels": Array(_STR),
        "weight": Float(ge=0),
        "loss_function": nullable(Str(enum=["single_class", "multi_class"])),
    },
    required=["name", "labels"],
)
CREATE_JOB = Body(
    "JobIn",
    required={
        "model": _STR,
        "hyperparameters": Union(_COMPLETION_HYPERPARAMETERS, _CLASSIFIER_HYPERPARAMETERS),
    },
    optional={
        "training_files": Array(_TRAINING_FILE),
        "validation_files": nullable(Array(_STR)),
        "suffix": nullable(Str(max_length=18)),
        "integrations": nullable(Array(Tagged("type", {"wandb": _WANDB}, default="wandb"))),
        "auto_start": Bool(),
        "invalid_sample_skip_percentage": Float(ge=0, le=0.5),
        "job_type": nullable(Str(enum=["completion", "classifier"])),
        "repositories": nullable(Array(Tagged("type", {"github": _GITHUB}, default="github"))),
        "classifier_targets": nullable(Array(_TARGET)),
    },
)
CREATE_QUERY = Body("CreateJobQuery", optional={"dry_run": nullable(Bool())})
LIST_QUERY = Body(
    "ListJobsQuery",
    optional={
        "page": Int(),
        "page_size": Int(),
        "model": nullable(_STR),
        "created_after": nullable(_STR),
        "created_before": nullable(_STR),
        "created_by_me": Bool(),
        "status": nullable(Str(enum=_STATUSES)),
        "wandb_project": nullable(_STR),
        "wandb_name": nullable(_STR),
        "suffix": nullable(_STR),
    },
)


# -- state ----------------------------------------------------------------------------------------


class FineTuningState:
    """The fine-tuning jobs of one fake server (dropped by ``fake.reset()``).

    ``running_steps`` is how many reads a running job takes, each adding a checkpoint,
    before it succeeds. Jobs are kept as the detailed job objects the API returns.
    """

    def __init__(self) -> None:
        """Start with no job."""
        self.jobs: dict[str, dict[str, Any]] = {}
        self.running_steps = 2
        self._failures: dict[str, str] = {}
        self._invalid: dict[str, str] = {}
        self._held: set[str] = set()

    def fail(self, job_id: str, message: str = "Training diverged: the loss is NaN") -> None:
        """Make the job end ``FAILED`` (with ``message``) at its next running step."""
        self._failures[job_id] = message

    def hold(self, job_id: str, held: bool = True) -> None:
        """Freeze a job where it is (reads stop moving it on), or with ``held=False`` thaw it."""
        if held:
            self._held.add(job_id)
        else:
            self._held.discard(job_id)

    def advance(
        self, job_id: str, steps: int = 1, *, catalog: ModelCatalog | None = None
    ) -> dict[str, Any]:
        """Move a job ``steps`` steps on, as that many reads would; return it.

        Pass the server's ``catalog`` (``fake.state(ModelCatalog)``) to publish the model
        of a job that succeeds.
        """
        job = self.jobs[job_id]
        for _ in range(steps):
            self.step(job, catalog)
        return job

    def add(self, job: dict[str, Any], *, validation_error: str | None = None) -> None:
        """Keep a new job; with ``validation_error`` it ends ``FAILED_VALIDATION``."""
        self.jobs[job["id"]] = job
        if validation_error is not None:
            self._invalid[job["id"]] = validation_error

    # -- the life of a job

    def set_status(self, job: dict[str, Any], status: str, **data: Any) -> None:
        """Change a job's status, recording the change as an event."""
        now = int(time.time())
        job["status"] = status
        job["modified_at"] = now
        job["events"].append(
            {"name": "status-updated", "data": {"status": status, **data}, "created_at": now}
        )

    def step(self, job: dict[str, Any], catalog: ModelCatalog | None) -> None:
        """Move ``job`` one step on (publishing its model in ``catalog`` on success)."""
        if job["id"] in self._held:
            return
        status = job["status"]
        if status == "QUEUED":
            self.set_status(job, "VALIDATING")
        elif status == "VALIDATING":
            error = self._invalid.pop(job["id"], None)
            if error is not None:
                self.set_status(job, "FAILED_VALIDATION", error=error)
            else:
                self.set_status(job, "VALIDATED")
        elif status == "VALIDATED":
            if job["auto_start"]:
                self.set_status(job, "RUNNING")
        elif status == "STARTED":
            self.set_status(job, "RUNNING")
        elif status == "RUNNING":
            self._run(job, catalog)
        elif status == "CANCELLATION_REQUESTED":
            self.set_status(job, "CANCELLED")

    def _run(self, job: dict[str, Any], catalog: ModelCatalog | None) -> None:
        failure = self._failures.pop(job["id"], None)
        if failure is not None:
            self.set_status(job, "FAILED", error=failure)
            return
        checkpoints = job["checkpoints"]
        if len(checkpoints) < self.running_steps:
            n = len(checkpoints) + 1
            steps = job["hyperparameters"].get("training_steps") or 10
            metrics: dict[str, Any] = {
                "train_loss": round(2.0 / (n + 1), 6),
                "valid_loss": None,
                "valid_mean_token_accuracy": None,
            }
            if job["validation_files"]:
                metrics["valid_loss"] = round(2.2 / (n + 1), 6)
                metrics["valid_mean_token_accuracy"] = round(1 - 0.5 / (n + 1), 6)
            checkpoints.append(
                {
                    "metrics": metrics,
                    "step_number": max(1, steps * n // max(1, self.running_steps)),
                    "created_at": int(time.time()),
                }
            )
            job["modified_at"] = int(time.time())
            return
        metadata = job["metadata"] or {}
        job["trained_tokens"] = metadata.get("train_tokens")
        job["fine_tuned_model"] = _model_name(job)
        self.set_status(job, "SUCCESS")
        if catalog is not None:
            catalog.add_fine_tuned(job["fine_tuned_model"], root=job["model"], job=job["id"])


def register(app: FakeApp) -> None:
    """Add the fine-tuning job routes."""
    app.route("GET", "/v1/fine_tuning/jobs", list_jobs)
    app.route("POST", "/v1/fine_tuning/jobs", create_job)
    app.route("GET", "/v1/fine_tuning/jobs/{job_id}", get_job)
    app.route("POST", "/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job)
    app.route("POST", "/v1/fine_tuning/jobs/{job_id}/start", start_job)


# -- handlers -------------------------------------------------------------------------------------


async def create_job(call: Call) -> web.StreamResponse:
    """``POST /v1/fine_tuning/jobs[?dry_run=true]``."""
    query = call.validate_query(CREATE_QUERY)
    payload = await call.json(CREATE_JOB)
    job_type = payload.get("job_type") or "completion"
    if job_type == "classifier" and not payload.get("classifier_targets"):
        raise Abort(
            call.validation_error(
                [
                    {
                        "type": "value_error",
                        "loc": ["body", "classifier_targets"],
                        "msg": "Value error, a classifier job needs classifier_targets",
                        "input": payload.get("classifier_targets"),
                        "ctx": {"error": {}},
                    }
                ]
            )
        )
    base = _fine_tunable(call, payload["model"])
    files = call.state(FilesState)
    training = [item["file_id"] for item in payload.get("training_files", [])]
    validation = list(payload.get("validation_files") or [])
    if not training:
        return call.error(400, "At least one training file is required")
    data_tokens = 0
    for index, file_id in enumerate([*training, *validation]):
        stored = files.get(file_id)
        if stored is None:
            return call.not_found("File", file_id)
        if stored.purpose not in ("fine-tune", "fine_tune"):
            return call.error(
                400, f"File {file_id} has purpose {stored.purpose!r}, not 'fine-tune'"
            )
        if index < len(training):
            data_tokens += max(1, stored.size // 4)  # about 4 bytes a token
    hyperparameters = _hyperparameters(payload["hyperparameters"], job_type)
    metadata = _estimate(hyperparameters, data_tokens)
    if query.get("dry_run"):
        return call.ok(
            {
                **metadata,
                "deprecated": True,
                "details": "Dry run: no job was created.",
                "epochs": hyperparameters["epochs"],
                "training_steps": hyperparameters["training_steps"],
                "object": "job.metadata",
            }
        )
    job = _new_job(payload, base, job_type, training, validation, hyperparameters, metadata)
    skip = float(payload.get("invalid_sample_skip_percentage", 0))
    error = _check_samples(files, training, job_type, skip)
    call.state(FineTuningState).add(job, validation_error=error)
    return call.ok(_summary(job))


async def list_jobs(call: Call) -> web.StreamResponse:
    """``GET /v1/fine_tuning/jobs``: newest first, filtered, one page."""
    query = call.validate_query(LIST_QUERY)
    after = _moment(call, query, "created_after")
    before = _moment(call, query, "created_before")
    jobs = list(reversed(call.state(FineTuningState).jobs.values()))

    def keep(job: dict[str, Any]) -> bool:
        integrations = job["integrations"] or []
        return (
            (query.get("model") is None or job["model"] == query["model"])
            and (after is None or job["created_at"] >= after)
            and (before is None or job["created_at"] <= before)
            and (query.get("status") is None or job["status"] == query["status"])
            and (query.get("suffix") is None or job["suffix"] == query["suffix"])
            and (
                query.get("wandb_project") is None
                or any(i["project"] == query["wandb_project"] for i in integrations)
            )
            and (
                query.get("wandb_name") is None
                or any(i["name"] == query["wandb_name"] for i in integrations)
            )
        )

    matching = [job for job in jobs if keep(job)]
    page, size = query.get("page", 0), query.get("page_size", 100)
    data = matching[page * size : (page + 1) * size] if page >= 0 and size > 0 else []
    return call.ok({"object": "list", "data": [_summary(j) for j in data], "total": len(matching)})


async def get_job(call: Call) -> web.StreamResponse:
    """``GET /v1/fine_tuning/jobs/{job_id}``: moves the job one step on, then returns it."""
    job = _job(call)
    call.state(FineTuningState).step(job, call.state(ModelCatalog))
    return call.ok(_detailed(job))


async def cancel_job(call: Call) -> web.StreamResponse:
    """``POST /v1/fine_tuning/jobs/{job_id}/cancel``."""
    job = _job(call)
    if job["status"] in _TERMINAL:
        return call.error(409, f"Job {job['id']} is {job['status']} and cannot be cancelled")
    if job["status"] != "CANCELLATION_REQUESTED":
        call.state(FineTuningState).set_status(job, "CANCELLATION_REQUESTED")
    return call.ok(_detailed(job))


async def start_job(call: Call) -> web.StreamResponse:
    """``POST /v1/fine_tuning/jobs/{job_id}/start``: only for a VALIDATED job not started."""
    job = _job(call)
    if job["status"] != "VALIDATED" or job["auto_start"]:
        reason = "starts by itself (auto_start)" if job["auto_start"] else "is not VALIDATED"
        return call.error(
            409, f"Job {job['id']} {reason}; status {job['status']}", code="job_not_startable"
        )
    call.state(FineTuningState).set_status(job, "STARTED")
    return call.ok(_detailed(job))


# -- helpers --------------------------------------------------------------------------------------


def _job(call: Call) -> dict[str, Any]:
    """The job the path names: 422 for an id that is not a UUID, 404 for an unknown one."""
    job_id = call.params["job_id"]
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise Abort(
            call.validation_error(
                [
                    {
                        "type": "uuid_parsing",
                        "loc": ["path", "job_id"],
                        "msg": "Input should be a valid UUID, invalid character: expected an "
                        "optional prefix of `urn:uuid:` followed by [0-9a-fA-F-]",
                        "input": job_id,
                    }
                ]
            )
        ) from None
    job = call.state(FineTuningState).jobs.get(job_id)
    if job is None:
        raise Abort(call.not_found("Job", job_id))
    return job


def _fine_tunable(call: Call, model: str) -> dict[str, Any]:
    """The card of a model that can be fine-tuned, or stop with a 400."""
    catalog = call.state(ModelCatalog)
    cards = catalog.list_models(model=model)
    card = cards[0] if cards else None
    if card is None or not card["capabilities"].get("fine_tuning"):
        choices = ", ".join(
            c["id"] for c in catalog.list_models() if c["capabilities"].get("fine_tuning")
        )
        raise Abort(
            call.error(
                400,
                f"Model {model!r} is not available for fine-tuning; try one of: {choices}",
                param="model",
            )
        )
    return card


def _hyperparameters(given: dict[str, Any], job_type: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "training_steps": None,
        "learning_rate": 0.0001,
        "weight_decay": 0.1,
        "warmup_fraction": 0.05,
        "epochs": None,
        "seq_len": None,
    }
    if job_type == "completion":
        result["fim_ratio"] = 0.9
    result.update({k: v for k, v in given.items() if k in result})
    return result


def _estimate(hyperparameters: dict[str, Any], data_tokens: int) -> dict[str, Any]:
    """Fill in training_steps / epochs from each other; return the job's metadata."""
    steps = hyperparameters["training_steps"]
    epochs = hyperparameters["epochs"]
    if steps is None:
        steps = max(1, math.ceil((epochs or 1.0) * data_tokens / _TOKENS_PER_STEP))
        hyperparameters["training_steps"] = steps
    if epochs is None:
        hyperparameters["epochs"] = round(steps * _TOKENS_PER_STEP / data_tokens, 4)
    train_tokens = steps * _TOKENS_PER_STEP
    return {
        "expected_duration_seconds": steps * _SECONDS_PER_STEP,
        "cost": round(train_tokens / 1_000_000 * _PRICE_PER_MILLION, 4),
        "cost_currency": "EUR",
        "train_tokens_per_step": _TOKENS_PER_STEP,
        "train_tokens": train_tokens,
        "data_tokens": data_tokens,
        "estimated_start_time": int(time.time()) + 60,
    }


def _new_job(
    payload: dict[str, Any],
    base: dict[str, Any],
    job_type: str,
    training: list[str],
    validation: list[str],
    hyperparameters: dict[str, Any],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    now = int(time.time())
    job_id = str(uuid.uuid4())
    job: dict[str, Any] = {
        "id": job_id,
        "object": "job",
        "auto_start": payload.get("auto_start", True),
        "model": base["id"],
        "status": "QUEUED",
        "job_type": job_type,
        "created_at": now,
        "modified_at": now,
        "training_files": training,
        "validation_files": validation,
        "hyperparameters": hyperparameters,
        "fine_tuned_model": None,
        "suffix": payload.get("suffix"),
        "integrations": [
            {
                "type": "wandb",
                "project": i["project"],
                "name": i.get("name"),
                "run_name": i.get("run_name"),
                "url": f"https://wandb.ai/{i['project']}/runs/{job_id}",
            }
            for i in payload.get("integrations") or []
        ],
        "trained_tokens": None,
        "metadata": metadata,
        "events": [
            {"name": "status-updated", "data": {"status": "QUEUED"}, "created_at": now},
        ],
        "checkpoints": [],
    }
    if job_type == "classifier":
        job["classifier_targets"] = [
            {
                "name": t["name"],
                "labels": list(t["labels"]),
                "weight": t.get("weight", 1.0),
                "loss_function": t.get("loss_function") or "single_class",
            }
            for t in payload["classifier_targets"]
        ]
    else:
        job["repositories"] = [
            {
                "type": "github",
                "name": r["name"],
                "owner": r["owner"],
                "ref": r.get("ref"),
                "weight": r.get("weight", 1.0),
                "commit_id": hashlib.sha1(  # noqa: S324 - a made-up commit id, not security
                    f"{r['owner']}/{r['name']}@{r.get('ref')}".encode()
                ).hexdigest(),
            }
            for r in payload.get("repositories") or []
        ]
    return job


def _model_name(job: dict[str, Any]) -> str:
    day = datetime.fromtimestamp(job["created_at"], UTC).strftime("%Y%m%d")
    return f"ft:{job['model']}:{job['suffix'] or 'fake'}:{day}:{job['id'][:8]}"


def _check_samples(
    files: FilesState, training: list[str], job_type: str, skip: float
) -> str | None:
    """The validation error of the training data, if more samples are invalid than allowed."""
    total = invalid = 0
    first: str | None = None
    for file_id in training:
        stored = files.get(file_id)
        if stored is None:  # deleted meanwhile: the API would fail validation too
            return f"Training file {file_id} not found"
        with stored.blob.open() as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.strip()
                if not line:
                    continue
                total += 1
                problem = _sample_problem(line, job_type)
                if problem is not None:
                    invalid += 1
                    if first is None:
                        first = f"{stored.filename} line {number}: {problem}"
    if total == 0:
        return "The training files contain no sample"
    if invalid / total > skip:
        return f"{invalid} of {total} samples are invalid (first: {first})"
    return None


def _sample_problem(line: bytes, job_type: str) -> str | None:
    try:
        sample = json.loads(line)
    except ValueError:
        return "not valid JSON"
    if not isinstance(sample, dict):
        return "not a JSON object"
    if job_type == "classifier":
        if not isinstance(sample.get("labels"), dict):
            return "no 'labels' object"
        if not isinstance(sample.get("text"), str) and not isinstance(sample.get("messages"), list):
            return "no 'text' or 'messages'"
        return None
    messages = sample.get("messages")
    if not isinstance(messages, list) or not messages:
        return "no 'messages' list"
    return None


def _moment(call: Call, query: dict[str, Any], name: str) -> float | None:
    """A date-time filter as a UNIX timestamp (naive times are UTC); 422 if unparsable."""
    text = query.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        detail = {
            "type": "datetime_from_date_parsing",
            "loc": ["query", name],
            "msg": "Input should be a valid datetime or date, invalid character in year",
            "input": text,
            "ctx": {"error": "invalid character in year"},
        }
        raise Abort(call.validation_error([detail])) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _summary(job: dict[str, Any]) -> dict[str, Any]:
    """A job as create and list return it (no events, checkpoints or targets)."""
    hidden = ("events", "checkpoints", "classifier_targets")
    return {k: copy.deepcopy(v) for k, v in job.items() if k not in hidden}


def _detailed(job: dict[str, Any]) -> dict[str, Any]:
    """A job as get, cancel and start return it."""
    return copy.deepcopy(job)
