"""Tearing down many jobs of one family in one task: stop what must stop and wait, check each job
again and delete it, wait until every deleted job is gone; then one report.

:class:`BulkTeardown` is the machinery shared by the cleanup (which selects its jobs from a
listing) and the list forms of the teardown and delete operators (which are given their ids).
Between its waits the work left and the report travel in the task's XCom (key ``STATE_KEY``), so
trigger kwargs hold ids only, whatever the number of jobs, and a resumed task (on any worker, or in
``dag.test()``) continues where it stopped. Every wait defers when the task is deferrable.

A job is deleted only after it was checked right before its delete (unless the subclass turns the
check off, as a plain delete does): gone means "already absent", running means stopped first (with
``stop_running``, at most ``MAX_STOP_ROUNDS`` times) or not deleted, protected means not deleted.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.operations import BATCH_DELETE_LIMIT
from airflow_provider_modelarts.api.shared_watch import list_scope
from airflow_provider_modelarts.api.statuses import V2_CATEGORIES, Category, JobFamily
from airflow_provider_modelarts.api.waiting import poll_failures
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.base import ModelArtsTask
from airflow_provider_modelarts.operators.waiting import checked_jobs_event, wait_for_jobs
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger, run_here

DEFAULT_CONCURRENCY = 8
MAX_STOP_ROUNDS = 2  # stop, wait, check again: at most this often per job and run
STATE_KEY = "teardown_state"
TERMINAL_V2_PHASES = sorted(phase.value for phase, category in V2_CATEGORIES.items() if category.terminal)
T = TypeVar("T")


def protected(name: str | None, protected_names: Sequence[str]) -> bool:
    """Whether a job must be kept: its name matches a protected pattern, or it has no readable
    name while any name is protected (it might be one of them)."""
    if not protected_names:
        return False
    return name is None or any(fnmatch.fnmatchcase(name, pattern) for pattern in protected_names)


def skip_entry(job: JobSnapshot | str, reason: str, name: str | None = None) -> dict[str, Any]:
    if isinstance(job, str):
        return {"job_id": job, "name": name, "status": None, "reason": reason}
    return {"job_id": job.job_id, "name": name or job.name, "status": job.status_name, "reason": reason}


def new_report(family: JobFamily, **extra: Any) -> dict[str, Any]:
    """An empty report of a many-job teardown (``extra``: what the subclass adds, e.g. ``listed``)."""
    return {
        "job_family": family.value,
        **extra,
        "stopped": [],
        "deleted": [],
        "already_absent": [],
        "skipped": [],
        "failed": [],
        "confirmed_gone": 0,
        "stop_calls": 0,
        "delete_calls": 0,
    }


class BulkTeardown(ModelArtsTask):
    """The shared machinery (see the module docstring): :meth:`bulk_execute` runs it from the first
    state that :meth:`start` builds; subclasses also set what the check before a delete does.

    :param max_concurrency: Requests in flight at once.
    :param use_batch_delete: v2 only: delete 100 jobs per call (Huawei Cloud's batch API); falls back
        to single deletes where the service has no batch API.
    :param fail_on_errors: Fail the task (after trying every job) if any job could not be torn down.
    """

    state_key = STATE_KEY
    recheck = True  # check each job right before its delete
    stop_running = False  # a job found running then is stopped (and waited on) first, not skipped
    protected_patterns: Sequence[str] = ()

    def __init__(
        self,
        *,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        use_batch_delete: bool = True,
        fail_on_errors: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_concurrency = poll_failures(max_concurrency, "max_concurrency")
        self.use_batch_delete = use_batch_delete
        self.fail_on_errors = fail_on_errors

    # ---- what subclasses provide ---------------------------------------------------------------

    @property
    def family(self) -> JobFamily:
        raise NotImplementedError

    @property
    def scope(self) -> str | None:
        """The list scope (workspace) the jobs were found in, if any."""
        return None

    def res_arguments(self) -> tuple[str | None, Mapping[str, Any] | None]:
        """RES only: the ``del-job`` job type and platform object."""
        return None, None

    def start(self, context: Any) -> dict[str, Any] | Any:
        """The first state (see :meth:`new_state`), or a final result to return at once."""
        raise NotImplementedError

    def finish(self, state: dict[str, Any]) -> Any:
        """The task's return value once every step is done."""
        return self.fail_if_failed(state["report"])

    # ---- state -----------------------------------------------------------------------------------

    @staticmethod
    def new_state(
        report: dict[str, Any],
        *,
        pending: list[str],
        stop: Sequence[str] = (),
        stopping: Sequence[str] = (),
        names: Mapping[str, str | None] | None = None,
        listed_by: str | None = None,
    ) -> dict[str, Any]:
        """``pending``: to check and delete; ``stop``: to stop first; ``stopping``: to wait for."""
        return {
            "report": report,
            "names": dict(names or {}),
            "stop": list(stop),
            "stop_rounds": 1 if stop or stopping else 0,
            "stopping": list(stopping),
            "pending": pending,
            "listed_by": listed_by,
        }

    def _bulk_save(self, context: Any, state: dict[str, Any]) -> None:
        context["ti"].xcom_push(key=self.state_key, value=state)

    def _bulk_load(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        state = ti.xcom_pull(
            task_ids=self.task_id, key=self.state_key, map_indexes=getattr(ti, "map_index", None)
        )
        if not isinstance(state, dict) or "report" not in state:
            raise AirflowException(
                f"{self.task_id}: the state saved before the wait (XCom {self.state_key!r}) is missing"
            )
        return state

    # ---- the steps -------------------------------------------------------------------------------

    def bulk_execute(self, context: Any) -> Any:
        ModelArtsConsoleLink.persist(context, self.hook.console_url)
        state = self.start(context)
        if not isinstance(state, dict) or "report" not in state:
            return state
        return self._bulk_advance(context, state)

    def _bulk_trigger(self, job_ids: list[str], goal: Goal, state: dict[str, Any]) -> ModelArtsJobsTrigger:
        return ModelArtsJobsTrigger(
            job_family=self.family.value,
            job_ids=job_ids,
            goal=goal.value,
            workspace_id=self.scope,
            listed_by=state["listed_by"],
            modelarts_conn_id=self.modelarts_conn_id,
            region=self.region,
            project_id=self.project_id,
            poll_interval=self.poll_interval,
            deadline=time.time() + self.timeout,
            max_poll_failures=self.max_poll_failures,
            # Right after the requests every job is still there: looking at once would only cost
            # a walk (and, while jobs vanish under it, an incomplete one).
            first_poll_delay=self.poll_interval,
        )

    def _bulk_advance(self, context: Any, state: dict[str, Any]) -> Any:
        """Do the next step: stop what must stop (then wait), or check and delete (then wait)."""
        if state["stop"]:
            run_here(self._bulk_stop(state), self.hook)
        if state["stopping"]:
            self._bulk_save(context, state)
            trigger = self._bulk_trigger(state["stopping"], Goal.STOPPED, state)
            return wait_for_jobs(
                self, trigger, resume="bulk_after_stop", context=context, deferrable=self.deferrable
            )
        if state["pending"]:
            run_here(self._bulk_delete(state), self.hook)
            if state["stop"] or state["stopping"]:  # jobs found running: another round
                return self._bulk_advance(context, state)
        report = state["report"]
        if report["deleted"]:
            self.log.info(
                "Deletion requested for %s job(s); %s failed", len(report["deleted"]), len(report["failed"])
            )
        if not report["deleted"] or not self.wait_for_completion:
            return self.finish(state)
        self._bulk_save(context, state)
        trigger = self._bulk_trigger(report["deleted"], Goal.DELETED, state)
        return wait_for_jobs(
            self, trigger, resume="bulk_complete", context=context, deferrable=self.deferrable
        )

    def bulk_after_stop(self, context: Any, event: Any = None) -> Any:
        state = self._bulk_load(context)
        checked = checked_jobs_event(event, self.family, Goal.STOPPED, state["stopping"])
        unstopped = {job: "did not stop before the timeout; not deleted" for job in checked["remaining"]}
        unstopped.update(
            {e["job_id"]: f"stopping failed: {e['reason']}; not deleted" for e in checked["errors"]}
        )
        state["report"]["failed"].extend(
            {"job_id": job, "reason": why} for job, why in sorted(unstopped.items())
        )
        state["pending"] = [job for job in state["pending"] if job not in unstopped]
        state["stopping"] = []
        return self._bulk_advance(context, state)

    def bulk_complete(self, context: Any, event: Any = None) -> Any:
        state = self._bulk_load(context)
        report = state["report"]
        checked = checked_jobs_event(event, self.family, Goal.DELETED, report["deleted"])
        unconfirmed = set(checked["remaining"]) | {e["job_id"] for e in checked["errors"]}
        report["confirmed_gone"] = len([job for job in report["deleted"] if job not in unconfirmed])
        report["failed"].extend(
            {"job_id": job, "reason": "not confirmed gone before the timeout"} for job in checked["remaining"]
        )
        report["failed"].extend(checked["errors"])
        return self.finish(state)

    # ---- requests --------------------------------------------------------------------------------

    async def bounded(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        """Run ``calls`` with at most ``max_concurrency`` in flight; errors are returned, not raised."""
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(call: Awaitable[T]) -> T:
            async with limit:
                return await call

        return await asyncio.gather(*(one(call) for call in calls), return_exceptions=True)

    async def _bulk_stop(self, state: dict[str, Any]) -> None:
        """Ask every job of ``state["stop"]`` to stop; those that may now be stopping are waited on."""
        jobs, state["stop"] = state["stop"], []
        report = state["report"]
        answers = await self.bounded([self._bulk_stop_one(job) for job in jobs])
        for job, answer in zip(jobs, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, ModelArtsError | ValueError):
                    raise answer
                report["failed"].append({"job_id": job, "reason": f"stopping failed: {answer}; not deleted"})
                if job in state["pending"]:
                    state["pending"].remove(job)
            elif answer is None:
                report["already_absent"].append(job)
                if job in state["pending"]:
                    state["pending"].remove(job)
            else:
                report["stop_calls"] += answer
                if job not in report["stopped"]:
                    report["stopped"].append(job)
                state["stopping"].append(job)

    async def _bulk_stop_one(self, job: str) -> int | None:
        """Stop ``job``; the number of stop requests sent, or ``None`` if it is gone."""
        hook, family = self.hook, self.family
        try:
            return await hook.astop_job(family, job)
        except ModelArtsNotFoundError:
            if await hook.aobserve(family, job) is None:
                return None
            raise
        except ModelArtsApiError as exc:
            # It may have stopped or finished meanwhile (409, "can't be stop"): the wait decides.
            self.log.warning("Stopping %s %s: %s", family.value, job, exc)
            return 1

    def _bulk_may_delete(self, state: dict[str, Any], job: str, snapshot: JobSnapshot | None) -> bool:
        """Whether ``job`` may be deleted now, given how it looks right before its delete."""
        report = state["report"]
        if snapshot is None:
            report["already_absent"].append(job)
            return False
        name = snapshot.name or state["names"].get(job)
        if protected(name, self.protected_patterns):
            report["skipped"].append(skip_entry(snapshot, "protected name", name))
            return False
        if snapshot.is_terminal:
            return True
        # Not finished (running, or already stopping): only a teardown allowed to stop jobs waits
        # for it to stop (stopping it first if it runs), then checks it again; any other leaves it.
        if self.stop_running and state["stop_rounds"] < MAX_STOP_ROUNDS:
            target = "stopping" if snapshot.category is Category.STOPPING else "stop"
            state[target].append(job)
            state["next_pending"].append(job)
            return False
        reason = f"{snapshot.status_name} when it was about to be deleted; not deleted"
        report["skipped"].append(skip_entry(snapshot, reason, name))
        return False

    def _bulk_unprotected(self, state: dict[str, Any], job: str) -> bool:
        """Whether a job known to have finished may be deleted: its name is not protected."""
        name = state["names"].get(job)
        if not protected(name, self.protected_patterns):
            return True
        state["report"]["skipped"].append(skip_entry(job, "protected name", name))
        return False

    async def _bulk_delete(self, state: dict[str, Any]) -> None:
        """Check every pending job again and delete those that may go; v2 in batches."""
        jobs, state["pending"], state["next_pending"] = state["pending"], [], []
        singles = jobs
        if self.family is JobFamily.TRAINING and self.use_batch_delete:
            singles = []
            group_size = BATCH_DELETE_LIMIT * self.max_concurrency
            for start in range(0, len(jobs), group_size):
                singles.extend(await self._bulk_delete_batches(state, jobs[start : start + group_size]))
        answers = await self.bounded([self._bulk_delete_one(state, job) for job in singles])
        for job, answer in zip(singles, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, ModelArtsError | ValueError):
                    raise answer
                state["report"]["failed"].append({"job_id": job, "reason": str(answer)})
        if state["stop"] or state["stopping"]:
            state["stop_rounds"] += 1
        state["pending"] = state.pop("next_pending")

    async def listing_scope(self) -> str:
        """The digest of this task's list query (credentials, project, family, workspace): what
        a listing's jobs are vouched for with (``listed_by``)."""
        session = await self.hook.asession()
        return list_scope(session, await self.hook.aresolve_project_id(), self.family, self.scope)

    async def _bulk_delete_batches(self, state: dict[str, Any], jobs: list[str]) -> list[str]:
        """Delete v2 jobs 100 per call, each checked right before (see :meth:`_bulk_checked`).
        Returns the jobs left for single deletes."""
        ready, singles = await self._bulk_checked(state, jobs) if self.recheck else (jobs, [])
        batches = [ready[i : i + BATCH_DELETE_LIMIT] for i in range(0, len(ready), BATCH_DELETE_LIMIT)]
        answers = await self.bounded([self.hook.abatch_delete_training_jobs(batch) for batch in batches])
        state["report"]["delete_calls"] += len(batches)
        fallback: list[str] = []
        for batch, answer in zip(batches, answers, strict=True):
            if isinstance(answer, BaseException):
                self.log.warning(
                    "Batch delete of %s jobs failed (%s); deleting them one by one", len(batch), answer
                )
                fallback.extend(batch)
            else:
                state["report"]["deleted"].extend(batch)
        return singles + fallback

    async def _bulk_checked(self, state: dict[str, Any], jobs: list[str]) -> tuple[list[str], list[str]]:
        """The jobs that may go in a batch delete now, and those to check and delete one by one.

        Jobs this task's own listing found (``listed_by``, the same query) are checked with one
        search of the scope's jobs that have not finished (the documented ``not`` filter on
        ``phase``): a job it lists is checked like a single job; a job it does not list has
        finished, provided the search is complete (otherwise nothing is proven and every job goes
        alone). A list is scoped (the caller's jobs, a workspace), so its silence says nothing about
        jobs it never showed: jobs given by id are each checked on their detail endpoint."""
        if state["listed_by"] == await self.listing_scope():  # None (given by id) never matches
            walk = await self.hook.awalk_training_jobs(
                exclude_phases=TERMINAL_V2_PHASES, workspace_id=self.scope
            )
            if not walk.complete:
                return [], jobs
            unfinished = {job.id: job.snapshot() for job in walk.items}
            ready = [
                job
                for job in jobs
                if (
                    self._bulk_may_delete(state, job, unfinished[job])
                    if job in unfinished
                    else self._bulk_unprotected(state, job)
                )
            ]
            return ready, []
        looks = await self.bounded([self.hook.aobserve(self.family, job) for job in jobs])
        ready = [
            job
            for job, look in zip(jobs, looks, strict=True)
            if not isinstance(look, BaseException) and self._bulk_may_delete(state, job, look)
        ]
        # A job that could not be looked at is asked again alone, where its failure is reported.
        return ready, [job for job, look in zip(jobs, looks, strict=True) if isinstance(look, BaseException)]

    async def _bulk_delete_one(self, state: dict[str, Any], job: str) -> None:
        """Check ``job`` on its detail endpoint (unless checks are off), then delete it if it may go."""
        hook, family = self.hook, self.family
        if self.recheck and not self._bulk_may_delete(state, job, await hook.aobserve(family, job)):
            return
        state["report"]["delete_calls"] += 1
        job_type, platform = self.res_arguments()
        try:
            await hook.adelete_job(family, job, job_type=job_type, offline_platform=platform)
        except ModelArtsNotFoundError as exc:
            if await hook.aobserve(family, job) is not None:
                raise ModelArtsError(
                    f"the delete answered 'not found' ({exc}), but the job still exists; check the "
                    "request's parameters (for RES, the job_type)"
                ) from exc
            state["report"]["already_absent"].append(job)
            return
        except ModelArtsApiError:
            # Refused while the job is still stopping (a visualization job in KILLING): wait, then
            # try again once it has stopped.
            snapshot = await hook.aobserve(family, job)
            if snapshot is None:
                state["report"]["already_absent"].append(job)
                return
            if snapshot.category is not Category.STOPPING or state["stop_rounds"] >= MAX_STOP_ROUNDS:
                raise
            state["stopping"].append(job)
            state["next_pending"].append(job)
            return
        state["report"]["deleted"].append(job)

    # ---- the end ---------------------------------------------------------------------------------

    def fail_if_failed(self, report: dict[str, Any]) -> dict[str, Any]:
        self.log.info(
            "%s %s job(s): %s stopped, %s deleted, %s confirmed gone, %s already gone, %s skipped, %s failed",
            self.task_id,
            report["job_family"],
            len(report["stopped"]),
            len(report["deleted"]),
            report["confirmed_gone"],
            len(report["already_absent"]),
            len(report["skipped"]),
            len(report["failed"]),
        )
        for failure in report["failed"]:
            self.log.warning("Not torn down: %s: %s", failure["job_id"], failure["reason"])
        if report["failed"] and self.fail_on_errors:
            listed = "; ".join(f"{f['job_id']}: {f['reason']}" for f in report["failed"][:20])
            more = f" (and {len(report['failed']) - 20} more)" if len(report["failed"]) > 20 else ""
            count, family = len(report["failed"]), report["job_family"]
            raise AirflowException(f"{count} {family} job(s) could not be torn down: {listed}{more}")
        return report


def job_ids_of(value: object, family: JobFamily, field: str = "job_ids") -> list[str]:
    """A rendered list of job ids of one family, validated (a string is refused, never split)."""
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(
            f"{field}: expected a list of job ids, got {type(value).__name__} {value!r}; a template "
            "must render to a list (render_template_as_native_obj=True on the DAG), or pass an XComArg"
        )
    checked = [ids.job_target(family, job, job_field=f"{field}[{i}]").job_id for i, job in enumerate(value)]
    return list(dict.fromkeys(checked))
