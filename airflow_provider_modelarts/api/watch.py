"""What "gone" and "stopped" mean, for every family, in one place.

:func:`observe` is a plan (so sync sensors, operators and async triggers share it) that returns
the job's current :class:`JobSnapshot`, or ``None`` only when the service says the job does not
exist in one of the documented not-found forms. Transient failures raise; they never read as gone.
:func:`judge` turns an observation into a verdict for a goal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.errors import ModelArtsNotFoundError
from airflow_provider_modelarts.api.exchange import Plan
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import JobFamily, V1Status

ABSENT = "ABSENT"


class Goal(StrEnum):
    DELETED = "deleted"
    STOPPED = "stopped"

    @classmethod
    def of(cls, value: object, field: str = "goal") -> Goal:
        try:
            return cls(str(value))
        except ValueError:
            raise ValueError(f"{field}: {value!r} is not 'deleted' or 'stopped'") from None


def v1_job_state(job_id: str, versions: list[JobSnapshot]) -> JobSnapshot:
    """A v1 job's full state from its versions: the first that has not finished, else the newest
    (a job is stopped only when every version is)."""
    if not versions:
        return JobSnapshot(JobFamily.TRAINING_V1, job_id, None)
    running = [v for v in versions if not v.is_terminal]
    return running[0] if running else versions[0]


def observe(
    project_id: str, family: JobFamily | str, job_id: str | int, version_id: str | int | None = None
) -> Plan[JobSnapshot | None]:
    """The job as the service sees it now; ``None`` means a documented not-found answer."""
    fam, job, version = ids.job_target(family, job_id, version_id)
    ids.project_id(project_id)

    def plan() -> Plan[JobSnapshot | None]:
        try:
            if fam is JobFamily.TRAINING:
                return (yield from ops.get_training_job(project_id, job)).snapshot()
            if fam is JobFamily.VISUALIZATION:
                return (yield from ops.get_visualization_job(project_id, job)).snapshot()
            if fam is JobFamily.RES:
                return (yield from ops.get_res_job(project_id, job)).snapshot()
            if version is not None:
                return (yield from ops.get_training_job_version(project_id, job, version)).snapshot()
            versions = yield from ops.list_training_job_versions(project_id, job)
            return v1_job_state(job, [v.snapshot() for v in versions])
        except ModelArtsNotFoundError:
            return None

    return plan()


@dataclass(frozen=True, slots=True)
class Verdict:
    done: bool
    final_status: str | None
    error: str | None = None

    @property
    def absent(self) -> bool:
        return self.final_status == ABSENT


def _is_delete_failed(snapshot: JobSnapshot) -> bool:
    if snapshot.family not in (JobFamily.TRAINING_V1, JobFamily.VISUALIZATION):
        return False
    try:
        return int(snapshot.status) == V1Status.DELETE_FAILED
    except (TypeError, ValueError):
        return False


def judge(goal: Goal, snapshot: JobSnapshot | None) -> Verdict:
    """Whether ``goal`` is reached. Unknown statuses never are; deletion failures are errors."""
    if snapshot is None:
        return Verdict(True, ABSENT)
    name = snapshot.status_name
    if goal is Goal.DELETED and _is_delete_failed(snapshot):
        return Verdict(True, name, f"the service reports the deletion failed: {name}")
    if goal is Goal.STOPPED and snapshot.is_terminal:
        return Verdict(True, name)
    return _not_yet(name)


@lru_cache(maxsize=256)
def _not_yet(status_name: str) -> Verdict:
    # Verdicts are immutable: a wait polling a running job gets the same one every poll instead
    # of a new object that lives through its sleep (and into the oldest GC generation).
    return Verdict(False, status_name)
