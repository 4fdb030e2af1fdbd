"""Bulk housekeeping: select old jobs of a family, delete them (in batches where the API allows)
with bounded concurrency, and wait until every deleted job is confirmed gone.

Selection is a pure function (:func:`select_jobs`) so what a run *would* delete can be shown
(``dry_run``) and tested without a service.
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, BaseOperator, conf

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.operations import BATCH_DELETE_LIMIT, res_job_type
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.triggers.modelarts import (
    DEFAULT_MAX_POLL_FAILURES,
    DEFAULT_POLL_INTERVAL,
    ModelArtsJobsTrigger,
    wait_here,
)

DEFAULT_MAX_DELETES = 1000
DEFAULT_CONCURRENCY = 8


@dataclass
class Selection:
    """What a cleanup run will do with each job it looked at."""

    delete: list[JobSnapshot] = field(default_factory=list)
    stop_first: list[JobSnapshot] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _status_matches(snapshot: JobSnapshot, statuses: set[str] | None) -> bool:
    return statuses is None or str(snapshot.status) in statuses or snapshot.status_name in statuses


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

    Protected names are never touched; running jobs are left alone unless ``stop_running``;
    at most ``max_deletes`` jobs are chosen, oldest first.
    """
    wanted = {str(s) for s in statuses} if statuses is not None else None
    selection = Selection()
    chosen: list[JobSnapshot] = []
    for job in jobs:
        name = job.name or ""
        if name_pattern and not fnmatch.fnmatchcase(name, name_pattern):
            continue
        if not _status_matches(job, wanted):
            continue
        if older_than_s is not None and (
            job.create_time is None or job.create_time > now_ms - older_than_s * 1000
        ):
            continue
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in protected_names):
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


def _skip(job: JobSnapshot, reason: str) -> dict[str, Any]:
    return {"job_id": job.job_id, "name": job.name, "status": job.status_name, "reason": reason}


class ModelArtsCleanupJobsOperator(BaseOperator):
    """Delete many jobs of one family, selected by age, status, name and workspace, and wait until
    every one is confirmed gone.

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res``.
    :param older_than: Minimum age (``timedelta`` or seconds); ``None`` for any age.
    :param statuses: Only jobs in these statuses (v2 phases, v1 codes or names); default any.
    :param name_pattern: Shell-style pattern the job name must match (``nightly-*``).
    :param protected_names: Patterns of names never to touch, whatever else matches.
    :param workspace_id: Only jobs of this workspace (v2 and v1 lists filter on it).
    :param job_type: RES only: the job type to list (the RES list API requires one).
    :param offline_platform: RES only: the ``del-job`` platform object (see ``RESDeleteJobOperator``).
    :param dry_run: Only report what would be deleted.
    :param max_deletes: Safety cap: at most this many jobs are deleted per run (oldest first).
    :param stop_running: Stop running jobs first instead of leaving them alone.
    :param max_concurrency: Requests in flight at once.
    :param use_batch_delete: v2 only: delete 100 jobs per call (Huawei Cloud's batch API); falls
        back to single deletes where the service has no batch API.
    :param fail_on_errors: Fail the task (after trying every job) if any deletion failed.
    """

    template_fields: Sequence[str] = (
        "job_family",
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
        protected_names: Sequence[str] = (),
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
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_wait: timedelta | float = timedelta(hours=2),
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not ids.is_template(job_family):
            ids.job_family(job_family)
        if max_deletes < 0 or max_concurrency < 1:
            raise ValueError("max_deletes must be >= 0 and max_concurrency >= 1")
        self.job_family = job_family
        self.older_than = older_than.total_seconds() if isinstance(older_than, timedelta) else older_than
        self.statuses = list(statuses) if statuses is not None else None
        self.name_pattern = name_pattern
        self.protected_names = list(protected_names)
        self.workspace_id = workspace_id
        self.job_type = job_type
        self.offline_platform = offline_platform
        self.report_only = dry_run  # BaseOperator already has a dry_run() method
        self.max_deletes = max_deletes
        self.stop_running = stop_running
        self.max_concurrency = max_concurrency
        self.use_batch_delete = use_batch_delete
        self.fail_on_errors = fail_on_errors
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = float(poll_interval)
        self.max_wait = max_wait.total_seconds() if isinstance(max_wait, timedelta) else float(max_wait)
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id

    @cached_property
    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    @property
    def family(self) -> JobFamily:
        return ids.job_family(self.job_family)

    # ---- listing and selecting -----------------------------------------------------------------

    async def _list(self) -> list[JobSnapshot]:
        hook, family = self.hook, self.family
        if family is JobFamily.TRAINING:
            cutoff = None if self.older_than is None else int((time.time() - self.older_than) * 1000)
            jobs: list[Any] = await hook.alist_training_jobs(
                created_before_ms=cutoff, workspace_id=self.workspace_id
            )
        elif family is JobFamily.TRAINING_V1:
            jobs = await hook.alist_training_jobs_v1(workspace_id=self.workspace_id, per_page=1000)
        elif family is JobFamily.VISUALIZATION:
            jobs = await hook.alist_visualization_jobs(workspace_id=self.workspace_id, per_page=1000)
        else:
            jobs = await hook.alist_res_jobs(res_job_type(self.job_type), workspace_id=self.workspace_id)
        return [job.snapshot() for job in jobs]

    def select(self, jobs: Sequence[JobSnapshot]) -> Selection:
        return select_jobs(
            jobs,
            now_ms=int(time.time() * 1000),
            older_than_s=self.older_than,
            statuses=self.statuses,
            name_pattern=self.name_pattern,
            protected_names=self.protected_names,
            max_deletes=self.max_deletes,
            stop_running=self.stop_running,
        )

    # ---- acting --------------------------------------------------------------------------------

    async def _bounded(self, calls: list[Any]) -> list[Any]:
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(call: Any) -> Any:
            async with limit:
                return await call

        return await asyncio.gather(*(one(call) for call in calls), return_exceptions=True)

    async def _stop(self, jobs: list[JobSnapshot], failed: dict[str, str]) -> None:
        hook, family = self.hook, self.family
        calls: list[Any] = []
        for job in jobs:
            if family is JobFamily.TRAINING:
                calls.append(hook.aterminate_training_job(job.job_id))
            elif family is JobFamily.VISUALIZATION:
                calls.append(hook.astop_visualization_job(job.job_id))
            elif family is JobFamily.TRAINING_V1 and job.version_id:
                calls.append(hook.astop_training_job_version(job.job_id, job.version_id))
            else:
                failed[job.job_id] = "cannot be stopped through this API; not deleted"
                continue
        for job, answer in zip(
            [j for j in jobs if j.job_id not in failed], await self._bounded(calls), strict=True
        ):
            if isinstance(answer, ModelArtsApiError) and not answer.is_not_found:
                self.log.warning("Stopping %s: %s (it may have stopped meanwhile)", job.job_id, answer)
        trigger = self._trigger(
            [j.job_id for j in jobs if j.job_id not in failed], Goal.STOPPED, first_check=0.0
        )
        event = await trigger.wait(self.hook)
        for job_id in event["remaining"]:
            failed[job_id] = "did not stop in time; not deleted"
        for error in event["errors"]:
            failed[error["job_id"]] = f"stopping failed: {error['reason']}"

    async def _delete_one(self, job_id: str) -> None:
        hook, family = self.hook, self.family
        try:
            if family is JobFamily.TRAINING:
                await hook.adelete_training_job(job_id)
            elif family is JobFamily.TRAINING_V1:
                await hook.adelete_training_job_v1(job_id)
            elif family is JobFamily.VISUALIZATION:
                await hook.adelete_visualization_job(job_id)
            else:
                await hook.adelete_res_job(job_id, res_job_type(self.job_type), self.offline_platform)
        except ModelArtsNotFoundError:
            return  # already gone: what a cleanup wants

    async def _delete(self, job_ids: list[str], failed: dict[str, str]) -> int:
        """Delete every job; returns the number of delete calls made."""
        calls = 0
        singles = list(job_ids)
        if self.family is JobFamily.TRAINING and self.use_batch_delete and job_ids:
            singles = []
            batches = [
                job_ids[i : i + BATCH_DELETE_LIMIT] for i in range(0, len(job_ids), BATCH_DELETE_LIMIT)
            ]
            answers = await self._bounded([self.hook.abatch_delete_training_jobs(batch) for batch in batches])
            calls += len(batches)
            for batch, answer in zip(batches, answers, strict=True):
                if isinstance(answer, BaseException):
                    self.log.warning(
                        "Batch delete of %s jobs failed (%s); deleting them one by one", len(batch), answer
                    )
                    singles.extend(batch)
        answers = await self._bounded([self._delete_one(job_id) for job_id in singles])
        calls += len(singles)
        for job_id, answer in zip(singles, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, ModelArtsError | ValueError):
                    raise answer
                failed[job_id] = str(answer)
        return calls

    def _trigger(
        self, job_ids: list[str], goal: Goal, first_check: float, report: dict[str, Any] | None = None
    ) -> ModelArtsJobsTrigger:
        return ModelArtsJobsTrigger(
            job_family=self.family.value,
            job_ids=job_ids,
            goal=goal.value,
            modelarts_conn_id=self.modelarts_conn_id,
            region=self.region,
            project_id=self.project_id,
            poll_interval=self.poll_interval,
            deadline=time.time() + self.max_wait,
            max_poll_failures=DEFAULT_MAX_POLL_FAILURES,
            first_check_delay=first_check,
            echo=report,
        )

    async def _clean(self) -> tuple[dict[str, Any], Selection]:
        try:
            jobs = await self._list()
            selection = self.select(jobs)
            report: dict[str, Any] = {
                "job_family": self.family.value,
                "dry_run": self.report_only,
                "listed": len(jobs),
                "selected": [j.job_id for j in selection.delete],
                "deleted": [],
                "skipped": selection.skipped,
                "failed": [],
                "confirmed_gone": 0,
            }
            self.log.info(
                "%s %s job(s) listed; %s selected for deletion (%s to stop first), %s skipped",
                len(jobs),
                self.family.value,
                len(selection.delete),
                len(selection.stop_first),
                len(selection.skipped),
            )
            if self.report_only:
                for job in selection.delete:
                    self.log.info("dry run: would delete %s %s (%s)", job.job_id, job.name, job.status_name)
                return report, selection
            failed: dict[str, str] = {}
            if selection.stop_first:
                await self._stop(selection.stop_first, failed)
            to_delete = [j.job_id for j in selection.delete if j.job_id not in failed]
            calls = await self._delete(to_delete, failed)
            report["deleted"] = [job_id for job_id in to_delete if job_id not in failed]
            report["failed"] = [{"job_id": k, "reason": v} for k, v in sorted(failed.items())]
            report["delete_calls"] = calls
            self.log.info("Deletion requested for %s job(s); %s failed", len(report["deleted"]), len(failed))
            return report, selection
        finally:
            await (await self.hook.asession()).aclose()

    # ---- Airflow entry points ------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        ModelArtsConsoleLink.persist(context, self.hook.console_url)
        report, _ = asyncio.run(self._clean())
        if self.report_only or not report["deleted"] or not self.wait_for_completion:
            return self._finish(report)
        # The report travels in the trigger and comes back in its event: resume kwargs are not
        # kept the same way by every runner (dag.test() replaces them with the event alone).
        trigger = self._trigger(
            report["deleted"], Goal.DELETED, first_check=self.poll_interval, report=report
        )
        if self.deferrable:
            self.defer(
                trigger=trigger,
                method_name="execute_complete",
                timeout=timedelta(seconds=self.max_wait + 300),
            )
        return self.execute_complete(context, wait_here(trigger, self.hook))

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        report = event.get("echo") if isinstance(event, dict) else None
        if not isinstance(report, dict) or "remaining" not in event or "errors" not in event:
            raise AirflowException(f"cleanup: unexpected trigger event {event!r}")
        unconfirmed = set(event["remaining"]) | {e["job_id"] for e in event["errors"]}
        report["confirmed_gone"] = len([job for job in report["deleted"] if job not in unconfirmed])
        report["failed"].extend(
            {"job_id": job, "reason": "not confirmed gone before max_wait"} for job in event["remaining"]
        )
        report["failed"].extend(event["errors"])
        return self._finish(report)

    def _finish(self, report: dict[str, Any]) -> dict[str, Any]:
        self.log.info(
            "Cleanup of %s jobs%s: %s listed, %s selected, %s deleted, %s confirmed gone, %s skipped, "
            "%s failed",
            report["job_family"],
            " (dry run)" if report["dry_run"] else "",
            report["listed"],
            len(report["selected"]),
            len(report["deleted"]),
            report["confirmed_gone"],
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
