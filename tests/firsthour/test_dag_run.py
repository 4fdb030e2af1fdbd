"""In a real task run (``dag.test()``): the saved state and empty links are not left in XCom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.cleanup import STATE_KEY, ModelArtsCleanupJobsOperator
from tests.airflow_support import sync_dags_to_db
from tests.verdicts.emulated import listed

pytestmark = pytest.mark.dag


def test_a_deferred_cleanup_leaves_no_working_state_and_no_empty_link(
    emu: EmulatorServer, airflow_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models.xcom import XComModel
    from airflow.sdk import DAG
    from airflow.utils.session import create_session

    monkeypatch.setenv("AIRFLOW__MODELARTS__DEFERRAL_GRACE_SECONDS", "0")  # defer at the first wait
    old = emu.seed("training", 3, status="Completed", age_seconds=40 * 86_400)
    with DAG("first_hour_cleanup", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        ModelArtsCleanupJobsOperator(task_id="cleanup", deferrable=True, poll_interval=0.1, timeout=60)
    sync_dags_to_db(dag)

    run = dag.test()

    assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.get_task_instances()
    assert not set(old) & listed(emu, "training")
    with create_session() as session:
        keys = {
            row.key
            for row in session.query(XComModel).filter(
                XComModel.dag_id == "first_hour_cleanup", XComModel.run_id == run.run_id
            )
        }
    assert "return_value" in keys  # the report
    assert STATE_KEY not in keys
    assert not {key for key in keys if "link" in key.lower() or key == "modelarts_console_url"}


def test_a_task_that_fails_its_id_check_stores_and_looks_up_no_link(
    emu: EmulatorServer, airflow_db: Any
) -> None:
    from airflow.models.xcom import XComModel
    from airflow.sdk import DAG
    from airflow.utils.session import create_session

    from airflow_provider_modelarts.operators.modelarts import ModelArtsDeleteTrainingJobOperator

    with DAG("first_hour_bad_id", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
        ModelArtsDeleteTrainingJobOperator(task_id="delete", job_id="{{ dag_run.conf['job_id'] }}")
    sync_dags_to_db(dag)

    run = dag.test(run_conf={"job_id": "not a job id"})

    [ti] = run.get_task_instances()
    assert "failed" in str(ti.state)
    with create_session() as session:
        keys = {
            row.key
            for row in session.query(XComModel).filter(
                XComModel.dag_id == "first_hour_bad_id", XComModel.run_id == run.run_id
            )
        }
    assert keys == set()  # no empty link stored: Airflow did not ask the link at the task's end
