"""How a task waits: on the worker for a short grace, then deferred (or, without deferral, to the
end on the worker). Either way the one wait loop (:func:`..teardown.waiter.wait`) runs the
trigger's declared wait, and the task's resume method gets the trigger's event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.providers.common.compat.sdk import conf

from airflow_provider_modelarts.api.waiting import seconds

if TYPE_CHECKING:
    from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
    from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger, ModelArtsJobTrigger

DEFAULT_DEFERRAL_GRACE = 5.0
# The scheduler's own defer timeout is a backstop behind the trigger's deadline.
DEFER_BACKSTOP = timedelta(minutes=5)
T = TypeVar("T")


def run_here(coroutine: Coroutine[Any, Any, T], hook: ModelArtsHook) -> T:
    """Run a coroutine (a wait, a round of requests) in a local event loop, for tasks on the
    worker; the loop's HTTP client is closed afterwards (the event loop it belongs to ends here)."""

    async def run() -> T:
        try:
            return await coroutine
        finally:
            await hook.aclose_session()

    return asyncio.run(run())


def deferral_grace() -> float:
    """``[modelarts] deferral_grace_seconds``: how long a task keeps checking on the worker before it
    defers, and the least time between a deferral and its trigger's first poll.

    A trigger that fires within seconds of its deferral can lose a race in Airflow's scheduler (the
    worker's exit after ``defer()`` is reported late, and the task is then marked failed), so a
    goal reached that quickly is taken on the worker, and a trigger never looks right away.
    """
    value = conf.getfloat("modelarts", "deferral_grace_seconds", fallback=DEFAULT_DEFERRAL_GRACE)
    return seconds(value, "[modelarts] deferral_grace_seconds", allow_zero=True)


def wait_then_resume(
    task: Any,
    trigger: ModelArtsJobTrigger | ModelArtsJobsTrigger,
    *,
    resume: str,
    context: Any,
    deferrable: bool,
    backstop: timedelta = DEFER_BACKSTOP,
    before_defer: Callable[[], None] | None = None,
    look_at_once: bool = True,
) -> Any:
    """Wait for ``trigger``'s goal, then call ``task.<resume>(context, event)``.

    The worker looks at once (``look_at_once``), or one of its poll intervals later: right after a
    task's own stop or delete requests every job is still there, and looking at once would only
    cost a request (or a list walk that jobs vanish under). A deferrable task keeps looking for a
    short grace (see :func:`deferral_grace`, at most that far apart), so a goal reached that quickly
    needs no deferral, and then defers to ``trigger``, whose first poll comes one interval (at least
    the grace) later; Airflow's own defer timeout is the trigger's deadline plus ``backstop``, and
    ``before_defer`` runs first (to save what the resumed task needs). Any other task runs the wait
    to its deadline right here.
    """
    from airflow_provider_modelarts.teardown.waiter import wait  # when a task waits, not at DAG parse

    grace = deferral_grace()
    spec = trigger.spec()
    stop_at = None
    if deferrable:
        spec = spec.replace(poll_interval=min(spec.poll_interval, grace) if grace else spec.poll_interval)
        stop_at = time.time() + grace
    spec = spec.replace(first_poll_delay=0.0 if look_at_once else spec.poll_interval)
    outcome = run_here(wait(task.hook, spec, log=task.log, stop_at=stop_at), task.hook)
    if outcome.ended == "stop_at":
        if before_defer is not None:
            before_defer()
        deadline = trigger.deadline if trigger.deadline is not None else time.time()
        task.defer(
            trigger=trigger.replace(first_poll_delay=max(trigger.poll_interval, grace)),
            method_name=resume,
            timeout=timedelta(seconds=max(deadline - time.time(), 0.0)) + backstop,
        )
    return getattr(task, resume)(context, trigger.event(outcome))
