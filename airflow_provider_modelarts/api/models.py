"""Typed views of the service's answers, tolerant of unknown fields and of missing optional ones.

Each job model knows its family and answers the teardown questions through :mod:`.statuses`;
:class:`JobSnapshot` is the family-independent form that sensors, triggers and operators use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, NotRequired

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    field_validator,
)
from typing_extensions import TypedDict  # pydantic reads typing's TypedDict only from Python 3.12

from airflow_provider_modelarts.api.statuses import Category, JobFamily, category, status_name


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class _StatusPredicates:
    """The teardown questions, answered from ``category`` (see :mod:`.statuses`)."""

    __slots__ = ()

    @property
    def category(self) -> Category:
        raise NotImplementedError

    @property
    def is_terminal(self) -> bool:
        return self.category.terminal

    @property
    def is_stopped(self) -> bool:
        """Not running any more: stopped, completed or failed."""
        return self.category.terminal

    @property
    def is_failed(self) -> bool:
        return self.category is Category.FAILED


@dataclass(frozen=True, slots=True)
class JobSnapshot(_StatusPredicates):
    """One observation of a job: who it is and what state it was in."""

    family: JobFamily
    job_id: str
    status: Any
    version_id: str | None = None
    name: str | None = None
    create_time: int | None = None

    @property
    def category(self) -> Category:
        return category(self.family, self.status)

    @property
    def status_name(self) -> str:
        return status_name(self.family, self.status)


class _Snapshotting(_StatusPredicates, _Model):
    family: ClassVar[JobFamily]

    def snapshot(self) -> JobSnapshot:
        raise NotImplementedError

    @property
    def category(self) -> Category:
        return self.snapshot().category


# ---- v2 training jobs -------------------------------------------------------------------------


class V2Metadata(_Model):
    id: str
    name: str | None = None
    workspace_id: str | None = None
    create_time: int | None = None
    user_name: str | None = None
    description: str | None = None


class V2Status(_Model):
    phase: str | None = None
    secondary_phase: str | None = None
    duration: int | None = None
    start_time: int | None = None


class TrainingJob(_Snapshotting):
    """A v2 training job (detail answer or search item)."""

    family: ClassVar[JobFamily] = JobFamily.TRAINING
    kind: str | None = None
    metadata: V2Metadata
    status: V2Status = Field(default_factory=V2Status)

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def phase(self) -> str | None:
        return self.status.phase

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            JobFamily.TRAINING,
            self.metadata.id,
            self.status.phase,
            name=self.metadata.name,
            create_time=self.metadata.create_time,
        )


class TrainingJobPage(_Model):
    total: int | None = None
    count: int | None = None
    limit: int | None = None
    offset: int | None = None
    items: list[TrainingJob] = Field(default_factory=list)


# The parts of a v2 search page that a walk of snapshots reads (every other field is skipped while
# parsing, never built), with the exact types the plain reading in ``operations`` accepts.
class _LightV2Metadata(TypedDict):
    id: StrictStr
    name: NotRequired[StrictStr | None]
    create_time: NotRequired[StrictInt | None]


class _LightV2Status(TypedDict, total=False):
    phase: StrictStr | None


class _LightV2Item(TypedDict):
    metadata: _LightV2Metadata
    status: NotRequired[_LightV2Status]


class _LightV2SearchPage(TypedDict, total=False):
    items: list[_LightV2Item]
    count: StrictInt | None
    total: StrictInt | None
    request_id: Any
    is_success: StrictBool


@cache
def _light_v2_search_page() -> TypeAdapter[_LightV2SearchPage]:
    return TypeAdapter(_LightV2SearchPage)  # built on first use: nothing added to the import


def read_light_v2_search_page(body: bytes) -> Any:
    """A v2 search page body as plain data holding only what a snapshot needs: each item's
    ``metadata`` id, name and create time and ``status`` phase, and the page's counts.

    A search item is a whole job (about 15 nested objects); read this way a page of 50 jobs holds
    about 50 objects the garbage collector tracks instead of about 250 (1,000 shared waits run 5.5
    young collections per poll interval instead of 8.25). A body of any other shape raises
    ``ValueError``: read it as plain JSON instead (the model then judges it).
    """
    return _light_v2_search_page().validate_json(body)


# ---- v1 training jobs and versions ----------------------------------------------------------


def _numeric_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class TrainingJobV1(_Snapshotting):
    """A v1 training job as listed (its latest version's status)."""

    family: ClassVar[JobFamily] = JobFamily.TRAINING_V1
    job_id: str
    job_name: str | None = None
    version_id: str | None = None
    status: int | None = None
    create_time: int | None = None
    duration: int | None = None
    job_desc: str | None = None
    version_count: int | None = None

    _ids = field_validator("job_id", "version_id", mode="before")(_numeric_text)

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            JobFamily.TRAINING_V1,
            self.job_id,
            self.status,
            version_id=self.version_id,
            name=self.job_name,
            create_time=self.create_time,
        )


class TrainingJobV1Page(_Model):
    job_total_count: int | None = None
    job_count_limit: int | None = None
    jobs: list[TrainingJobV1] = Field(default_factory=list)


class TrainingJobVersion(_Snapshotting):
    """A version of a v1 training job (version list item or version detail)."""

    family: ClassVar[JobFamily] = JobFamily.TRAINING_V1
    job_id: str | None = None
    job_name: str | None = None
    version_id: str
    version_name: str | None = None
    pre_version_id: str | None = None
    status: int | None = None
    create_time: int | None = None
    duration: int | None = None
    start_time: int | None = None

    _ids = field_validator("job_id", "version_id", "pre_version_id", mode="before")(_numeric_text)

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            JobFamily.TRAINING_V1,
            self.job_id or "",
            self.status,
            version_id=self.version_id,
            name=self.job_name,
            create_time=self.create_time,
        )


class TrainingJobVersionPage(_Model):
    job_id: str | None = None
    job_name: str | None = None
    version_count: int | None = None
    versions: list[TrainingJobVersion]  # required: an answer without it says nothing about the job

    _ids = field_validator("job_id", mode="before")(_numeric_text)


# ---- v1 visualization jobs ------------------------------------------------------------------


class VisualizationJob(_Snapshotting):
    family: ClassVar[JobFamily] = JobFamily.VISUALIZATION
    job_id: str
    job_name: str | None = None
    job_desc: str | None = None
    status: int | None = None
    create_time: int | None = None
    duration: int | None = None
    service_url: str | None = None
    train_url: str | None = None
    resource_id: str | None = None

    _ids = field_validator("job_id", mode="before")(_numeric_text)

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            JobFamily.VISUALIZATION,
            self.job_id,
            self.status,
            name=self.job_name,
            create_time=self.create_time,
        )


class VisualizationJobPage(_Model):
    job_total_count: int | None = None
    job_count_limit: int | None = None
    jobs: list[VisualizationJob] = Field(default_factory=list)


# ---- RES jobs -------------------------------------------------------------------------------


class ResJob(_Snapshotting):
    family: ClassVar[JobFamily] = JobFamily.RES
    job_id: str
    job_name: str | None = None
    job_description: str | None = None
    project_id: str | None = None
    operating_time: int | None = None
    job_status: str | None = None
    resource: str | None = None
    type: str | None = None

    _ids = field_validator("job_id", mode="before")(_numeric_text)

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            JobFamily.RES,
            self.job_id,
            self.job_status,
            name=self.job_name,
            create_time=self.operating_time,
        )


class ResJobPage(_Model):
    total_items: int | None = None
    jobs: list[ResJob] = Field(default_factory=list)


# ---- IAM ------------------------------------------------------------------------------------


class IamTokenBody(_Model):
    expires_at: str
    issued_at: str | None = None
    project: dict[str, Any] | None = None
