"""ModelArtsJobDeletedSensor and ModelArtsJobStoppedSensor in poke, reschedule and deferrable mode."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowSensorTimeout, AirflowSkipException

from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger
from tests.airflow_support import (
    FAST,
    Driven,
    drive,
    make_context,
    mutating_requests,
    requests,
    sync_dags_to_db,
)
from tests.operators.cases import BY_NAME, Target, emulator_status
from tests.operators.test_operator_edge_cases import fast_hook, start_stopping
from tests.triggers.test_triggers import mark_deleted

MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])


def sensor(cls: type, target: Target, **kwargs: Any) -> Any:
    kwargs.setdefault("poke_interval", FAST)
    kwargs.setdefault("timeout", 30)
    return cls(
        task_id="sense",
        job_family=target.family.value,
        job_id=target.job_id,
        version_id=target.version_id,
        **kwargs,
    )


@pytest.mark.parametrize(
    "name", ["delete_training", "delete_training_v1", "delete_visualization", "delete_res"]
)
@MODES
def test_deleted_sensor_waits_until_gone(name: str, emu: EmulatorServer, deferrable: bool) -> None:
    target = BY_NAME[name].seed(emu)
    mark_deleted(emu, target)
    driven = drive(sensor(ModelArtsJobDeletedSensor, target, deferrable=deferrable), make_context())
    assert emulator_status(emu, target) is None
    assert len(driven.deferrals) == int(deferrable)
    if deferrable:
        deferred = driven.deferrals[0]
        assert isinstance(deferred.trigger, ModelArtsJobTrigger)
        assert deferred.method_name == "execute_complete"
        assert timedelta(seconds=28) <= deferred.timeout <= timedelta(seconds=30)
        assert deferred.trigger.goal == "deleted" and deferred.trigger.poll_interval == FAST
        assert driven.events[0]["status"] == "success"
    assert mutating_requests(emu) == {}


@pytest.mark.parametrize("name", ["terminate_training", "stop_training_version", "stop_visualization"])
@MODES
def test_stopped_sensor_waits_until_stopped(name: str, emu: EmulatorServer, deferrable: bool) -> None:
    case = BY_NAME[name]
    target = case.seed(emu)
    start_stopping(emu, target)
    driven = drive(sensor(ModelArtsJobStoppedSensor, target, deferrable=deferrable), make_context())
    assert emulator_status(emu, target) == case.stopped
    assert len(driven.deferrals) == int(deferrable)
    if deferrable:
        assert driven.deferrals[0].trigger.version_id == target.version_id
        assert str(driven.events[0]["final_status"]).startswith(str(case.stopped))
    assert mutating_requests(emu) == {}


@MODES
def test_version_sensor_watches_only_its_version(emu: EmulatorServer, deferrable: bool) -> None:
    (job_id,) = emu.seed("training_v1", status="RUNNING", versions=2)
    older, newer = (str(v.id) for v in emu.store.v1[int(job_id)].versions)
    start_stopping(emu, Target(JobFamily.TRAINING_V1, job_id, older))
    drive(
        sensor(
            ModelArtsJobStoppedSensor, Target(JobFamily.TRAINING_V1, job_id, older), deferrable=deferrable
        ),
        make_context(),
    )
    assert emulator_status(emu, Target(JobFamily.TRAINING_V1, job_id, older)) == "KILLED"
    # The other version still runs, so the whole job is not stopped.
    watch_job = sensor(ModelArtsJobStoppedSensor, Target(JobFamily.TRAINING_V1, job_id), timeout=0.3)
    with pytest.raises(AirflowSensorTimeout):
        watch_job.execute(make_context())
    assert emulator_status(emu, Target(JobFamily.TRAINING_V1, job_id, newer)) == "RUNNING"


def test_version_id_only_for_training_v1() -> None:
    with pytest.raises(ValueError, match="version_id"):
        sensor(ModelArtsJobDeletedSensor, Target(JobFamily.VISUALIZATION, "1", "2"))


@MODES
def test_delete_failed_fails_the_sensor(emu: EmulatorServer, deferrable: bool) -> None:
    target = BY_NAME["delete_training_v1"].seed(emu, emulator={"delete_fails": True})
    mark_deleted(emu, target)
    with pytest.raises(AirflowException, match="DELETE_FAILED"):
        drive(sensor(ModelArtsJobDeletedSensor, target, deferrable=deferrable), make_context())


@MODES
def test_soft_fail_turns_delete_failed_into_a_skip(emu: EmulatorServer, deferrable: bool) -> None:
    target = BY_NAME["delete_training_v1"].seed(emu, emulator={"delete_fails": True})
    mark_deleted(emu, target)
    with pytest.raises(AirflowSkipException):
        drive(
            sensor(ModelArtsJobDeletedSensor, target, deferrable=deferrable, soft_fail=True), make_context()
        )
    assert emulator_status(emu, target) == "DELETE_FAILED"


@MODES
def test_soft_fail_turns_delete_failed_found_at_the_first_check_into_a_skip(
    emu: EmulatorServer, deferrable: bool
) -> None:
    target = BY_NAME["delete_training_v1"].seed(emu, emulator={"delete_fails": True})
    mark_deleted(emu, target)
    emu.advance(emu.config.delete_visible_seconds + 1)  # already DELETE_FAILED at the first check
    driven = Driven()
    with pytest.raises(AirflowSkipException):
        drive(
            sensor(ModelArtsJobDeletedSensor, target, deferrable=deferrable, soft_fail=True),
            make_context(),
            driven,
        )
    assert driven.deferrals == []


@MODES
def test_timeout_fails_or_skips_with_soft_fail(emu: EmulatorServer, deferrable: bool) -> None:
    target = BY_NAME["terminate_training"].seed(emu)
    with pytest.raises(
        AirflowSensorTimeout if not deferrable else AirflowException, match=r"deadline|timed out"
    ):
        drive(sensor(ModelArtsJobStoppedSensor, target, deferrable=deferrable, timeout=0.3), make_context())
    with pytest.raises(AirflowSkipException):
        drive(
            sensor(ModelArtsJobStoppedSensor, target, deferrable=deferrable, timeout=0.3, soft_fail=True),
            make_context(),
        )
    assert emulator_status(emu, target) == "Running"


def test_transient_poke_failures_are_retried(emu: EmulatorServer) -> None:
    target = BY_NAME["delete_res"].seed(emu)
    mark_deleted(emu, target)
    emu.faults.set("res.detail", {"next_count": 4, "next_status": 503})  # two pokes' retry budgets
    watch = sensor(ModelArtsJobDeletedSensor, target, max_poll_failures=3)
    watch.hook = fast_hook(attempts=2)
    watch.execute(make_context())
    assert emulator_status(emu, target) is None
    assert requests(emu, "res.detail") >= 5


@pytest.mark.parametrize("mode", ["poke", "reschedule"])
def test_lasting_poke_failures_fail_the_sensor_in_every_mode(emu: EmulatorServer, mode: str) -> None:
    """A failure streak never spans a reschedule (it is polled out within one poke), so
    ``max_poll_failures`` trips in reschedule mode too."""
    target = BY_NAME["delete_res"].seed(emu)
    emu.faults.set("res.detail", {"error_rate": 1.0})
    watch = sensor(ModelArtsJobDeletedSensor, target, max_poll_failures=3, mode=mode)
    watch.hook = fast_hook(attempts=2)
    with pytest.raises(AirflowException, match=r"HTTP 503 .*\(3 polls in a row failed\)"):
        watch.execute(make_context())
    assert requests(emu, "res.detail") == 3 * 2


# ---- reschedule mode, through dag.test() -----------------------------------------------------


@pytest.mark.dag
def test_reschedule_mode_in_a_dag_run(emu: EmulatorServer, airflow_db: Any) -> None:
    from airflow.sdk import DAG
    from airflow.utils.state import DagRunState, TaskInstanceState

    target = BY_NAME["delete_visualization"].seed(emu)
    emu.config.update({"delete_visible_seconds": 600})
    mark_deleted(emu, target)

    def finish_after_first_poke() -> None:
        for _ in range(1200):
            if emu.stats()["requests"].get("vis.detail", 0) >= 1:
                emu.advance(601)
                return
            time.sleep(0.05)

    helper = threading.Thread(target=finish_after_first_poke, daemon=True)
    helper.start()
    with DAG(
        dag_id="test_modelarts_reschedule_sensor", schedule=None, start_date=datetime(2026, 1, 1)
    ) as dag:
        ModelArtsJobDeletedSensor(
            task_id="wait_gone",
            job_family="visualization",
            job_id="{{ params.job }}",
            mode="reschedule",
            poke_interval=0.2,
            timeout=60,
            params={"job": target.job_id},
        )
    sync_dags_to_db(dag)
    run = dag.test()
    helper.join(5)
    assert run.state == DagRunState.SUCCESS
    (ti,) = run.get_task_instances()
    assert ti.state == TaskInstanceState.SUCCESS
    assert emulator_status(emu, target) is None
    # Poked, rescheduled, poked again.
    assert emu.stats()["requests"]["vis.detail"] >= 2
