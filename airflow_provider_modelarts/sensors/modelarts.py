"""Sensors that wait until a job of any family is gone, or has stopped.

They work in ``poke``, ``reschedule`` and deferrable mode, all through the provider's one wait
loop (:func:`..teardown.waiter.wait`). A poke that fails transiently is
retried within the same poke, up to ``max_poll_failures`` polls in a row, so a failure streak never
spans a reschedule and the limit holds in every mode. A deletion the service reports as failed (v1
``DELETE_FAILED``) fails the sensor at once (skipped with ``soft_fail``); transient errors never count
as "gone".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    conf,
)

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.waiting import (
    DEFAULT_MAX_POLL_FAILURES,
    UnexpectedEvent,
    WaitTimedOut,
    check_job_event,
    poll_failures,
    seconds,
)
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.hooks import DEFAULT_CONN_ID
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.waiting import run_here, wait_then_resume

if TYPE_CHECKING:
    from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
    from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger

STREAK_PAUSE_MAX = 30.0  # seconds between the polls of a failure streak within one poke


class ModelArtsJobSensorBase(BaseSensorOperator):
    """Waits for ``goal`` on one job.

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res`` (templated).
    :param job_id: The job's id (templated).
    :param version_id: For ``training_v1``: a version id to watch instead of the whole job.
    :param modelarts_conn_id: Airflow connection of type ``modelarts``.
    :param region: Overrides the connection's region.
    :param project_id: Overrides the connection's project id.
    :param deferrable: Wait in the triggerer (default from ``[operators] default_deferrable``).
    :param max_poll_failures: Consecutive polls that may fail transiently (after the client's own
        retries) before the sensor fails.
    """

    template_fields: Sequence[str] = (
        "job_family",
        "job_id",
        "version_id",
        "modelarts_conn_id",
        "region",
        "project_id",
    )
    operator_extra_links = (ModelArtsConsoleLink(),)
    ui_color = "#e6f1fb"
    goal: ClassVar[Goal]

    def __init__(
        self,
        *,
        job_family: str,
        job_id: str | int,
        version_id: str | int | None = None,
        modelarts_conn_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        project_id: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        ids.check_literal_target(job_family, job_id, version_id)
        seconds(self.poke_interval, "poke_interval")
        seconds(self.timeout, "timeout")
        self.job_family = job_family
        self.job_id = job_id
        self.version_id = version_id
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.deferrable = deferrable
        self.max_poll_failures = poll_failures(max_poll_failures)

    @cached_property
    def hook(self) -> ModelArtsHook:
        from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook  # not at DAG parse

        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    def target(self) -> JobRef:
        return ids.job_target(self.job_family, self.job_id, self.version_id)

    def describe(self) -> str:
        return self.target().describe()

    def trigger(self, deadline: float | None, poll_interval: float | None = None) -> ModelArtsJobTrigger:
        from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger  # not at DAG parse

        family, job, version = self.target()
        return ModelArtsJobTrigger(
            job_family=family.value,
            job_id=job,
            version_id=version,
            goal=self.goal.value,
            modelarts_conn_id=self.modelarts_conn_id,
            region=self.region,
            project_id=self.project_id,
            poll_interval=poll_interval or float(self.poke_interval),
            deadline=deadline,
            max_poll_failures=self.max_poll_failures,
        )

    def poke(self, context: Any) -> bool:
        """One answer about the job; a transient failure is polled again here, up to
        ``max_poll_failures`` polls in a row (at most ``STREAK_PAUSE_MAX`` seconds apart)."""
        trigger = self.trigger(None, min(float(self.poke_interval), STREAK_PAUSE_MAX))
        from airflow_provider_modelarts.teardown.waiter import wait

        outcome = run_here(wait(self.hook, trigger.spec(), log=self.log, until_answer=True), self.hook)
        job = trigger.job_id
        if job in outcome.errors:
            failure = AirflowFailException if job in outcome.refused else AirflowException
            raise failure(outcome.errors[job])
        if job not in outcome.reached:
            return False
        self.log.info("%s is %s (%s)", self.describe(), self.goal.value, outcome.reached[job].final_status)
        return True

    def execute(self, context: Any) -> Any:
        ModelArtsConsoleLink.hide(self)
        self.target()
        ModelArtsConsoleLink.persist(context, self.hook.console_url, self)
        if not self.deferrable:
            return super().execute(context)
        trigger = self.trigger(time.time() + float(self.timeout))
        try:
            return wait_then_resume(
                self,
                trigger,
                resume="execute_complete",
                context=context,
                deferrable=True,
                backstop=timedelta(0),  # the sensor's own timeout: AirflowSensorTimeout, as usual
            )
        except AirflowException as exc:
            # What BaseSensorOperator does when a poke fails or a resumed wait ends in error.
            if self.soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from exc
            raise

    def execute_complete(self, context: Any, event: Any = None) -> None:
        ModelArtsConsoleLink.resumed(self, self.hook.console_url)
        try:
            checked = check_job_event(event, self.target(), self.goal)
        except WaitTimedOut as exc:
            raise AirflowSensorTimeout(str(exc)) from None
        except UnexpectedEvent as exc:
            raise AirflowException(str(exc)) from None
        self.log.info("%s", checked.get("message"))


class ModelArtsJobDeletedSensor(ModelArtsJobSensorBase):
    """Succeeds once the service answers "not found" for the job, in one of its documented forms."""

    goal = Goal.DELETED


class ModelArtsJobStoppedSensor(ModelArtsJobSensorBase):
    """Succeeds once the job is no longer running: stopped, completed, failed, or gone."""

    goal = Goal.STOPPED
