"""Sensors that wait until a job of any family is gone, or has stopped.

They work in ``poke``, ``reschedule`` and deferrable mode. A deletion the service reports as
failed (v1 ``DELETE_FAILED``) fails the sensor at once (skipped with ``soft_fail``); transient
errors never count as "gone".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import (
    AirflowFailException,
    AirflowSkipException,
    BaseSensorOperator,
    conf,
)

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsError, is_transient
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Goal, judge
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.modelarts import validate_event
from airflow_provider_modelarts.triggers.modelarts import DEFAULT_MAX_POLL_FAILURES, ModelArtsJobTrigger


class ModelArtsJobSensorBase(BaseSensorOperator):
    """Waits for ``goal`` on one job.

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res`` (templated).
    :param job_id: The job's id (templated).
    :param version_id: For ``training_v1``: a version id to watch instead of the whole job.
    :param modelarts_conn_id: Airflow connection of type ``modelarts``.
    :param region: Overrides the connection's region.
    :param project_id: Overrides the connection's project id.
    :param deferrable: Wait in the triggerer (default from ``[operators] default_deferrable``).
    """

    template_fields: Sequence[str] = (
        "job_family",
        "job_id",
        "version_id",
        "modelarts_conn_id",
        "region",
        "project_id",
    )
    ui_color = "#e6f1fb"
    operator_extra_links = (ModelArtsConsoleLink(),)
    goal: ClassVar[Goal]

    def __init__(
        self,
        *,
        job_family: str,
        job_id: str | int,
        version_id: str | int | None = None,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        ids.check_literal_target(job_family, job_id, version_id)
        self.job_family = job_family
        self.job_id = job_id
        self.version_id = version_id
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.deferrable = deferrable
        self.max_poll_failures = max_poll_failures
        self._failures = 0

    @cached_property
    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    def target(self) -> tuple[JobFamily, str, str | None]:
        return ids.job_target(self.job_family, self.job_id, self.version_id)

    def describe(self) -> str:
        family, job, version = self.target()
        return f"{family.value} job {job}" + (f" version {version}" if version else "")

    def poke(self, context: Any) -> bool:
        family, job, version = self.target()
        try:
            verdict = judge(self.goal, self.hook.observe(family, job, version))
        except ModelArtsError as exc:
            self._failures += 1
            if is_transient(exc) and self._failures < self.max_poll_failures:
                self.log.warning("Checking %s failed, will try again: %s", self.describe(), exc)
                return False
            raise
        self._failures = 0
        if verdict.error:
            raise AirflowFailException(f"{self.describe()}: {verdict.error}")
        self.log.info("%s: %s", self.describe(), "reached" if verdict.done else verdict.final_status)
        return verdict.done

    def execute(self, context: Any) -> Any:
        self.target()
        ModelArtsConsoleLink.persist(context, self.hook.console_url)
        if not self.deferrable:
            return super().execute(context)
        try:
            reached = self.poke(context)
        except AirflowFailException as exc:
            # What BaseSensorOperator.execute does for the pokes of the other modes.
            if self.soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from exc
            raise
        if reached:
            return None
        family, job, version = self.target()
        self.defer(
            trigger=ModelArtsJobTrigger(
                job_family=family.value,
                job_id=job,
                version_id=version,
                goal=self.goal.value,
                modelarts_conn_id=self.modelarts_conn_id,
                region=self.region,
                project_id=self.project_id,
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                max_poll_failures=self.max_poll_failures,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Any, event: Any = None) -> None:
        checked = validate_event(event, self.describe())
        self.log.info("%s", checked.get("message"))


class ModelArtsJobDeletedSensor(ModelArtsJobSensorBase):
    """Succeeds once the service answers "not found" for the job, in one of its documented forms."""

    goal = Goal.DELETED


class ModelArtsJobStoppedSensor(ModelArtsJobSensorBase):
    """Succeeds once the job is no longer running: stopped, completed, failed, or gone."""

    goal = Goal.STOPPED
