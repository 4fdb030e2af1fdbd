"""A crash between "request sent" and "answer received": Airflow's retry must end in success."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.operators import modelarts as op
from airflow_provider_modelarts.teardown.core import STATE_DONE, STATE_KEY
from tests.reliability.conftest import FAST, Target, make_targets, request_teardown, task_context, truth

CASES = {
    "v2-delete": ("training", "delete", "deleted", op.ModelArtsDeleteTrainingJobOperator),
    "v2-terminate": ("training", "terminate", "stopped", op.ModelArtsTerminateTrainingJobOperator),
    "v1-delete": ("training_v1", "delete", "deleted", op.ModelArtsDeleteTrainingJobV1Operator),
    "v1-version-stop": ("training_v1", "stop_version", "stopped", op.ModelArtsStopTrainingJobVersionOperator),
    "v1-version-delete": (
        "training_v1",
        "delete_version",
        "deleted",
        op.ModelArtsDeleteTrainingJobVersionOperator,
    ),
    "vis-delete": ("visualization", "delete", "deleted", op.ModelArtsDeleteVisualizationJobOperator),
    "vis-stop": ("visualization", "stop", "stopped", op.ModelArtsStopVisualizationJobOperator),
    "res-delete": ("res", "delete", "deleted", op.ModelArtsDeleteResJobOperator),
}


def _operator(cls: type, target: Target, deferrable: bool) -> Any:
    ids: dict[str, Any] = {"job_id": target.job_id}
    if target.version_id is not None:
        ids["version_id"] = target.version_id
    if target.family == "res":
        ids["job_type"] = "ranking"
    return cls(task_id="teardown", poll_interval=0.1, timeout=30, deferrable=deferrable, **ids)


@pytest.mark.parametrize("deferrable", [False, True], ids=["in-worker", "deferred"])
@pytest.mark.parametrize("retry_when", ["while-settling", "after-settled"])
@pytest.mark.parametrize("case", list(CASES))
def test_retry_after_a_lost_answer_succeeds(
    modelarts_emulator: EmulatorServer, use_connection, case: str, retry_when: str, deferrable: bool
):
    family, action, goal, cls = CASES[case]
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("aksk"))
    target = make_targets(emu, family, action, goal, 1)[0]
    # The first try's request reached the service; its answer never came back.
    asyncio.run(request_teardown(ModelArtsHook(retry_policy=FAST), target))
    if retry_when == "after-settled":
        emu.advance(10)
    context = task_context()
    operator = _operator(cls, target, deferrable)
    deferred_once = False
    try:
        result = operator.execute(context)
    except TaskDeferred as deferred:
        deferred_once = True
        event = asyncio.run(deferred.trigger.wait(ModelArtsHook()))
        result = getattr(operator, deferred.method_name)(context, event)
    expected = "gone" if goal == "deleted" else "stopped"
    assert truth(emu, target.family, target.job_id, target.version_id) == expected
    assert result["job_id"] == target.job_id and result.get("version_id") == target.version_id
    assert result["action"] == operator.action
    if goal == "stopped":
        assert str(result["final_status"]).startswith(("Terminated", "KILLED")), result
    else:
        assert result["already_absent"] or result["final_status"] == "ABSENT", result
    # No console link for the emulator; the state a resumed task needs, only where the task deferred,
    # then (this stand-in cannot delete an XCom) overwritten with the marker once the task succeeded.
    pushed = context["ti"].pushed
    assert [key for key, _ in pushed] == ([STATE_KEY, STATE_KEY] if deferred_once else [])
    assert not deferred_once or pushed[-1][1] == STATE_DONE
