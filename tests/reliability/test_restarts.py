"""Triggerer restarts: a wait cancelled mid-way and rebuilt from its kwargs, and two copies at once."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger, ModelArtsJobTrigger
from tests.reliability.conftest import FAST, KINDS, make_targets, mutating_requests, request_teardown, truth

GOAL_STATE = {"deleted": "gone", "stopped": "stopped"}


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    # Long enough that a wait cancelled after a few polls is cancelled before the goal is reached.
    return EmulatorConfig.for_tests(stop_seconds=1.2, delete_visible_seconds=1.2)


def _rebuild(serialized: tuple[str, dict[str, Any]]) -> Any:
    """What the triggerer does with a row of the trigger table: import the class, apply the kwargs."""
    classpath, kwargs = serialized
    module, _, name = classpath.rpartition(".")
    stored = json.loads(json.dumps(kwargs))  # the kwargs survive the trip through the database
    return getattr(importlib.import_module(module), name)(**stored)


async def _first_event(run: AsyncIterator[Any]) -> dict[str, Any]:
    async for event in run:
        return dict(event.payload)
    raise AssertionError("the trigger ended without an event")


@pytest.mark.parametrize(("family", "action", "goal"), KINDS, ids=[f"{f}-{a}" for f, a, _ in KINDS])
def test_cancelled_then_rebuilt_and_doubled_triggers_reach_the_same_outcome(
    modelarts_emulator: EmulatorServer, use_connection, family: str, action: str, goal: str
):
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("aksk"))
    target = make_targets(emu, family, action, goal, 1)[0]
    hook = ModelArtsHook(retry_policy=FAST)

    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        await request_teardown(hook, target)
        trigger = ModelArtsJobTrigger(
            job_family=target.family,
            job_id=target.job_id,
            version_id=target.version_id,
            goal=goal,
            poll_interval=0.1,
            deadline=time.time() + 30,
        )
        first = asyncio.create_task(trigger.wait(hook))
        await asyncio.sleep(0.3)
        first.cancel()  # the triggerer dies mid-wait
        with pytest.raises(asyncio.CancelledError):
            await first
        at_cancel = truth(emu, target.family, target.job_id, target.version_id)
        # Another triggerer picks the row up; for a while the old one runs it too.
        copies = [_rebuild(trigger.serialize()), _rebuild(trigger.serialize())]
        events = await asyncio.wait_for(asyncio.gather(*(_first_event(c.run()) for c in copies)), 30)
        await (await hook.asession()).aclose()
        return at_cancel, events

    before = mutating_requests(emu)
    at_cancel, events = asyncio.run(scenario())
    assert at_cancel == "active", "the first wait should have been cancelled before the goal"
    assert [e["status"] for e in events] == ["success", "success"], events
    assert events[0]["final_status"] == events[1]["final_status"]
    assert {(e["job_id"], e["version_id"], e["goal"]) for e in events} == {
        (target.job_id, target.version_id, goal)
    }
    assert truth(emu, target.family, target.job_id, target.version_id) == GOAL_STATE[goal]
    # Exactly one mutating request (the teardown itself); the triggers only ever read.
    changed = {route: n - before[route] for route, n in mutating_requests(emu).items() if n != before[route]}
    assert list(changed.values()) == [1], changed


def test_two_copies_of_a_many_jobs_trigger_agree_and_never_mutate(
    modelarts_emulator: EmulatorServer, use_connection
):
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("token"))
    targets = make_targets(emu, "visualization", "delete", "deleted", 6)
    hook = ModelArtsHook(retry_policy=FAST)

    async def scenario() -> list[dict[str, Any]]:
        for target in targets:
            await request_teardown(hook, target)
        trigger = ModelArtsJobsTrigger(
            job_family="visualization",
            job_ids=[t.job_id for t in targets],
            goal="deleted",
            poll_interval=0.1,
            deadline=time.time() + 30,
        )
        first = asyncio.create_task(trigger.wait(hook))
        await asyncio.sleep(0.3)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        copies = [_rebuild(trigger.serialize()), _rebuild(trigger.serialize())]
        events = await asyncio.wait_for(asyncio.gather(*(_first_event(c.run()) for c in copies)), 30)
        await (await hook.asession()).aclose()
        return events

    before = mutating_requests(emu)
    events = asyncio.run(scenario())
    deletes = mutating_requests(emu)["vis.delete"] - before["vis.delete"]
    assert deletes == len(targets)
    assert {json.dumps({k: e[k] for k in ("status", "total", "remaining", "errors")}) for e in events} == {
        json.dumps({"status": "success", "total": 6, "remaining": [], "errors": []})
    }
    assert {truth(emu, "visualization", t.job_id) for t in targets} == {"gone"}
    unchanged = {r: n for r, n in mutating_requests(emu).items() if r != "vis.delete"}
    assert unchanged == {r: n for r, n in before.items() if r != "vis.delete"}
