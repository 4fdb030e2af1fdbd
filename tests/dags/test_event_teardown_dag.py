"""The event-driven teardown example: its asset watcher, its reading of asset events, its dry run
and its teardown of the reported jobs against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.modelarts import ModelArtsTeardownJobOperator
from airflow_provider_modelarts.triggers.events import ModelArtsJobEventTrigger
from tests.airflow_support import DagBag, drive, make_context, sync_dags_to_db
from tests.operators.cases import Target, emulator_status

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
DAG_ID = "example_modelarts_event_teardown"

pytestmark = pytest.mark.dag


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELARTS_EXAMPLE_POLL_INTERVAL", "0.1")
    monkeypatch.setenv("MODELARTS_EXAMPLE_RETENTION_MINUTES", "0")


def load() -> Any:
    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    dag = bag.dags.get(DAG_ID)
    assert dag is not None
    return dag


def watcher_trigger(dag: Any) -> tuple[Any, ModelArtsJobEventTrigger]:
    (asset,) = dag.timetable.asset_condition.objects
    (watcher,) = asset.watchers
    assert isinstance(watcher.trigger, ModelArtsJobEventTrigger)
    return asset, watcher.trigger


def test_the_dag_is_scheduled_on_a_watched_asset_with_stable_kwargs(example_env: None) -> None:
    from airflow.triggers.base import BaseEventTrigger

    _, first = watcher_trigger(load())
    _, again = watcher_trigger(load())  # a second parse must name the same watcher
    path, kwargs = first.serialize()
    assert BaseEventTrigger.hash(path, kwargs) == BaseEventTrigger.hash(*again.serialize())
    assert kwargs["job_family"] == "training" and kwargs["report"] == ["terminal"]
    assert kwargs["look_back"] == 3600.0
    assert kwargs["batch"] is True  # one event per poll: a burst of jobs goes in one run


def event(job_id: str, name: str | None, end: datetime | None) -> Any:
    class AssetEvent:
        extra = {
            "from_trigger": True,
            "payload": {
                "job_family": "training",
                "job_id": job_id,
                "name": name,
                "end_time": None if end is None else end.isoformat(),
            },
        }

    return AssetEvent()


def test_the_run_reads_its_triggering_events(example_env: None) -> None:
    dag = load()
    asset, _ = watcher_trigger(dag)
    end = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    events = [
        event("a", "exp-a", end),
        event("a", "exp-a", end),  # delivered twice
        event("b", "prod-b", end),  # protected
        event("c", "exp-c", end - timedelta(hours=1)),
    ]
    params = {"retention_minutes": 30, "dry_run": False, "protected_names": ["prod-*"]}
    result = dag.get_task("finished_jobs").python_callable(
        params=params, triggering_asset_events={asset: events}
    )
    assert result == {"job_ids": ["a", "c"], "keep_until": (end + timedelta(minutes=30)).isoformat()}


def test_dry_run_only_reports(example_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    report = load().get_task("report").python_callable
    assert report(["a", "b"], params={"dry_run": True}) is False
    assert "would delete (dry run) 2" in capsys.readouterr().out
    assert report([], params={"dry_run": False}) is False
    assert report(["a"], params={"dry_run": False}) is True


def test_a_run_without_events_does_nothing(emu: EmulatorServer, airflow_db: Any, example_env: None) -> None:
    from airflow.utils.state import DagRunState

    dag = load()
    sync_dags_to_db(dag)
    run = dag.test()
    assert run.state == DagRunState.SUCCESS
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert states["tear_down_finished_jobs"] == "skipped"
    assert not any("delete" in route for route in emu.stats()["requests"])


def test_the_teardown_deletes_the_reported_jobs_and_tolerates_a_repeat(emu: EmulatorServer) -> None:
    finished = emu.seed("training", 2, name="exp", status="Completed")
    teardown = load().get_task("tear_down_finished_jobs")
    assert isinstance(teardown, ModelArtsTeardownJobOperator)
    for _attempt in range(2):  # the same events delivered twice: the second run finds them gone
        op = ModelArtsTeardownJobOperator(
            task_id="tear_down", job_family="training", job_ids=finished, poll_interval=0.1, deferrable=True
        )
        drive(op, make_context())
        assert all(emulator_status(emu, Target(JobFamily.TRAINING, job)) is None for job in finished)
