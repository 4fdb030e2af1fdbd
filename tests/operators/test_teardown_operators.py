"""Every teardown operator against the emulator: synchronous wait, deferred wait, and no wait."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from airflow_provider_modelarts.api.watch import ABSENT
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.links.modelarts import XCOM_KEY
from airflow_provider_modelarts.operators.waiting import DEFER_BACKSTOP
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger
from tests.airflow_support import FAST, drive, make_context, mutating_requests
from tests.operators.cases import CASES, Case, Target, emulator_status

ids = [case.name for case in CASES]


def _expected_value(case: Case, target: Target, final_status: str | None) -> dict[str, object]:
    value: dict[str, object] = {
        "job_id": target.job_id,
        "job_family": case.family.value,
        "action": case.action,
        "already_absent": False,
        "final_status": final_status,
    }
    if target.version_id is not None:
        value["version_id"] = target.version_id
    return value


def _check_reached(case: Case, server: EmulatorServer, target: Target, result: dict[str, object]) -> None:
    status = emulator_status(server, target)
    if case.is_stop:
        assert status == case.stopped
        assert str(result["final_status"]).startswith(str(case.stopped))
    else:
        assert status is None
        assert result["final_status"] == ABSENT
    assert result == _expected_value(case, target, result["final_status"])


def _check_console_link(context: dict, server: EmulatorServer) -> None:
    assert XCOM_KEY not in context["ti"].pushed  # the public console does not show the emulator's jobs


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_synchronous_wait(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu)
    context = make_context()
    op = case.operator(target, deferrable=False)

    driven = drive(op, context)

    assert driven.deferrals == []
    _check_reached(case, emu, target, driven.result)
    _check_console_link(context, emu)
    assert mutating_requests(emu) == {case.route: 1}


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_deferred_wait(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu)
    context = make_context()
    op = case.operator(target, deferrable=True, timeout=120)
    before = time.time()

    driven = drive(op, context)

    assert len(driven.deferrals) == 1
    deferred = driven.deferrals[0]
    assert deferred.method_name == ("execute_after_stop" if case.is_stop else "execute_complete")
    assert (
        timedelta(seconds=110) + DEFER_BACKSTOP <= deferred.timeout <= timedelta(seconds=120) + DEFER_BACKSTOP
    )
    trigger = deferred.trigger
    assert isinstance(trigger, ModelArtsJobsTrigger)  # a single job is a list of one
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_modelarts.triggers.modelarts.ModelArtsJobsTrigger"
    assert kwargs["job_family"] == case.family.value
    assert kwargs["job_ids"] == [target.job_id] and kwargs["version_id"] == target.version_id
    assert kwargs["goal"] == ("stopped" if case.is_stop else "deleted")
    assert kwargs["poll_interval"] == FAST and kwargs["modelarts_conn_id"] == "modelarts_default"
    assert kwargs["first_poll_delay"] == FAST  # the operator has just looked: one interval later
    assert before + 120 <= kwargs["deadline"] <= time.time() + 120
    assert driven.events[0]["status"] == "success" and driven.events[0]["total"] == 1
    _check_reached(case, emu, target, driven.result)
    _check_console_link(context, emu)
    # The operator sent the one teardown request; the trigger only read.
    assert mutating_requests(emu) == {case.route: 1}


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_no_wait_returns_after_the_request(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu)
    context = make_context()
    op = case.operator(target, wait_for_completion=False, deferrable=True)

    driven = drive(op, context)

    assert driven.deferrals == []
    assert driven.result == _expected_value(case, target, None)
    assert mutating_requests(emu) == {case.route: 1}
    # The request was accepted but the service has not finished yet.
    status = emulator_status(emu, target)
    assert status is not None
    if case.is_stop:
        assert status != case.stopped
    _check_console_link(context, emu)


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_missing_job_is_already_absent(case: Case, emu: EmulatorServer, deferrable: bool) -> None:
    target = case.seed(emu)
    emu.store.reset()  # the ids are well formed, the jobs no longer exist
    op = case.operator(target, deferrable=deferrable)

    driven = drive(op, make_context())

    assert driven.deferrals == []
    assert driven.result["already_absent"] is True and driven.result["final_status"] == ABSENT


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_missing_job_fails_without_ignore_not_found(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu)
    emu.store.reset()
    op = case.operator(target, ignore_not_found=False)

    with pytest.raises(Exception, match="does not exist") as info:
        drive(op, make_context())
    assert type(info.value).__name__ == "AirflowException"
    assert target.job_id in str(info.value)
