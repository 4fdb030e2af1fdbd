"""``ModelArtsCleanupJobsOperator`` end to end against the emulator (deletes stay visible 0.3 s)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import JobFamily, V1Status, V2Phase
from airflow_provider_modelarts.api.waiting import job_ids_digest
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.links.modelarts import XCOM_KEY
from airflow_provider_modelarts.operators.cleanup import STATE_KEY, ModelArtsCleanupJobsOperator, select_jobs
from airflow_provider_modelarts.operators.modelarts import (
    ModelArtsCleanupJobsOperator as ExportedCleanupOperator,
)
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger
from tests.airflow_support import drive, make_context
from tests.verdicts.emulated import after_answers, listed

OLD = 40 * 86_400  # seconds: older than the default 30 days


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer, use_connection) -> EmulatorServer:
    use_connection(modelarts_emulator.airflow_connection())
    return modelarts_emulator


@pytest.fixture
def context() -> dict[str, Any]:
    return make_context()


def cleanup(**kwargs: Any) -> ModelArtsCleanupJobsOperator:
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return ModelArtsCleanupJobsOperator(task_id="cleanup", **kwargs)


class Requests:
    def __init__(self, emu: EmulatorServer) -> None:
        self.emu = emu
        self.start = dict(emu.stats()["requests"])

    def made(self, route: str) -> int:
        return self.emu.stats()["requests"].get(route, 0) - self.start.get(route, 0)


def test_the_operator_is_exported_from_the_operators_module() -> None:
    assert ExportedCleanupOperator is ModelArtsCleanupJobsOperator


def test_dry_run_deletes_nothing(emu: EmulatorServer, context: dict[str, Any]) -> None:
    old = emu.seed("training", 5, status="Completed", age_seconds=OLD)
    recent = emu.seed("training", 2, status="Completed")
    requests = Requests(emu)
    report = cleanup(dry_run=True).execute(context)
    assert report["dry_run"] is True
    assert sorted(report["selected"]) == sorted(old)
    assert report["deleted"] == [] and report["confirmed_gone"] == 0
    assert requests.made("v2.batch_delete") == requests.made("v2.delete") == 0
    assert listed(emu, "training") == set(old) | set(recent)
    assert XCOM_KEY not in context["ti"].pushed  # no public console link for the emulator


@pytest.mark.parametrize("family", ["training", "training_v1", "visualization"])
def test_age_is_measured_from_now_in_the_services_milliseconds(
    emu: EmulatorServer, context: dict[str, Any], family: str
) -> None:
    """A day either side of ``older_than`` (30 days): only the older job is selected."""
    status = {"training": "Completed", "training_v1": "COMPLETED", "visualization": "KILLED"}[family]
    [older] = emu.seed(family, 1, status=status, age_seconds=31 * 86_400)
    emu.seed(family, 1, status=status, age_seconds=29 * 86_400)
    report = cleanup(job_family=family, dry_run=True).execute(context)
    assert report["selected"] == [older]


def test_v2_batch_deletes_and_confirms_every_job_gone(emu: EmulatorServer, context: dict[str, Any]) -> None:
    old = emu.seed("training", 150, status="Completed", age_seconds=OLD)
    recent = emu.seed("training", 3, status="Failed")
    protected = emu.seed("training", 2, name="keep", status="Completed", age_seconds=OLD)
    running = emu.seed("training", 2, status="Running", age_seconds=OLD)
    requests = Requests(emu)

    report = cleanup(protected_names=["keep-*"]).execute(context)

    assert sorted(report["deleted"]) == sorted(old)
    assert report["confirmed_gone"] == 150 and report["failed"] == []
    assert requests.made("v2.batch_delete") == math.ceil(150 / 100) == report["delete_calls"]
    assert requests.made("v2.delete") == 0
    assert sorted(s["job_id"] for s in report["skipped"]) == sorted(protected + running)
    assert listed(emu, "training") == set(recent + protected + running)


def test_a_failed_batch_falls_back_to_single_deletes(emu: EmulatorServer, context: dict[str, Any]) -> None:
    old = emu.seed("training", 120, status="Completed", age_seconds=OLD)
    emu.faults.set("v2.batch_delete", {"next_count": 1, "next_status": 400})
    requests = Requests(emu)

    report = cleanup(max_concurrency=1).execute(context)  # one call at a time: the first batch fails

    assert requests.made("v2.batch_delete") == 2
    assert requests.made("v2.delete") == 100
    assert report["delete_calls"] == 102
    assert sorted(report["deleted"]) == sorted(old) and report["confirmed_gone"] == 120
    assert listed(emu, "training") == set()


@pytest.mark.parametrize(("family", "route"), [("training_v1", "v1.delete"), ("visualization", "vis.delete")])
def test_v1_and_visualization_cleanup_deletes_one_by_one(
    emu: EmulatorServer, context: dict[str, Any], family: str, route: str
) -> None:
    old = emu.seed(family, 4, status="COMPLETED", age_seconds=OLD)
    running = emu.seed(family, 1, status="RUNNING", age_seconds=OLD)
    recent = emu.seed(family, 1, status="KILLED")
    requests = Requests(emu)

    report = cleanup(job_family=family).execute(context)

    assert sorted(report["deleted"]) == sorted(old) and report["confirmed_gone"] == 4
    assert requests.made(route) == report["delete_calls"] == 4
    assert [s["job_id"] for s in report["skipped"]] == running
    assert listed(emu, family) == set(running + recent)


def test_stop_running_stops_then_deletes(emu: EmulatorServer, context: dict[str, Any]) -> None:
    running = emu.seed("training", 3, status="Running", age_seconds=OLD)
    done = emu.seed("training", 2, status="Completed", age_seconds=OLD)
    requests = Requests(emu)

    report = cleanup(stop_running=True).execute(context)

    assert requests.made("v2.terminate") == 3
    assert requests.made("v2.batch_delete") == 1
    assert sorted(report["deleted"]) == sorted(running + done) and report["confirmed_gone"] == 5
    assert report["skipped"] == [] and report["failed"] == []
    assert listed(emu, "training") == set()


def test_deferrable_cleanup_keeps_its_report_out_of_the_trigger(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    """The work left and the report travel in the task's XCom; the trigger holds ids only, and
    comes back with an event the task checks against the ids it deferred with."""
    old = emu.seed("training", 5, status="Completed", age_seconds=OLD)
    operator = cleanup(deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, ModelArtsJobsTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert not deferred.value.kwargs
    classpath, trigger_kwargs = trigger.serialize()
    assert classpath.endswith("ModelArtsJobsTrigger")
    assert sorted(trigger_kwargs["job_ids"]) == sorted(old)
    assert set(trigger_kwargs) == {
        "job_family", "job_ids", "version_id", "goal", "workspace_id", "listed_by", "modelarts_conn_id",
        "region", "project_id", "poll_interval", "deadline", "max_poll_failures", "first_poll_delay",
    }  # fmt: skip
    assert sorted(context["ti"].pushed[STATE_KEY]["report"]["deleted"]) == sorted(old)

    rebuilt = ModelArtsJobsTrigger(**trigger_kwargs)

    async def run() -> list[dict[str, Any]]:
        return [event.payload async for event in rebuilt.run()]

    (event,) = asyncio.run(asyncio.wait_for(run(), 20))
    assert (event["status"], event["total"], event["remaining"], event["errors"]) == ("success", 5, [], [])
    report = operator.execute_complete(context, event)
    assert report["confirmed_gone"] == 5 and report["failed"] == []
    assert listed(emu, "training") == set()


@pytest.mark.parametrize(
    "event",
    [
        None,
        {"status": "success"},
        {"status": "success", "job_family": "training", "goal": "deleted", "job_ids_digest": "0" * 24,
         "remaining": [], "errors": []},
        {"status": "success", "job_family": "training", "goal": "stopped", "job_ids_digest": None,
         "remaining": [], "errors": []},
        {"status": "party", "job_family": "training", "goal": "deleted", "remaining": [], "errors": []},
    ],
    ids=["none", "bare-success", "other-jobs", "other-goal", "unknown-status"],
)  # fmt: skip
def test_execute_complete_believes_only_an_event_about_its_own_jobs(
    emu: EmulatorServer, context: dict[str, Any], event: Any
) -> None:
    emu.seed("training", 3, status="Completed", age_seconds=OLD)
    operator = cleanup(deferrable=True)
    with pytest.raises(TaskDeferred):
        operator.execute(context)
    if event is not None and event.get("job_ids_digest", "") is None:
        event["job_ids_digest"] = job_ids_digest(context["ti"].pushed[STATE_KEY]["report"]["deleted"])
    with pytest.raises(AirflowException, match=r"unexpected event|other jobs"):
        operator.execute_complete(context, event)


def test_a_success_event_that_leaves_jobs_unsettled_is_refused(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    old = emu.seed("training", 3, status="Completed", age_seconds=OLD)
    operator = cleanup(deferrable=True)
    with pytest.raises(TaskDeferred):
        operator.execute(context)
    event = {"status": "success", "job_family": "training", "goal": "deleted",
             "job_ids_digest": job_ids_digest(old), "remaining": [old[0]], "errors": []}  # fmt: skip
    with pytest.raises(AirflowException, match="do not fit"):
        operator.execute_complete(context, event)


def test_the_stop_first_phase_defers_too(emu: EmulatorServer, context: dict[str, Any]) -> None:
    running = emu.seed("training", 2, status="Running", age_seconds=OLD)
    done = emu.seed("training", 2, status="Completed", age_seconds=OLD)
    driven = drive(cleanup(stop_running=True, deferrable=True), context)
    assert [d.method_name for d in driven.deferrals] == ["execute_after_stop", "execute_complete"]
    stop_wait, delete_wait = (d.trigger for d in driven.deferrals)
    assert (stop_wait.goal, sorted(stop_wait.job_ids)) == ("stopped", sorted(running))
    assert (delete_wait.goal, sorted(delete_wait.job_ids)) == ("deleted", sorted(running + done))
    assert driven.result["confirmed_gone"] == 4
    assert listed(emu, "training") == set()


def test_a_v1_job_with_any_running_version_is_running(emu: EmulatorServer, context: dict[str, Any]) -> None:
    """Its latest version finished, an older one still runs: the list says COMPLETED, the job is
    not. It is neither deleted nor stopped (stop_running is off)."""
    [mixed] = emu.seed("training_v1", 1, status="RUNNING", age_seconds=OLD)
    finished = emu.seed("training_v1", 2, status="COMPLETED", age_seconds=OLD)
    emu.store.add_version(emu.store.v1[int(mixed)], fixed=V1Status.COMPLETED)
    requests = Requests(emu)

    report = cleanup(job_family="training_v1").execute(context)

    assert sorted(report["deleted"]) == sorted(finished)
    assert [(s["job_id"], s["status"]) for s in report["skipped"]] == [(mixed, "RUNNING (8)")]
    assert requests.made("v1.version_stop") == 0
    assert mixed in listed(emu, "training_v1")


def start_running(emu: EmulatorServer, family: str, job_id: str) -> None:
    """The job runs again: v1, a new version; v2, the job itself (as after a restart)."""
    with emu.store.locked():
        if family == "training":
            emu.store.v2[job_id].life.fixed = V2Phase.RUNNING
        else:
            emu.store.add_version(emu.store.v1[int(job_id)], fixed=V1Status.RUNNING)


@pytest.mark.parametrize(
    ("family", "listing", "recheck"),
    [("training", "v2.search", "v2.search"), ("training_v1", "v1.list", "v1.versions")],
)
def test_a_job_that_starts_running_after_it_was_selected_is_not_deleted(
    emu: EmulatorServer, context: dict[str, Any], family: str, listing: str, recheck: str
) -> None:
    """Selected while finished, it starts running right after the listing (the check before the
    delete is slowed down so that it comes after): it is checked again and skipped, with why."""
    finished = emu.seed(
        family, 3, status="Completed" if family == "training" else "COMPLETED", age_seconds=OLD
    )
    emu.faults.set(recheck, {"latency_ms": 300})
    helper = after_answers(emu, listing, 1, lambda: start_running(emu, family, finished[0]))
    report = cleanup(job_family=family, fail_on_errors=False).execute(context)
    helper.join(10)
    assert sorted(report["deleted"]) == sorted(finished[1:])
    (skip,) = report["skipped"]
    assert skip["job_id"] == finished[0] and skip["status"] in ("Running", "RUNNING (8)")
    assert "when it was about to be deleted" in skip["reason"]
    assert finished[0] in listed(emu, family)


@pytest.mark.parametrize("family", ["training", "training_v1"])
def test_with_stop_running_a_job_running_again_is_stopped_again_before_its_delete(
    emu: EmulatorServer, context: dict[str, Any], family: str
) -> None:
    """While the cleanup waits for one job to stop, a selected finished job starts running again;
    the check before its delete finds it running, so it is stopped (and waited on) first."""
    [other] = emu.seed(family, 1, status="Running" if family == "training" else "RUNNING", age_seconds=OLD)
    finished = emu.seed(
        family, 2, status="Completed" if family == "training" else "COMPLETED", age_seconds=OLD
    )
    operator = cleanup(job_family=family, stop_running=True, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    assert deferred.value.method_name == "execute_after_stop"
    start_running(emu, family, finished[0])
    driven = drive(operator, context, resumed=deferred.value)
    assert [d.method_name for d in driven.deferrals] == ["execute_after_stop"] * 2 + ["execute_complete"]
    assert [sorted(d.trigger.job_ids) for d in driven.deferrals[:2]] == [[other], [finished[0]]]
    assert sorted(driven.result["deleted"]) == sorted([other, *finished])
    assert driven.result["skipped"] == [] and driven.result["confirmed_gone"] == 3
    assert listed(emu, family) == set()
    # Every stop was accepted (v2 answers 202, a v1 version stop 200): none was refused.
    stop_route = "v2.terminate" if family == "training" else "v1.version_stop"
    assert set(emu.stats()["responses"][stop_route]) <= {"200", "202"}
    assert emu.stats()["responses"][stop_route], "no stop was sent"


def test_protected_names_from_a_template_must_render_to_a_list(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    jobs = emu.seed("training", 2, name="prod", status="Completed", age_seconds=OLD)
    operator = cleanup(protected_names="{{ params.protected }}")
    operator.protected_names = "['prod-*']"  # what the template renders to without native rendering
    with pytest.raises(ValueError, match="protected_names: expected a list"):
        operator.execute(context)
    assert listed(emu, "training") == set(jobs)
    with pytest.raises(ValueError, match="protected_names: expected a list"):
        cleanup(protected_names="prod-*")


def test_jobs_without_a_readable_name_are_kept_while_names_are_protected(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    assert (
        select_jobs(
            [JobSnapshot(JobFamily.TRAINING, "a", "Completed", create_time=0)],
            now_ms=OLD * 2000,
            older_than_s=0,
            protected_names=["prod-*"],
        ).delete
        == []
    )


def test_deletion_failures_are_reported_with_reasons(emu: EmulatorServer, context: dict[str, Any]) -> None:
    """Visualization jobs whose deletion the service reports failed (status DELETE_FAILED)."""
    failing = emu.seed("visualization", 2, status="KILLED", age_seconds=OLD, emulator={"delete_fails": True})
    fine = emu.seed("visualization", 2, status="KILLED", age_seconds=OLD)

    report = cleanup(job_family="visualization", fail_on_errors=False).execute(context)
    assert report["confirmed_gone"] == 2
    assert sorted(f["job_id"] for f in report["failed"]) == sorted(failing)
    assert all("deletion failed" in f["reason"] for f in report["failed"])
    assert listed(emu, "visualization") == set(failing)  # the two others are gone
    assert not set(fine) & set(f["job_id"] for f in report["failed"])


def test_fail_on_errors_fails_the_task_after_trying_every_job(
    emu: EmulatorServer, context: dict[str, Any]
) -> None:
    jobs = emu.seed("training_v1", 3, status="COMPLETED", age_seconds=OLD)
    emu.faults.set("v1.delete", {"next_count": 1, "next_status": 400})
    requests = Requests(emu)
    with pytest.raises(AirflowException, match="1 training_v1 job"):
        cleanup(job_family="training_v1", max_concurrency=1).execute(context)
    assert requests.made("v1.delete") == 3
    assert len(listed(emu, "training_v1") & set(jobs)) == 1  # the two others were deleted


def test_unconfirmed_deletes_fail_after_the_timeout(emu: EmulatorServer, context: dict[str, Any]) -> None:
    """v2 jobs whose deletion never takes effect stay listed: not confirmed before max_wait."""
    stuck = emu.seed("training", 2, status="Completed", age_seconds=OLD, emulator={"delete_fails": True})
    report = cleanup(timeout=0.6, fail_on_errors=False).execute(context)
    assert sorted(report["deleted"]) == sorted(stuck) and report["confirmed_gone"] == 0
    assert [(f["job_id"], f["reason"]) for f in report["failed"]] == [
        (job, "not confirmed gone before the deadline (timeout)") for job in sorted(stuck)
    ]


def test_max_deletes_cap_deletes_the_oldest(emu: EmulatorServer, context: dict[str, Any]) -> None:
    by_age = {
        days: emu.seed("training", 1, status="Completed", age_seconds=days * 86_400)[0]
        for days in (40, 50, 60, 70, 80)
    }
    requests = Requests(emu)
    report = cleanup(max_deletes=2).execute(context)
    assert sorted(report["deleted"]) == sorted([by_age[80], by_age[70]])
    assert [s["job_id"] for s in report["skipped"]] == [by_age[60], by_age[50], by_age[40]]
    assert all("max_deletes" in s["reason"] for s in report["skipped"])
    assert requests.made("v2.batch_delete") == 1
    assert listed(emu, "training") == {by_age[60], by_age[50], by_age[40]}
