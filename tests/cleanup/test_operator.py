"""``ModelArtsCleanupJobsOperator`` end to end against the emulator (deletes stay visible 0.3 s)."""

from __future__ import annotations

import asyncio
import math
from contextlib import closing
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator
from airflow_provider_modelarts.operators.modelarts import (
    ModelArtsCleanupJobsOperator as ExportedCleanupOperator,
)
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger

OLD = 40 * 86_400  # seconds: older than the default 30 days


class RecordingTI:
    def __init__(self) -> None:
        self.pushed: list[tuple[str, Any]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed.append((key, value))


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer, use_connection) -> EmulatorServer:
    use_connection(modelarts_emulator.airflow_connection())
    return modelarts_emulator


@pytest.fixture
def context() -> dict[str, Any]:
    return {"ti": RecordingTI()}


def cleanup(**kwargs: Any) -> ModelArtsCleanupJobsOperator:
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("max_wait", 20)
    return ModelArtsCleanupJobsOperator(task_id="cleanup", **kwargs)


class Requests:
    def __init__(self, emu: EmulatorServer) -> None:
        self.emu = emu
        self.start = dict(emu.stats()["requests"])

    def made(self, route: str) -> int:
        return self.emu.stats()["requests"].get(route, 0) - self.start.get(route, 0)


def listed(emu: EmulatorServer, family: str) -> set[str]:
    """The ids the service lists now (a fresh session, outside the operator)."""
    conn = emu.airflow_connection()
    config = ConnectionConfig.from_connection_fields(
        login=conn["login"], password=conn["password"], host=conn["host"], extra=conn["extra"], environ={}
    )
    project = emu.credentials.project_id
    plan = {
        "training": ops.list_training_jobs(project),
        "training_v1": ops.list_training_jobs_v1(project),
        "visualization": ops.list_visualization_jobs(project),
    }[family]
    with closing(ModelArtsSession(config)) as session:
        return {job.snapshot().job_id for job in session.run(plan)}


def test_the_operator_is_exported_from_the_operators_module() -> None:
    assert ExportedCleanupOperator is ModelArtsCleanupJobsOperator


def test_dry_run_deletes_nothing(emu: EmulatorServer, context: dict[str, Any]) -> None:
    old = emu.seed("training", 5, status="Completed", age_seconds=OLD)
    recent = emu.seed("training", 2, status="Completed")
    requests = Requests(emu)
    report = cleanup(dry_run=True).execute(context)
    assert report["dry_run"] is True
    assert sorted(report["selected"]) == sorted(old)
    assert report["deleted"] == [] and report["confirmed_gone"] == 0
    assert requests.made("v2.batch_delete") == requests.made("v2.delete") == 0
    assert listed(emu, "training") == set(old) | set(recent)
    assert context["ti"].pushed == [("modelarts_console_url", "")]  # no public console for the emulator


def test_v2_batch_deletes_and_confirms_every_job_gone(emu: EmulatorServer, context: dict[str, Any]) -> None:
    old = emu.seed("training", 150, status="Completed", age_seconds=OLD)
    recent = emu.seed("training", 3, status="Failed")
    protected = emu.seed("training", 2, name="keep", status="Completed", age_seconds=OLD)
    running = emu.seed("training", 2, status="Running", age_seconds=OLD)
    requests = Requests(emu)

    report = cleanup(protected_names=["keep-*"]).execute(context)

    assert sorted(report["deleted"]) == sorted(old)
    assert report["confirmed_gone"] == 150 and report["failed"] == []
    assert requests.made("v2.batch_delete") == math.ceil(150 / 100) == report["delete_calls"]
    assert requests.made("v2.delete") == 0
    assert sorted(s["job_id"] for s in report["skipped"]) == sorted(protected + running)
    assert listed(emu, "training") == set(recent + protected + running)


def test_a_failed_batch_falls_back_to_single_deletes(emu: EmulatorServer, context: dict[str, Any]) -> None:
    old = emu.seed("training", 120, status="Completed", age_seconds=OLD)
    emu.faults.set("v2.batch_delete", {"next_count": 1, "next_status": 400})
    requests = Requests(emu)

    report = cleanup(max_concurrency=1).execute(context)  # one call at a time: the first batch fails

    assert requests.made("v2.batch_delete") == 2
    assert requests.made("v2.delete") == 100
    assert report["delete_calls"] == 102
    assert sorted(report["deleted"]) == sorted(old) and report["confirmed_gone"] == 120
    assert listed(emu, "training") == set()


@pytest.mark.parametrize(("family", "route"), [("training_v1", "v1.delete"), ("visualization", "vis.delete")])
def test_v1_and_visualization_cleanup_deletes_one_by_one(
    emu: EmulatorServer, context: dict[str, Any], family: str, route: str
) -> None:
    old = emu.seed(family, 4, status="COMPLETED", age_seconds=OLD)
    running = emu.seed(family, 1, status="RUNNING", age_seconds=OLD)
    recent = emu.seed(family, 1, status="KILLED")
    requests = Requests(emu)

    report = cleanup(job_family=family).execute(context)

    assert sorted(report["deleted"]) == sorted(old) and report["confirmed_gone"] == 4
    assert requests.made(route) == report["delete_calls"] == 4
    assert [s["job_id"] for s in report["skipped"]] == running
    assert listed(emu, family) == set(running + recent)


def test_stop_running_stops_then_deletes(emu: EmulatorServer, context: dict[str, Any]) -> None:
    running = emu.seed("training", 3, status="Running", age_seconds=OLD)
    done = emu.seed("training", 2, status="Completed", age_seconds=OLD)
    requests = Requests(emu)

    report = cleanup(stop_running=True).execute(context)

    assert requests.made("v2.terminate") == 3
    assert requests.made("v2.batch_delete") == 1
    assert sorted(report["deleted"]) == sorted(running + done) and report["confirmed_gone"] == 5
    assert report["skipped"] == [] and report["failed"] == []
    assert listed(emu, "training") == set()


def test_deferrable_cleanup_hands_the_report_to_execute_complete(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    """The report rides in the trigger (its ``echo``) and comes back in the event: ``dag.test()``
    replaces resume kwargs with the event alone, so nothing may depend on them."""
    old = emu.seed("training", 5, status="Completed", age_seconds=OLD)
    operator = cleanup(deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, ModelArtsJobsTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert not deferred.value.kwargs
    assert trigger.echo is not None
    assert sorted(trigger.job_ids) == sorted(old) and sorted(trigger.echo["deleted"]) == sorted(old)

    classpath, trigger_kwargs = trigger.serialize()
    assert classpath.endswith("ModelArtsJobsTrigger")
    rebuilt = ModelArtsJobsTrigger(**trigger_kwargs)

    async def run() -> list[dict[str, Any]]:
        return [event.payload async for event in rebuilt.run()]

    (event,) = asyncio.run(asyncio.wait_for(run(), 20))
    assert (event["status"], event["total"], event["remaining"], event["errors"]) == ("success", 5, [], [])
    report = operator.execute_complete(context, event)
    assert report["confirmed_gone"] == 5 and report["failed"] == []
    assert listed(emu, "training") == set()


def test_deletion_failures_are_reported_with_reasons(emu: EmulatorServer, context: dict[str, Any]) -> None:
    """Visualization jobs whose deletion the service reports failed (status DELETE_FAILED)."""
    failing = emu.seed("visualization", 2, status="KILLED", age_seconds=OLD, emulator={"delete_fails": True})
    fine = emu.seed("visualization", 2, status="KILLED", age_seconds=OLD)

    report = cleanup(job_family="visualization", fail_on_errors=False).execute(context)
    assert report["confirmed_gone"] == 2
    assert sorted(f["job_id"] for f in report["failed"]) == sorted(failing)
    assert all("deletion failed" in f["reason"] for f in report["failed"])
    assert listed(emu, "visualization") == set(failing)  # the two others are gone
    assert not set(fine) & set(f["job_id"] for f in report["failed"])


def test_fail_on_errors_fails_the_task_after_trying_every_job(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    jobs = emu.seed("training_v1", 3, status="COMPLETED", age_seconds=OLD)
    emu.faults.set("v1.delete", {"next_count": 1, "next_status": 400})
    requests = Requests(emu)
    with pytest.raises(AirflowException, match="1 training_v1 job"):
        cleanup(job_family="training_v1", max_concurrency=1).execute(context)
    assert requests.made("v1.delete") == 3
    assert len(listed(emu, "training_v1") & set(jobs)) == 1  # the two others were deleted


def test_unconfirmed_deletes_fail_after_max_wait(emu: EmulatorServer, context: dict[str, Any]) -> None:
    """v2 jobs whose deletion never takes effect stay listed: not confirmed before max_wait."""
    stuck = emu.seed("training", 2, status="Completed", age_seconds=OLD, emulator={"delete_fails": True})
    report = cleanup(max_wait=0.6, fail_on_errors=False).execute(context)
    assert sorted(report["deleted"]) == sorted(stuck) and report["confirmed_gone"] == 0
    assert [(f["job_id"], f["reason"]) for f in report["failed"]] == [
        (job, "not confirmed gone before max_wait") for job in sorted(stuck)
    ]


def test_max_deletes_cap_deletes_the_oldest(emu: EmulatorServer, context: dict[str, Any]) -> None:
    by_age = {
        days: emu.seed("training", 1, status="Completed", age_seconds=days * 86_400)[0]
        for days in (40, 50, 60, 70, 80)
    }
    requests = Requests(emu)
    report = cleanup(max_deletes=2).execute(context)
    assert sorted(report["deleted"]) == sorted([by_age[80], by_age[70]])
    assert [s["job_id"] for s in report["skipped"]] == [by_age[60], by_age[50], by_age[40]]
    assert all("max_deletes" in s["reason"] for s in report["skipped"])
    assert requests.made("v2.batch_delete") == 1
    assert listed(emu, "training") == {by_age[60], by_age[50], by_age[40]}
