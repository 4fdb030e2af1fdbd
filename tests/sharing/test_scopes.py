"""Lists are scoped (a workspace, the calling IAM user): a job a list never shows must never be
reported gone or stopped because of that, however many waits share the list walk, and the cleanup
confirms its deletions in the scope it listed. Against the emulator, which models both scopes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger
from tests.airflow_support import FAST, emu, make_context
from tests.operators.cases import Target, emulator_status
from tests.triggers.test_triggers import mark_deleted

OLD = 40 * 86_400
__all__ = ["emu"]


def _trigger(family: str, job: str, goal: str, deadline: float) -> ModelArtsJobTrigger:
    return ModelArtsJobTrigger(
        job_family=family, job_id=job, goal=goal, poll_interval=FAST, deadline=deadline
    )


async def _events(triggers: list[ModelArtsJobTrigger]) -> list[dict[str, Any]]:
    """Every trigger's event, all run in one event loop as one triggerer runs them."""

    async def first(trigger: ModelArtsJobTrigger) -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("no event")

    return await asyncio.wait_for(asyncio.gather(*(first(t) for t in triggers)), 60)


SCOPES = {
    "another-workspace": {"workspace_id": "w1"},
    "another-user": {"owner": "emulator-user-2"},
}


@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("goal", ["deleted", "stopped"])
@pytest.mark.parametrize(("family", "running"), [("training", "Running"), ("training_v1", "RUNNING"),
                                                 ("visualization", "RUNNING")])  # fmt: skip
def test_shared_waits_never_take_a_job_outside_the_list_for_gone_or_stopped(
    emu: EmulatorServer, scope: str, goal: str, family: str, running: str
) -> None:
    if family != "training" and scope == "another-user":
        emu.config.update({"v1_lists_by_user": True})  # undocumented for v1: the other reading
    outside = emu.seed(family, 2, status=running, **SCOPES[scope])
    inside = emu.seed(family, 3, status=running)
    deadline = time.time() + 1.5
    events = asyncio.run(_events([_trigger(family, job, goal, deadline) for job in outside + inside]))
    assert [e["status"] for e in events] == ["timeout"] * 5, events  # nobody is gone or stopped
    for job in outside:
        assert emulator_status(emu, Target(JobFamily(family), job)) is not None


@pytest.mark.parametrize("scope", list(SCOPES))
def test_a_job_outside_the_list_is_gone_when_its_detail_says_so(emu: EmulatorServer, scope: str) -> None:
    outside = emu.seed("training", 2, status="Completed", **SCOPES[scope])
    inside = emu.seed("training", 3, status="Completed")
    for job in outside[:1] + inside[:1]:
        mark_deleted(emu, Target(JobFamily.TRAINING, job))
    deadline = time.time() + 2.0
    events = asyncio.run(
        _events([_trigger("training", job, "deleted", deadline) for job in outside + inside])
    )
    gone = {e["job_id"] for e in events if e["status"] == "success"}
    assert gone == {outside[0], inside[0]}


def test_the_cleanup_confirms_its_deletions_in_the_scope_it_listed(emu: EmulatorServer) -> None:
    """Jobs of workspace w1 whose deletion never takes effect: the default list never shows them,
    so only w1's list (or their detail) can say whether they are gone. They are not."""
    stuck = emu.seed("training", 2, status="Completed", age_seconds=OLD, workspace_id="w1",
                     emulator={"delete_fails": True})  # fmt: skip
    gone = emu.seed("training", 2, status="Completed", age_seconds=OLD, workspace_id="w1")
    elsewhere = emu.seed("training", 2, status="Completed", age_seconds=OLD)
    report = ModelArtsCleanupJobsOperator(
        task_id="cleanup", workspace_id="w1", poll_interval=0.1, timeout=1.5, fail_on_errors=False
    ).execute(make_context())
    assert sorted(report["deleted"]) == sorted(stuck + gone)
    assert report["confirmed_gone"] == 2
    assert sorted(f["job_id"] for f in report["failed"]) == sorted(stuck)
    assert all(emulator_status(emu, Target(JobFamily.TRAINING, job)) is not None for job in stuck + elsewhere)
