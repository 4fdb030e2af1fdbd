"""Teardown operators: act once, check once, then wait (in the worker or deferred to the triggerer).

Every operator is idempotent for teardown: a job that is already gone is success (unless
``ignore_not_found=False``), a stop request for a job that already finished is success with its
final status (unless ``fail_if_not_running=True``), and an Airflow retry after a crash between
"request sent" and "answer received" finds the job stopping or gone and carries on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowException, BaseOperator, conf

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.operations import res_job_type, res_offline_platform
from airflow_provider_modelarts.api.statuses import Category, JobFamily
from airflow_provider_modelarts.api.waiting import poll_failures, seconds
from airflow_provider_modelarts.api.watch import ABSENT, Goal, Verdict
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.waiting import checked_event, wait_for_job
from airflow_provider_modelarts.triggers.modelarts import (
    DEFAULT_MAX_POLL_FAILURES,
    DEFAULT_POLL_INTERVAL,
    ModelArtsJobTrigger,
)

DEFAULT_MAX_WAIT = timedelta(hours=1)


class _StillStopping(Exception):
    """The service refused the action because the job is still stopping; wait, then act again."""


class ModelArtsBaseOperator(BaseOperator):
    """Shared flow of the teardown operators (see the module docstring).

    :param modelarts_conn_id: Airflow connection of type ``modelarts``.
    :param region: Overrides the connection's region.
    :param project_id: Overrides the connection's project id.
    :param wait_for_completion: Wait until the job is stopped/gone (default) or return at once.
    :param deferrable: Wait in the triggerer instead of the worker (default from
        ``[operators] default_deferrable``).
    :param poll_interval: Seconds between status checks while waiting.
    :param max_wait: Longest wait (seconds or ``timedelta``); then the task fails.
    :param ignore_not_found: Treat a job that is already gone as success.
    :param max_poll_failures: Consecutive polls that may fail transiently before the task fails.
    """

    template_fields: Sequence[str] = ("modelarts_conn_id", "region", "project_id")
    operator_extra_links = (ModelArtsConsoleLink(),)
    ui_color = "#e6f1fb"

    job_family: ClassVar[JobFamily]
    action: ClassVar[str]
    goal: ClassVar[Goal]

    def __init__(
        self,
        *,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | timedelta = DEFAULT_POLL_INTERVAL,
        max_wait: float | timedelta = DEFAULT_MAX_WAIT,
        ignore_not_found: bool = True,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = seconds(poll_interval, "poll_interval")
        self.max_wait = seconds(max_wait, "max_wait")
        self.ignore_not_found = ignore_not_found
        self.max_poll_failures = poll_failures(max_poll_failures)

    # ---- what subclasses provide ---------------------------------------------------------------

    def target(self) -> JobRef:
        """The validated job (or version) this operator acts on."""
        raise NotImplementedError

    def act(self) -> Verdict | None:
        """Send the teardown request; a verdict if the goal needs no wait, else ``None``."""
        raise NotImplementedError

    # ---- shared flow ---------------------------------------------------------------------------

    @cached_property
    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    def describe(self) -> str:
        return self.target().describe()

    def observe(self) -> JobSnapshot | None:
        family, job, version = self.target()
        return self.hook.observe(family, job, version)

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
        """The wait for ``goal`` on this task's job, with its deadline ``max_wait`` from now."""
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
            deadline=time.time() + self.max_wait,
            max_poll_failures=self.max_poll_failures,
        )

    def wait(self, context: Any, goal: Goal, resume: str) -> Any:
        """Wait for ``goal`` on the worker, or deferred (see :func:`wait_for_job`)."""
        trigger = self.trigger(goal)
        return wait_for_job(self, trigger, resume=resume, context=context, deferrable=self.deferrable)

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


class _DeleteOperator(ModelArtsBaseOperator):
    action = "delete"
    goal = Goal.DELETED

    def delete(self) -> None:
        raise NotImplementedError

    def act(self) -> Verdict | None:
        try:
            self.delete()
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
        self.log.info("Deletion of %s requested", self.describe())
        return None


class _StopOperator(ModelArtsBaseOperator):
    """Stops a job; finished jobs are success (with their final status) unless ``fail_if_not_running``."""

    action = "stop"
    goal = Goal.STOPPED

    def __init__(self, *, fail_if_not_running: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_if_not_running = fail_if_not_running

    def stop(self) -> None:
        raise NotImplementedError

    def _settled(self, snapshot: JobSnapshot | None) -> Verdict | None:
        """A verdict if no stop request is needed (gone, finished, or already stopping)."""
        if snapshot is None:
            return self.absent()
        if snapshot.is_terminal:
            if self.fail_if_not_running:
                raise AirflowException(f"{self.describe()} is not running: it is {snapshot.status_name}")
            self.log.info("%s already finished: %s", self.describe(), snapshot.status_name)
            return Verdict(True, snapshot.status_name)
        if snapshot.category is Category.STOPPING:
            self.log.info("%s is already stopping (%s)", self.describe(), snapshot.status_name)
            return Verdict(False, snapshot.status_name)
        return None

    def act(self) -> Verdict | None:
        settled = self._settled(self.observe())
        if settled is not None:
            return settled if settled.done else None
        try:
            self.stop()
        except ModelArtsNotFoundError as exc:
            return self.confirmed_absent(exc)
        except ModelArtsApiError:
            # The job may have finished or started stopping between our check and the request.
            settled = self._settled(self.observe())
            if settled is None:
                raise
            return settled if settled.done else None
        self.log.info("Stop of %s requested", self.describe())
        return None


# ---- the id schemes: each owns its arguments, template fields, parse-time check and target ------


class _TrainingJobTarget(ModelArtsBaseOperator):
    """One v2 training job, named by ``training_job_id``."""

    template_fields: Sequence[str] = (*ModelArtsBaseOperator.template_fields, "training_job_id")
    job_family = JobFamily.TRAINING

    def __init__(self, *, training_job_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ids.check_literal_target(self.job_family, training_job_id, job_field="training_job_id")
        self.training_job_id = training_job_id

    def target(self) -> JobRef:
        return ids.job_target(self.job_family, self.training_job_id, job_field="training_job_id")


class _JobTarget(ModelArtsBaseOperator):
    """One job named by ``job_id`` in the subclass's ``job_family``."""

    template_fields: Sequence[str] = (*ModelArtsBaseOperator.template_fields, "job_id")

    def __init__(self, *, job_id: str | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ids.check_literal_target(self.job_family, job_id)
        self.job_id = job_id

    def target(self) -> JobRef:
        return ids.job_target(self.job_family, self.job_id)


class _VersionTarget(ModelArtsBaseOperator):
    """One version of a v1 training job, named by ``job_id`` and ``version_id``."""

    template_fields: Sequence[str] = (*ModelArtsBaseOperator.template_fields, "job_id", "version_id")
    job_family = JobFamily.TRAINING_V1

    def __init__(self, *, job_id: str | int, version_id: str | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ids.check_literal_target(self.job_family, job_id, version_id)
        self.job_id = job_id
        self.version_id = version_id

    def target(self) -> JobRef:
        return ids.job_target(self.job_family, self.job_id, self.version_id)

    def version_target(self) -> tuple[str, str]:
        _, job, version = self.target()
        return job, str(version)


# ---- the operators ----------------------------------------------------------------------------


class ModelArtsDeleteTrainingJobOperator(_TrainingJobTarget, _DeleteOperator):
    """Delete a v2 training job and wait until the service no longer knows it.

    :param training_job_id: The job's id (templated).
    """

    def delete(self) -> None:
        self.hook.delete_training_job(self.target()[1])


class ModelArtsTerminateTrainingJobOperator(_TrainingJobTarget, _StopOperator):
    """Terminate a creating, pending or running v2 training job and wait until it has stopped.

    :param training_job_id: The job's id (templated).
    :param fail_if_not_running: Fail instead of succeeding when the job already finished.
    """

    action = "terminate"

    def stop(self) -> None:
        self.hook.terminate_training_job(self.target()[1])


class ModelArtsDeleteTrainingJobV1Operator(_JobTarget, _DeleteOperator):
    """Delete a v1 training job with all its versions and wait until it is gone.

    :param job_id: The numeric job id (templated).
    """

    job_family = JobFamily.TRAINING_V1

    def delete(self) -> None:
        self.hook.delete_training_job_v1(self.target()[1])


class ModelArtsStopTrainingJobVersionOperator(_VersionTarget, _StopOperator):
    """Stop a running version of a v1 training job and wait until it is KILLED (or finished).

    :param job_id: The numeric job id (templated).
    :param version_id: The numeric version id (templated).
    :param fail_if_not_running: Fail instead of succeeding when the version already finished.
    """

    def stop(self) -> None:
        self.hook.stop_training_job_version(*self.version_target())


class ModelArtsDeleteTrainingJobVersionOperator(_VersionTarget, _DeleteOperator):
    """Delete one version of a v1 training job and wait until it is gone.

    :param job_id: The numeric job id (templated).
    :param version_id: The numeric version id (templated).
    """

    def delete(self) -> None:
        self.hook.delete_training_job_version(*self.version_target())


class ModelArtsDeleteVisualizationJobOperator(_JobTarget, _DeleteOperator):
    """Delete a v1 visualization job and wait until it is gone.

    The service refuses to delete a job that is still stopping (KILLING); the operator then waits
    for the stop to finish and deletes it again.

    :param job_id: The numeric job id (templated).
    """

    job_family = JobFamily.VISUALIZATION

    def delete(self) -> None:
        self.hook.delete_visualization_job(self.target()[1])


class ModelArtsStopVisualizationJobOperator(_JobTarget, _StopOperator):
    """Stop a running v1 visualization job and wait until it has stopped.

    :param job_id: The numeric job id (templated).
    :param fail_if_not_running: Fail instead of succeeding when the job already finished.
    """

    job_family = JobFamily.VISUALIZATION

    def stop(self) -> None:
        self.hook.stop_visualization_job(self.target()[1])


class RESDeleteJobOperator(_JobTarget, _DeleteOperator):
    """RES ``del-job``: delete a Recommender System job and the data it produced, then wait until
    the job detail answers "not found".

    :param job_id: RES job id, 1-20 letters, digits, ``-`` or ``_`` (templated).
    :param job_type: ``etl``, ``retrieval`` (``recall``), ``filter``, ``standard``, ... (templated).
    :param offline_platform: ``{"platform": "DLI", "platform_parameter": {"cluster_name": ...},
        "config_load_path": ...}``; required for etl, retrieval/recall, filter and standard jobs.
    """

    template_fields: Sequence[str] = (*_JobTarget.template_fields, "job_type", "offline_platform")
    template_fields_renderers: ClassVar[dict[str, str]] = {"offline_platform": "json"}
    job_family = JobFamily.RES

    def __init__(
        self, *, job_id: str, job_type: str, offline_platform: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(job_id=job_id, **kwargs)
        if not ids.is_template(job_type):
            res_job_type(job_type)
            if offline_platform is None or not any(ids.is_template(v) for v in _leaves(offline_platform)):
                res_offline_platform(job_type, offline_platform)
        self.job_type = job_type
        self.offline_platform = offline_platform

    def delete(self) -> None:
        message = self.hook.delete_res_job(self.target()[1], self.job_type, self.offline_platform)
        if message:
            self.log.info("RES answered: %s", message)


def _leaves(value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator  # noqa: E402

__all__ = [
    "ModelArtsCleanupJobsOperator",
    "ModelArtsDeleteTrainingJobOperator",
    "ModelArtsDeleteTrainingJobV1Operator",
    "ModelArtsDeleteTrainingJobVersionOperator",
    "ModelArtsDeleteVisualizationJobOperator",
    "ModelArtsStopTrainingJobVersionOperator",
    "ModelArtsStopVisualizationJobOperator",
    "ModelArtsTerminateTrainingJobOperator",
    "RESDeleteJobOperator",
]
