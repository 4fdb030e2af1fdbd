"""Teardown operators: act, look, then wait (on the worker or deferred to the triggerer).

:class:`ModelArtsTeardownJobOperator` is the one task for a whole teardown of any family: stop if
running, wait until stopped, delete, wait until gone. The single-step operators (delete, stop,
terminate) do one of those steps. One naming scheme throughout: ``job_id`` (or ``job_ids``: many jobs
of one family in one task), ``version_id``, ``job_family``, ``modelarts_conn_id``, ``region``,
``project_id``, ``poll_interval``, ``timeout``, ``deferrable``.

Every step is idempotent: a job that is already gone is success (unless ``ignore_not_found=False``),
a stop request for a job that already finished is success with its final status (unless
``fail_if_not_running=True``), and an Airflow retry after a crash between "request sent" and
"answer received" finds the job stopping or gone and carries on from there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.operations import res_job_type, res_offline_platform
from airflow_provider_modelarts.api.statuses import Category, JobFamily
from airflow_provider_modelarts.api.watch import ABSENT, Goal, Verdict
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.base import ModelArtsTask
from airflow_provider_modelarts.operators.bulk import BulkTeardown, job_ids_of, new_report
from airflow_provider_modelarts.operators.waiting import checked_event, wait_for_job
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger, run_here

TEARDOWN_STATE_KEY = "teardown_state"


class _StillStopping(Exception):
    """The service refused the action because the job is still stopping; wait, then act again."""


def _leaves(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


# ---- one job (or many) of a family: arguments, template fields, parse-time checks, target -------


class ModelArtsBaseOperator(BulkTeardown):
    """What every job operator shares: its target (``job_id`` and ``version_id``, or ``job_ids``),
    the RES ``del-job`` arguments, and the flow "act, look, wait" of one job.

    :param job_id: The job's id (templated): a UUID for v2 training jobs, a number for v1 training
        and visualization jobs, 1-20 letters, digits, ``-`` or ``_`` for RES jobs.
    :param job_ids: Instead of ``job_id``, where offered: a list of ids of one family (templated;
        an ``XComArg`` works). The task acts on each with bounded concurrency, waits for all in one
        trigger, returns a report per job, and fails at the end if any job failed.
    :param ignore_not_found: Treat a job that is already gone as success.

    The other parameters are those of every teardown task (see :class:`.base.ModelArtsTask`) and,
    for ``job_ids``, of every many-job teardown (see :class:`.bulk.BulkTeardown`).
    """

    template_fields: Sequence[str] = (*ModelArtsTask.template_fields, "job_id", "job_ids", "version_id")
    job_family: JobFamily | str
    action: ClassVar[str]
    goal: ClassVar[Goal]
    accepts_job_ids: ClassVar[bool] = False
    accepts_version: ClassVar[bool] = False
    needs_version: ClassVar[bool] = False
    recheck = False  # a plain delete deletes whatever the job's state

    def __init__(
        self,
        *,
        job_id: str | int | None = None,
        job_ids: Sequence[str | int] | str | None = None,
        version_id: str | int | None = None,
        ignore_not_found: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self.job_ids = job_ids
        self.version_id = version_id
        self.ignore_not_found = ignore_not_found
        self._check_target_arguments()

    def _check_target_arguments(self) -> None:
        name = type(self).__name__
        if self.job_ids is not None and not self.accepts_job_ids:
            raise TypeError(f"{name} takes one job_id, not job_ids")
        if (self.job_id is None) == (self.job_ids is None):
            raise ValueError(f"{name}: give job_id or job_ids (exactly one)" if self.accepts_job_ids else
                             f"{name}: job_id is required")  # fmt: skip
        if self.version_id is not None and not self.accepts_version:
            raise ValueError(f"version_id: {name} acts on whole jobs")
        if self.needs_version and self.version_id is None:
            raise ValueError(f"version_id: {name} needs the version to act on")
        if self.job_ids is not None and self.version_id is not None:
            raise ValueError("version_id: job_ids name whole jobs; act on versions one task each")
        if self.job_id is not None and not ids.is_template(self.job_family):
            ids.check_literal_target(self.job_family, self.job_id, self.version_id)
        literal = isinstance(self.job_ids, str) and not ids.is_template(self.job_ids)
        literal |= isinstance(self.job_ids, list | tuple) and not any(map(ids.is_template, self.job_ids))
        if literal and not ids.is_template(self.job_family):
            job_ids_of(self.job_ids, ids.job_family(self.job_family))

    # ---- the target ------------------------------------------------------------------------------

    @property
    def family(self) -> JobFamily:
        return ids.job_family(self.job_family)

    def target(self) -> JobRef:
        """The validated job (or version) this operator acts on."""
        return ids.job_target(self.job_family, self.job_id, self.version_id)

    def res_arguments(self) -> tuple[str | None, Mapping[str, Any] | None]:
        return None, None

    def describe(self) -> str:
        return self.target().describe()

    def observe(self) -> JobSnapshot | None:
        family, job, version = self.target()
        return self.hook.observe(family, job, version)

    # ---- one job: act, look, wait --------------------------------------------------------------

    def act(self) -> Verdict | None:
        """Send the teardown request; a verdict if the goal needs no wait, else ``None``."""
        raise NotImplementedError

    def absent(self, error: ModelArtsApiError | None = None) -> Verdict:
        if not self.ignore_not_found:
            raise AirflowException(f"{self.describe()} does not exist" + (f": {error}" if error else ""))
        self.log.info("%s is already gone; nothing to %s", self.describe(), self.action)
        return Verdict(True, ABSENT)

    def confirmed_absent(self, error: ModelArtsNotFoundError) -> Verdict:
        """A request answered "not found": believed only once the job's detail endpoint agrees."""
        if self.observe() is None:
            return self.absent(error)
        raise AirflowException(
            f"{self.describe()}: the {self.action} request answered 'not found' ({error}), but the job "
            "still exists; check the request's parameters (for RES, the job_type)"
        ) from error

    def delete_step(self) -> Verdict | None:
        """Request the deletion; a verdict if there is nothing to wait for."""
        job_type, platform = self.res_arguments()
        try:
            message = self.hook.delete_job(*self.target(), job_type=job_type, offline_platform=platform)
        except ModelArtsNotFoundError as exc:
            # RES answers del-job for a job of another type this way while the job still exists.
            return self.confirmed_absent(exc)
        except ModelArtsApiError:
            snapshot = self.observe()
            if snapshot is None:
                return self.absent()
            if snapshot.category is Category.STOPPING:
                raise _StillStopping from None
            raise
        if message:
            self.log.info("RES answered: %s", message)
        self.log.info("Deletion of %s requested", self.describe())
        return None

    def settled(self, snapshot: JobSnapshot | None, fail_if_not_running: bool = False) -> Verdict | None:
        """A verdict if no stop request is needed (gone, finished, or already stopping)."""
        if snapshot is None:
            return self.absent()
        if snapshot.is_terminal:
            if fail_if_not_running:
                raise AirflowException(f"{self.describe()} is not running: it is {snapshot.status_name}")
            self.log.info("%s already finished: %s", self.describe(), snapshot.status_name)
            return Verdict(True, snapshot.status_name)
        if snapshot.category is Category.STOPPING:
            self.log.info("%s is already stopping (%s)", self.describe(), snapshot.status_name)
            return Verdict(False, snapshot.status_name)
        return None

    def stop_step(self, snapshot: JobSnapshot | None, fail_if_not_running: bool = False) -> Verdict | None:
        """Request a stop unless none is needed; a verdict if there is nothing to wait for."""
        settled = self.settled(snapshot, fail_if_not_running)
        if settled is not None:
            return settled if settled.done else None
        try:
            self.hook.stop_job(*self.target())
        except ModelArtsNotFoundError as exc:
            return self.confirmed_absent(exc)
        except ModelArtsApiError:
            # The job may have finished or started stopping between our look and the request.
            settled = self.settled(self.observe(), fail_if_not_running)
            if settled is None:
                raise
            return settled if settled.done else None
        self.log.info("Stop of %s requested", self.describe())
        return None

    def result(self, final_status: str | None, *, already_absent: bool = False) -> dict[str, Any]:
        family, job, version = self.target()
        value: dict[str, Any] = {
            "job_id": job,
            "job_family": family.value,
            "action": self.action,
            "already_absent": already_absent,
            "final_status": final_status,
        }
        if version is not None:
            value["version_id"] = version
        return value

    def execute(self, context: Any) -> Any:
        if self.job_ids is not None:
            return self.bulk_execute(context)
        self.target()  # rendered ids are validated before any request
        ModelArtsConsoleLink.persist(context, self.hook.console_url)
        try:
            verdict = self.act()
        except _StillStopping:
            self.log.info(
                "%s is still stopping; waiting before trying to %s it again", self.describe(), self.action
            )
            return self.wait(context, Goal.STOPPED, "execute_after_stop")
        if verdict is not None:
            return self.result(verdict.final_status, already_absent=verdict.absent)
        if not self.wait_for_completion:
            return self.result(None)
        return self.wait(context, self.goal, "execute_complete")

    def trigger(self, goal: Goal) -> ModelArtsJobTrigger:
        """The wait for ``goal`` on this task's job, with its deadline ``timeout`` from now."""
        family, job, version = self.target()
        return ModelArtsJobTrigger(
            job_family=family.value,
            job_id=job,
            version_id=version,
            goal=goal.value,
            modelarts_conn_id=self.modelarts_conn_id,
            region=self.region,
            project_id=self.project_id,
            poll_interval=self.poll_interval,
            deadline=_deadline(self.timeout),
            max_poll_failures=self.max_poll_failures,
        )

    def wait(self, context: Any, goal: Goal, resume: str) -> Any:
        """Wait for ``goal`` on the worker, or deferred (see :func:`wait_for_job`)."""
        return wait_for_job(
            self, self.trigger(goal), resume=resume, context=context, deferrable=self.deferrable
        )

    def execute_after_stop(self, context: Any, event: Any = None) -> Any:
        checked_event(event, self.target(), Goal.STOPPED)
        try:
            verdict = self.act()
        except _StillStopping:
            raise AirflowException(
                f"{self.describe()}: the service still refuses to {self.action} it"
            ) from None
        if verdict is not None:
            return self.result(verdict.final_status, already_absent=verdict.absent)
        if not self.wait_for_completion:
            return self.result(None)
        return self.wait(context, self.goal, "execute_complete")

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        checked = checked_event(event, self.target(), self.goal)
        self.log.info("%s", checked.get("message"))
        return self.result(checked.get("final_status"))

    # ---- many jobs (job_ids): the bulk machinery, each job named in the report ------------------

    def start(self, context: Any) -> dict[str, Any] | Any:
        job_ids = job_ids_of(self.job_ids, self.family)
        return self.new_state(new_report(self.family, job_ids=job_ids), pending=job_ids)

    def finish(self, state: dict[str, Any]) -> Any:
        return self.fail_if_failed(per_job(state["report"]))


def _deadline(timeout: float) -> float:
    return time.time() + timeout


def per_job(report: dict[str, Any]) -> dict[str, Any]:
    """The report with one entry per job: what happened to it (``deleted``, ``stopped``,
    ``already_absent``, ``skipped`` or ``failed``, with the reason)."""
    outcome: dict[str, dict[str, Any]] = {
        job: {"job_id": job, "outcome": "untouched"} for job in report.get("job_ids", [])
    }
    for job in report["stopped"]:
        outcome[job] = {"job_id": job, "outcome": "stopped"}
    for job in report["already_absent"]:
        outcome[job] = {"job_id": job, "outcome": "already_absent"}
    for job in report["deleted"]:
        outcome[job] = {"job_id": job, "outcome": "deleted"}
    for entry in report["skipped"]:
        outcome[entry["job_id"]] = {
            "job_id": entry["job_id"],
            "outcome": "skipped",
            "reason": entry["reason"],
        }
    for entry in report["failed"]:
        outcome[entry["job_id"]] = {"job_id": entry["job_id"], "outcome": "failed", "reason": entry["reason"]}
    report["jobs"] = list(outcome.values())
    return report


class _Delete(ModelArtsBaseOperator):
    action = "delete"
    goal = Goal.DELETED
    accepts_job_ids = True

    def act(self) -> Verdict | None:
        return self.delete_step()


class _Stop(ModelArtsBaseOperator):
    """Stops a job; finished jobs are success (with their final status) unless ``fail_if_not_running``.

    :param fail_if_not_running: Fail instead of succeeding when the job already finished.
    """

    action = "stop"
    goal = Goal.STOPPED

    def __init__(self, *, fail_if_not_running: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_if_not_running = fail_if_not_running

    def act(self) -> Verdict | None:
        return self.stop_step(self.observe(), self.fail_if_not_running)


class _Res(ModelArtsBaseOperator):
    """RES jobs: ``del-job`` needs the job's type (and, for some types, the platform object).

    :param job_type: ``etl``, ``retrieval`` (``recall``), ``filter``, ``standard``, ... (templated).
    :param offline_platform: ``{"platform": "DLI", "platform_parameter": {"cluster_name": ...},
        "config_load_path": ...}``; required for etl, retrieval/recall, filter and standard jobs.
    """

    template_fields: Sequence[str] = (*ModelArtsBaseOperator.template_fields, "job_type", "offline_platform")
    template_fields_renderers: ClassVar[dict[str, str]] = {"offline_platform": "json"}

    def __init__(
        self, *, job_type: str | None = None, offline_platform: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.job_type = job_type
        self.offline_platform = offline_platform
        if self._is_res() and not ids.is_template(job_type):
            res_job_type(job_type)
            if offline_platform is None or not any(ids.is_template(v) for v in _leaves(offline_platform)):
                res_offline_platform(str(job_type), offline_platform)

    def _is_res(self) -> bool:
        return not ids.is_template(self.job_family) and ids.job_family(self.job_family) is JobFamily.RES

    def res_arguments(self) -> tuple[str | None, Mapping[str, Any] | None]:
        return self.job_type, self.offline_platform


# ---- the single-step operators ------------------------------------------------------------------


class ModelArtsDeleteTrainingJobOperator(_Delete):
    """Delete v2 training jobs and wait until the service no longer knows them.

    :param job_id: The job's id (templated), or ``job_ids``: many of them.
    """

    job_family = JobFamily.TRAINING


class ModelArtsTerminateTrainingJobOperator(_Stop):
    """Terminate a creating, pending or running v2 training job and wait until it has stopped.

    :param job_id: The job's id (templated).
    :param fail_if_not_running: Fail instead of succeeding when the job already finished.
    """

    job_family = JobFamily.TRAINING
    action = "terminate"


class ModelArtsDeleteTrainingJobV1Operator(_Delete):
    """Delete v1 training jobs with all their versions and wait until they are gone.

    :param job_id: The numeric job id (templated), or ``job_ids``: many of them.
    """

    job_family = JobFamily.TRAINING_V1


class ModelArtsStopTrainingJobVersionOperator(_Stop):
    """Stop a running version of a v1 training job and wait until it is KILLED (or finished).

    :param job_id: The numeric job id (templated).
    :param version_id: The numeric version id (templated).
    :param fail_if_not_running: Fail instead of succeeding when the version already finished.
    """

    job_family = JobFamily.TRAINING_V1
    accepts_version = needs_version = True


class ModelArtsDeleteTrainingJobVersionOperator(_Delete):
    """Delete one version of a v1 training job and wait until it is gone.

    :param job_id: The numeric job id (templated).
    :param version_id: The numeric version id (templated).
    """

    job_family = JobFamily.TRAINING_V1
    accepts_job_ids = False
    accepts_version = needs_version = True


class ModelArtsDeleteVisualizationJobOperator(_Delete):
    """Delete v1 visualization jobs and wait until they are gone.

    The service refuses to delete a job that is still stopping (KILLING); the operator then waits
    for the stop to finish and deletes it again.

    :param job_id: The numeric job id (templated), or ``job_ids``: many of them.
    """

    job_family = JobFamily.VISUALIZATION


class ModelArtsStopVisualizationJobOperator(_Stop):
    """Stop a running v1 visualization job and wait until it has stopped.

    :param job_id: The numeric job id (templated).
    :param fail_if_not_running: Fail instead of succeeding when the job already finished.
    """

    job_family = JobFamily.VISUALIZATION


class ModelArtsDeleteResJobOperator(_Res, _Delete):
    """RES ``del-job``: delete Recommender System jobs and the data they produced, then wait until
    each job's detail answers "not found".

    :param job_id: RES job id, 1-20 letters, digits, ``-`` or ``_`` (templated), or ``job_ids``.
    :param job_type: ``etl``, ``retrieval`` (``recall``), ``filter``, ``standard``, ... (templated).
    :param offline_platform: The ``del-job`` platform object; required for etl, retrieval/recall,
        filter and standard jobs.
    """

    job_family = JobFamily.RES


# ---- the one task for a whole teardown ----------------------------------------------------------


class ModelArtsTeardownJobOperator(_Res):
    """Tear a job down in one task: stop it if it runs, wait until it has stopped, delete it, wait
    until it is gone. Any family; every step is idempotent, so an Airflow retry resumes where the
    last try stopped, and every wait defers when the task is deferrable.

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res`` (templated).
    :param job_id: The job's id (templated), or ``job_ids``: many jobs of the family in one task.
    :param version_id: ``training_v1`` only: tear down one version instead of the whole job.
    :param job_type: RES only: the job's type (``del-job`` needs it). RES jobs have no stop API:
        they are deleted as they are.
    :param offline_platform: RES only: the ``del-job`` platform object.
    :param stop_first: Stop a running job before deleting it (default). ``False``: a running job
        fails the task (for ``job_ids``: that job fails) and is not deleted.
    :param delete: Delete the job once it has stopped (default). ``False``: only stop it.

    Returns ``{job_id, job_family, [version_id], action: "teardown", stopped, deleted,
    already_absent, final_status}``; with ``job_ids``, a report with an entry per job.
    """

    template_fields: Sequence[str] = (*_Res.template_fields, "job_family")
    action = "teardown"
    goal = Goal.DELETED
    accepts_job_ids = accepts_version = True

    def __init__(
        self, *, job_family: str, stop_first: bool = True, delete: bool = True, **kwargs: Any
    ) -> None:
        self.job_family = job_family  # the target checks in super().__init__ need it
        if not delete and not stop_first:
            raise ValueError("stop_first and delete: at least one step is needed")
        super().__init__(**kwargs)
        self.stop_first = stop_first
        self.delete = delete
        if not ids.is_template(job_family) and ids.job_family(job_family) is JobFamily.RES and not delete:
            raise ValueError("delete: RES jobs cannot be stopped through the API, only deleted")

    @property
    def recheck(self) -> bool:  # type: ignore[override]
        return True  # a job found running right before its delete is stopped (or fails), never deleted

    @property
    def stop_running(self) -> bool:  # type: ignore[override]
        return self.stop_first

    # ---- one job ---------------------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        if self.job_ids is not None:
            return self.bulk_execute(context)
        self.target()
        ModelArtsConsoleLink.persist(context, self.hook.console_url)
        snapshot = self.observe()
        if snapshot is None:
            return self.teardown_result(self.absent(), stopped=False)
        if snapshot.is_terminal or self.family is JobFamily.RES:
            return self._teardown_delete(context, stopped=False)
        if not self.stop_first:
            raise AirflowException(
                f"{self.describe()} is {snapshot.status_name}; stop_first=False, so it is not deleted"
            )
        verdict = self.stop_step(snapshot)
        if verdict is not None:  # gone or finished meanwhile
            return (
                self._teardown_delete(context, stopped=False)
                if not verdict.absent
                else self.teardown_result(verdict, False)
            )
        self._remember(context, stopped=True)
        return self.wait(context, Goal.STOPPED, "teardown_after_stop")

    def teardown_after_stop(self, context: Any, event: Any = None) -> Any:
        checked = checked_event(event, self.target(), Goal.STOPPED)
        self.log.info("%s", checked.get("message"))
        if checked.get("final_status") == ABSENT:
            return self.teardown_result(Verdict(True, ABSENT), self._stopped(context))
        return self._teardown_delete(context, self._stopped(context), checked.get("final_status"))

    def _teardown_delete(self, context: Any, stopped: bool, status: str | None = None) -> Any:
        if not self.delete:
            return self.teardown_result(Verdict(True, status), stopped)
        self._remember(context, stopped=stopped)
        try:
            verdict = self.delete_step()
        except _StillStopping:
            return self.wait(context, Goal.STOPPED, "teardown_after_stop")
        if verdict is not None:
            return self.teardown_result(verdict, stopped)
        if not self.wait_for_completion:
            return self.teardown_result(Verdict(False, None), stopped, deleted=True)
        return self.wait(context, Goal.DELETED, "teardown_complete")

    def teardown_complete(self, context: Any, event: Any = None) -> Any:
        checked = checked_event(event, self.target(), Goal.DELETED)
        self.log.info("%s", checked.get("message"))
        return self.teardown_result(Verdict(True, ABSENT), self._stopped(context), deleted=True)

    def _remember(self, context: Any, *, stopped: bool) -> None:
        context["ti"].xcom_push(key=TEARDOWN_STATE_KEY, value={"stopped": stopped})

    def _stopped(self, context: Any) -> bool:
        ti = context["ti"]
        state = ti.xcom_pull(
            task_ids=self.task_id, key=TEARDOWN_STATE_KEY, map_indexes=getattr(ti, "map_index", None)
        )
        return bool(isinstance(state, dict) and state.get("stopped"))

    def teardown_result(self, verdict: Verdict, stopped: bool, *, deleted: bool = False) -> dict[str, Any]:
        value = self.result(verdict.final_status, already_absent=verdict.absent and not deleted)
        value.update(stopped=stopped, deleted=deleted)
        return value

    # ---- many jobs -------------------------------------------------------------------------------

    def start(self, context: Any) -> dict[str, Any] | Any:
        """Look at every job once: gone, to stop (or failed, without ``stop_first``), stopping (to
        wait for), or finished (to delete)."""
        job_ids = job_ids_of(self.job_ids, self.family)
        report = new_report(self.family, job_ids=job_ids)
        answers = run_here(self.bounded([self.hook.aobserve(self.family, job) for job in job_ids]), self.hook)
        stop: list[str] = []
        stopping: list[str] = []
        pending: list[str] = []
        for job, answer in zip(job_ids, answers, strict=True):
            if isinstance(answer, BaseException):
                report["failed"].append({"job_id": job, "reason": f"could not look at it: {answer}"})
            elif answer is None:
                report["already_absent"].append(job)
            elif answer.is_terminal or self.family is JobFamily.RES:
                pending.append(job)
            elif not self.stop_first:
                reason = f"{answer.status_name}; stop_first=False, so it is not deleted"
                report["failed"].append({"job_id": job, "reason": reason})
            else:
                (stopping if answer.category is Category.STOPPING else stop).append(job)
                pending.append(job)
                report["stopped"].append(job)
        return self.new_state(report, pending=pending if self.delete else [], stop=stop, stopping=stopping)


from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator  # noqa: E402

__all__ = [
    "ModelArtsCleanupJobsOperator",
    "ModelArtsDeleteResJobOperator",
    "ModelArtsDeleteTrainingJobOperator",
    "ModelArtsDeleteTrainingJobV1Operator",
    "ModelArtsDeleteTrainingJobVersionOperator",
    "ModelArtsDeleteVisualizationJobOperator",
    "ModelArtsStopTrainingJobVersionOperator",
    "ModelArtsStopVisualizationJobOperator",
    "ModelArtsTeardownJobOperator",
    "ModelArtsTerminateTrainingJobOperator",
]
