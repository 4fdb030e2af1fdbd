"""ModelArtsJobTrigger and ModelArtsJobsTrigger: serialization, one event, faults, deadlines, on_kill."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from typing import Any

import pytest
from airflow.serialization.serialized_objects import BaseSerialization

from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.api.statuses import JobFamily, V1Status
from airflow_provider_modelarts.api.watch import ABSENT
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger, ModelArtsJobTrigger
from tests.airflow_support import FAST, mutating_requests, requests, run_trigger
from tests.operators.cases import BY_NAME, CASES, Case, Target, emulator_status
from tests.operators.test_operator_edge_cases import start_stopping

PAYLOAD_KEYS = {"status", "message", "job_family", "job_id", "version_id", "goal", "final_status", "polls"}


def job_trigger(target: Target, goal: str, **kwargs: Any) -> ModelArtsJobTrigger:
    kwargs.setdefault("poll_interval", FAST)
    kwargs.setdefault("deadline", time.time() + 30)
    return ModelArtsJobTrigger(
        job_family=target.family.value,
        job_id=target.job_id,
        version_id=target.version_id,
        goal=goal,
        **kwargs,
    )


def mark_deleted(server: EmulatorServer, target: Target) -> None:
    """Delete the job inside the emulator, as if a task had just asked for it."""
    store = server.store
    with store.locked() as now:
        if target.family is JobFamily.TRAINING:
            store.v2[target.job_id].life.deleted_at = now
        elif target.family is JobFamily.RES:
            store.res[target.job_id].life.deleted_at = now
        elif target.family is JobFamily.VISUALIZATION:
            store.vis[int(target.job_id)].life.deleted_at = now
        elif target.version_id is not None:
            job = store.v1[int(target.job_id)]
            next(v for v in job.versions if str(v.id) == target.version_id).life.deleted_at = now
        else:
            store.v1[int(target.job_id)].deleted_at = now


def fast_hook(attempts: int = 1) -> ModelArtsHook:
    return ModelArtsHook(retry_policy=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.02))


def rebuild(classpath: str, kwargs: dict[str, Any]) -> Any:
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**kwargs)


# ---- serialization ----------------------------------------------------------------------------

TRIGGERS = [
    ModelArtsJobTrigger(job_family="training", job_id="3faf5c03-aaaa", goal="deleted", deadline=1.5e9),
    ModelArtsJobTrigger(
        job_family="training_v1",
        job_id=12,
        version_id="34",
        goal="stopped",
        modelarts_conn_id="other",
        region="eu-de",
        project_id="p1",
        poll_interval=2,
        max_poll_failures=7,
    ),
    ModelArtsJobsTrigger(
        job_family="visualization", job_ids=["1", "2"], goal="deleted", first_poll_delay=3, deadline=None
    ),
]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: type(t).__name__)
def test_serialize_rebuilds_the_same_trigger(trigger: Any) -> None:
    classpath, kwargs = trigger.serialize()
    assert classpath == f"airflow_provider_modelarts.triggers.modelarts.{type(trigger).__name__}"
    again = rebuild(classpath, kwargs)
    assert type(again) is type(trigger)
    assert again.serialize() == (classpath, kwargs)
    json.dumps(kwargs)  # plain JSON values only


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: type(t).__name__)
def test_round_trip_through_airflow_serialization(trigger: Any) -> None:
    classpath, kwargs = trigger.serialize()
    stored = BaseSerialization.serialize(kwargs)
    json.dumps(stored)
    loaded = BaseSerialization.deserialize(stored)
    assert loaded == kwargs
    assert rebuild(classpath, loaded).serialize() == (classpath, kwargs)


def test_normalised_ids_in_kwargs() -> None:
    _, kwargs = TRIGGERS[1].serialize()
    assert kwargs["job_id"] == "12" and kwargs["version_id"] == "34" and kwargs["poll_interval"] == 2.0


def test_no_secret_in_kwargs(emu: EmulatorServer) -> None:
    for case in CASES:
        target = case.seed(emu)
        _, kwargs = job_trigger(target, "deleted").serialize()
        text = json.dumps(kwargs) + repr(job_trigger(target, "deleted"))
        c = emu.credentials
        for secret in (c.secret_key, c.temp_secret_key, c.security_token, c.access_key, c.iam_password):
            assert secret not in text


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("job_id", {"job_family": "training", "job_id": "../x", "goal": "deleted"}),
        ("goal", {"job_family": "training", "job_id": "a", "goal": "vanished"}),
        ("version_id", {"job_family": "res", "job_id": "a", "goal": "deleted", "version_id": "1"}),
        ("poll_interval", {"poll_interval": 0}),
        ("poll_interval", {"poll_interval": float("nan")}),
        ("poll_interval", {"poll_interval": float("inf")}),
        ("poll_interval", {"poll_interval": -1}),
        ("deadline", {"deadline": float("nan")}),
        ("deadline", {"deadline": float("inf")}),
        ("first_poll_delay", {"first_poll_delay": -1}),
        ("first_poll_delay", {"first_poll_delay": float("nan")}),
        ("max_poll_failures", {"max_poll_failures": 0}),
        ("max_poll_failures", {"max_poll_failures": 2.5}),
    ],
)
@pytest.mark.parametrize("cls", [ModelArtsJobTrigger, ModelArtsJobsTrigger])
def test_bad_kwargs_are_refused_naming_the_field(cls: type, field: str, kwargs: dict[str, Any]) -> None:
    if cls is ModelArtsJobsTrigger:
        if field == "version_id":
            return
        kwargs = {"job_ids": [kwargs.pop("job_id", "a")], **kwargs}
    kwargs = {"job_family": "training", "job_id": "a", "goal": "deleted", **kwargs}
    if cls is ModelArtsJobsTrigger:
        kwargs.pop("job_id")
    with pytest.raises(ValueError, match=f"^{field}: "):
        cls(**kwargs)


# ---- events -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_event_when_the_job_is_gone_and_only_reads(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu)
    mark_deleted(emu, target)
    payload = run_trigger(job_trigger(target, "deleted"))
    assert set(payload) == PAYLOAD_KEYS
    assert payload["status"] == "success" and payload["final_status"] == "ABSENT"
    assert payload["job_family"] == case.family.value and payload["job_id"] == target.job_id
    assert payload["version_id"] == target.version_id and payload["goal"] == "deleted"
    assert payload["polls"] >= 2  # still visible at the first poll
    assert emulator_status(emu, target) is None
    assert mutating_requests(emu) == {}


@pytest.mark.parametrize("case", [c for c in CASES if c.is_stop], ids=lambda c: c.name)
def test_one_event_when_the_job_has_stopped(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu, status=case.running)
    start_stopping(emu, target)
    payload = run_trigger(job_trigger(target, "stopped"))
    assert payload["status"] == "success"
    assert str(payload["final_status"]).startswith(str(case.stopped))
    assert mutating_requests(emu) == {}


def test_delete_failed_gives_an_error_event(emu: EmulatorServer) -> None:
    target = BY_NAME["delete_training_v1"].seed(emu, emulator={"delete_fails": True})
    mark_deleted(emu, target)
    payload = run_trigger(job_trigger(target, "deleted"))
    assert payload["status"] == "error"
    assert payload["final_status"] == f"DELETE_FAILED ({int(V1Status.DELETE_FAILED)})"
    assert "deletion failed" in payload["message"]


def test_deadline_gives_a_timeout_event(emu: EmulatorServer) -> None:
    target = BY_NAME["terminate_training"].seed(emu)
    payload = run_trigger(job_trigger(target, "stopped", deadline=time.time() + 0.3))
    assert payload["status"] == "timeout"
    assert payload["final_status"] == "Running" and "before the deadline" in payload["message"]
    assert payload["polls"] >= 1
    assert emulator_status(emu, target) == "Running"


def test_past_deadline_still_checks_once(emu: EmulatorServer) -> None:
    target = BY_NAME["delete_res"].seed(emu)
    payload = run_trigger(job_trigger(target, "deleted", deadline=time.time() - 10))
    assert payload["status"] == "timeout" and payload["polls"] == 1
    assert requests(emu, "res.detail") == 1


def test_a_first_poll_put_off_past_the_deadline_comes_at_the_deadline(emu: EmulatorServer) -> None:
    """A wait whose first poll is put off (an operator that has just looked) beyond its deadline
    (a timeout shorter than the poll interval) still asks once, at the deadline: a job gone by then
    is gone, not a timeout."""
    target = BY_NAME["delete_training"].seed(emu)
    mark_deleted(emu, target)
    started = time.monotonic()
    payload = run_trigger(
        job_trigger(target, "deleted", poll_interval=30, first_poll_delay=30, deadline=time.time() + 0.5)
    )
    assert payload["status"] == "success" and payload["final_status"] == ABSENT and payload["polls"] == 1
    assert 0.3 < time.monotonic() - started < 10


def test_a_many_job_wait_put_off_past_its_deadline_asks_once_at_the_deadline(emu: EmulatorServer) -> None:
    job_ids = emu.seed("training", 2, status="Completed")
    mark_deleted(emu, Target(JobFamily.TRAINING, job_ids[0]))
    trigger = ModelArtsJobsTrigger(
        job_family="training",
        job_ids=job_ids,
        goal="deleted",
        poll_interval=30,
        first_poll_delay=30,
        deadline=time.time() + 0.5,
    )
    payload = run_trigger(trigger)
    assert payload["status"] == "timeout" and payload["polls"] == 1
    assert payload["remaining"] == [job_ids[1]]  # the gone job was asked about and found gone


# ---- transient faults -------------------------------------------------------------------------


def test_transient_faults_are_tolerated_up_to_max_poll_failures(emu: EmulatorServer) -> None:
    target = BY_NAME["delete_res"].seed(emu)
    mark_deleted(emu, target)
    emu.faults.set("res.detail", {"next_count": 2, "next_status": 503})
    trigger = job_trigger(target, "deleted", max_poll_failures=3)
    payload = asyncio.run(asyncio.wait_for(trigger.wait(fast_hook()), 30))
    assert payload["status"] == "success" and payload["polls"] >= 3


@pytest.mark.parametrize("fault", [{"error_rate": 1.0}, {"drop_rate": 1.0}], ids=["5xx", "dropped"])
def test_lasting_faults_end_in_an_error_event(emu: EmulatorServer, fault: dict[str, float]) -> None:
    target = BY_NAME["delete_res"].seed(emu)
    emu.faults.set("res.detail", fault)
    trigger = job_trigger(target, "deleted", max_poll_failures=3)
    payload = asyncio.run(asyncio.wait_for(trigger.wait(fast_hook()), 30))
    assert payload["status"] == "error" and payload["polls"] == 3
    assert "3 polls in a row failed" in payload["message"]
    assert requests(emu, "res.detail") == 3
    assert emulator_status(emu, target) is not None


def test_refused_credentials_end_at_once(emu: EmulatorServer, use_connection: Any) -> None:
    target = BY_NAME["delete_res"].seed(emu)
    conn = emu.airflow_connection()
    conn["password"] = "NotTheSecretKey00000000000000000000000"
    use_connection(conn)
    payload = run_trigger(job_trigger(target, "deleted", max_poll_failures=5))
    assert payload["status"] == "error" and payload["polls"] == 1


# ---- on_kill ----------------------------------------------------------------------------------


def test_on_kill_leaves_the_job_alone(emu: EmulatorServer) -> None:
    case = BY_NAME["terminate_training"]
    target = case.seed(emu)
    trigger = job_trigger(target, "stopped")

    async def start_then_kill() -> None:
        task = asyncio.ensure_future(trigger.run().__anext__())
        for _ in range(200):
            if emu.stats()["requests"]:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await trigger.on_kill()

    asyncio.run(asyncio.wait_for(start_then_kill(), 30))
    assert emu.stats()["requests"]  # it was polling
    assert mutating_requests(emu) == {}
    assert emulator_status(emu, target) == "Running"


# ---- many jobs --------------------------------------------------------------------------------


def test_jobs_trigger_one_event_for_all_jobs(emu: EmulatorServer) -> None:
    job_ids = emu.seed("training", 5, status="Completed")
    for job_id in job_ids[:4]:
        mark_deleted(emu, Target(JobFamily.TRAINING, job_id))
    trigger = ModelArtsJobsTrigger(
        job_family="training", job_ids=job_ids, goal="deleted", poll_interval=FAST, deadline=time.time() + 1
    )
    payload = run_trigger(trigger)
    assert payload["status"] == "timeout" and payload["remaining"] == [job_ids[4]]
    assert payload["total"] == 5 and payload["errors"] == []
    assert mutating_requests(emu) == {}
    assert all(emulator_status(emu, Target(JobFamily.TRAINING, j)) is None for j in job_ids[:4])


def test_a_many_job_wait_logs_progress_on_change_not_every_poll(
    emu: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> None:
    job_ids = emu.seed("training", 3, status="Running")
    trigger = ModelArtsJobsTrigger(
        job_family="training", job_ids=job_ids, goal="stopped", poll_interval=FAST, deadline=time.time() + 1.5
    )
    payload = run_trigger(trigger)
    assert payload["status"] == "timeout" and payload["polls"] >= 10
    out = capfd.readouterr().out
    assert out.count("still waiting to be stopped") == 1  # the first poll's line; nothing changed since


def test_on_kill_does_not_blame_the_user(emu: EmulatorServer, capfd: pytest.CaptureFixture[str]) -> None:
    (job,) = emu.seed("training", status="Running")
    trigger = ModelArtsJobTrigger(job_family="training", job_id=job, goal="deleted")
    asyncio.run(trigger.on_kill())
    out = capfd.readouterr().out
    assert "stopped in this triggerer" in out and "the job itself is left as it is" in out
    assert "by the user" not in out
