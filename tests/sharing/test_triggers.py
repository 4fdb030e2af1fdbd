"""Many ``ModelArtsJobTrigger`` waits in one event loop, end to end against emulators.

Stops and deletes take a minute of emulator time here; each test moves the emulator clock to
decide when they complete.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.retry import NO_RETRY
from airflow_provider_modelarts.api.shared_watch import all_watches
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import ABSENT
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger
from tests.sharing.test_shared_watch import SLOW, Requests, bounded, session_for, until

POLL = 0.1


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    return EmulatorConfig.for_tests(stop_seconds=SLOW, delete_visible_seconds=SLOW)


async def run_trigger(trigger: ModelArtsJobTrigger) -> dict[str, Any]:
    events = [event.payload async for event in trigger.run()]
    assert len(events) == 1
    return events[0]


def trigger(family: str, job_id: str, goal: str, conn_id: str = "modelarts_default") -> ModelArtsJobTrigger:
    return ModelArtsJobTrigger(
        job_family=family, job_id=job_id, goal=goal, modelarts_conn_id=conn_id, poll_interval=POLL
    )


async def test_many_triggers_share_walks_until_every_job_is_gone(
    modelarts_emulator: EmulatorServer, use_connection
) -> None:
    emu = modelarts_emulator
    use_connection(emu.airflow_connection())
    jobs = emu.seed("training", 120, status="Running")
    watched = jobs[::4]  # 30 jobs
    session = session_for(emu)
    for batch in (watched[:15], watched[15:]):
        await session.arun(ops.batch_delete_training_jobs(emu.credentials.project_id, batch))
    counter = Requests(emu)

    tasks = [asyncio.ensure_future(run_trigger(trigger("training", job, "deleted"))) for job in watched]
    # Two rounds answered (the third starts a poll interval later): all still listed, none done.
    await until(lambda: sum(w.stats.observations for w in all_watches()) >= 2 * len(watched), "two rounds")
    assert not any(task.done() for task in tasks)  # deleted but still visible: nobody is done
    emu.advance(SLOW + 1)
    events = await bounded(asyncio.gather(*tasks))

    assert [(e["status"], e["job_id"], e["final_status"]) for e in events] == [
        ("success", job, ABSENT) for job in watched
    ]
    (watch,) = all_watches()
    assert watch.family is JobFamily.TRAINING
    polls = sum(e["polls"] for e in events)
    assert watch.stats.observations == polls
    # Shared: far fewer requests than one per poll. A round that gathered only a few waits (the
    # loop's timing under load can split a round) asks those few directly instead of walking.
    requests = counter.delta()
    assert set(requests) <= {"v2.search", "v2.detail"}
    assert requests.get("v2.search", 0) == watch.stats.walk_pages
    assert requests.get("v2.detail", 0) == watch.stats.details <= 3 * (watch.stats.rounds - watch.stats.walks)
    assert sum(requests.values()) < polls / 2
    # A round answers every wait polling within its window. How the 30 waits fall into rounds
    # depends on the loop's timing: on a loaded machine a late start or a pause longer than the
    # window splits them into groups that stay out of step (5 rounds where the busiest trigger
    # polled 3 times was seen). What does not depend on it: rounds answer many waits each.
    assert watch.stats.walks >= 1 and watch.stats.observations >= 5 * watch.stats.rounds


async def test_a_transient_walk_error_keeps_every_trigger_waiting(
    modelarts_emulator: EmulatorServer, use_connection
) -> None:
    emu = modelarts_emulator
    use_connection(emu.airflow_connection())
    jobs = emu.seed("training", 5, status="Running")
    session = session_for(emu)
    await session.arun(ops.batch_delete_training_jobs(emu.credentials.project_id, jobs[:3]))
    emu.advance(SLOW + 1)
    hook = ModelArtsHook(retry_policy=NO_RETRY)  # a 503 is not retried inside the request
    emu.faults.set("v2.search", {"next_count": 1, "next_status": 503})
    counter = Requests(emu)

    events = await bounded(
        asyncio.gather(*(trigger("training", job, "deleted").wait(hook) for job in jobs[:3]))
    )
    assert [(e["status"], e["final_status"], e["polls"]) for e in events] == [("success", ABSENT, 2)] * 3
    # The failed walk, then the one that answered; no walk of this watch listed the three before they
    # went, so each one's absence is confirmed by its detail's not-found answer.
    assert counter.delta() == {"v2.search": 2, "v2.detail": 3}


async def test_a_lasting_walk_error_ends_every_trigger_of_the_round(
    modelarts_emulator: EmulatorServer, use_connection
) -> None:
    emu = modelarts_emulator
    use_connection(emu.airflow_connection())
    jobs = emu.seed("training", 5, status="Running")
    hook = ModelArtsHook(retry_policy=NO_RETRY)
    emu.faults.set("v2.search", {"next_count": 1, "next_status": 400})
    counter = Requests(emu)

    events = await bounded(
        asyncio.gather(*(trigger("training", job, "deleted").wait(hook) for job in jobs[:3]))
    )
    assert [(e["status"], e["polls"]) for e in events] == [("error", 1)] * 3
    assert all("400" in e["message"] or "ModelArts" in e["message"] for e in events)
    assert counter.delta() == {"v2.search": 1}


async def test_mixed_families_and_two_connections_each_get_their_own_watch(
    modelarts_emulator: EmulatorServer, modelarts_emulator_config: EmulatorConfig, use_connection
) -> None:
    """v1 and visualization ids are counters, so both emulators have a v1 job 100001: in A it is
    deleted, in B it is stopped. Any mix-up of connections shows as a wrong final status."""
    a = modelarts_emulator
    b_config = EmulatorConfig.for_tests(
        stop_seconds=SLOW, delete_visible_seconds=SLOW, project_id="fedcba9876543210fedcba9876543210"
    )
    with EmulatorServer(b_config) as b:
        use_connection(a.airflow_connection(), "modelarts_a")
        use_connection(b.airflow_connection(), "modelarts_b")
        a_v2 = a.seed("training", 3, status="Running")
        (a_v1_deleted,) = a.seed("training_v1", 1, status="RUNNING")
        (a_v1_done,) = a.seed("training_v1", 1, status="COMPLETED")
        (a_vis,) = a.seed("visualization", 1, status="RUNNING")
        (b_v1,) = b.seed("training_v1", 1, status="RUNNING")
        (b_v2,) = b.seed("training", 1, status="Completed")
        assert a_v1_deleted == b_v1

        sa, sb = session_for(a), session_for(b)
        pa, pb = a.credentials.project_id, b.credentials.project_id
        await sa.arun(ops.batch_delete_training_jobs(pa, a_v2[:2]))
        await sa.arun(ops.delete_training_job_v1(pa, a_v1_deleted))
        await sa.arun(ops.stop_visualization_job(pa, a_vis))
        version = (await sb.arun(ops.list_training_jobs_v1(pb)))[0].version_id
        await sb.arun(ops.stop_training_job_version(pb, b_v1, version))
        a.advance(SLOW + 1)
        b.advance(SLOW + 1)

        waits = [
            ("modelarts_a", "training", a_v2[0], "deleted", ABSENT),
            ("modelarts_a", "training", a_v2[1], "deleted", ABSENT),
            ("modelarts_a", "training", a_v2[2], "stopped", None),  # still running: times out
            ("modelarts_a", "training_v1", a_v1_deleted, "deleted", ABSENT),
            ("modelarts_a", "training_v1", a_v1_done, "stopped", "COMPLETED (10)"),
            ("modelarts_a", "visualization", a_vis, "stopped", "KILLED (12)"),
            ("modelarts_b", "training_v1", b_v1, "stopped", "KILLED (12)"),
            ("modelarts_b", "training", b_v2, "stopped", "Completed"),
        ]
        triggers = [trigger(family, job, goal, conn) for conn, family, job, goal, _ in waits]
        triggers[2].deadline = time.time() + 3 * POLL
        events = await bounded(asyncio.gather(*(run_trigger(t) for t in triggers)))

        assert [e["final_status"] for e in events if e["job_id"] != a_v2[2]] == [
            expected for *_, expected in waits if expected is not None
        ]
        assert [e["status"] for e in events] == ["success", "success", "timeout", *["success"] * 5]
        assert events[2]["final_status"] == "Running"

        assert sorted((w.project_id, w.family.value) for w in all_watches()) == sorted(
            [
                (pa, "training"),
                (pa, "training_v1"),
                (pa, "visualization"),
                (pb, "training_v1"),
                (pb, "training"),
            ]
        )
