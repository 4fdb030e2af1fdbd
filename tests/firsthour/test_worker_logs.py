"""A wait on the worker logs under the task's logger: nothing under a trigger's when no trigger ran."""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.modelarts import ModelArtsTeardownJobOperator
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobStoppedSensor
from tests.airflow_support import make_context
from tests.firsthour.test_cleanup_promises import task_log

TASK_LOGGER = "airflow.task.operators.airflow_provider_modelarts."


@pytest.mark.parametrize("deferrable", [False, True])
def test_worker_waits_log_under_the_tasks_logger(
    emu: EmulatorServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, deferrable: bool
) -> None:
    monkeypatch.setenv("AIRFLOW__MODELARTS__DEFERRAL_GRACE_SECONDS", "15")  # settled within the grace
    [job] = emu.seed("training", 1, status="Running")
    op = ModelArtsTeardownJobOperator(
        task_id="t", job_family="training", job_id=job, poll_interval=0.1, timeout=20, deferrable=deferrable
    )
    op.execute(make_context())
    [job] = emu.seed("training", 1, status="Completed")
    ModelArtsJobStoppedSensor(task_id="s", job_family="training", job_id=job, poke_interval=0.1).execute(
        make_context()
    )
    lines = task_log(capsys)
    waits = [line for line in lines if "waiting for it to be" in line[1]]
    assert waits, lines  # the wait loop did log
    assert not [line for line in lines if "trigger" in line[2].lower()]
    assert all(logger.startswith(TASK_LOGGER) for _, _, logger in waits)
