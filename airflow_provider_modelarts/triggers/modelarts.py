"""Deferrable waits: until jobs are gone, or until they have stopped, without blocking the triggerer.

A trigger holds only plain values (ids, connection id, intervals, an absolute deadline), never a
credential: the connection is resolved inside :meth:`run` through Airflow's async connection
access. A trigger rebuilt from its kwargs (after a triggerer restart, or running twice in two
triggerers) makes the same read-only calls and reaches the same verdict; it never acts on a job.

Each trigger only declares what it waits for (a :class:`..teardown.waiter.WaitSpec`) and the shape
of its event; the one wait loop (:func:`..teardown.waiter.wait`) runs it, here and on the worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Self

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.waiting import (
    DEFAULT_MAX_POLL_FAILURES,
    DEFAULT_POLL_INTERVAL,
    job_event,
    job_ids_digest,
    poll_failures,
    seconds,
    verdict_event,
)
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.teardown import waiter
from airflow_provider_modelarts.teardown.waiter import WaitOutcome, WaitSpec


class _WaitTrigger(BaseTrigger):
    """What every wait shares: the goal, the connection to read, the pace and the deadline.

    Subclasses declare their jobs (:meth:`spec`), their own kwargs and their event (:meth:`event`);
    :meth:`run` resolves the connection inside the triggerer, runs the one wait loop and fires the
    one event.

    :param first_poll_delay: Seconds before the first poll. A task that defers has just looked at
        the job itself, so its trigger waits (at least) one interval before looking again.
    """

    def __init__(
        self,
        *,
        goal: str,
        modelarts_conn_id: str,
        region: str | None,
        project_id: str | None,
        poll_interval: float,
        deadline: float | None,
        max_poll_failures: int,
        first_poll_delay: float,
    ) -> None:
        super().__init__()
        self.goal = Goal.of(goal).value
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.poll_interval = seconds(poll_interval, "poll_interval")
        self.deadline = None if deadline is None else seconds(deadline, "deadline", allow_zero=True)
        self.max_poll_failures = poll_failures(max_poll_failures)
        self.first_poll_delay = seconds(first_poll_delay, "first_poll_delay", allow_zero=True)

    def _serialize(self, **own: Any) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **own,
                "goal": self.goal,
                "modelarts_conn_id": self.modelarts_conn_id,
                "region": self.region,
                "project_id": self.project_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "max_poll_failures": self.max_poll_failures,
                "first_poll_delay": self.first_poll_delay,
            },
        )

    def replace(self, **changes: Any) -> Self:
        """The same wait with some kwargs changed (its pace, say)."""
        return type(self)(**{**self.serialize()[1], **changes})

    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    def _spec(self, job_family: str, job_ids: Sequence[str], **scope: Any) -> WaitSpec:
        return WaitSpec(
            family=ids.job_family(job_family),
            job_ids=tuple(job_ids),
            goal=Goal(self.goal),
            poll_interval=self.poll_interval,
            deadline=self.deadline,
            max_poll_failures=self.max_poll_failures,
            first_poll_delay=self.first_poll_delay,
            **scope,
        )

    def spec(self) -> WaitSpec:
        """What this trigger waits for."""
        raise NotImplementedError

    def event(self, outcome: WaitOutcome) -> dict[str, Any]:
        """The event payload for how the wait ended."""
        raise NotImplementedError

    def describe(self) -> str:
        return self.spec().describe()

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        """Run the one wait loop on this trigger's jobs with ``hook``; the event payload."""
        payload = self.event(await waiter.wait(hook, self.spec(), log=self.log))
        self.log.info("%s", payload["message"])
        return payload

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent(await self.wait(self.hook()))

    async def on_kill(self) -> None:
        """Deliberately nothing: the trigger only watches a teardown that the task already requested.

        Airflow calls this when the wait is stopped in this triggerer (the task was cleared or
        marked, or the trigger is taken over elsewhere). The stop or delete, once accepted,
        completes on the service side; undoing it is impossible and repeating it is the task's job.
        """
        self.log.info(
            "The wait for %s stopped in this triggerer (the task was cleared or marked, or the wait "
            "moved elsewhere); the job itself is left as it is",
            self.describe(),
        )


class ModelArtsJobTrigger(_WaitTrigger):
    """Polls a job until ``goal`` (``deleted`` or ``stopped``) is reached, the deadline passes, or
    polling fails for good, then fires exactly one event (see :func:`..api.waiting.job_event`).

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res``.
    :param deadline: Absolute UNIX time after which a ``timeout`` event fires (``None``: never).
    :param max_poll_failures: Consecutive polls that may fail transiently (after the client's own
        retries) before the trigger gives up with an ``error`` event.
    """

    def __init__(
        self,
        *,
        job_family: str,
        job_id: str,
        goal: str,
        version_id: str | None = None,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: float | None = None,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        first_poll_delay: float = 0.0,
    ) -> None:
        super().__init__(
            goal=goal,
            modelarts_conn_id=modelarts_conn_id,
            region=region,
            project_id=project_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_poll_failures=max_poll_failures,
            first_poll_delay=first_poll_delay,
        )
        self.target = ids.job_target(job_family, job_id, version_id)
        self.job_family = self.target.family.value
        self.job_id = self.target.job_id
        self.version_id = self.target.version_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self._serialize(job_family=self.job_family, job_id=self.job_id, version_id=self.version_id)

    def spec(self) -> WaitSpec:
        return self._spec(self.job_family, [self.job_id], version_id=self.version_id)

    def event(self, outcome: WaitOutcome) -> dict[str, Any]:
        target, goal, job = self.target, Goal(self.goal), self.job_id
        status = outcome.last_status.get(job)
        if job in outcome.reached:
            return verdict_event(target, goal, outcome.reached[job], outcome.polls)
        if job in outcome.errors:
            return job_event(target, goal, "error", outcome.errors[job], status, outcome.polls)
        message = f"{target.describe()} was not {self.goal} before the deadline (last status {status})"
        return job_event(target, goal, "timeout", message, status, outcome.polls)


class ModelArtsJobsTrigger(_WaitTrigger):
    """Waits until every job in ``job_ids`` (one family) reaches ``goal``; one event at the end.

    Jobs are observed in shared rounds (one list walk of ``workspace_id``'s list answers them all,
    see ``SharedWatch``). The event lists the jobs still waiting at the deadline, the jobs that
    ended in error and the final status of each job that stopped without being gone, and carries a
    digest of ``job_ids`` so the task can tell that it is about its own jobs. The kwargs hold ids
    only, whatever the number of jobs.

    :param version_id: ``training_v1`` only, with exactly one job id: wait for that version.
    :param workspace_id: The list scope the jobs were selected from (default: the list's default).
    :param listed_by: The scope digest (``shared_watch.list_scope``) of the listing that showed all
        of ``job_ids``: if the watch runs the same query with the same credentials, a complete walk
        that no longer lists one of them proves it gone without asking its detail.
    """

    def __init__(
        self,
        *,
        job_family: str,
        job_ids: Sequence[str],
        goal: str,
        version_id: str | None = None,
        workspace_id: str | None = None,
        listed_by: str | None = None,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: float | None = None,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        first_poll_delay: float = 0.0,
    ) -> None:
        super().__init__(
            goal=goal,
            modelarts_conn_id=modelarts_conn_id,
            region=region,
            project_id=project_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_poll_failures=max_poll_failures,
            first_poll_delay=first_poll_delay,
        )
        self.job_family = ids.job_family(job_family).value
        self.job_ids = list(dict.fromkeys(ids.job_target(self.job_family, job)[1] for job in job_ids))
        if version_id is not None and len(self.job_ids) != 1:
            raise ValueError("version_id: a version belongs to one job; give exactly one job id")
        self.version_id = (
            None if version_id is None else ids.job_target(self.job_family, self.job_ids[0], version_id)[2]
        )
        self.workspace_id = workspace_id
        self.listed_by = listed_by

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self._serialize(
            job_family=self.job_family,
            job_ids=list(self.job_ids),
            version_id=self.version_id,
            workspace_id=self.workspace_id,
            listed_by=self.listed_by,
        )

    def spec(self) -> WaitSpec:
        return self._spec(
            self.job_family,
            self.job_ids,
            version_id=self.version_id,
            workspace_id=self.workspace_id,
            listed_by=self.listed_by,
        )

    def event(self, outcome: WaitOutcome) -> dict[str, Any]:
        total = len(self.job_ids)
        waiting, errors = outcome.waiting, outcome.errors
        status = "timeout" if waiting else ("error" if errors else "success")
        message = (
            f"{len(outcome.reached)} of {total} {self.job_family} job(s) {self.goal}; "
            f"{len(waiting)} still waiting, {len(errors)} in error"
        )
        return {
            "status": status,
            "message": message,
            "job_family": self.job_family,
            "version_id": self.version_id,
            "goal": self.goal,
            "workspace_id": self.workspace_id,
            "total": total,
            "job_ids_digest": job_ids_digest(self.job_ids),
            "remaining": sorted(waiting),
            "errors": [{"job_id": job, "reason": reason} for job, reason in sorted(errors.items())],
            "stopped_as": {
                job: verdict.final_status for job, verdict in outcome.reached.items() if not verdict.absent
            },
            "polls": outcome.polls,
        }


__all__ = ["ModelArtsJobTrigger", "ModelArtsJobsTrigger"]
