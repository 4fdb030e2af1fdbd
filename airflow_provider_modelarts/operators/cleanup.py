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
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.ids import res_job_type, res_offline_platform
from airflow_provider_modelarts.api.statuses import JobFamily, known_statuses, status_key
from airflow_provider_modelarts.api.watch import Gone
from airflow_provider_modelarts.operators.waiting import run_here
from airflow_provider_modelarts.teardown.core import Teardown, new_report, skip_entry
from airflow_provider_modelarts.teardown.decide import Policy, protected

if TYPE_CHECKING:
    from airflow_provider_modelarts.api.models import JobSnapshot

DEFAULT_MAX_DELETES = 1000
STATE_KEY = "cleanup_state"
V1_FAMILIES = (JobFamily.TRAINING_V1, JobFamily.VISUALIZATION)
SKIP_SAMPLE = 20  # skipped jobs listed in the returned report (and per reason); the rest are counted
MAX_REASONS = 50


@dataclass
class Selection:
    """What a cleanup run will do with each job it looked at."""

    delete: list[JobSnapshot] = field(default_factory=list)
    stop_first: list[JobSnapshot] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _status_matches(snapshot: JobSnapshot, statuses: set[str] | None) -> bool:
    return statuses is None or status_key(snapshot.family, snapshot.status) in statuses


def _name_matches(name: str | None, pattern: str | None) -> bool:
    """Whether a name passes the name filter; a missing or empty name never matches a pattern."""
    return not pattern or (bool(name) and fnmatch.fnmatchcase(str(name), pattern))


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
    """Pick the jobs to delete: old enough, in a wanted status (any documented spelling, see
    :func:`..api.statuses.status_key`), matching the name pattern (a job without a name, or with
    an empty one, never matches a pattern).

    ``jobs`` carry each job's full state (for a v1 job: a running version if it has one). Protected
    jobs are never touched; running jobs are left alone unless ``stop_running``; at most
    ``max_deletes`` jobs are chosen, oldest first.
    """
    wanted = None
    if statuses is not None:
        wanted = {
            key for s in statuses for family in {job.family for job in jobs} if (key := status_key(family, s))
        }
    selection = Selection()
    chosen: list[JobSnapshot] = []
    for job in jobs:
        if not _name_matches(job.name, name_pattern):
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


def _statuses(value: object, family: JobFamily | None = None) -> list[str | int] | None:
    """A rendered list of statuses; with ``family``, each must be one that family knows."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"statuses: expected a list of statuses, got {type(value).__name__} {value!r}")
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in value):
        raise ValueError(f"statuses: every status must be a string or a code, got {value!r}")
    if family is not None:
        unknown = [item for item in value if status_key(family, item) is None]
        if unknown:
            raise ValueError(
                f"statuses: {unknown!r} {'is' if len(unknown) == 1 else 'are'} not {family.value} "
                f"status(es); accepted: {', '.join(known_statuses(family))}"
                + (" (names in any case, or the codes)" if family in V1_FAMILIES else " (in any case)")
            )
    return list(value)


def _has_template(value: object) -> bool:
    """Whether a value (or any leaf of a mapping) is only known after rendering."""
    if isinstance(value, Mapping):
        return any(_has_template(item) for item in value.values())
    return value is not None and not isinstance(value, bool | float | timedelta) and ids.is_template(value)


def _optional_text(value: object, field: str) -> str | None:
    """``None`` (no filter), or non-empty text: an empty one (a template that rendered empty, say)
    would silently widen the selection, so it is refused, naming the field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected text, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(
            f"{field}: {value!r} is empty (a template that rendered empty?); an empty filter would "
            f"select every job. Pass {field}=None (written as such) for no filter"
        )
    return value


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)([wdhms]))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_AGE_HINT = 'pass timedelta(days=30) or "30d"'


def older_than_seconds(value: object, field: str = "older_than") -> float | None:
    """A minimum age in seconds: ``None`` (any age), a ``timedelta``, or a duration string (a
    template renders to one): ``"30d"``, ``"12h"``, ``"90m"``, ``"45s"``, ``"2w"``, combined
    (``"1d12h"``), or ISO 8601 (``"P30D"``, ``"PT12H"``, ``"P1DT12H"``). A bare number is refused:
    seconds or days, it is too easy to get wrong."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        total = value.total_seconds()
    elif isinstance(value, str):
        text = value.strip()
        iso = _ISO_DURATION.fullmatch(text.upper())
        if text.upper() not in ("P", "PT") and iso and any(iso.groups()) and not text.upper().endswith("T"):
            total = sum(float(n) * _UNIT_SECONDS[unit] for unit, n in iso.groupdict().items() if n)
        elif _DURATION.fullmatch(text.lower()):
            total = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text.lower()))
        else:
            raise ValueError(
                f"{field}: {value!r} is not a duration; {_AGE_HINT} (units w, d, h, m, s, or ISO 8601 "
                '"P30D", "PT12H")'
            )
    else:
        raise ValueError(
            f"{field}: a bare number ({value!r}) is ambiguous (seconds? days?); {_AGE_HINT}"
            if isinstance(value, int | float) and not isinstance(value, bool)
            else f"{field}: expected a timedelta or a duration string, got {type(value).__name__} {value!r}; "
            f"{_AGE_HINT}"
        )
    if total < 0:
        raise ValueError(f"{field}: must not be negative, got {value!r}")
    return total


def _max_deletes(value: object) -> int:
    """At least 1 (a rendered template may give digits); 0 is refused: ``dry_run`` looks without deleting."""
    number = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError(f"max_deletes: must be a whole number >= 1, not {value!r}")
    if number == 0:
        raise ValueError(
            "max_deletes: 0 would make the cleanup delete nothing while it reports success; to see "
            "what it would delete without deleting, pass dry_run=True"
        )
    return number


def _flag(value: object, field: str) -> bool:
    """A boolean; a rendered template may give ``"True"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{field}: expected true or false, got {type(value).__name__} {value!r}")


class ModelArtsCleanupJobsOperator(Teardown):
    """Delete many jobs of one family, selected by age, status, name and workspace, and wait until
    every one is confirmed gone (see the module docstring for what it never does).

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res``.
    :param older_than: Minimum age: a ``timedelta``, or a duration string (``"30d"``, ``"12h"``,
        ``"90m"``, ISO 8601 ``"P30D"``; what a template renders to); ``None`` for any age. A bare
        number is refused (pass ``timedelta(days=30)`` or ``"30d"``).
    :param statuses: Only jobs in these statuses; default any. Each must be one the family knows:
        v2 phases (``Completed``), v1 codes (``10``, ``"10"``) or names (``COMPLETED``), RES
        statuses; names in any case. Anything else is refused, naming the accepted values.
    :param name_pattern: Shell-style pattern the job name must match (``nightly-*``); ``None`` for
        no name filter. An empty pattern (a template that rendered empty) is refused.
    :param protected_names: Patterns of names never to touch, whatever else matches (a list; a
        template must render to a list). An explicitly empty list logs a warning.
    :param workspace_id: Only jobs of this workspace (the lists' scope; the default list shows the
        default workspace). An empty one is refused.
    :param job_type: RES only, required: the job type to list (the RES list API requires one).
    :param offline_platform: RES only: the ``del-job`` platform object (see
        ``ModelArtsDeleteResJobOperator``).
    :param dry_run: Only report what would be deleted.
    :param max_deletes: Safety cap: at most this many jobs are deleted per run (oldest first); at
        least 1 (to look without deleting, use ``dry_run``).
    :param stop_running: Stop running jobs first instead of leaving them alone.

    ``older_than``, ``max_deletes`` and ``dry_run`` are templated like the selection arguments and,
    like them, checked when the DAG is parsed if written literally, and again once rendered.

    The other parameters (``max_concurrency``, ``use_batch_delete``, ``fail_on_errors``,
    ``wait_for_completion``, ``deferrable``, ``poll_interval``, ``timeout`` and the connection) are
    those of every teardown (see :class:`..teardown.core.Teardown`).
    """

    template_fields: Sequence[str] = (
        "job_family",
        "older_than",
        "statuses",
        "name_pattern",
        "protected_names",
        "workspace_id",
        "job_type",
        "max_deletes",
        "report_only",  # the dry_run argument (BaseOperator already has a dry_run() method)
        "modelarts_conn_id",
        "region",
        "project_id",
    )
    state_key = STATE_KEY

    def __init__(
        self,
        *,
        job_family: str = JobFamily.TRAINING.value,
        older_than: timedelta | str | None = timedelta(days=30),
        statuses: Sequence[str | int] | None = None,
        name_pattern: str | None = None,
        protected_names: Sequence[str] | str | None = None,
        workspace_id: str | None = None,
        job_type: str | None = None,
        offline_platform: Mapping[str, Any] | None = None,
        dry_run: bool | str = False,
        max_deletes: int | str = DEFAULT_MAX_DELETES,
        stop_running: bool = False,
        timeout: timedelta | float = timedelta(hours=2),
        **kwargs: Any,
    ) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self.stop_running = stop_running
        self.job_family = job_family
        self.older_than = older_than
        self.statuses = statuses
        self.name_pattern = name_pattern
        # None: not given (nothing protected, silently); an explicit empty list is warned about.
        self.protected_names = () if protected_names is None else protected_names
        self.protected_names_given = protected_names is not None
        self.workspace_id = workspace_id
        self.job_type = job_type
        self.offline_platform = offline_platform
        self.report_only = dry_run  # BaseOperator already has a dry_run() method
        self.max_deletes = max_deletes
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        """Validate the selection arguments: literal ones when the DAG is parsed, all of them once
        the templates are rendered (a string where a list is expected is an error, and so is a
        filter that rendered empty)."""

        def known(value: object) -> bool:
            return rendered or not ids.is_template(value) or isinstance(value, list | tuple)

        def check(value: object, validate: Callable[[object], object]) -> None:
            if known(value):
                validate(value)

        check(self.job_family, ids.job_family)
        check(self.protected_names, lambda v: _patterns(v, "protected_names"))
        family = ids.job_family(self.job_family) if known(self.job_family) else None
        check(self.statuses, lambda v: _statuses(v, family))
        if self.name_pattern is not None:
            check(self.name_pattern, lambda v: _optional_text(v, "name_pattern"))
        if self.workspace_id is not None:
            check(self.workspace_id, lambda v: _optional_text(v, "workspace_id"))
        if rendered or not _has_template(self.older_than):
            older_than_seconds(self.older_than)
        check(self.max_deletes, _max_deletes)
        check(self.report_only, lambda v: _flag(v, "dry_run"))
        if family is not JobFamily.RES:
            return
        if rendered or self.job_type is None or not ids.is_template(self.job_type):
            job_type = res_job_type(self.job_type)  # a missing job_type is refused when built
            if rendered or not _has_template(self.offline_platform):
                res_offline_platform(job_type, self.offline_platform)

    @property
    def older_than_s(self) -> float | None:
        return older_than_seconds(self.older_than)

    @property
    def dry_run_only(self) -> bool:
        return _flag(self.report_only, "dry_run")

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
            cutoff = None if self.older_than_s is None else int((time.time() - self.older_than_s) * 1000)
            v2 = await hook.alist_training_jobs(created_before_ms=cutoff, workspace_id=workspace)
            self._listed = len(v2)
            return [job.snapshot() for job in v2]
        if family is JobFamily.VISUALIZATION:
            vis = await hook.alist_visualization_jobs(workspace_id=workspace, per_page=1000)
            self._listed = len(vis)
            return [job.snapshot() for job in vis]
        if family is JobFamily.RES:
            res = await hook.alist_res_jobs(res_job_type(self.job_type), workspace_id=workspace)
            self._listed = len(res)
            return [job.snapshot() for job in res]
        v1 = await hook.alist_training_jobs_v1(workspace_id=workspace, per_page=1000)
        self._listed = len(v1)
        pattern, now_ms, age = (
            _optional_text(self.name_pattern, "name_pattern"),
            time.time() * 1000,
            self.older_than_s,
        )
        candidates = [
            job
            for job in v1
            if _name_matches(job.job_name, pattern)
            and (age is None or (job.create_time or now_ms) <= now_ms - age * 1000)
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
            older_than_s=self.older_than_s,
            statuses=_statuses(self.statuses, self.family),
            name_pattern=_optional_text(self.name_pattern, "name_pattern"),
            protected_names=_patterns(self.protected_names, "protected_names"),
            max_deletes=_max_deletes(self.max_deletes),
            stop_running=self.stop_running,
        )

    # ---- the run ---------------------------------------------------------------------------------

    def check_arguments(self) -> None:
        self._check_arguments(rendered=True)

    def start(self, context: Any) -> dict[str, Any] | Any:
        state = run_here(self._select(), self.hook)
        return self.finish(state) if self.dry_run_only else state

    async def _select(self) -> dict[str, Any]:
        from airflow_provider_modelarts.api.shared_watch import SHAREABLE

        skipped: list[dict[str, Any]] = []
        self._listed = 0
        jobs = await self._list(skipped)
        selection = self.select(jobs)
        family, dry_run = self.family, self.dry_run_only
        listed_by = None
        if family in SHAREABLE:
            listed_by = await self.listing_scope()
        protected_names = _patterns(self.protected_names, "protected_names")
        if self.protected_names_given and not protected_names:
            self.log.warning("protected_names is empty: no job is protected from this cleanup by its name")
        self.log.info(
            "%s %s job(s) listed; %s selected for deletion (%s to stop first), %s skipped",
            self._listed,
            family.value,
            len(selection.delete),
            len(selection.stop_first),
            len(selection.skipped) + len(skipped),
        )
        report = new_report(
            family,
            dry_run=dry_run,
            listed=self._listed,
            selected=[job.job_id for job in selection.delete],
        )
        report["skipped"] = skipped + selection.skipped
        state = self.new_state(
            report,
            pending=[job.job_id for job in selection.delete],
            stop=[job.job_id for job in selection.stop_first],
            names={job.job_id: job.name for job in selection.delete},
            listed_by=listed_by,
        )
        state["seen"] = {job.job_id: job.status_name for job in selection.delete}  # as listed, for the log
        for entry in report["skipped"]:
            self.audit(
                state, "skipped", entry["job_id"], status=entry["status"], name=entry["name"],
                reason=entry["reason"],
            )  # fmt: skip
        if dry_run:
            for job in selection.delete:
                self.audit(state, "would delete (dry run)", job.job_id, status=job.status_name, name=job.name)
            self.audit_overflow(state)
        return state

    def finish(self, state: dict[str, Any]) -> Any:
        report = state["report"]
        if report["dry_run"]:
            self.log.info("Dry run: %s job(s) would be deleted", len(report["selected"]))
        return self.fail_if_failed(bounded_report(report))


def bounded_report(report: dict[str, Any], sample: int = SKIP_SAMPLE) -> dict[str, Any]:
    """The report as the task returns it, bounded whatever the number of jobs skipped: the counts,
    the jobs acted on (selected, stopped, deleted, already gone, failed, and their final
    statuses), and the skipped ones summarised by reason (``skipped_by_reason``: ``{reason:
    {"count", "sample": [first ids]}}``, at most ``MAX_REASONS`` reasons, the rest under
    ``"other reasons"``), with ``skipped`` holding only the first ``sample`` entries."""
    skipped = report["skipped"]
    by_reason: dict[str, dict[str, Any]] = {}
    for entry in skipped:
        reason = str(entry["reason"])
        if reason not in by_reason and len(by_reason) >= MAX_REASONS:
            reason = "other reasons"
        summary = by_reason.setdefault(reason, {"count": 0, "sample": []})
        summary["count"] += 1
        if len(summary["sample"]) < sample:
            summary["sample"].append(entry["job_id"])
    acted = {*report["stopped"], *report["deleted"], *report["already_absent"]}
    acted.update(failure["job_id"] for failure in report["failed"])
    return {
        **report,
        "skipped": skipped[:sample],
        "skipped_count": len(skipped),
        "skipped_by_reason": by_reason,
        "final_status": {job: status for job, status in report["final_status"].items() if job in acted},
    }
