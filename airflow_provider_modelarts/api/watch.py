"""What "gone" and "stopped" mean, for every family, in one place.

An observation of a job is a :class:`JobSnapshot` (it exists, as it is now) or :class:`Gone` (the
service says it does not exist, and ``proof`` says how we know). ``Gone`` is the one name for
"gone": it is made only where a documented not-found answer about the job is read
(``operations.observe``) or where a complete walk of the query that listed the job no longer lists
it (``shared_watch``). Transient failures raise; they never read as gone. :func:`judge` turns an
observation into a verdict for a goal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from airflow_provider_modelarts.api.statuses import JobFamily, V1Status

if TYPE_CHECKING:
    from airflow_provider_modelarts.api.models import JobSnapshot

ABSENT = "ABSENT"  # the final status a wait reports for a job that is gone (events are JSON)


@dataclass(frozen=True, slots=True)
class Gone:
    """The service says the job does not exist; ``proof`` says how we know."""

    job_id: str
    proof: str


NOT_FOUND = "its detail endpoint answered the documented 'does not exist'"
UNLISTED = "a complete walk of the query that listed it no longer lists it"


class Goal(StrEnum):
    DELETED = "deleted"
    STOPPED = "stopped"

    @classmethod
    def of(cls, value: object, field: str = "goal") -> Goal:
        try:
            return cls(str(value))
        except ValueError:
            raise ValueError(f"{field}: {value!r} is not 'deleted' or 'stopped'") from None


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


def judge(goal: Goal, snapshot: JobSnapshot | Gone) -> Verdict:
    """Whether ``goal`` is reached. Unknown statuses never are; deletion failures are errors."""
    if isinstance(snapshot, Gone):
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
