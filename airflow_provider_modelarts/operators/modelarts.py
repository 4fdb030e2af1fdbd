"""The teardown operators: their arguments, their checks and the shape of their result. What they
do is the one teardown core (:mod:`..teardown.core`), a single job being a list of one.

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

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.ids import res_job_type, res_offline_platform
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import ABSENT
from airflow_provider_modelarts.operators.base import ModelArtsTask
from airflow_provider_modelarts.teardown.core import Teardown, job_ids_of
from airflow_provider_modelarts.teardown.decide import Policy


def _leaves(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


def _literal(*values: object) -> bool:
    """Whether every value is known before rendering (no Jinja text, no XComArg)."""
    return not any(ids.is_template(value) for value in values if value is not None)


# ---- one job (or many) of a family: arguments, template fields, checks, the report ---------------


class ModelArtsBaseOperator(Teardown):
    """What every job operator shares: its target (``job_id`` and ``version_id``, or ``job_ids``),
    the checks of its arguments, and the shape of its result. Every one runs the one teardown core
    (:class:`..teardown.core.Teardown`): a single job is a list of one.

    :param job_id: The job's id (templated): a UUID for v2 training jobs, a number for v1 training
        and visualization jobs, 1-20 letters, digits, ``-`` or ``_`` for RES jobs.
    :param job_ids: Instead of ``job_id``, where offered: a sequence of ids of one family
        (templated; an ``XComArg``, also of a mapped task, works). Duplicates are removed (the report
        lists them under ``duplicates``). The task acts on each with bounded concurrency, waits for
        all in one trigger, returns a report per job, and fails at the end if any job failed.
    :param ignore_not_found: Treat a job that is already gone as success (for one job and for many).

    The other parameters are those of every teardown task (see :class:`.base.ModelArtsTask` and
    :class:`..teardown.core.Teardown`).
    """

    template_fields: Sequence[str] = (*ModelArtsTask.template_fields, "job_id", "job_ids", "version_id")
    job_family: JobFamily | str
    accepts_job_ids: ClassVar[bool] = False
    accepts_version: ClassVar[bool] = False
    needs_version: ClassVar[bool] = False

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
        self.check_arguments(rendered=False)  # subclasses set their own arguments before this

    def check_arguments(self, rendered: bool = True) -> None:
        """Every rule on the arguments, in one place: on literal values when the DAG is parsed, on
        all of them once the templates are rendered (before any request)."""
        if not rendered and not _literal(self.job_family):
            return
        family = ids.job_family(self.job_family)
        if self.job_id is not None and (rendered or _literal(self.job_id, self.version_id)):
            ids.job_target(family, self.job_id, self.version_id)
        literal_list = isinstance(self.job_ids, list | tuple) and _literal(*self.job_ids)
        literal_text = isinstance(self.job_ids, str) and not ids.is_template(self.job_ids)
        if self.job_ids is not None and (rendered or literal_list or literal_text):
            job_ids_of(self.job_ids, family)

    @property
    def family(self) -> JobFamily:
        return ids.job_family(self.job_family)

    @property
    def version(self) -> str | None:
        if self.version_id is None:
            return None
        return ids.job_target(self.family, self.job_id, self.version_id).version_id

    def start(self, context: Any) -> dict[str, Any] | Any:
        if self.job_ids is None:
            job_ids = [ids.job_target(self.family, self.job_id, self.version_id).job_id]
            duplicates: list[str] = []
        else:
            job_ids, duplicates = job_ids_of(self.job_ids, self.family)
        if duplicates:
            self.log.warning(
                "job_ids: %s given more than once; each is torn down once", ", ".join(duplicates)
            )
        return self.first_state(job_ids, **({"duplicates": duplicates} if duplicates else {}))

    def finish(self, state: dict[str, Any]) -> Any:
        if self.job_ids is not None:
            return self.fail_if_failed(per_job(state["report"]))
        return self.one_job_result(state)

    def one_job_result(self, state: dict[str, Any]) -> dict[str, Any]:
        """The report of a list of one, shaped as the result of a one-job task (which fails if the
        job failed, saying why)."""
        report = state["report"]
        (job,) = report["job_ids"]
        ref = self.ref(state, job)
        failed = [entry["reason"] for entry in report["failed"] if entry["job_id"] == job]
        if failed:
            self.fail_if_failed(report)  # logs the summary; fails unless fail_on_errors=False
        absent = job in report["already_absent"]
        deleted = job in report["deleted"]
        final = report["final_status"].get(job)
        if deleted and final != ABSENT:
            final = None  # deletion requested, not waited for
        value: dict[str, Any] = {
            "job_id": job,
            "job_family": self.family.value,
            "action": self.action,
            "already_absent": absent,
            "final_status": final,
        }
        if ref.version_id is not None:
            value["version_id"] = ref.version_id
        if failed:
            value["failed"] = failed[0]
        return value


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
    for job, entry in outcome.items():
        if job in report["final_status"]:
            entry["final_status"] = report["final_status"][job]
    report["jobs"] = list(outcome.values())
    return report


class _Delete(ModelArtsBaseOperator):
    action = "delete"
    accepts_job_ids = True
    look_first = False  # a plain delete deletes whatever the job is doing

    def policy(self) -> Policy:
        return Policy(stop=False, check_state=False, ignore_not_found=self.ignore_not_found)


class _Stop(ModelArtsBaseOperator):
    """Stops a job; finished jobs are success (with their final status) unless ``fail_if_not_running``.

    :param fail_if_not_running: Fail instead of succeeding when the job already finished.
    """

    action = "stop"

    def __init__(self, *, fail_if_not_running: bool = False, **kwargs: Any) -> None:
        self.fail_if_not_running = fail_if_not_running
        super().__init__(**kwargs)

    def policy(self) -> Policy:
        return Policy(
            delete=False, fail_if_not_running=self.fail_if_not_running, ignore_not_found=self.ignore_not_found
        )


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
        self.job_type = job_type  # the argument checks in super().__init__ need them
        self.offline_platform = offline_platform
        super().__init__(**kwargs)

    def check_arguments(self, rendered: bool = True) -> None:
        super().check_arguments(rendered)
        if not (rendered or _literal(self.job_family)) or self.family is not JobFamily.RES:
            return
        if rendered or _literal(self.job_type):
            res_job_type(self.job_type)
            platform = self.offline_platform
            if rendered or platform is None or not any(ids.is_template(v) for v in _leaves(platform)):
                res_offline_platform(str(self.job_type), platform)

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
    accepts_job_ids = accepts_version = True

    def __init__(
        self, *, job_family: str, stop_first: bool = True, delete: bool = True, **kwargs: Any
    ) -> None:
        self.job_family = job_family  # the argument checks in super().__init__ need them
        self.stop_first = stop_first
        self.delete = delete
        super().__init__(**kwargs)

    def check_arguments(self, rendered: bool = True) -> None:
        if not self.delete and not self.stop_first:
            raise ValueError("stop_first and delete: at least one step is needed")
        super().check_arguments(rendered)
        if (rendered or _literal(self.job_family)) and self.family is JobFamily.RES and not self.delete:
            raise ValueError("delete: RES jobs cannot be stopped through the API, only deleted")

    def policy(self) -> Policy:
        return Policy(delete=self.delete, stop=self.stop_first, ignore_not_found=self.ignore_not_found)

    def one_job_result(self, state: dict[str, Any]) -> dict[str, Any]:
        value = super().one_job_result(state)
        report = state["report"]
        value.update(
            stopped=value["job_id"] in report["stopped"], deleted=value["job_id"] in report["deleted"]
        )
        return value


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
