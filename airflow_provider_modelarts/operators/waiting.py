"""How a task waits: on the worker for a short grace, then deferred (or, without deferral, to the
end on the worker); the task's resume method gets the wait's event either way, and believes only
an event about its own jobs and goal."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import (
    JobWait,
    UnexpectedEvent,
    WaitFailed,
    check_job_event,
    job_event,
    verdict_event,
)
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.triggers.modelarts import (
    ModelArtsJobsTrigger,
    ModelArtsJobTrigger,
    check_jobs_event,
    deferral_grace,
    run_here,
)

# The scheduler's own defer timeout is a backstop behind the trigger's deadline.
DEFER_BACKSTOP = timedelta(minutes=5)


def _defer(
    task: Any,
    trigger: ModelArtsJobTrigger | ModelArtsJobsTrigger,
    resume: str,
    grace: float,
    backstop: timedelta,
) -> None:
    """Hand the wait to the triggerer: its first poll comes one interval (at least the grace) later.
    Airflow's own defer timeout is the trigger's deadline plus ``backstop``."""
    deadline = trigger.deadline if trigger.deadline is not None else time.time()
    task.defer(
        trigger=trigger.replace(first_poll_delay=max(trigger.poll_interval, grace)),
        method_name=resume,
        timeout=timedelta(seconds=max(deadline - time.time(), 0.0)) + backstop,
    )


def _on_worker(trigger: Any, deferrable: bool, grace: float) -> tuple[Any, float | None]:
    """The trigger to run on the worker and when to stop: a deferrable task looks for ``grace``
    seconds (at most that far apart) before it defers; any other task waits to the deadline."""
    if not deferrable:
        return trigger, None
    pace = min(trigger.poll_interval, grace) if grace else trigger.poll_interval
    return trigger.replace(poll_interval=pace), time.time() + grace


def wait_for_job(
    task: Any,
    trigger: ModelArtsJobTrigger,
    *,
    resume: str,
    context: Any,
    deferrable: bool,
    backstop: timedelta = DEFER_BACKSTOP,
) -> Any:
    """Wait for ``trigger``'s goal the way every single-job task of this provider does, then call
    ``task.<resume>(context, event)``.

    The worker looks at once; a deferrable task keeps looking for a short grace (see
    :func:`..triggers.modelarts.deferral_grace`), so a goal reached that quickly needs no deferral,
    and then defers to a trigger whose first poll comes one interval (at least the grace) later.
    Any other task runs the trigger's loop to its deadline right here.
    """
    grace = deferral_grace()
    here, stop_at = _on_worker(trigger, deferrable, grace)
    target, goal = trigger.target, Goal(trigger.goal)
    job_wait = JobWait(target, goal, trigger.max_poll_failures)
    try:
        verdict = run_here(here.poll(task.hook, job_wait, stop_at=stop_at), task.hook)
    except WaitFailed as exc:
        event = job_event(target, goal, "error", str(exc), exc.last_status, job_wait.tally.polls)
    else:
        if verdict is not None:
            event = verdict_event(target, goal, verdict, job_wait.tally.polls)
        elif deferrable and not trigger._past_deadline(0.0):
            _defer(task, trigger, resume, grace, backstop)
        else:
            status = job_wait.tally.last_status
            message = f"{target.describe()} was not {goal.value} before the deadline (last status {status})"
            event = job_event(target, goal, "timeout", message, status, job_wait.tally.polls)
    return getattr(task, resume)(context, event)


def wait_for_jobs(
    task: Any, trigger: ModelArtsJobsTrigger, *, resume: str, context: Any, deferrable: bool
) -> Any:
    """:func:`wait_for_job` for many jobs of one family: ``task.<resume>(context, event)``."""
    grace = deferral_grace()
    here, stop_at = _on_worker(trigger, deferrable, grace)
    event = run_here(here.poll(task.hook, stop_at=stop_at), task.hook)
    if event is None:
        _defer(task, trigger, resume, grace, DEFER_BACKSTOP)
    return getattr(task, resume)(context, event)


def checked_event(event: Any, target: JobRef, goal: Goal) -> Mapping[str, Any]:
    """The event, if it reports ``goal`` reached for ``target``; else the task fails saying why."""
    try:
        return check_job_event(event, target, goal)
    except UnexpectedEvent as exc:
        raise AirflowException(str(exc)) from None


def checked_jobs_event(event: Any, family: JobFamily, goal: Goal, job_ids: Sequence[str]) -> dict[str, Any]:
    """A many-job event about exactly these jobs, family and goal; else the task fails saying why."""
    try:
        return check_jobs_event(event, family, goal, job_ids)
    except UnexpectedEvent as exc:
        raise AirflowException(str(exc)) from None
