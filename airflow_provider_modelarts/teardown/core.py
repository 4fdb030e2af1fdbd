"""The one teardown core: look, stop if it runs and that is allowed, wait until stopped, look
again, delete, wait until gone; for a list of jobs of one family, a single job being a list of one.

:class:`Teardown` is the task every teardown operator is: the teardown, the single steps (delete,
stop) and the cleanup only set its :class:`.decide.Policy` and its first state. What happens to each
job at each look is decided by :func:`.decide.decide` alone; every answer to a request is read in
one place per request (:meth:`Teardown._stop_one`, :meth:`Teardown._delete_one`). Between its waits
the work left and the report travel in the task's XCom (key ``state_key``), so trigger kwargs hold
ids only, whatever the number of jobs, and a resumed task (on any worker) continues where it
stopped. Every wait defers when the task is deferrable. That saved state is deleted once the task
succeeds. Each job's outcome (deleted, stop requested, already gone, skipped, failed) is logged on a
line of its own, with its id, name, status and reason (at most ``AUDIT_LIMIT`` of a kind, then a
count).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.providers.common.compat.sdk import AirflowException, XCom

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.statuses import V2_CATEGORIES, JobFamily
from airflow_provider_modelarts.api.waiting import UnexpectedEvent, check_jobs_event, poll_failures
from airflow_provider_modelarts.api.watch import ABSENT, Goal, Gone
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.base import ModelArtsTask
from airflow_provider_modelarts.operators.waiting import run_here, wait_then_resume
from airflow_provider_modelarts.teardown.decide import (
    Decision,
    Policy,
    Step,
    after_refusal,
    decide,
    protected,
)

if TYPE_CHECKING:
    from airflow_provider_modelarts.api.models import JobSnapshot
    from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger

DEFAULT_CONCURRENCY = 8
STATE_KEY = "teardown_state"
AUDIT_LIMIT = 1000  # jobs of one kind (deleted, skipped, ...) logged one by one per run; then a count
STATE_DONE = {"done": True}  # what is left of the saved state where it could not be deleted
TERMINAL_V2_PHASES = sorted(phase.value for phase, category in V2_CATEGORIES.items() if category.terminal)
T = TypeVar("T")


def skip_entry(job: JobSnapshot | str, reason: str, name: str | None = None) -> dict[str, Any]:
    if isinstance(job, str):
        return {"job_id": job, "name": name, "status": None, "reason": reason}
    return {"job_id": job.job_id, "name": name or job.name, "status": job.status_name, "reason": reason}


def new_report(family: JobFamily, **extra: Any) -> dict[str, Any]:
    """An empty report (``extra``: what the task adds, e.g. ``listed``)."""
    return {
        "job_family": family.value,
        **extra,
        "stopped": [],
        "deleted": [],
        "already_absent": [],
        "skipped": [],
        "failed": [],
        "final_status": {},
        "confirmed_gone": 0,
        "stop_calls": 0,
        "delete_calls": 0,
    }


def job_ids_of(value: object, family: JobFamily, field: str = "job_ids") -> tuple[list[str], list[str]]:
    """A rendered sequence of job ids of one family, validated: the ids without duplicates, and the
    duplicates removed. Any sequence (a list, a tuple, Airflow's lazy XCom sequence) or set is
    accepted; text is refused, never split into letters."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | Set):
        raise ValueError(
            f"{field}: expected a list of job ids, got {type(value).__name__} {value!r}; a template "
            "must render to a list (render_template_as_native_obj=True on the DAG), or pass an XComArg"
        )
    checked = [ids.job_target(family, job, job_field=f"{field}[{i}]").job_id for i, job in enumerate(value)]
    unique = list(dict.fromkeys(checked))
    duplicates = (
        sorted({job for job in checked if checked.count(job) > 1}) if len(unique) < len(checked) else []
    )
    return unique, duplicates


def _later(state: dict[str, Any]) -> list[str]:
    """Where a job to delete after a wait goes: the next round's list while a round of deletes
    runs, else the pending list."""
    later: list[str] = state["next_pending"] if "next_pending" in state else state["pending"]
    return later


class Teardown(ModelArtsTask):
    """The core (see the module docstring). :meth:`execute` runs it from the first state that
    :meth:`start` builds; subclasses set :meth:`policy` and may build another first state.

    :param max_concurrency: Requests in flight at once.
    :param use_batch_delete: v2 only: delete 100 jobs per call (Huawei Cloud's batch API); falls back
        to single deletes where the service has no batch API.
    :param fail_on_errors: Fail the task (after trying every job) if any job could not be torn down.
    """

    state_key = STATE_KEY
    action: str = "teardown"
    look_first = True  # look at each job before the first request (a plain delete does not)

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
    def version(self) -> str | None:
        """A v1 version to act on instead of its whole job (a list of one job only)."""
        return None

    @property
    def scope(self) -> str | None:
        """The list scope (workspace) the jobs were found in, if any."""
        return None

    def policy(self) -> Policy:
        raise NotImplementedError

    def res_arguments(self) -> tuple[str | None, Mapping[str, Any] | None]:
        """RES only: the ``del-job`` job type and platform object."""
        return None, None

    def check_arguments(self) -> None:
        """Check the rendered arguments before any request (the same rules as at parse time)."""

    def start(self, context: Any) -> dict[str, Any] | Any:
        """The first state (see :meth:`new_state`), or a final result to return at once."""
        raise NotImplementedError

    def finish(self, state: dict[str, Any]) -> Any:
        """The task's return value once every step is done."""
        return self.fail_if_failed(state["report"])

    # ---- state -----------------------------------------------------------------------------------

    def new_state(
        self,
        report: dict[str, Any],
        *,
        pending: list[str],
        stop: Sequence[str] = (),
        stopping: Sequence[str] = (),
        names: Mapping[str, str | None] | None = None,
        listed_by: str | None = None,
    ) -> dict[str, Any]:
        """``pending``: to look at again and delete; ``stop``: to stop first; ``stopping``: to wait for."""
        return {
            "report": report,
            "names": dict(names or {}),
            "version": self.version,
            "stop": list(stop),
            "stop_rounds": 1 if stop or stopping else 0,
            "stopping": list(stopping),
            "pending": pending,
            "listed_by": listed_by,
        }

    def first_state(self, job_ids: list[str], **extra: Any) -> dict[str, Any]:
        """The first state of a task given its jobs: each looked at once and decided
        (:meth:`judge`), or, for a plain delete, all to delete."""
        report = new_report(self.family, job_ids=job_ids, **extra)
        state = self.new_state(report, pending=[])
        if not self.look_first and self.policy().ignore_not_found:
            state["pending"] = list(job_ids)
            return state
        looks = run_here(self.bounded([self.observe(state, job) for job in job_ids]), self.hook)
        for job, look in zip(job_ids, looks, strict=True):
            if isinstance(look, BaseException):
                self._failed(state, job, f"could not look at it: {look}")
            elif self.judge(state, job, look):
                state["pending"].append(job)
        state["stop_rounds"] = 1 if state["stop"] or state["stopping"] else 0
        return state

    def _save(self, context: Any, state: dict[str, Any]) -> None:
        context["ti"].xcom_push(key=self.state_key, value=state)
        self._state_saved = True

    def _drop_saved_state(self, context: Any) -> None:
        """Remove the state saved before a deferral once the task has succeeded: it is working
        state, not a result, and it grows with the number of jobs. Where the XCom backend cannot
        delete it, it is overwritten with a tiny marker."""
        if not self.__dict__.pop("_state_saved", False):
            return
        ti = context["ti"]
        try:
            XCom.delete(
                key=self.state_key,
                task_id=ti.task_id,
                dag_id=ti.dag_id,
                run_id=ti.run_id,
                map_index=getattr(ti, "map_index", -1),
            )
        except Exception as exc:
            self.log.warning(
                "Could not delete XCom %r (%s); overwriting it with %s", self.state_key, exc, STATE_DONE
            )
            ti.xcom_push(key=self.state_key, value=STATE_DONE)

    def _load(self, context: Any) -> dict[str, Any]:
        """The state saved before the wait: still here after a wait on the worker, else from XCom."""
        here: dict[str, Any] | None = self.__dict__.pop("_waiting_state", None)
        if here is not None:
            return here
        ModelArtsConsoleLink.resumed(self, self.hook.console_url)  # a new object after a deferral
        ti = context["ti"]
        state = ti.xcom_pull(
            task_ids=self.task_id, key=self.state_key, map_indexes=getattr(ti, "map_index", None)
        )
        if not isinstance(state, dict) or "report" not in state:
            raise AirflowException(
                f"{self.task_id}: the state saved before the wait (XCom {self.state_key!r}) is missing"
            )
        self._state_saved = True
        return state

    def ref(self, state: Mapping[str, Any], job: str) -> JobRef:
        return JobRef(self.family, job, state.get("version"))

    def observe(self, state: Mapping[str, Any], job: str) -> Awaitable[JobSnapshot | Gone]:
        ref = self.ref(state, job)
        return self.hook.aobserve(ref.family, ref.job_id, ref.version_id)

    # ---- the one decision per look ----------------------------------------------------------------

    def judge(self, state: dict[str, Any], job: str, look: JobSnapshot | Gone) -> bool:
        """Act on :func:`.decide.decide` for ``job`` as it looks now: whether it may be deleted now.
        Any other outcome is recorded in the state (to stop, to wait for, done) or the report."""
        name = state["names"].get(job)
        decision = decide(self.policy(), self.family, look, name=name, stop_rounds=state["stop_rounds"])
        return self._apply(state, job, decision, look, name)

    def audit(
        self,
        state: dict[str, Any],
        kind: str,
        job: str,
        *,
        status: str | None = None,
        name: str | None = None,
        reason: str | None = None,
    ) -> None:
        """One line in the task log per job and outcome (``kind``: deleted, stop requested,
        already gone, skipped, failed), with its id, name, status and reason; at most
        ``AUDIT_LIMIT`` of a kind per run, the rest counted at the end (:meth:`audit_overflow`)."""
        counts: dict[str, int] = state.setdefault("audited", {})
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] > AUDIT_LIMIT:
            return
        name = name if name is not None else state["names"].get(job)
        status = status or state["report"]["final_status"].get(job) or state.get("seen", {}).get(job)
        line = "%s: %s job %s (name %r, status %s)" + (": %s" if reason else "")
        args = [kind.capitalize(), self.family.value, job, name, status or "unknown"]
        (self.log.warning if kind == "failed" else self.log.info)(line, *args, *([reason] if reason else []))

    def audit_overflow(self, state: dict[str, Any]) -> None:
        for kind, count in state.get("audited", {}).items():
            if count > AUDIT_LIMIT:
                self.log.info(
                    "%s: %s more %s job(s) not logged one by one (the first %s are above)",
                    kind.capitalize(), count - AUDIT_LIMIT, self.family.value, AUDIT_LIMIT,
                )  # fmt: skip

    def _apply(
        self, state: dict[str, Any], job: str, decision: Decision, look: JobSnapshot | Gone, name: str | None
    ) -> bool:
        report = state["report"]
        if decision.status is not None:
            report["final_status"][job] = decision.status
        if decision.step is Step.DELETE:
            return True
        if decision.step is Step.GONE:
            self._absent(state, job)
        elif decision.step in (Step.STOP, Step.AWAIT_STOP):
            state["stop" if decision.step is Step.STOP else "stopping"].append(job)
            if job not in report["stopped"]:
                report["stopped"].append(job)
            if self.policy().delete:
                _later(state).append(job)
        elif decision.step is Step.SKIP:
            entry = skip_entry(job if isinstance(look, Gone) else look, str(decision.reason), name)
            report["skipped"].append(entry)
            self.audit(
                state, "skipped", job, status=entry["status"], name=entry["name"], reason=entry["reason"]
            )
        elif decision.step is Step.FAIL:
            self._failed(state, job, str(decision.reason))
        return False

    def _absent(self, state: dict[str, Any], job: str) -> None:
        report = state["report"]
        report["already_absent"].append(job)
        report["final_status"][job] = ABSENT
        self.audit(state, "already gone", job)

    def _failed(self, state: dict[str, Any], job: str, reason: str) -> None:
        state["report"]["failed"].append({"job_id": job, "reason": reason})
        self.audit(state, "failed", job, reason=reason)

    # ---- the steps -------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        ModelArtsConsoleLink.hide(self)
        self.check_arguments()
        ModelArtsConsoleLink.persist(context, self.hook.console_url, self)
        state = self.start(context)
        if not isinstance(state, dict) or "report" not in state:
            return state
        return self._advance(context, state)

    def _trigger(self, job_ids: list[str], goal: Goal, state: dict[str, Any]) -> ModelArtsJobsTrigger:
        from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger  # not at DAG parse

        return ModelArtsJobsTrigger(
            job_family=self.family.value,
            job_ids=job_ids,
            goal=goal.value,
            version_id=state.get("version"),
            workspace_id=self.scope,
            listed_by=state["listed_by"],
            modelarts_conn_id=self.modelarts_conn_id,
            region=self.region,
            project_id=self.project_id,
            poll_interval=self.poll_interval,
            deadline=time.time() + self.timeout,
            max_poll_failures=self.max_poll_failures,
        )

    def _wait(self, context: Any, state: dict[str, Any], job_ids: list[str], goal: Goal, resume: str) -> Any:
        """Wait for ``goal``; the state goes to XCom only if the task defers (else it stays here)."""
        self._waiting_state = state
        trigger = self._trigger(job_ids, goal, state)
        return wait_then_resume(
            self,
            trigger,
            resume=resume,
            context=context,
            deferrable=self.deferrable,
            before_defer=lambda: self._save(context, state),
            look_at_once=False,  # the jobs were just looked at, or asked to stop or be deleted
        )

    def _advance(self, context: Any, state: dict[str, Any]) -> Any:
        """Do the next step: stop what must stop (then wait), or look again and delete (then wait)."""
        if state["stop"]:
            run_here(self._stop_all(state), self.hook)
            if not self.policy().delete and not self.wait_for_completion:
                state["stopping"] = []
        if state["stopping"]:
            return self._wait(context, state, state["stopping"], Goal.STOPPED, "execute_after_stop")
        if state["pending"]:
            run_here(self._delete_all(state), self.hook)
            if state["stop"] or state["stopping"]:  # jobs found running or stopping: another round
                return self._advance(context, state)
        report = state["report"]
        if report["deleted"]:
            self.log.info(
                "Deletion requested for %s job(s); %s failed", len(report["deleted"]), len(report["failed"])
            )
        if not report["deleted"] or not self.wait_for_completion:
            return self._done(context, state)
        return self._wait(context, state, report["deleted"], Goal.DELETED, "execute_complete")

    def _done(self, context: Any, state: dict[str, Any]) -> Any:
        """The end of the run: the audit's overflow counts, the task's result, and (on success)
        the saved working state removed."""
        self.audit_overflow(state)
        result = self.finish(state)
        self._drop_saved_state(context)
        return result

    def _event(self, event: Any, state: dict[str, Any], goal: Goal, job_ids: list[str]) -> dict[str, Any]:
        try:
            return check_jobs_event(event, self.family, goal, job_ids, state.get("version"))
        except UnexpectedEvent as exc:
            raise AirflowException(str(exc)) from None

    def execute_after_stop(self, context: Any, event: Any = None) -> Any:
        """Resumed after the wait for the stops: what did not stop fails; the rest goes on."""
        state = self._load(context)
        checked = self._event(event, state, Goal.STOPPED, state["stopping"])
        report = state["report"]
        report["final_status"].update(checked.get("stopped_as", {}))
        unstopped = {
            job: "did not stop before the deadline (timeout); not deleted" for job in checked["remaining"]
        }
        unstopped.update(
            {e["job_id"]: f"stopping failed: {e['reason']}; not deleted" for e in checked["errors"]}
        )
        for job, why in sorted(unstopped.items()):
            self._failed(state, job, why)
        for job in set(state["stopping"]) - set(unstopped) - set(checked.get("stopped_as", {})):
            self._absent(state, job)  # reached "stopped" by being gone
        state["pending"] = [job for job in state["pending"] if job not in unstopped]
        state["pending"] = [job for job in state["pending"] if job not in report["already_absent"]]
        state["stopping"] = []
        return self._advance(context, state)

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        """Resumed after the wait for the deletions: what is not confirmed gone fails."""
        state = self._load(context)
        report = state["report"]
        checked = self._event(event, state, Goal.DELETED, report["deleted"])
        unconfirmed = set(checked["remaining"]) | {e["job_id"] for e in checked["errors"]}
        confirmed = [job for job in report["deleted"] if job not in unconfirmed]
        report["confirmed_gone"] = len(confirmed)
        report["final_status"].update(dict.fromkeys(confirmed, ABSENT))
        for job in checked["remaining"]:
            self._failed(state, job, "not confirmed gone before the deadline (timeout)")
        report["failed"].extend(checked["errors"])
        for error in checked["errors"]:
            self.audit(state, "failed", error["job_id"], reason=error["reason"])
        return self._done(context, state)

    # ---- requests --------------------------------------------------------------------------------

    async def bounded(self, calls: Sequence[Awaitable[T]]) -> list[T | BaseException]:
        """Run ``calls`` with at most ``max_concurrency`` in flight; errors are returned, not raised."""
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(call: Awaitable[T]) -> T:
            async with limit:
                return await call

        return await asyncio.gather(*(one(call) for call in calls), return_exceptions=True)

    def _record(self, state: dict[str, Any], jobs: list[str], answers: list[Any]) -> None:
        """A job whose request ended in an error fails with it; the others go on."""
        for job, answer in zip(jobs, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                self._failed(state, job, str(answer) or type(answer).__name__)
                if job in _later(state):
                    _later(state).remove(job)

    async def _stop_all(self, state: dict[str, Any]) -> None:
        jobs, state["stop"] = state["stop"], []
        answers = await self.bounded([self._stop_one(state, job) for job in jobs])
        self._record(state, jobs, answers)

    async def _after_refusal(
        self, state: dict[str, Any], job: str, exc: ModelArtsApiError, request: str
    ) -> bool:
        """A ``request`` (``stop`` or ``delete``) the service refused or answered "not found": look
        again and decide (:func:`.decide.after_refusal`). Whether the job may be deleted now."""
        look = await self.observe(state, job)
        if isinstance(exc, ModelArtsNotFoundError) and not isinstance(look, Gone):
            raise ModelArtsError(
                f"the {request} request answered 'not found' ({exc}), but the job still exists; "
                "check the request's parameters (for RES, the job_type)"
            ) from exc
        decision = after_refusal(
            self.policy(), self.family, look, f"{request} refused: {exc}", request=request,
            stop_rounds=state["stop_rounds"],
        )  # fmt: skip
        return self._apply(state, job, decision, look, state["names"].get(job))

    async def _stop_one(self, state: dict[str, Any], job: str) -> None:
        """Ask ``job`` to stop; a refusal is judged on how the job looks afterwards."""
        report = state["report"]
        ref = self.ref(state, job)
        try:
            report["stop_calls"] += await self.hook.astop_job(ref.family, ref.job_id, ref.version_id)
        except ModelArtsApiError as exc:
            if job in _later(state):
                _later(state).remove(job)
            if await self._after_refusal(state, job, exc, "stop"):
                _later(state).append(job)
            return
        self.audit(state, "stop requested", job)
        report["final_status"].pop(job, None)  # stopping now: its final status comes from the wait
        state["stopping"].append(job)

    async def _delete_all(self, state: dict[str, Any]) -> None:
        """Look at every pending job again (unless the policy deletes in any state) and delete those
        that may go; v2 in batches."""
        from airflow_provider_modelarts.api.operations import BATCH_DELETE_LIMIT

        jobs, state["pending"], state["next_pending"] = state["pending"], [], []
        singles = jobs
        batch = self.family is JobFamily.TRAINING and self.use_batch_delete and state.get("version") is None
        if batch and len(jobs) > 1:  # a list of one is deleted alone
            singles = []
            group_size = BATCH_DELETE_LIMIT * self.max_concurrency
            for start in range(0, len(jobs), group_size):
                singles.extend(await self._delete_batches(state, jobs[start : start + group_size]))
        answers = await self.bounded([self._delete_one(state, job) for job in singles])
        self._record(state, singles, answers)
        if state["stop"] or state["stopping"]:
            state["stop_rounds"] += 1
        state["pending"] = state.pop("next_pending")

    async def listing_scope(self) -> str:
        """The digest of this task's list query (credentials, project, family, workspace): what
        a listing's jobs are vouched for with (``listed_by``)."""
        from airflow_provider_modelarts.api.shared_watch import list_scope

        session = await self.hook.asession()
        return list_scope(session, await self.hook.aresolve_project_id(), self.family, self.scope)

    async def _delete_batches(self, state: dict[str, Any], jobs: list[str]) -> list[str]:
        """Delete v2 jobs 100 per call, each looked at right before (see :meth:`_ready`).
        Returns the jobs left for single deletes."""
        from airflow_provider_modelarts.api.operations import BATCH_DELETE_LIMIT

        ready, singles = await self._ready(state, jobs) if self.policy().check_state else (jobs, [])
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
                for job in batch:
                    self.audit(state, "deleted", job)
        return singles + fallback

    async def _ready(self, state: dict[str, Any], jobs: list[str]) -> tuple[list[str], list[str]]:
        """The jobs that may go in a batch delete now, and those to look at and delete one by one.

        Jobs this task's own listing found (``listed_by``, the same query) are looked at with one
        search of the scope's jobs that have not finished (the documented ``not`` filter on
        ``phase``): a job it lists is judged like a single job; a job it does not list has
        finished, provided the search is complete (otherwise nothing is proven and every job goes
        alone). A list is scoped (the caller's jobs, a workspace), so its silence says nothing about
        jobs it never showed: jobs given by id are each looked at on their detail endpoint."""
        if state["listed_by"] == await self.listing_scope():  # None (given by id) never matches
            walk = await self.hook.awalk_training_jobs(
                exclude_phases=TERMINAL_V2_PHASES, workspace_id=self.scope
            )
            if not walk.complete:
                return [], jobs
            unfinished = {job.id: job.snapshot() for job in walk.items}
            patterns = self.policy().protected
            ready = []
            for job in jobs:
                name = state["names"].get(job)
                if job in unfinished:
                    ready.extend([job] if self.judge(state, job, unfinished[job]) else [])
                elif protected(name, patterns):  # finished: judged by its name as listed
                    state["report"]["skipped"].append(skip_entry(job, "protected name", name))
                    self.audit(state, "skipped", job, name=name, reason="protected name")
                else:
                    ready.append(job)
            return ready, []
        looks = await self.bounded([self.observe(state, job) for job in jobs])
        ready = [
            job
            for job, look in zip(jobs, looks, strict=True)
            if not isinstance(look, BaseException) and self.judge(state, job, look)
        ]
        # A job that could not be looked at is asked again alone, where its failure is reported.
        return ready, [job for job, look in zip(jobs, looks, strict=True) if isinstance(look, BaseException)]

    async def _delete_one(self, state: dict[str, Any], job: str) -> None:
        """Look at ``job`` again (unless the policy deletes in any state), then delete it if it may go."""
        if self.policy().check_state and not self.judge(state, job, await self.observe(state, job)):
            return
        state["report"]["delete_calls"] += 1
        ref = self.ref(state, job)
        job_type, platform = self.res_arguments()
        try:
            message = await self.hook.adelete_job(
                ref.family, ref.job_id, ref.version_id, job_type=job_type, offline_platform=platform
            )
        except ModelArtsApiError as exc:
            # Refused while the job is still stopping (a visualization job in KILLING): wait, then
            # try again once it has stopped; gone meanwhile: already absent; anything else fails.
            # (A refused delete is never followed by another delete right away.)
            await self._after_refusal(state, job, exc, "delete")
            return
        if message:
            self.log.info("%s: RES answered: %s", ref.describe(), message)
        state["report"]["deleted"].append(job)
        self.audit(state, "deleted", job)

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
            report.get("skipped_count", len(report["skipped"])),  # a bounded report keeps a sample
            len(report["failed"]),
        )
        if report["failed"] and self.fail_on_errors:
            listed = "; ".join(f"{f['job_id']}: {f['reason']}" for f in report["failed"][:20])
            more = f" (and {len(report['failed']) - 20} more)" if len(report["failed"]) > 20 else ""
            count, family = len(report["failed"]), report["job_family"]
            raise AirflowException(f"{count} {family} job(s) could not be torn down: {listed}{more}")
        return report
