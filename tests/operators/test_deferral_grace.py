"""A trigger never fires right after its deferral (an Airflow race can mark such a task failed):
a goal reached within ``[modelarts] deferral_grace_seconds`` is taken on the worker, and a trigger
polls first one interval, and at least the grace, after the task deferred."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger
from tests.airflow_support import FAST, drive, make_context, requests
from tests.operators.cases import BY_NAME
from tests.triggers.test_triggers import mark_deleted

GRACE = 1.0


@pytest.fixture
def grace(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setenv("AIRFLOW__MODELARTS__DEFERRAL_GRACE_SECONDS", str(GRACE))
    return GRACE


def test_a_goal_reached_within_the_grace_needs_no_deferral(emu: EmulatorServer, grace: float) -> None:
    case = BY_NAME["delete_training"]
    target = case.seed(emu)  # the emulator removes a deleted job after 0.3 s
    started = time.monotonic()
    driven = drive(case.operator(target, deferrable=True, poll_interval=10), make_context())
    assert driven.deferrals == []
    assert driven.result["final_status"] == "ABSENT"
    assert time.monotonic() - started < grace + 2
    # One look, at the grace's pace after the delete request (not at once, when the job is still
    # there, nor at the operator's 10 s interval).
    assert requests(emu, "v2.detail") == 1


@pytest.mark.parametrize("interval", [FAST, 2.0], ids=["interval-below-grace", "interval-above-grace"])
def test_a_slower_goal_defers_and_the_trigger_looks_one_interval_later(
    emu: EmulatorServer, grace: float, interval: float
) -> None:
    case = BY_NAME["delete_training"]
    emu.config.update({"delete_visible_seconds": grace + 2})
    target = case.seed(emu)
    op = case.operator(target, deferrable=True, poll_interval=interval)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(make_context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, ModelArtsJobsTrigger)  # a single job is a list of one
    assert trigger.first_poll_delay == max(interval, grace)
    assert trigger.poll_interval == interval  # its own pace again, not the grace's

    before = requests(emu, "v2.detail")

    async def first_poll_after() -> float:
        started = time.monotonic()
        task = asyncio.ensure_future(trigger.run().__anext__())
        for _ in range(1000):
            if requests(emu, "v2.detail") > before:
                break
            await asyncio.sleep(0.01)
        waited = time.monotonic() - started
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return waited

    assert asyncio.run(first_poll_after()) >= max(interval, grace) - 0.05


def test_deferrable_sensors_wait_out_the_grace_too(emu: EmulatorServer, grace: float) -> None:
    case = BY_NAME["delete_visualization"]
    target = case.seed(emu)
    emu.config.update({"delete_visible_seconds": grace + 2})
    mark_deleted(emu, target)
    sensor = ModelArtsJobDeletedSensor(
        task_id="gone", job_family="visualization", job_id=target.job_id, deferrable=True, poke_interval=FAST
    )
    started = time.monotonic()
    driven = drive(sensor, make_context())
    (deferral,) = driven.deferrals
    assert time.monotonic() - started >= grace  # it looked for the whole grace first
    trigger: Any = deferral.trigger
    assert trigger.first_poll_delay == grace
