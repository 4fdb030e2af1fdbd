"""The waiting core: count the polls of a wait, decide from each answer, report one event.

Every wait of the provider goes through :class:`JobWait`: a trigger in the triggerer, an operator
or a sensor polling on the worker. Each answer is one of

* a :class:`JobSnapshot` (the job as it is now) or ``None`` (its documented not-found answer),
  judged against the goal by :func:`watch.judge`;
* an error: a transient one (see :func:`errors.is_transient`) counts towards ``max_poll_failures``
  consecutive failures, anything else ends the wait at once (:class:`WaitFailed`).

The events a wait ends with are decided here too: a one-job event (:func:`job_event`) names the
job, the goal and the final status; a many-job event carries a digest of its jobs, those still
waiting, those in error, and the final statuses of those that stopped. Whether a task that deferred
may believe an event is decided here as well, once per shape (:func:`check_job_event`,
:func:`check_jobs_event`): it must be about that task's own jobs, version and goal, and its final
statuses must fit the goal.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_modelarts.api.errors import ModelArtsError, is_transient
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.statuses import JobFamily, category_of_name
from airflow_provider_modelarts.api.watch import ABSENT, Goal, Gone, Verdict, judge

if TYPE_CHECKING:
    from airflow_provider_modelarts.api.models import JobSnapshot

EVENT_STATUSES = ("success", "error", "timeout")
DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_POLL_FAILURES = 5


def seconds(value: object, field: str, *, allow_zero: bool = False) -> float:
    """``value`` (a number or a ``timedelta``) as finite seconds, or a ``ValueError`` naming ``field``.

    NaN, infinities, negative values (and zero unless ``allow_zero``) are refused: a wait with such
    a pace or deadline would never end, or fail only when it is deferred.
    """
    if isinstance(value, timedelta):
        number = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise ValueError(f"{field}: {value!r} is not a number of seconds")
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{field}: must be a finite number of seconds {bound}, not {value!r}")
    return number


def poll_failures(value: object, field: str = "max_poll_failures") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{field}: must be a whole number >= 1, not {value!r}")
    return value


class WaitFailed(ModelArtsError):
    """Polling failed for good: a non-transient error, or ``max_poll_failures`` transient ones in a row."""

    def __init__(self, message: str, last_status: str | None) -> None:
        super().__init__(message)
        self.last_status = last_status


@dataclass(slots=True)
class Tally:
    """How a wait has gone: polls made, transient failures in a row, the last status seen."""

    polls: int = 0
    failures: int = 0
    last_status: str | None = None


@dataclass(slots=True)
class JobWait:
    """One job, one goal: judges each poll's answer and counts the failures between them."""

    target: JobRef
    goal: Goal
    max_poll_failures: int
    tally: Tally = field(default_factory=Tally)

    def record(self, answer: JobSnapshot | Gone | BaseException) -> Verdict:
        """The verdict after one more poll; raises :class:`WaitFailed` when polling failed for good.

        A transient failure below ``max_poll_failures`` is a verdict that is not done, carrying the
        last status seen; the caller logs it and polls again.
        """
        tally = self.tally
        tally.polls += 1
        if isinstance(answer, BaseException):
            if not isinstance(answer, ModelArtsError | ValueError):
                raise answer  # a bug (or a cancellation), not a failed poll
            tally.failures += 1
            transient = is_transient(answer)
            if not transient or tally.failures >= self.max_poll_failures:
                streak = f" ({tally.failures} polls in a row failed)" if transient else ""
                raise WaitFailed(f"{self.target.describe()}: {answer}{streak}", tally.last_status) from answer
            return Verdict(False, tally.last_status)
        tally.failures = 0
        verdict = judge(self.goal, answer)
        tally.last_status = verdict.final_status
        return verdict


def job_event(
    target: JobRef,
    goal: Goal,
    status: str,
    message: str,
    final_status: str | None,
    polls: int,
) -> dict[str, Any]:
    """The one event shape of a single-job wait: ``status`` is ``success``, ``error`` or ``timeout``."""
    return {
        "status": status,
        "message": message,
        "job_family": target.family.value,
        "job_id": target.job_id,
        "version_id": target.version_id,
        "goal": goal.value,
        "final_status": final_status,
        "polls": polls,
    }


def verdict_event(target: JobRef, goal: Goal, verdict: Verdict, polls: int) -> dict[str, Any]:
    """The event for a reached verdict (a goal reached, or a deletion the service reports failed)."""
    if verdict.error:
        return job_event(
            target, goal, "error", f"{target.describe()}: {verdict.error}", verdict.final_status, polls
        )
    state = "is gone" if verdict.absent else f"has stopped ({verdict.final_status})"
    return job_event(target, goal, "success", f"{target.describe()} {state}", verdict.final_status, polls)


class UnexpectedEvent(ValueError):
    """An event the task that deferred must not believe (it says why)."""


class WaitTimedOut(UnexpectedEvent):
    """The task's own wait ended at its deadline."""


def fits_goal(target: JobRef, goal: Goal, final_status: object) -> bool:
    """Whether ``final_status`` (a status name as events carry it) means ``goal`` is reached."""
    if final_status == ABSENT:
        return True  # gone: deleted, and stopped too
    if goal is Goal.DELETED or not isinstance(final_status, str):
        return False
    return category_of_name(target.family, final_status).terminal


def check_job_event(event: object, target: JobRef, goal: Goal) -> Mapping[str, Any]:
    """``event`` if it reports ``goal`` reached for ``target``; else :class:`UnexpectedEvent`.

    An ``error`` or ``timeout`` event raises with its own message; an event about another job,
    version, family or goal, of an unknown shape, or whose final status does not fit the goal,
    raises saying so.
    """
    where = target.describe()
    if not isinstance(event, Mapping) or event.get("status") not in EVENT_STATUSES:
        raise UnexpectedEvent(f"{where}: the trigger returned an unexpected event: {event!r}")
    about = (event.get("job_family"), event.get("job_id"), event.get("version_id"), event.get("goal"))
    expected = (target.family.value, target.job_id, target.version_id, goal.value)
    if about != expected:
        raise UnexpectedEvent(
            f"{where}: the event is about {about[0]} job {about[1]} (version {about[2]}, goal {about[3]}), "
            f"not this task's {expected[0]} job {expected[1]} (version {expected[2]}, goal {expected[3]})"
        )
    if event["status"] != "success":
        failure = WaitTimedOut if event["status"] == "timeout" else UnexpectedEvent
        raise failure(str(event.get("message") or f"{where}: {event['status']}"))
    if not fits_goal(target, goal, event.get("final_status")):
        raise UnexpectedEvent(
            f"{where}: the event reports success, but its final status {event.get('final_status')!r} "
            f"does not mean {goal.value}"
        )
    return event


def job_ids_digest(job_ids: Sequence[str]) -> str:
    """A short, order-free fingerprint of a set of job ids: events carry it instead of the ids."""
    return hashlib.sha256("\n".join(sorted(set(job_ids))).encode()).hexdigest()[:24]


def check_jobs_event(
    event: object, family: JobFamily, goal: Goal, job_ids: Sequence[str], version_id: str | None = None
) -> dict[str, Any]:
    """``event`` if it is a many-job event (``ModelArtsJobsTrigger``) about exactly these jobs,
    version, family and goal (any status: the task decides what remaining and failed jobs mean);
    else :class:`UnexpectedEvent`."""
    what = f"the wait for {len(set(job_ids))} {family.value} job(s) to be {goal.value}"
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise UnexpectedEvent(f"{what}: the trigger returned an unexpected event: {event!r}")
    about = (event.get("job_family"), event.get("goal"), event.get("job_ids_digest"), event.get("version_id"))
    if about != (family.value, goal.value, job_ids_digest(job_ids), version_id):
        raise UnexpectedEvent(f"{what}: the event is about other jobs ({about[0]}, {about[1]})")
    remaining, errors, stopped_as = event.get("remaining"), event.get("errors"), event.get("stopped_as", {})
    if (
        not isinstance(remaining, list)
        or not isinstance(errors, list)
        or not isinstance(stopped_as, dict)
        or not all(isinstance(e, dict) and {"job_id", "reason"} <= set(e) for e in errors)
    ):
        raise UnexpectedEvent(f"{what}: the event has no readable list of unsettled jobs: {event!r}")
    known = set(job_ids)
    unsettled = set(remaining) | {e["job_id"] for e in errors}
    if not unsettled <= known or (event["status"] == "success") != (not unsettled):
        raise UnexpectedEvent(f"{what}: the event's lists do not fit its jobs or its status")
    if not set(stopped_as) <= known - unsettled or not all(
        fits_goal(JobRef(family, job, version_id), goal, status) for job, status in stopped_as.items()
    ):
        raise UnexpectedEvent(f"{what}: the event's final statuses do not fit its jobs or its goal")
    return event
