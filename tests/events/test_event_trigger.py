"""``ModelArtsJobEventTrigger`` against the emulator over real HTTP: filters, scope, look-back,
restarts (with and without a state store), the standalone poll and the shared stream of Airflow 3.3.

Every watch runs under a time limit and stops after a bounded number of events or polls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.triggers import events
from airflow_provider_modelarts.triggers.events import (
    SHARED_STREAMS,
    ModelArtsJobEventTrigger,
    WatchState,
    job_ids_from_events,
)
from tests.airflow_support import requests
from tests.teardown.proxy import Override, proxy_for

PACE = 0.1  # seconds between polls in these tests
LIMIT = 10.0  # seconds any one watch may run


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "MIN_POLL_INTERVAL", 0.01)


class MemoryStore:
    """Stands in for the watched asset's state store (Airflow 3.3 injects the real one)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.writes += 1
        self.values[key] = value


def trigger(job_family: str = "training", **kwargs: Any) -> ModelArtsJobEventTrigger:
    return ModelArtsJobEventTrigger(job_family=job_family, poll_interval=PACE, **kwargs)


async def _collect(stream: AsyncIterator[Any], count: int, limit: float) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(limit):
            async for event in stream:
                found.append(event.payload)
                if len(found) >= count:
                    break
    except TimeoutError:
        pass
    return found


def watch(t: ModelArtsJobEventTrigger, count: int = 1, limit: float = LIMIT) -> list[dict[str, Any]]:
    """The first ``count`` events of ``t`` (fewer if ``limit`` seconds pass first)."""
    return asyncio.run(_collect(t.run(), count, limit))


def quiet_for(t: ModelArtsJobEventTrigger, seconds: float) -> list[dict[str, Any]]:
    """Every event ``t`` fires within ``seconds`` (expected: none)."""
    return asyncio.run(_collect(t.run(), 1_000, seconds))


# ---- arguments --------------------------------------------------------------------------------


def test_kwargs_are_plain_and_rebuild_the_same_watcher() -> None:
    t = trigger("res", job_type="etl", name_patterns="nightly-*", look_back=timedelta(hours=2))
    path, kwargs = t.serialize()
    assert path == "airflow_provider_modelarts.triggers.events.ModelArtsJobEventTrigger"
    assert kwargs["look_back"] == 7200.0
    assert kwargs["name_patterns"] == ["nightly-*"]
    rebuilt = ModelArtsJobEventTrigger(**kwargs)
    assert rebuilt.serialize() == t.serialize()
    assert rebuilt.watch_id == t.watch_id
    assert all(isinstance(v, str | float | bool | list | type(None)) for v in kwargs.values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"job_family": "res"}, "job_type: required"),
        ({"job_family": "training", "job_type": "etl"}, "only for RES"),
        ({"job_family": "training", "report": ["done"]}, "report"),
        ({"job_family": "training", "report": []}, "report"),
        ({"job_family": "training", "look_back": -1}, "look_back"),
        ({"job_family": "training", "name_patterns": [""]}, "name_patterns"),
        ({"job_family": "training", "workspace_id": ""}, "workspace_id"),
        ({"job_family": "nope"}, "job_family"),
    ],
)
def test_bad_kwargs_fail_at_parse_time(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ModelArtsJobEventTrigger(poll_interval=PACE, **kwargs)


def test_the_poll_interval_has_a_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "MIN_POLL_INTERVAL", 5.0)
    with pytest.raises(ValueError, match="at least 5"):
        ModelArtsJobEventTrigger(job_family="training", poll_interval=1)


def test_siblings_share_a_key_only_for_the_same_scope_and_pace() -> None:
    a = trigger(name_patterns=["a-*"], report=["failed"], look_back=60)
    b = trigger(name_patterns=["b-*"])
    assert a.shared_stream_key() == b.shared_stream_key()
    assert a.watch_id != b.watch_id
    for other in (
        trigger(workspace_id="ws-1"),
        trigger(project_id="p" * 32),
        trigger(modelarts_conn_id="other"),
        trigger("visualization"),
        ModelArtsJobEventTrigger(job_family="training", poll_interval=PACE * 2),
    ):
        assert other.shared_stream_key() != a.shared_stream_key()


# ---- what is reported -------------------------------------------------------------------------


def test_a_job_finishing_while_watched_is_reported_once_old_ones_never(emu: EmulatorServer) -> None:
    emu.seed("training", 20, name="old", age_seconds=3600)
    (new,) = emu.seed("training", name="new")
    t = trigger()
    found = watch(t, count=2, limit=3.0)  # more than one event would be a duplicate or an old job
    assert [event["job_id"] for event in found] == [new]
    event = found[0]
    assert event["job_family"] == "training"
    assert event["name"] == "new"
    assert event["status"] == "Completed"
    assert event["category"] == "succeeded"
    assert event["end_time"] is not None and event["end_time_estimated"] is False
    assert event["project_id"] and event["scope"] and event["watcher"] == t.watch_id


def test_names_and_states_filter(emu: EmulatorServer) -> None:
    (wanted,) = emu.seed("training", name="tmp-a", emulator={"outcome": "failed"})
    emu.seed("training", name="tmp-b")  # succeeds: not a reported state
    emu.seed("training", name="keep-c", emulator={"outcome": "failed"})  # name does not match
    found = watch(trigger(name_patterns=["tmp-*"], report=["failed"]), count=2, limit=3.0)
    assert [(e["job_id"], e["category"]) for e in found] == [(wanted, "failed")]


def test_stopped_jobs_are_reported_as_stopped(emu: EmulatorServer) -> None:
    (job,) = emu.seed("training", name="stopped", status="Terminated")  # ended just now
    found = watch(trigger(report=["stopped"]), count=1)
    assert [(e["job_id"], e["status"]) for e in found] == [(job, "Terminated")]


def test_look_back_reports_jobs_that_ended_before_the_watch_started(emu: EmulatorServer) -> None:
    (recent,) = emu.seed("training", name="recent", age_seconds=600)
    emu.seed("training", name="ancient", age_seconds=3 * 3600)
    assert quiet_for(trigger(), 0.5) == []  # default: only what finishes from now on
    found = watch(trigger(look_back=timedelta(hours=1)), count=2, limit=2.0)
    assert [e["job_id"] for e in found] == [recent]


def test_the_workspace_is_the_scope(emu: EmulatorServer) -> None:
    (inside,) = emu.seed("training", name="inside", workspace_id="ws-a")
    emu.seed("training", name="outside")
    found = watch(trigger(workspace_id="ws-a"), count=2, limit=3.0)
    assert [e["job_id"] for e in found] == [inside]
    assert found[0]["workspace_id"] == "ws-a"


@pytest.mark.parametrize(
    ("family", "extra", "fields"),
    [
        ("training_v1", {}, {}),
        ("visualization", {}, {"emulator": {"run_seconds": 0.3}}),
        ("res", {"job_type": "etl"}, {"type": "etl"}),
    ],
)
def test_every_family(
    emu: EmulatorServer, family: str, extra: dict[str, Any], fields: dict[str, Any]
) -> None:
    emu.seed(family, 3, name="old", age_seconds=3600, **fields)
    (new,) = emu.seed(family, name="new", **fields)
    found = watch(trigger(family, **extra), count=2, limit=4.0)
    assert [str(e["job_id"]) for e in found] == [new]
    assert found[0]["category"] == "succeeded"


def test_a_v1_job_is_confirmed_on_its_versions(emu: EmulatorServer) -> None:
    (job,) = emu.seed("training_v1", name="v1", versions=2)
    assert [e["job_id"] for e in watch(trigger("training_v1"), count=1)] == [job]
    assert requests(emu, "v1.versions") >= 1  # the listed status is only the latest version's


def test_a_v1_job_gone_when_its_versions_are_read_is_not_reported(
    emu: EmulatorServer, use_connection: Any
) -> None:
    """Listed as finished, but its versions answer the documented 'does not exist': nothing is
    reported, and the watch goes on."""
    (job,) = emu.seed("training_v1", name="v1", versions=2)
    with proxy_for(emu) as proxy:
        conn = emu.airflow_connection()
        conn["host"] = proxy.url
        use_connection(conn)
        missing = {"is_success": False, "error_code": "ModelArts.0015", "error_msg": "The job does not exist"}
        proxy.add(Override("GET", rf"/training-jobs/{job}/versions$", 404, missing, times=None))
        assert quiet_for(trigger("training_v1"), 1.5) == []
        assert proxy.count("GET", rf"/training-jobs/{job}/versions$", 404) >= 1


def test_absence_from_the_list_reports_nothing(emu: EmulatorServer) -> None:
    emu.seed("training", name="running", emulator={"run_seconds": 60})
    t = trigger()

    async def scenario() -> list[dict[str, Any]]:
        stream = t.run()
        first = asyncio.ensure_future(_collect(stream, 1, 1.5))
        await asyncio.sleep(0.5)  # the watcher has seen it running
        emu.store.reset()  # every job vanishes from the list
        return await first

    assert asyncio.run(scenario()) == []


# ---- restarts ---------------------------------------------------------------------------------


def test_a_rebuilt_trigger_without_a_store_does_not_flood(emu: EmulatorServer) -> None:
    emu.seed("training", 10, name="old", age_seconds=3600)
    (first,) = emu.seed("training", name="first")
    before = trigger()
    assert [e["job_id"] for e in watch(before, count=1)] == [first]
    after = ModelArtsJobEventTrigger(**before.serialize()[1])  # what a restarted triggerer builds
    assert quiet_for(after, 0.6) == []  # no job finished since: nothing, old or reported


def test_a_rebuilt_trigger_with_a_store_resumes_where_it_was(emu: EmulatorServer) -> None:
    emu.seed("training", 10, name="old", age_seconds=3600)
    store = MemoryStore()
    (first,) = emu.seed("training", name="first")
    before = trigger()
    before.asset_state_store = store
    found = asyncio.run(_collect(before.run(), 1_000, 2.0))  # several polls after the event
    assert [e["job_id"] for e in found] == [first]
    assert store.writes >= 1
    (key,) = store.values
    assert key.endswith(before.watch_id)

    # while no triggerer watches, a job finishes; the restarted watcher reports it, and only it
    (during,) = emu.seed("training", name="during")
    time.sleep(1.5)  # the emulator's jobs end about a second after they are created
    forgetful = ModelArtsJobEventTrigger(**before.serialize()[1])  # no store: starts from now
    assert quiet_for(forgetful, 0.5) == []
    after = ModelArtsJobEventTrigger(**before.serialize()[1])
    after.asset_state_store = store
    found = asyncio.run(_collect(after.run(), 1_000, 1.5))
    assert [e["job_id"] for e in found] == [during]


def test_the_stored_state_lags_one_poll_behind_the_events(emu: EmulatorServer) -> None:
    store = MemoryStore()
    t = trigger()
    t.asset_state_store = store

    async def scenario() -> tuple[int, Any]:
        stream = t.run()
        (job,) = emu.seed("training", name="job")
        async with asyncio.timeout(LIMIT):
            event = await anext(stream)
        assert event.payload["job_id"] == job
        saved_at_event = store.values.get(next(iter(store.values), ""), {}) or {}
        await stream.aclose()
        return job, saved_at_event

    job, saved = asyncio.run(scenario())
    assert job not in saved.get("reported", {})  # a crash now re-reports it: at least once


def test_stored_state_is_read_defensively() -> None:
    assert WatchState.from_json(None) is None
    assert WatchState.from_json({"floor": "x"}) is None
    assert WatchState.from_json({"floor": 5, "reported": ["a"], "active": []}) is None
    state = WatchState.from_json({"floor": 5, "reported": {"a": 7, "b": None}, "active": ["c"]})
    assert state == WatchState(floor=5, reported={"a": 7, "b": None}, active={"c"})
    assert WatchState.from_json(state.to_json()) == state


# ---- sharing ----------------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED_STREAMS, reason="shared streams are Airflow 3.3+")
def test_siblings_share_one_poll_and_filter_their_own_events(emu: EmulatorServer) -> None:
    from airflow.triggers.shared_stream import SharedStreamManager

    a = trigger(name_patterns=["a-*"])
    b = trigger(name_patterns=["b-*"], report=["failed"])
    assert a.shared_stream_key() == b.shared_stream_key()

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        manager = SharedStreamManager()
        key = a.shared_stream_key()
        stream_a = a.filter_shared_stream(manager.subscribe(trigger_id=1, trigger=a, key=key))
        stream_b = b.filter_shared_stream(manager.subscribe(trigger_id=2, trigger=b, key=key))
        emu.seed("training", name="a-ok")
        emu.seed("training", name="b-ok")  # b reports failures only
        emu.seed("training", name="b-bad", emulator={"outcome": "failed"})
        try:
            found_a, found_b = await asyncio.gather(_collect(stream_a, 2, 3.0), _collect(stream_b, 2, 3.0))
        finally:
            await manager.unsubscribe(1, key)
            await manager.unsubscribe(2, key)
        return found_a, found_b, requests(emu, "v2.search")

    found_a, found_b, searches = asyncio.run(scenario())
    assert [e["name"] for e in found_a] == ["a-ok"]
    assert [e["name"] for e in found_b] == ["b-bad"]
    assert 0 < searches <= 3.0 / PACE + 2  # one walk per interval for both, not one each


def test_standalone_siblings_poll_each_on_their_own(emu: EmulatorServer) -> None:
    a, b = trigger(name_patterns=["a-*"]), trigger(name_patterns=["b-*"])

    async def scenario() -> int:
        await asyncio.gather(_collect(a.run(), 1_000, 1.0), _collect(b.run(), 1_000, 1.0))
        return requests(emu, "v2.search")

    searches = asyncio.run(scenario())
    assert searches >= 2 * (1.0 / PACE) * 0.5  # both walk the list


def test_a_failing_service_does_not_end_the_watch(
    emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = events.poll_once

    async def flaky(hook: Any, kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ConnectionError("service away")
        return await real(hook, kwargs)

    monkeypatch.setattr(events, "poll_once", flaky)
    monkeypatch.setattr(events, "MAX_BACKOFF", 0.2)
    (job,) = emu.seed("training", name="job")
    assert [e["job_id"] for e in watch(trigger(), count=1)] == [job]
    assert calls["n"] >= 3


# ---- reading the events in a DAG --------------------------------------------------------------


class AssetEventLike:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.extra = {"from_trigger": True, "payload": payload}


def test_job_ids_from_events_dedupes_and_respects_protected_names() -> None:
    batch = [
        AssetEventLike({"job_family": "training", "job_id": "1", "name": "tmp-1"}),
        AssetEventLike({"job_family": "training", "job_id": "1", "name": "tmp-1"}),  # reported twice
        AssetEventLike({"job_family": "training", "job_id": "2", "name": "prod-2"}),
        AssetEventLike({"job_family": "training", "job_id": "3", "name": None}),
        AssetEventLike({"job_family": "visualization", "job_id": "4", "name": "vis"}),
        {"from_trigger": True, "payload": {"job_family": "training", "job_id": "5", "name": "tmp-5"}},
        AssetEventLike({"unrelated": True}),
    ]
    chosen = job_ids_from_events(batch, protected_names=["prod-*"])
    assert [job["job_id"] for job in chosen["training"]] == ["1", "5"]  # 3: no name while protected
    assert [job["job_id"] for job in chosen["visualization"]] == ["4"]
    everything = job_ids_from_events(batch, job_family="training")
    assert [job["job_id"] for job in everything["training"]] == ["1", "2", "3", "5"]


# ---- one event per poll -----------------------------------------------------------------------


def test_batch_fires_one_event_per_poll_with_every_job_of_it(emu: EmulatorServer) -> None:
    emu.seed("training", 5, name="old", age_seconds=3600)
    together = emu.seed("training", 3, name="sweep")  # they finish at the same moment
    t = trigger(batch=True)
    assert t.serialize()[1]["batch"] is True
    found = watch(t, count=2, limit=3.0)
    assert len(found) == 1, found
    (event,) = found
    assert event["count"] == 3 and event["scope"] and event["watcher"] == t.watch_id
    assert sorted(job["job_id"] for job in event["jobs"]) == sorted(together)
    assert all(job["status"] == "Completed" and job["end_time"] for job in event["jobs"])
    chosen = job_ids_from_events([{"from_trigger": True, "payload": event}])
    assert sorted(job["job_id"] for job in chosen["training"]) == sorted(together)


def test_batch_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="batch"):
        ModelArtsJobEventTrigger(job_family="training", poll_interval=PACE, batch="yes")  # type: ignore[arg-type]
