"""The example DAGs end to end with dag.test() against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.emulator import EmulatorServer
from tests.airflow_support import DagBag, sync_dags_to_db
from tests.operators.cases import Target, emulator_status

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
DAY = 24 * 3600.0

pytestmark = pytest.mark.dag


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELARTS_EXAMPLE_POLL_INTERVAL", "0.1")
    monkeypatch.setenv("MODELARTS_EXAMPLE_TRAINING_TIMEOUT", "60")


def load_dag(dag_id: str) -> Any:

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    dag = bag.get_dag(dag_id)
    assert dag is not None
    sync_dags_to_db(dag)
    return dag


def states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_example_dags_import_without_errors(example_env: None) -> None:

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert {"example_modelarts_teardown", "example_modelarts_housekeeping"} <= set(bag.dag_ids)


def test_teardown_dag_tears_down_all_four_families(
    emu: EmulatorServer, airflow_db: Any, example_env: None
) -> None:
    from airflow.utils.state import DagRunState

    (training,) = emu.seed("training", name="train-me")  # finishes after about a second
    (v1_job,) = emu.seed("training_v1", status="RUNNING")
    v1_version = str(emu.store.v1[int(v1_job)].versions[0].id)
    (visualization,) = emu.seed("visualization", status="RUNNING")
    (res,) = emu.seed("res", type="etl")
    pipeline = emu.seed("training", 2, status="Running") + emu.seed("training", status="Completed")
    dag = load_dag("example_modelarts_teardown")

    run = dag.test(
        run_conf={
            "job_ids": pipeline,
            "training_job_id": training,
            "v1_job_id": int(v1_job),
            "v1_version_id": int(v1_version),
            "visualization_job_id": int(visualization),
            "res_job_id": res,
        }
    )

    task_states = states(run)
    assert set(task_states) == {task.task_id for task in dag.tasks}
    assert all(state == "success" for state in task_states.values()), task_states
    assert run.state == DagRunState.SUCCESS
    assert emulator_status(emu, Target(JobFamily.TRAINING, training)) is None
    assert emulator_status(emu, Target(JobFamily.TRAINING_V1, v1_job)) is None
    assert emulator_status(emu, Target(JobFamily.VISUALIZATION, visualization)) is None
    assert emulator_status(emu, Target(JobFamily.RES, res)) is None
    assert all(emulator_status(emu, Target(JobFamily.TRAINING, job)) is None for job in pipeline)
    requests = emu.stats()["requests"]
    assert requests["v1.version_stop"] == 1 and requests["vis.stop"] == 1
    # The one-task teardown terminated the two running pipeline jobs; the step-by-step training
    # job had finished by itself. The three went in one batch delete.
    assert requests["v2.terminate"] == 2 and requests["v2.batch_delete"] == 1


def test_housekeeping_dag_deletes_only_old_finished_unprotected_jobs(
    emu: EmulatorServer, airflow_db: Any, example_env: None
) -> None:
    from airflow.utils.state import DagRunState

    old = 31 * DAY
    doomed_v2 = emu.seed("training", 3, name="old-run", status="Completed", age_seconds=old)
    doomed_v2 += emu.seed("training", name="old-failed", status="Failed", age_seconds=old)
    kept_v2 = emu.seed("training", name="recent", status="Completed", age_seconds=DAY)
    kept_v2 += emu.seed("training", name="baseline-resnet", status="Completed", age_seconds=old)
    kept_v2 += emu.seed("training", name="prod-ranker", status="Completed", age_seconds=old)
    kept_v2 += emu.seed("training", name="old-but-running", status="Running", age_seconds=old)
    doomed_v1 = emu.seed("training_v1", 2, name="old-v1", status="COMPLETED", age_seconds=old)
    kept_v1 = emu.seed("training_v1", name="recent-v1", status="COMPLETED", age_seconds=DAY)
    kept_v1 += emu.seed("training_v1", name="running-v1", status="RUNNING", age_seconds=old)
    dag = load_dag("example_modelarts_housekeeping")

    run = dag.test()

    task_states = states(run)
    assert task_states and all(state == "success" for state in task_states.values()), task_states
    assert run.state == DagRunState.SUCCESS
    for job in doomed_v2:
        assert emulator_status(emu, Target(JobFamily.TRAINING, job)) is None
    for job in kept_v2:
        assert emulator_status(emu, Target(JobFamily.TRAINING, job)) is not None
    for job in doomed_v1:
        assert emulator_status(emu, Target(JobFamily.TRAINING_V1, job)) is None
    for job in kept_v1:
        assert emulator_status(emu, Target(JobFamily.TRAINING_V1, job)) is not None
    (one_task,) = [ti for ti in run.get_task_instances() if ti.task_id == "delete_old_v1_jobs"]
    assert one_task.map_index == -1  # one task for the whole list, not one per job
