"""A delete the service refuses, in a many-job delete that does not check before deleting (a plain
delete operator with ``job_ids``), against the emulator.

The refusal is not the verdict: the job's detail is. A job that is still stopping (a visualization
job in KILLING, whose delete the service refuses with ``ModelArts.0105``) is waited for and deleted
once it has stopped; a job whose detail says it no longer exists is already gone, not a failure; a
job that exists and is not stopping is a failure that names the refusal.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.modelarts import ModelArtsDeleteVisualizationJobOperator
from tests.airflow_support import drive, make_context, requests
from tests.verdicts.emulated import after_answers, session_of


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer, use_connection: Any) -> EmulatorServer:
    use_connection(modelarts_emulator.airflow_connection())
    return modelarts_emulator


def delete(
    job_ids: list[str], deferrable: bool = False, **kwargs: Any
) -> ModelArtsDeleteVisualizationJobOperator:
    return ModelArtsDeleteVisualizationJobOperator(
        task_id="delete",
        job_ids=job_ids,
        poll_interval=0.1,
        timeout=20,
        deferrable=deferrable,
        fail_on_errors=False,
        **kwargs,
    )


@pytest.mark.parametrize("deferrable", [False, True])
def test_a_job_still_stopping_is_deleted_once_it_has_stopped(emu, deferrable) -> None:
    emu.config.update({"stop_seconds": 1.5})
    [stopping] = emu.seed("visualization", 1, status="RUNNING")
    [finished] = emu.seed("visualization", 1, status="KILLED")
    with closing(session_of(emu)) as session:
        session.run(ops.stop_visualization_job(emu.credentials.project_id, stopping))  # KILLING now
    result = drive(delete([stopping, finished], deferrable), make_context()).result
    assert sorted(result["deleted"]) == sorted([stopping, finished])
    assert result["failed"] == [] and result["already_absent"] == []
    assert requests(emu, "vis.delete") == 3  # the refused delete, then one per job


def test_a_refused_delete_of_a_job_gone_meanwhile_is_already_absent(emu) -> None:
    gone, kept = emu.seed("visualization", 2, status="KILLED")
    emu.faults.set("vis.delete", {"next_count": 1, "next_status": 409})
    emu.faults.set("vis.detail", {"latency_ms": 300})  # the check after the refusal comes later

    def forget() -> None:
        with emu.store.locked():
            del emu.store.vis[int(gone)]

    helper = after_answers(emu, "vis.delete", 1, forget)
    result = delete([gone, kept], max_concurrency=1).execute(make_context())
    helper.join(10)
    assert result["already_absent"] == [gone]
    assert result["deleted"] == [kept] and result["failed"] == []


def test_a_refused_delete_of_a_job_that_is_not_stopping_fails_for_that_job(emu) -> None:
    refused, kept = emu.seed("visualization", 2, status="KILLED")
    emu.faults.set("vis.delete", {"next_count": 1, "next_status": 409})
    result = delete([refused, kept], max_concurrency=1).execute(make_context())
    [failure] = result["failed"]
    assert failure["job_id"] == refused and "409" in failure["reason"]
    assert result["deleted"] == [kept] and result["already_absent"] == []
    assert int(refused) in emu.store.vis
