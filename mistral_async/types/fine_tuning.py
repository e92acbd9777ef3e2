"""Types of the fine-tuning jobs API (``client.fine_tuning.jobs``), from the July 2026 spec.

Jobs come in two kinds told apart by ``job_type``: completion jobs (:class:`CompletionJobOut`,
with :class:`CompletionDetailedJobOut` carrying events and checkpoints) and classifier jobs
(:class:`ClassifierJobOut`, :class:`ClassifierDetailedJobOut`). A job of a kind this SDK does
not know is read as a completion job, its other fields kept in ``extra_fields``. Statuses
are plain strings (:data:`JOB_STATUSES` lists those the spec knows).

The errors :meth:`AsyncFineTuningJobs.wait` raises, :class:`FineTuningJobError` and
:class:`JobTimeoutError`, live here too: they carry the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias

import attrs

from .._converter import Model, converter, register_union, tagged_union
from .._errors import FineTuningJobError, InvalidParameterError, JobTimeoutError
from .._types import NOT_GIVEN, NotGiven
from . import _validate as v

__all__ = [
    "FAILED_STATUSES",
    "JOB_STATUSES",
    "TERMINAL_STATUSES",
    "CheckpointOut",
    "ClassifierDetailedJobOut",
    "ClassifierJobOut",
    "ClassifierTargetIn",
    "ClassifierTargetOut",
    "ClassifierTrainingParameters",
    "ClassifierTrainingParametersIn",
    "CompletionDetailedJobOut",
    "CompletionJobOut",
    "CompletionTrainingParameters",
    "CompletionTrainingParametersIn",
    "DetailedFineTuningJob",
    "EventOut",
    "FineTuningJob",
    "FineTuningJobError",
    "GithubRepositoryIn",
    "GithubRepositoryOut",
    "Integration",
    "JobIn",
    "JobMetadataOut",
    "JobStatus",
    "JobTimeoutError",
    "JobsOut",
    "LegacyJobMetadataOut",
    "MetricOut",
    "Repository",
    "TrainingFile",
    "TrainingFileParam",
    "WandbIntegration",
    "WandbIntegrationOut",
]

JobStatus: TypeAlias = Literal[
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
"""The statuses the spec lists (the ``status`` filter of ``list`` takes one of them)."""

JOB_STATUSES: Final[tuple[str, ...]] = (
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
)
TERMINAL_STATUSES: Final = frozenset({"SUCCESS", "FAILED", "FAILED_VALIDATION", "CANCELLED"})
"""Statuses a job never leaves."""
FAILED_STATUSES: Final = frozenset({"FAILED", "FAILED_VALIDATION", "CANCELLED"})
"""Terminal statuses that produced no model."""


# -- parts of a job ----------------------------------------------------------------------------


@attrs.define(slots=True)
class CompletionTrainingParameters(Model):
    """The hyperparameters of a completion job, as the API reports them."""

    training_steps: int | None = None
    learning_rate: float = 0.0001
    weight_decay: float | None = None
    warmup_fraction: float | None = None
    epochs: float | None = None
    seq_len: int | None = None
    fim_ratio: float | None = None


@attrs.define(slots=True)
class ClassifierTrainingParameters(Model):
    """The hyperparameters of a classifier job, as the API reports them."""

    training_steps: int | None = None
    learning_rate: float = 0.0001
    weight_decay: float | None = None
    warmup_fraction: float | None = None
    epochs: float | None = None
    seq_len: int | None = None


@attrs.define(slots=True)
class WandbIntegrationOut(Model):
    """A Weights & Biases integration of a job (its API key is never sent back)."""

    project: str
    name: str | None = None
    run_name: str | None = None
    url: str | None = None
    type: str = "wandb"


@attrs.define(slots=True)
class GithubRepositoryOut(Model):
    """A GitHub repository a job trains on, pinned to a commit."""

    name: str
    owner: str
    commit_id: str
    ref: str | None = None
    weight: float = 1.0
    type: str = "github"


@attrs.define(slots=True)
class JobMetadataOut(Model):
    """Estimates of a job: duration, cost, tokens."""

    expected_duration_seconds: int | None = None
    cost: float | None = None
    cost_currency: str | None = None
    train_tokens_per_step: int | None = None
    train_tokens: int | None = None
    data_tokens: int | None = None
    estimated_start_time: int | None = None


@attrs.define(slots=True)
class EventOut(Model):
    """Something that happened to a job, such as a status change (``data["status"]``)."""

    name: str
    created_at: int
    data: dict[str, Any] | None = None


@attrs.define(slots=True)
class MetricOut(Model):
    """Metrics at a checkpoint: the loss should go down, the token accuracy up."""

    train_loss: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None


@attrs.define(slots=True)
class CheckpointOut(Model):
    """A checkpoint of a running job, with its metrics."""

    metrics: MetricOut
    step_number: int
    created_at: int


@attrs.define(slots=True)
class ClassifierTargetOut(Model):
    """One target of a classifier job."""

    name: str
    labels: list[str]
    weight: float = 1.0
    loss_function: str | None = None
    """``"single_class"`` or ``"multi_class"``."""


Integration: TypeAlias = WandbIntegrationOut | dict[str, Any]
"""An integration; a kind this SDK does not know stays a plain dict."""
Repository: TypeAlias = GithubRepositoryOut | dict[str, Any]
"""A repository; a kind this SDK does not know stays a plain dict."""


# -- jobs ------------------------------------------------------------------------------------------


@attrs.define(slots=True)
class CompletionJobOut(Model):
    """A completion fine-tuning job, as ``create`` and ``list`` return it."""

    id: str
    auto_start: bool
    model: str
    status: str
    """One of :data:`JOB_STATUSES` (a status added later is kept as is)."""
    created_at: int
    modified_at: int
    training_files: list[str]
    hyperparameters: CompletionTrainingParameters
    validation_files: list[str] | None = attrs.Factory(list)
    object: str = "job"
    fine_tuned_model: str | None = None
    """The model's id once the job succeeded (``None`` before)."""
    suffix: str | None = None
    integrations: list[Integration] | None = None
    trained_tokens: int | None = None
    metadata: JobMetadataOut | None = None
    job_type: str = "completion"
    repositories: list[Repository] = attrs.Factory(list)

    @property
    def done(self) -> bool:
        """Whether the job reached a status it never leaves (success, failure, cancelled)."""
        return self.status in TERMINAL_STATUSES


@attrs.define(slots=True)
class CompletionDetailedJobOut(CompletionJobOut):
    """A completion job with its events and checkpoints (``get``, ``cancel``, ``start``)."""

    events: list[EventOut] = attrs.Factory(list)
    """Every status change, oldest first."""
    checkpoints: list[CheckpointOut] = attrs.Factory(list)


@attrs.define(slots=True)
class ClassifierJobOut(Model):
    """A classifier fine-tuning job, as ``create`` and ``list`` return it."""

    id: str
    auto_start: bool
    model: str
    status: str
    """One of :data:`JOB_STATUSES` (a status added later is kept as is)."""
    created_at: int
    modified_at: int
    training_files: list[str]
    hyperparameters: ClassifierTrainingParameters
    validation_files: list[str] | None = attrs.Factory(list)
    object: str = "job"
    fine_tuned_model: str | None = None
    """The model's id once the job succeeded (``None`` before)."""
    suffix: str | None = None
    integrations: list[Integration] | None = None
    trained_tokens: int | None = None
    metadata: JobMetadataOut | None = None
    job_type: str = "classifier"

    @property
    def done(self) -> bool:
        """Whether the job reached a status it never leaves (success, failure, cancelled)."""
        return self.status in TERMINAL_STATUSES


@attrs.define(slots=True)
class ClassifierDetailedJobOut(ClassifierJobOut):
    """A classifier job with its events, checkpoints and targets."""

    events: list[EventOut] = attrs.Factory(list)
    """Every status change, oldest first."""
    checkpoints: list[CheckpointOut] = attrs.Factory(list)
    classifier_targets: list[ClassifierTargetOut] = attrs.Factory(list)


FineTuningJob: TypeAlias = CompletionJobOut | ClassifierJobOut
"""A job as ``create`` and ``list`` return it, told apart by ``job_type``."""
DetailedFineTuningJob: TypeAlias = CompletionDetailedJobOut | ClassifierDetailedJobOut
"""A job with its events and checkpoints, as ``get``, ``cancel``, ``start`` and ``wait``
return it."""


@attrs.define(slots=True)
class JobsOut(Model):
    """One page of jobs; ``total`` counts every job matching the filters."""

    data: list[FineTuningJob] = attrs.Factory(list)
    object: str = "list"
    total: int | None = None


@attrs.define(slots=True)
class LegacyJobMetadataOut(Model):
    """What ``create(..., dry_run=True)`` returns: estimates, without creating a job."""

    details: str = ""
    expected_duration_seconds: int | None = None
    cost: float | None = None
    cost_currency: str | None = None
    train_tokens_per_step: int | None = None
    train_tokens: int | None = None
    data_tokens: int | None = None
    estimated_start_time: int | None = None
    deprecated: bool = True
    epochs: float | None = None
    training_steps: int | None = None
    object: str = "job.metadata"


# -- hooks -----------------------------------------------------------------------------------------


def _lenient(cls: type[Any]) -> Any:
    """A fallback for an unknown kind: read it as ``cls`` if it fits, else keep the dict."""

    def fallback(data: Any) -> Any:
        if isinstance(data, dict):
            try:
                return converter.structure(data, cls)
            except (KeyError, TypeError):
                return data
        return data

    return fallback


def _defaulted(key: str, default: str, hook: Any) -> Any:
    """A tagged-union hook for a tag the API may leave out (it then means ``default``)."""

    def structure(data: Any, _: Any) -> Any:
        if type(data) is dict and key not in data:
            data = {**data, key: default}
        return hook(data, None)

    return structure


# Parts first: the job classes' hooks are built from them.
register_union(
    Integration,
    _defaulted("type", "wandb", tagged_union("type", {"wandb": WandbIntegrationOut})),
)
register_union(
    Repository,
    _defaulted("type", "github", tagged_union("type", {"github": GithubRepositoryOut})),
)
register_union(
    FineTuningJob,
    tagged_union(
        "job_type",
        {"completion": CompletionJobOut, "classifier": ClassifierJobOut},
        fallback=_lenient(CompletionJobOut),
    ),
)
register_union(
    DetailedFineTuningJob,
    tagged_union(
        "job_type",
        {"completion": CompletionDetailedJobOut, "classifier": ClassifierDetailedJobOut},
        fallback=_lenient(CompletionDetailedJobOut),
    ),
)


def structure_create_result(data: Any) -> FineTuningJob | LegacyJobMetadataOut:
    """Parse what job creation returns: a job, or the estimates of a dry run."""
    if type(data) is dict and (
        data.get("object") == "job.metadata" or ("id" not in data and "details" in data)
    ):
        return converter.structure(data, LegacyJobMetadataOut)
    result: FineTuningJob = converter.structure(data, FineTuningJob)  # type: ignore[arg-type]
    return result


# -- request types -----------------------------------------------------------------------------


@attrs.define(slots=True)
class TrainingFile(Model):
    """A training file of a job, by id; ``weight`` (> 0, default 1) sets its share of the mix."""

    file_id: str
    weight: float | None = None


@attrs.define(slots=True)
class WandbIntegration(Model):
    """Report a job's metrics to Weights & Biases (``api_key``: 40 characters)."""

    project: str
    api_key: str = attrs.field(repr=False)
    name: str | None = None
    run_name: str | None = None
    type: Literal["wandb"] = "wandb"


@attrs.define(slots=True)
class GithubRepositoryIn(Model):
    """Train on a GitHub repository (``token`` gives access; ``ref`` a branch, tag or commit)."""

    name: str
    owner: str
    token: str = attrs.field(repr=False)
    ref: str | None = None
    weight: float | None = None
    type: Literal["github"] = "github"


@attrs.define(slots=True)
class CompletionTrainingParametersIn(Model):
    """Hyperparameters of a completion job; those left at ``None`` take the API's defaults.

    Bounds: ``training_steps`` >= 1, ``learning_rate`` in [1e-8, 1], ``weight_decay``,
    ``warmup_fraction`` and ``fim_ratio`` in [0, 1], ``epochs`` > 0, ``seq_len`` >= 100.
    """

    training_steps: int | None = None
    learning_rate: float | None = None
    weight_decay: float | None = None
    warmup_fraction: float | None = None
    epochs: float | None = None
    seq_len: int | None = None
    fim_ratio: float | None = None


@attrs.define(slots=True)
class ClassifierTrainingParametersIn(Model):
    """Hyperparameters of a classifier job; those left at ``None`` take the API's defaults."""

    training_steps: int | None = None
    learning_rate: float | None = None
    weight_decay: float | None = None
    warmup_fraction: float | None = None
    epochs: float | None = None
    seq_len: int | None = None


@attrs.define(slots=True)
class ClassifierTargetIn(Model):
    """One target a classifier learns: its labels, weight (>= 0) and loss function."""

    name: str
    labels: list[str]
    weight: float | None = None
    loss_function: Literal["single_class", "multi_class"] | None = None


# -- request validation: nested parameters -----------------------------------------------------


class _Path:
    """Stands in for an attrs field in the shared validators, to name a nested parameter."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _at(validator: v.Validator) -> Any:
    """Turn an attrs-style validator into a check of ``(path, value)``."""
    return lambda path, value: validator(None, _Path(path), value)  # type: ignore[arg-type]


def _as_dict(path: str, value: Any, kind: str) -> dict[str, Any]:
    """A nested parameter as a dict (attrs objects unstructured), or raise."""
    if isinstance(value, Model):
        result: dict[str, Any] = converter.unstructure(value)
        return result
    if isinstance(value, Mapping):
        return dict(value)
    raise InvalidParameterError(
        path, f"must be a {kind} object or a dict, not {type(value).__name__}"
    )


def _object(
    kind: str,
    fields: dict[str, Any],
    required: tuple[str, ...] = (),
    tag: tuple[str, str] | None = None,
) -> Any:
    """A check of a nested object: each known field by its own check, required ones present."""

    def check(path: str, value: Any) -> None:
        data = _as_dict(path, value, kind)
        for name in required:
            if name not in data:
                raise InvalidParameterError(f"{path}.{name}", "is required")
        if tag is not None and tag[0] in data and data[tag[0]] != tag[1]:
            raise InvalidParameterError(
                f"{path}.{tag[0]}", f"must be {tag[1]!r}; got {data[tag[0]]!r}"
            )
        for name, field_check in fields.items():
            if name in data:
                field_check(f"{path}.{name}", data[name])

    return check


def _text(*, nullable: bool = False, min_length: int = 0, max_length: int | None = None) -> Any:
    base = _at(v.string(nullable=nullable))

    def check(path: str, value: Any) -> None:
        base(path, value)
        if isinstance(value, str):
            if len(value) < min_length:
                raise InvalidParameterError(
                    path, f"must have at least {min_length} characters, got {len(value)}"
                )
            if max_length is not None and len(value) > max_length:
                raise InvalidParameterError(
                    path, f"must have at most {max_length} characters, got {len(value)}"
                )

    return check


def _text_field(**kwargs: Any) -> v.Validator:
    check = _text(**kwargs)
    return lambda _, attribute, value: (
        None if isinstance(value, NotGiven) else check(attribute.name, value)
    )


def _boolean(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven | bool):
        return
    raise InvalidParameterError(attribute.name, f"must be a bool, not {type(value).__name__}")


_file_id = _text(min_length=1)
_training_file_object = _object(
    "TrainingFile",
    {"file_id": _file_id, "weight": _at(v.number(gt=0, nullable=False))},
    required=("file_id",),
)


def _training_file(path: str, value: Any) -> None:
    if isinstance(value, str):  # a bare file id, sent as {"file_id": ...}
        _file_id(path, value)
    else:
        _training_file_object(path, value)


_HYPER = {
    "training_steps": _at(v.number(ge=1, integer=True)),
    "learning_rate": _at(v.number(ge=1e-8, le=1, nullable=False)),
    "weight_decay": _at(v.number(ge=0, le=1)),
    "warmup_fraction": _at(v.number(ge=0, le=1)),
    "epochs": _at(v.number(gt=0)),
    "seq_len": _at(v.number(ge=100, integer=True)),
    "fim_ratio": _at(v.number(ge=0, le=1)),
}
_hyperparameters = _object("training parameters", _HYPER)
_wandb = _object(
    "WandbIntegration",
    {
        "project": _text(),
        "api_key": _text(min_length=40, max_length=40),
        "name": _text(nullable=True),
        "run_name": _text(nullable=True),
    },
    required=("project", "api_key"),
    tag=("type", "wandb"),
)
_github = _object(
    "GithubRepositoryIn",
    {
        "name": _text(),
        "owner": _text(),
        "token": _text(),
        "ref": _text(nullable=True),
        "weight": _at(v.number(gt=0, nullable=False)),
    },
    required=("name", "owner", "token"),
    tag=("type", "github"),
)
_target = _object(
    "ClassifierTargetIn",
    {
        "name": _text(),
        "labels": _at(v.strings(single=False, nullable=False)),
        "weight": _at(v.number(ge=0, nullable=False)),
        "loss_function": _at(v.one_of("single_class", "multi_class")),
    },
    required=("name", "labels"),
)


def _hyperparameters_field(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, NotGiven):
        _hyperparameters(attribute.name, value)


TrainingFileParam: TypeAlias = TrainingFile | dict[str, Any] | str
"""A training file: a :class:`TrainingFile`, a dict, or just the file's id."""


@attrs.define(slots=True, kw_only=True)
class JobIn(Model):
    """The body of a job creation (checked before sending)."""

    model: str = attrs.field(metadata=v.check(_text_field(min_length=1)))
    hyperparameters: Any = attrs.field(metadata=v.check(_hyperparameters_field))
    training_files: Any = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.sequence(_training_file, nullable=False))
    )
    validation_files: Any = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.strings(single=False))
    )
    suffix: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_text_field(nullable=True, max_length=18))
    )
    integrations: Any = attrs.field(default=NOT_GIVEN, metadata=v.check(v.sequence(_wandb)))
    auto_start: bool | NotGiven = attrs.field(default=NOT_GIVEN, metadata=v.check(_boolean))
    invalid_sample_skip_percentage: float | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=0, le=0.5, nullable=False))
    )
    job_type: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("completion", "classifier"))
    )
    repositories: Any = attrs.field(default=NOT_GIVEN, metadata=v.check(v.sequence(_github)))
    classifier_targets: Any = attrs.field(default=NOT_GIVEN, metadata=v.check(v.sequence(_target)))
