"""Which events a task that deferred believes (:func:`check_job_event`).

A task believes an event only if it is about the task's own job (family, id, version) and goal, says
``success``, and carries a final status that means the goal: ``ABSENT`` for a deletion; ``ABSENT`` or
a finished status for a stop. Everything else fails the task: an ``error`` or ``timeout`` event with
its own message (a timeout as :class:`WaitTimedOut`, which a sensor may soft-fail), and any other
event saying why. Events are built here by the producers the triggers use (:func:`job_event`,
:func:`verdict_event`).
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import (
    UnexpectedEvent,
    WaitTimedOut,
    check_job_event,
    job_event,
    verdict_event,
)
from airflow_provider_modelarts.api.watch import ABSENT, Goal, Verdict
from tests.verdicts.scripted import V2_JOB

V2 = JobRef(JobFamily.TRAINING, V2_JOB)
VERSION = JobRef(JobFamily.TRAINING_V1, "10", "12")
RES = JobRef(JobFamily.RES, "aa22ac78f14142eaa7de")


def success(target: JobRef, goal: Goal, final_status: Any) -> dict[str, Any]:
    return job_event(target, goal, "success", "done", final_status, 3)


@pytest.mark.parametrize(
    ("target", "goal", "final_status"),
    [
        (V2, Goal.DELETED, ABSENT),
        (V2, Goal.STOPPED, ABSENT),  # gone is stopped too
        (V2, Goal.STOPPED, "Terminated"),
        (V2, Goal.STOPPED, "Completed"),
        (V2, Goal.STOPPED, "Abnormal"),
        (VERSION, Goal.STOPPED, "KILLED (12)"),
        (VERSION, Goal.STOPPED, "CANCELED (13)"),
        (RES, Goal.STOPPED, "KILLED"),
    ],
)
def test_an_event_that_reports_the_goal_for_this_job_is_believed(target, goal, final_status) -> None:
    event = success(target, goal, final_status)
    assert check_job_event(event, target, goal) is event


@pytest.mark.parametrize(
    ("target", "goal", "final_status"),
    [
        (V2, Goal.DELETED, "Terminated"),  # stopped is not deleted
        (V2, Goal.DELETED, "Completed"),
        (VERSION, Goal.DELETED, "KILLED (12)"),
        (V2, Goal.DELETED, None),
        (V2, Goal.STOPPED, "Running"),
        (V2, Goal.STOPPED, "Terminating"),
        (VERSION, Goal.STOPPED, "KILLING (9)"),
        (VERSION, Goal.STOPPED, "RUNNING (8)"),
        (VERSION, Goal.STOPPED, "KILLED"),  # not a name the events write
        (VERSION, Goal.STOPPED, 12),  # not a name at all
        (V2, Goal.STOPPED, None),
        (RES, Goal.STOPPED, "RUNNING"),
    ],
)
def test_a_success_whose_final_status_does_not_mean_the_goal_is_refused(target, goal, final_status) -> None:
    with pytest.raises(UnexpectedEvent, match="does not mean"):
        check_job_event(success(target, goal, final_status), target, goal)


@pytest.mark.parametrize(
    "other",
    [
        JobRef(JobFamily.TRAINING, "11111111-2222-4333-8444-555555555555"),  # another job
        JobRef(JobFamily.TRAINING_V1, "10", "13"),  # another version of the same job
        JobRef(JobFamily.TRAINING_V1, "10"),  # the whole job, not the version
        JobRef(JobFamily.VISUALIZATION, "10"),  # same id, another family
    ],
)
def test_an_event_about_another_job_is_refused(other) -> None:
    target = V2 if other.family is JobFamily.TRAINING else VERSION
    with pytest.raises(UnexpectedEvent, match="the event is about"):
        check_job_event(success(other, Goal.DELETED, ABSENT), target, Goal.DELETED)


def test_an_event_about_the_other_goal_is_refused() -> None:
    with pytest.raises(UnexpectedEvent, match="the event is about"):
        check_job_event(success(V2, Goal.STOPPED, "Terminated"), V2, Goal.DELETED)


@pytest.mark.parametrize(
    "event",
    [
        None,
        "success",
        [("status", "success")],
        {"status": "done", "job_family": "training", "job_id": V2_JOB, "goal": "deleted"},
        {"job_family": "training", "job_id": V2_JOB, "version_id": None, "goal": "deleted"},
    ],
)
def test_an_event_of_an_unknown_shape_is_refused(event) -> None:
    with pytest.raises(UnexpectedEvent, match="unexpected event"):
        check_job_event(event, V2, Goal.DELETED)


def test_an_error_event_fails_with_its_own_message_and_a_timeout_is_a_timeout() -> None:
    error = job_event(V2, Goal.DELETED, "error", "the deletion failed: DELETE_FAILED (6)", None, 2)
    with pytest.raises(UnexpectedEvent, match="DELETE_FAILED") as caught:
        check_job_event(error, V2, Goal.DELETED)
    assert not isinstance(caught.value, WaitTimedOut)
    timeout = job_event(V2, Goal.DELETED, "timeout", "was not deleted before the deadline", "Running", 9)
    with pytest.raises(WaitTimedOut, match="before the deadline"):
        check_job_event(timeout, V2, Goal.DELETED)


def test_a_reached_verdict_becomes_a_believed_event_and_a_failed_deletion_an_error() -> None:
    gone = verdict_event(V2, Goal.DELETED, Verdict(True, ABSENT), 4)
    assert check_job_event(gone, V2, Goal.DELETED)["message"] == f"training job {V2_JOB} is gone"
    stopped = verdict_event(VERSION, Goal.STOPPED, Verdict(True, "KILLED (12)"), 4)
    assert check_job_event(stopped, VERSION, Goal.STOPPED)["final_status"] == "KILLED (12)"
    failed = verdict_event(VERSION, Goal.DELETED, Verdict(True, "DELETE_FAILED (6)", "deletion failed"), 4)
    assert (failed["status"], failed["final_status"]) == ("error", "DELETE_FAILED (6)")
    with pytest.raises(UnexpectedEvent, match="deletion failed"):
        check_job_event(failed, VERSION, Goal.DELETED)
