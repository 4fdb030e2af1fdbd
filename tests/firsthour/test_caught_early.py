"""Mistakes caught when the DAG is parsed, and a task without a console link stores none."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.links.modelarts import XCOM_KEY, ModelArtsConsoleLink
from airflow_provider_modelarts.operators.modelarts import (
    ModelArtsCleanupJobsOperator,
    ModelArtsDeleteResJobOperator,
    ModelArtsDeleteTrainingJobOperator,
    ModelArtsTeardownJobOperator,
)
from tests.airflow_support import make_context

BUILDERS = {
    "delete": lambda: ModelArtsDeleteResJobOperator(task_id="t", job_id="res-job-1"),
    "teardown": lambda: ModelArtsTeardownJobOperator(task_id="t", job_family="res", job_id="res-job-1"),
    "cleanup": lambda: ModelArtsCleanupJobsOperator(task_id="t", job_family="res"),
}


@pytest.mark.parametrize("which", sorted(BUILDERS))
def test_every_res_operator_refuses_a_missing_job_type_when_built(which: str) -> None:
    with pytest.raises(ValueError, match="job_type: required for RES jobs, one of etl"):
        BUILDERS[which]()


def test_a_templated_res_job_type_waits_for_rendering() -> None:
    ModelArtsCleanupJobsOperator(task_id="t", job_family="res", job_type="{{ params.job_type }}")
    with pytest.raises(ValueError, match="offline_platform: required when job_type is 'etl'"):
        ModelArtsCleanupJobsOperator(task_id="t", job_family="res", job_type="etl")


def test_a_task_that_fails_its_id_check_asks_for_no_link_at_its_end(emu: EmulatorServer) -> None:
    """Airflow asks each of a task's links for its URL when the task ends; a link read before it
    was stored logs an unrelated "XCom not found" error."""
    op = ModelArtsDeleteTrainingJobOperator(task_id="t", job_id="{{ params.job_id }}")
    op.job_id = "not a job id"  # as rendered
    context = make_context()
    with pytest.raises(ValueError, match="job_id"):
        op.execute(context)
    assert op.operator_extra_links == ()
    assert context["ti"].pushed == {}


def test_a_task_without_a_console_link_stores_none(emu: EmulatorServer) -> None:
    [job] = emu.seed("training", status="Completed")
    op = ModelArtsDeleteTrainingJobOperator(task_id="t", job_id=job, poll_interval=0.1)
    context = make_context()
    op.execute(context)
    assert XCOM_KEY not in context["ti"].pushed
    assert op.operator_extra_links == ()


def test_a_task_with_a_console_link_stores_it_and_shows_it() -> None:
    op = ModelArtsDeleteTrainingJobOperator(task_id="t", job_id="3faf5c03-aaa1-4cbe-879d-24b05d997347")
    context: dict[str, Any] = make_context()
    ModelArtsConsoleLink.hide(op)
    ModelArtsConsoleLink.persist(context, lambda: "https://console.example/jobs", op)
    assert context["ti"].pushed == {XCOM_KEY: "https://console.example/jobs"}
    assert [link.name for link in op.operator_extra_links] == ["ModelArts Console"]
