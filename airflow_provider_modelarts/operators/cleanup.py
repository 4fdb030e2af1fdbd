"""Bulk housekeeping: select old jobs of a family, stop them if asked, delete them (in batches where
the API allows) with bounded concurrency, and wait until every deleted job is confirmed gone.

What it never does:

* delete a job it must keep: a protected name (or a name it cannot read while names are
  protected) is skipped at selection and again right before the delete; a job is judged by its
  full state (a v1 job with any running version is running), and is checked again right before
  its delete, so a job that started running since it was selected is skipped (or, with
  ``stop_running``, stopped first);
* believe an absence it cannot prove: deletions are confirmed in the list scope the jobs were
  selected from (same workspace, same credentials), or on each job's detail endpoint;
* carry its report through the triggerer: between the waits (stop, then delete) the report and
  the work left travel in the task's XCom (key ``cleanup_state``); trigger kwargs hold ids only.

Selection is a pure function (:func:`select_jobs`) so what a run *would* delete can be shown
(``dry_run``) and tested without a service.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any, TypeVar

from airflow.providers.common.compat.sdk import AirflowException, BaseOperator, conf

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.operations import BATCH_DELETE_LIMIT, res_job_type, res_offline_platform
from airflow_provider_modelarts.api.shared_watch import SHAREABLE, list_scope
from airflow_provider_modelarts.api.statuses import V2_CATEGORIES, JobFamily
from airflow_provider_modelarts.api.waiting import poll_failures, seconds
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.waiting import checked_jobs_event, wait_for_jobs
from airflow_provider_modelarts.triggers.modelarts import (
    DEFAULT_MAX_POLL_FAILURES,
    DEFAULT_POLL_INTERVAL,
    ModelArtsJobsTrigger,
    run_here,
)

DEFAULT_MAX_DELETES = 1000
DEFAULT_CONCURRENCY = 8
MAX_STOP_ROUNDS = 2  # stop, wait, check again: at most this often per job and run
STATE_KEY = "cleanup_state"
TERMINAL_V2_PHASES = sorted(phase.value for phase, category in V2_CATEGORIES.items() if category.terminal)
T = TypeVar("T")


@dataclass
class Selection:
    """What a cleanup run will do with each job it looked at."""

    delete: list[JobSnapshot] = field(default_factory=list)
    stop_first: list[JobSnapshot] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _status_matches(snapshot: JobSnapshot, statuses: set[str] | None) -> bool:
    return statuses is None or str(snapshot.status) in statuses or snapshot.status_name in statuses


def protected(name: str | None, protected_names: Sequence[str]) -> bool:
    """Whether a job must be kept: its name matches a protected pattern, or it has no readable
    name while any name is protected (it might be one of them)."""
    if not protected_names:
        return False
    return name is None or any(fnmatch.fnmatchcase(name, pattern) for pattern in protected_names)


def select_jobs(
    jobs: Sequence[JobSnapshot],
    *,
    now_ms: int,
    older_than_s: float | None,
    statuses: Sequence[str | int] | None = None,
    name_pattern: str | None = None,
    protected_names: Sequence[str] = (),
    max_deletes: int = DEFAULT_MAX_DELETES,
    stop_running: bool = False,
) -> Selection:
    """Pick the jobs to delete: old enough, in a wanted status, matching the name pattern.

    ``jobs`` carry each job's full state (for a v1 job: a running version if it has one). Protected
    jobs are never touched; running jobs are left alone unless ``stop_running``; at most
    ``max_deletes`` jobs are chosen, oldest first.
    """
    wanted = {str(s) for s in statuses} if statuses is not None else None
    selection = Selection()
    chosen: list[JobSnapshot] = []
    for job in jobs:
        if name_pattern and (job.name is None or not fnmatch.fnmatchcase(job.name, name_pattern)):
            continue
        if not _status_matches(job, wanted):
            continue
        if older_than_s is not None and (
            job.create_time is None or job.create_time > now_ms - older_than_s * 1000
        ):
            continue
        if protected(job.name, protected_names):
            selection.skipped.append(_skip(job, "protected name"))
            continue
        if not job.is_terminal and not stop_running:
            selection.skipped.append(
                _skip(job, f"still {job.status_name}; set stop_running=True to stop it first")
            )
            continue
        chosen.append(job)
    chosen.sort(key=lambda job: (job.create_time or 0, job.job_id))
    for job in chosen[max_deletes:]:
        selection.skipped.append(_skip(job, f"over the max_deletes cap of {max_deletes}"))
    selection.delete = chosen[:max_deletes]
    selection.stop_first = [job for job in selection.delete if not job.is_terminal]
    return selection


def _skip(job: JobSnapshot, reason: str, name: str | None = None) -> dict[str, Any]:
    return {"job_id": job.job_id, "name": name or job.name, "status": job.status_name, "reason": reason}


def _patterns(value: object, field: str) -> list[str]:
    """A rendered list of name patterns; a string is refused (it is not a list of one-letter names)."""
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(
            f"{field}: expected a list of name patterns, got {type(value).__name__} {value!r}; a template "
            "must render to a list (render_template_as_native_obj=True on the DAG), not to text"
        )
    if not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{field}: every pattern must be a non-empty string, got {value!r}")
    return list(value)


def _statuses(value: object) -> list[str | int] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"statuses: expected a list of statuses, got {type(value).__name__} {value!r}")
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in value):
        raise ValueError(f"statuses: every status must be a string or a code, got {value!r}")
    return list(value)


def _optional_text(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected text, got {type(value).__name__} {value!r}")
    return value


class ModelArtsCleanupJobsOperator(BaseOperator):
    """Delete many jobs of one family, selected by age, status, name and workspace, and wait until
    every one is confirmed gone (see the module docstring for what it never does).

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res``.
    :param older_than: Minimum age (``timedelta`` or seconds); ``None`` for any age.
    :param statuses: Only jobs in these statuses (v2 phases, v1 codes or names); default any.
    :param name_pattern: Shell-style pattern the job name must match (``nightly-*``).
    :param protected_names: Patterns of names never to touch, whatever else matches (a list; a
        template must render to a list).
    :param workspace_id: Only jobs of this workspace (the lists' scope; the default list shows the
        default workspace).
    :param job_type: RES only: the job type to list (the RES list API requires one).
    :param offline_platform: RES only: the ``del-job`` platform object (see ``RESDeleteJobOperator``).
    :param dry_run: Only report what would be deleted.
    :param max_deletes: Safety cap: at most this many jobs are deleted per run (oldest first).
    :param stop_running: Stop running jobs first instead of leaving them alone.
    :param max_concurrency: Requests in flight at once.
    :param use_batch_delete: v2 only: delete 100 jobs per call (Huawei Cloud's batch API); falls
        back to single deletes where the service has no batch API.
    :param fail_on_errors: Fail the task (after trying every job) if any job could not be cleaned.
    :param max_wait: Longest wait for the stops, and again for the deletions (seconds or ``timedelta``).
    """

    template_fields: Sequence[str] = (
        "job_family",
        "statuses",
        "name_pattern",
        "protected_names",
        "workspace_id",
        "job_type",
        "modelarts_conn_id",
        "region",
        "project_id",
    )
    operator_extra_links = (ModelArtsConsoleLink(),)
    ui_color = "#e6f1fb"

    def __init__(
        self,
        *,
        job_family: str = JobFamily.TRAINING.value,
        older_than: timedelta | float | None = timedelta(days=30),
        statuses: Sequence[str | int] | None = None,
        name_pattern: str | None = None,
        protected_names: Sequence[str] | str = (),
        workspace_id: str | None = None,
        job_type: str | None = None,
        offline_platform: Mapping[str, Any] | None = None,
        dry_run: bool = False,
        max_deletes: int = DEFAULT_MAX_DELETES,
        stop_running: bool = False,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        use_batch_delete: bool = True,
        fail_on_errors: bool = True,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | timedelta = DEFAULT_POLL_INTERVAL,
        max_wait: timedelta | float = timedelta(hours=2),
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(max_deletes, bool) or not isinstance(max_deletes, int) or max_deletes < 0:
            raise ValueError(f"max_deletes: must be a whole number >= 0, not {max_deletes!r}")
        self.job_family = job_family
        self.older_than = None if older_than is None else seconds(older_than, "older_than", allow_zero=True)
        self.statuses = statuses
        self.name_pattern = name_pattern
        self.protected_names = protected_names
        self.workspace_id = workspace_id
        self.job_type = job_type
        self.offline_platform = offline_platform
        self.report_only = dry_run  # BaseOperator already has a dry_run() method
        self.max_deletes = max_deletes
        self.stop_running = stop_running
        self.max_concurrency = poll_failures(max_concurrency, "max_concurrency")
        self.use_batch_delete = use_batch_delete
        self.fail_on_errors = fail_on_errors
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = seconds(poll_interval, "poll_interval")
        self.max_wait = seconds(max_wait, "max_wait")
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        """Validate the selection arguments: literal ones when the DAG is parsed, all of them once
        the templates are rendered (a string where a list is expected is an error)."""

        def check(value: object, validate: Callable[[object], object]) -> None:
            if rendered or not ids.is_template(value) or isinstance(value, list | tuple):
                validate(value)

        check(self.job_family, ids.job_family)
        check(self.protected_names, lambda v: _patterns(v, "protected_names"))
        check(self.statuses, _statuses)
        check(self.name_pattern, lambda v: _optional_text(v, "name_pattern"))
        check(self.workspace_id, lambda v: _optional_text(v, "workspace_id"))
        if rendered and ids.job_family(self.job_family) is JobFamily.RES:
            res_offline_platform(res_job_type(self.job_type), self.offline_platform)

    @cached_property
    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    @property
    def family(self) -> JobFamily:
        return ids.job_family(self.job_family)

    # ---- listing and selecting -----------------------------------------------------------------

    async def _bounded(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        """Run ``calls`` with at most ``max_concurrency`` in flight; errors are returned, not raised."""
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(call: Awaitable[T]) -> T:
            async with limit:
                return await call

        return await asyncio.gather(*(one(call) for call in calls), return_exceptions=True)

    async def _list(self, skipped: list[dict[str, Any]]) -> list[JobSnapshot]:
        """Every job of the scope, with its full state (v1 jobs with several versions are read
        version by version, once they pass the name and age filters)."""
        hook, family = self.hook, self.family
        workspace = _optional_text(self.workspace_id, "workspace_id")
        if family is JobFamily.TRAINING:
            cutoff = None if self.older_than is None else int((time.time() - self.older_than) * 1000)
            v2 = await hook.alist_training_jobs(created_before_ms=cutoff, workspace_id=workspace)
            return [job.snapshot() for job in v2]
        if family is JobFamily.VISUALIZATION:
            vis = await hook.alist_visualization_jobs(workspace_id=workspace, per_page=1000)
            return [job.snapshot() for job in vis]
        if family is JobFamily.RES:
            res = await hook.alist_res_jobs(res_job_type(self.job_type), workspace_id=workspace)
            return [job.snapshot() for job in res]
        v1 = await hook.alist_training_jobs_v1(workspace_id=workspace, per_page=1000)
        pattern, now_ms = _optional_text(self.name_pattern, "name_pattern"), time.time() * 1000
        candidates = [
            job
            for job in v1
            if (not pattern or (job.job_name is not None and fnmatch.fnmatchcase(job.job_name, pattern)))
            and (self.older_than is None or (job.create_time or now_ms) <= now_ms - self.older_than * 1000)
        ]
        # The list shows the latest version's status; a job with other versions is read in full.
        several = [job for job in candidates if job.version_count != 1]
        answers = await self._bounded([hook.aobserve(family, job.job_id) for job in several])
        states: dict[str, JobSnapshot | BaseException | None] = {
            job.job_id: answer for job, answer in zip(several, answers, strict=True)
        }
        jobs: list[JobSnapshot] = []
        for job in candidates:
            listed = job.snapshot()
            state = states.get(job.job_id, listed)
            if isinstance(state, BaseException):
                skipped.append(_skip(listed, f"its versions could not be read: {state}"))
            elif state is not None:  # None: gone since it was listed
                jobs.append(
                    JobSnapshot(
                        family, job.job_id, state.status, state.version_id, job.job_name, job.create_time
                    )
                )
        return jobs

    def select(self, jobs: Sequence[JobSnapshot]) -> Selection:
        return select_jobs(
            jobs,
            now_ms=int(time.time() * 1000),
            older_than_s=self.older_than,
            statuses=_statuses(self.statuses),
            name_pattern=_optional_text(self.name_pattern, "name_pattern"),
            protected_names=_patterns(self.protected_names, "protected_names"),
            max_deletes=self.max_deletes,
            stop_running=self.stop_running,
        )

    # ---- the steps of a run, with their state in XCom -------------------------------------------

    def execute(self, context: Any) -> Any:
        self._check_arguments(rendered=True)
        ModelArtsConsoleLink.persist(context, self.hook.console_url)
        state = run_here(self._select(), self.hook)
        if self.report_only:
            return self._finish(state["report"])
        return self._advance(context, state)

    async def _select(self) -> dict[str, Any]:
        skipped: list[dict[str, Any]] = []
        jobs = await self._list(skipped)
        selection = self.select(jobs)
        family = self.family
        listed_by = None
        if family in SHAREABLE:
            session = await self.hook.asession()
            project = await self.hook.aresolve_project_id()
            listed_by = list_scope(
                session, project, family, _optional_text(self.workspace_id, "workspace_id")
            )
        self.log.info(
            "%s %s job(s) listed; %s selected for deletion (%s to stop first), %s skipped",
            len(jobs),
            family.value,
            len(selection.delete),
            len(selection.stop_first),
            len(selection.skipped) + len(skipped),
        )
        if self.report_only:
            for job in selection.delete:
                self.log.info("dry run: would delete %s %s (%s)", job.job_id, job.name, job.status_name)
        report: dict[str, Any] = {
            "job_family": family.value,
            "dry_run": self.report_only,
            "listed": len(jobs) + len(skipped),
            "selected": [job.job_id for job in selection.delete],
            "deleted": [],
            "already_absent": [],
            "skipped": skipped + selection.skipped,
            "failed": [],
            "confirmed_gone": 0,
            "stop_calls": 0,
            "delete_calls": 0,
        }
        return {
            "report": report,
            "names": {job.job_id: job.name for job in selection.delete},
            "stop": [job.job_id for job in selection.stop_first],
            "stop_rounds": 1 if selection.stop_first else 0,
            "stopping": [],
            "pending": [job.job_id for job in selection.delete],
            "listed_by": listed_by,
        }

    def _save(self, context: Any, state: dict[str, Any]) -> None:
        context["ti"].xcom_push(key=STATE_KEY, value=state)

    def _load(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        state = ti.xcom_pull(task_ids=self.task_id, key=STATE_KEY, map_indexes=getattr(ti, "map_index", None))
        if not isinstance(state, dict) or "report" not in state:
            raise AirflowException(
                f"cleanup: the state saved before the wait (XCom {STATE_KEY!r}) is missing"
            )
        return state

    def _trigger(self, job_ids: list[str], goal: Goal, state: dict[str, Any]) -> ModelArtsJobsTrigger:
        return ModelArtsJobsTrigger(
            job_family=self.family.value,
            job_ids=job_ids,
            goal=goal.value,
            workspace_id=_optional_text(self.workspace_id, "workspace_id"),
            listed_by=state["listed_by"],
            modelarts_conn_id=self.modelarts_conn_id,
            region=self.region,
            project_id=self.project_id,
            poll_interval=self.poll_interval,
            deadline=time.time() + self.max_wait,
            max_poll_failures=DEFAULT_MAX_POLL_FAILURES,
            # Right after the requests every job is still there: looking at once would only cost
            # a walk (and, while jobs vanish under it, an incomplete one).
            first_poll_delay=self.poll_interval,
        )

    def _advance(self, context: Any, state: dict[str, Any]) -> Any:
        """Do the next step: stop what must stop (then wait), or check and delete (then wait)."""
        if state["stop"]:
            run_here(self._stop(state), self.hook)
            if state["stopping"]:
                self._save(context, state)
                trigger = self._trigger(state["stopping"], Goal.STOPPED, state)
                return wait_for_jobs(
                    self, trigger, resume="execute_after_stop", context=context, deferrable=self.deferrable
                )
        run_here(self._delete(state), self.hook)
        if state["stop"]:  # jobs that started running again: one more round of stop and delete
            return self._advance(context, state)
        report = state["report"]
        self.log.info(
            "Deletion requested for %s job(s); %s failed", len(report["deleted"]), len(report["failed"])
        )
        if not report["deleted"] or not self.wait_for_completion:
            return self._finish(report)
        self._save(context, state)
        trigger = self._trigger(report["deleted"], Goal.DELETED, state)
        return wait_for_jobs(
            self, trigger, resume="execute_complete", context=context, deferrable=self.deferrable
        )

    def execute_after_stop(self, context: Any, event: Any = None) -> Any:
        state = self._load(context)
        checked = checked_jobs_event(event, self.family, Goal.STOPPED, state["stopping"])
        unstopped = {job: "did not stop before max_wait; not deleted" for job in checked["remaining"]}
        unstopped.update(
            {e["job_id"]: f"stopping failed: {e['reason']}; not deleted" for e in checked["errors"]}
        )
        state["report"]["failed"].extend(
            {"job_id": job, "reason": why} for job, why in sorted(unstopped.items())
        )
        state["pending"] = [job for job in state["pending"] if job not in unstopped]
        state["stopping"] = []
        return self._advance(context, state)

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        state = self._load(context)
        report = state["report"]
        checked = checked_jobs_event(event, self.family, Goal.DELETED, report["deleted"])
        unconfirmed = set(checked["remaining"]) | {e["job_id"] for e in checked["errors"]}
        report["confirmed_gone"] = len([job for job in report["deleted"] if job not in unconfirmed])
        report["failed"].extend(
            {"job_id": job, "reason": "not confirmed gone before max_wait"} for job in checked["remaining"]
        )
        report["failed"].extend(checked["errors"])
        return self._finish(report)

    # ---- stopping --------------------------------------------------------------------------------

    async def _stop(self, state: dict[str, Any]) -> None:
        """Ask every job of ``state["stop"]`` to stop; those that may now be stopping are waited on."""
        jobs, state["stop"] = state["stop"], []
        report = state["report"]
        answers = await self._bounded([self._stop_one(job) for job in jobs])
        stopping: list[str] = []
        for job, answer in zip(jobs, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, ModelArtsError | ValueError):
                    raise answer
                report["failed"].append({"job_id": job, "reason": f"stopping failed: {answer}; not deleted"})
                state["pending"].remove(job)
            elif answer is None:
                report["already_absent"].append(job)
                state["pending"].remove(job)
            else:
                report["stop_calls"] += answer
                stopping.append(job)
        state["stopping"] = stopping

    async def _stop_one(self, job: str) -> int | None:
        """Stop ``job``; the number of stop requests sent, or ``None`` if it is gone."""
        hook, family = self.hook, self.family
        if family is JobFamily.RES:
            raise ValueError("RES jobs cannot be stopped through this API")
        calls: list[Awaitable[object]]
        if family is JobFamily.TRAINING_V1:
            versions = await hook.alist_training_job_versions(job)
            running = [v.version_id for v in versions if not v.is_terminal]
            calls = [hook.astop_training_job_version(job, version) for version in running]
        elif family is JobFamily.TRAINING:
            calls = [hook.aterminate_training_job(job)]
        else:
            calls = [hook.astop_visualization_job(job)]
        for answer in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(answer, ModelArtsNotFoundError):
                if await hook.aobserve(family, job) is None:
                    return None
            elif isinstance(answer, ModelArtsError):
                # It may have stopped or finished meanwhile (409, "can't be stop"): the wait decides.
                self.log.warning("Stopping %s %s: %s", family.value, job, answer)
            elif isinstance(answer, BaseException):
                raise answer
        return len(calls)

    # ---- checking again, then deleting -------------------------------------------------------------

    def _recheck(self, state: dict[str, Any], job: str, snapshot: JobSnapshot | None) -> bool:
        """Whether ``job`` may be deleted now, given how it looks right before its delete."""
        report = state["report"]
        if snapshot is None:
            report["already_absent"].append(job)
            return False
        name = snapshot.name or state["names"].get(job)
        if protected(name, _patterns(self.protected_names, "protected_names")):
            report["skipped"].append(_skip(snapshot, "protected name", name))
            return False
        if snapshot.is_terminal:
            return True
        if self.stop_running and state["stop_rounds"] < MAX_STOP_ROUNDS:
            state["stop"].append(job)
            state["next_pending"].append(job)
            return False
        reason = f"{snapshot.status_name} when it was about to be deleted; not deleted"
        report["skipped"].append(_skip(snapshot, reason, name))
        return False

    async def _delete(self, state: dict[str, Any]) -> None:
        """Check every pending job again and delete those that may go; v2 in batches."""
        jobs, state["pending"], state["next_pending"] = state["pending"], [], []
        singles = jobs
        if self.family is JobFamily.TRAINING and self.use_batch_delete:
            singles = []
            group_size = BATCH_DELETE_LIMIT * self.max_concurrency
            for start in range(0, len(jobs), group_size):
                singles.extend(await self._delete_batches(state, jobs[start : start + group_size]))
        answers = await self._bounded([self._delete_one(state, job) for job in singles])
        for job, answer in zip(singles, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, ModelArtsError | ValueError):
                    raise answer
                state["report"]["failed"].append({"job_id": job, "reason": str(answer)})
        if state["stop"]:
            state["stop_rounds"] += 1
        state["pending"] = state.pop("next_pending")

    async def _delete_batches(self, state: dict[str, Any], jobs: list[str]) -> list[str]:
        """Delete v2 jobs 100 per call, right after one search of the scope's jobs that have not
        finished (the documented ``not`` filter on ``phase``): a job it lists is checked like a
        single job; a job it does not list has finished (the search is complete and of the scope
        the job was selected from). Returns the jobs left for single deletes."""
        walk = await self.hook.awalk_training_jobs(
            exclude_phases=TERMINAL_V2_PHASES, workspace_id=_optional_text(self.workspace_id, "workspace_id")
        )
        if not walk.complete:
            return jobs  # no proof for anyone: each job is checked on its own
        unfinished = {job.id: job.snapshot() for job in walk.items}
        ready = [
            job
            for job in jobs
            if (
                self._recheck(state, job, unfinished[job])
                if job in unfinished
                else self._unprotected(state, job)
            )
        ]
        batches = [ready[i : i + BATCH_DELETE_LIMIT] for i in range(0, len(ready), BATCH_DELETE_LIMIT)]
        answers = await self._bounded([self.hook.abatch_delete_training_jobs(batch) for batch in batches])
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
        return fallback

    def _unprotected(self, state: dict[str, Any], job: str) -> bool:
        """Whether a job known to have finished may be deleted: its name is not protected."""
        name = state["names"].get(job)
        if not protected(name, _patterns(self.protected_names, "protected_names")):
            return True
        state["report"]["skipped"].append(
            {"job_id": job, "name": name, "status": None, "reason": "protected name"}
        )
        return False

    async def _delete_one(self, state: dict[str, Any], job: str) -> None:
        """Check ``job`` on its detail endpoint, then delete it if it may go."""
        hook, family = self.hook, self.family
        if not self._recheck(state, job, await hook.aobserve(family, job)):
            return
        state["report"]["delete_calls"] += 1
        try:
            if family is JobFamily.TRAINING:
                await hook.adelete_training_job(job)
            elif family is JobFamily.TRAINING_V1:
                await hook.adelete_training_job_v1(job)
            elif family is JobFamily.VISUALIZATION:
                await hook.adelete_visualization_job(job)
            else:
                await hook.adelete_res_job(job, res_job_type(self.job_type), self.offline_platform)
        except ModelArtsNotFoundError as exc:
            if await hook.aobserve(family, job) is not None:
                raise ModelArtsError(
                    f"the delete answered 'not found' ({exc}), but the job still exists; check the "
                    "request's parameters (for RES, the job_type)"
                ) from exc
            state["report"]["already_absent"].append(job)
            return
        state["report"]["deleted"].append(job)

    def _finish(self, report: dict[str, Any]) -> dict[str, Any]:
        self.log.info(
            "Cleanup of %s jobs%s: %s listed, %s selected, %s deleted, %s confirmed gone, %s already gone, "
            "%s skipped, %s failed",
            report["job_family"],
            " (dry run)" if report["dry_run"] else "",
            report["listed"],
            len(report["selected"]),
            len(report["deleted"]),
            report["confirmed_gone"],
            len(report["already_absent"]),
            len(report["skipped"]),
            len(report["failed"]),
        )
        for failure in report["failed"]:
            self.log.warning("Not cleaned: %s: %s", failure["job_id"], failure["reason"])
        if report["failed"] and self.fail_on_errors:
            raise AirflowException(
                f"{len(report['failed'])} {report['job_family']} job(s) could not be cleaned up; "
                f"first: {report['failed'][0]['job_id']}: {report['failed'][0]['reason']}"
            )
        return report
