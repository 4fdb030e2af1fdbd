"""Bulk housekeeping: select old jobs of a family from a listing, then tear them down with the one
teardown core (:mod:`..teardown.core`: stop if asked, look at each again, delete, confirm gone).

What it never does:

* delete a job it must keep: a protected name (or a name it cannot read while names are
  protected) is skipped at selection and again right before the delete; a job is judged by its
  full state (a v1 job with any running version is running), and is checked again right before
  its delete, so a job that started running since it was selected is skipped (or, with
  ``stop_running``, stopped first);
* believe an absence it cannot prove: deletions are confirmed in the list scope the jobs were
  selected from (same workspace, same credentials), or on each job's detail endpoint;
* carry its report through the triggerer (the state travels in XCom, see :mod:`..teardown.core`).

Selection is a pure function (:func:`select_jobs`) so what a run *would* delete can be shown
(``dry_run``) and tested without a service.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.ids import res_job_type, res_offline_platform
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import seconds
from airflow_provider_modelarts.api.watch import Gone
from airflow_provider_modelarts.operators.waiting import run_here
from airflow_provider_modelarts.teardown.core import Teardown, new_report, skip_entry
from airflow_provider_modelarts.teardown.decide import Policy, protected

if TYPE_CHECKING:
    from airflow_provider_modelarts.api.models import JobSnapshot

DEFAULT_MAX_DELETES = 1000
STATE_KEY = "cleanup_state"


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
            selection.skipped.append(skip_entry(job, "protected name"))
            continue
        if not job.is_terminal and not stop_running:
            selection.skipped.append(
                skip_entry(job, f"still {job.status_name}; set stop_running=True to stop it first")
            )
            continue
        chosen.append(job)
    chosen.sort(key=lambda job: (job.create_time or 0, job.job_id))
    for job in chosen[max_deletes:]:
        selection.skipped.append(skip_entry(job, f"over the max_deletes cap of {max_deletes}"))
    selection.delete = chosen[:max_deletes]
    selection.stop_first = [job for job in selection.delete if not job.is_terminal]
    return selection


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


class ModelArtsCleanupJobsOperator(Teardown):
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
    :param offline_platform: RES only: the ``del-job`` platform object (see
        ``ModelArtsDeleteResJobOperator``).
    :param dry_run: Only report what would be deleted.
    :param max_deletes: Safety cap: at most this many jobs are deleted per run (oldest first).
    :param stop_running: Stop running jobs first instead of leaving them alone.

    The other parameters (``max_concurrency``, ``use_batch_delete``, ``fail_on_errors``,
    ``wait_for_completion``, ``deferrable``, ``poll_interval``, ``timeout`` and the connection) are
    those of every teardown (see :class:`..teardown.core.Teardown`).
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
    state_key = STATE_KEY

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
        timeout: timedelta | float = timedelta(hours=2),
        **kwargs: Any,
    ) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self.stop_running = stop_running
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

    @property
    def family(self) -> JobFamily:
        return ids.job_family(self.job_family)

    @property
    def scope(self) -> str | None:
        return _optional_text(self.workspace_id, "workspace_id")

    def policy(self) -> Policy:
        """Running jobs are stopped first only with ``stop_running``, else left alone; protected
        names are never touched."""
        return Policy(
            stop=self.stop_running,
            skip_unstoppable=True,
            protected=tuple(_patterns(self.protected_names, "protected_names")),
            unstoppable="{status} when it was about to be deleted; not deleted",
        )

    def res_arguments(self) -> tuple[str | None, Mapping[str, Any] | None]:
        return self.job_type, self.offline_platform

    # ---- listing and selecting -----------------------------------------------------------------
    async def _list(self, skipped: list[dict[str, Any]]) -> list[JobSnapshot]:
        """Every job of the scope, with its full state (v1 jobs with several versions are read
        version by version, once they pass the name and age filters)."""
        from airflow_provider_modelarts.api.models import JobSnapshot  # when the task runs

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
        answers = await self.bounded([hook.aobserve(family, job.job_id) for job in several])
        states: dict[str, JobSnapshot | Gone | BaseException] = {
            job.job_id: answer for job, answer in zip(several, answers, strict=True)
        }
        jobs: list[JobSnapshot] = []
        for job in candidates:
            listed = job.snapshot()
            state = states.get(job.job_id, listed)
            if isinstance(state, BaseException):
                skipped.append(skip_entry(listed, f"its versions could not be read: {state}"))
            elif not isinstance(state, Gone):  # gone since it was listed: nothing to do
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

    # ---- the run ---------------------------------------------------------------------------------

    def check_arguments(self) -> None:
        self._check_arguments(rendered=True)

    def start(self, context: Any) -> dict[str, Any] | Any:
        state = run_here(self._select(), self.hook)
        return self.finish(state) if self.report_only else state

    async def _select(self) -> dict[str, Any]:
        from airflow_provider_modelarts.api.shared_watch import SHAREABLE

        skipped: list[dict[str, Any]] = []
        jobs = await self._list(skipped)
        selection = self.select(jobs)
        family = self.family
        listed_by = None
        if family in SHAREABLE:
            listed_by = await self.listing_scope()
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
        report = new_report(
            family,
            dry_run=self.report_only,
            listed=len(jobs) + len(skipped),
            selected=[job.job_id for job in selection.delete],
        )
        report["skipped"] = skipped + selection.skipped
        return self.new_state(
            report,
            pending=[job.job_id for job in selection.delete],
            stop=[job.job_id for job in selection.stop_first],
            names={job.job_id: job.name for job in selection.delete},
            listed_by=listed_by,
        )

    def finish(self, state: dict[str, Any]) -> Any:
        report = state["report"]
        if report["dry_run"]:
            self.log.info("Dry run: %s job(s) would be deleted", len(report["selected"]))
        return self.fail_if_failed(report)
