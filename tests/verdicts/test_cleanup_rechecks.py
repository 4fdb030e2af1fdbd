"""The cleanup's checks right before each delete, against the emulator.

Between the selection and the delete, the world may change: a selected job is deleted by someone
else, the protection in force changes (the task resumed after its stop phase with freshly rendered
``protected_names``), or a delete answers "not found" for a job that still exists (as RES does for
a ``del-job`` of another type). The cleanup deletes only what it may, reports a job gone only when
the job's detail says so, and believes a list walk about finished jobs only when it is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.emulator import EmulatorServer
from tests.airflow_support import drive, make_context, requests
from tests.verdicts.emulated import (
    FINISHED,
    OLD,
    RUNNING,
    after_answers,
    cleanup,
    listed,
    session_of,
)

Resume = Callable[[], dict[str, Any]]
# family, operator arguments, the delete route of a single job
SINGLE_DELETES = [
    ("training_v1", {}, "v1.delete"),
    ("training", {"use_batch_delete": False}, "v2.delete"),
]


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer, use_connection: Any) -> EmulatorServer:
    use_connection(modelarts_emulator.airflow_connection())
    return modelarts_emulator


def stopping_first(emu: EmulatorServer, family: str, **kwargs: Any) -> tuple[Any, Resume, list[str]]:
    """A cleanup of one running and two finished old jobs, deferred while the running one stops;
    ``resume()`` runs the rest of the task."""
    emu.seed(family, 1, status=RUNNING[family], age_seconds=OLD, name="busy")
    finished = emu.seed(family, 2, status=FINISHED[family], age_seconds=OLD, name="done")
    operator = cleanup(job_family=family, stop_running=True, deferrable=True, fail_on_errors=False, **kwargs)
    context = make_context()
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    assert deferred.value.method_name == "execute_after_stop"
    return operator, lambda: drive(operator, context, resumed=deferred.value).result, finished


def delete_elsewhere(emu: EmulatorServer, family: str, job_id: str) -> None:
    """Someone else deletes the job, and it is gone by the time the cleanup looks again."""
    project = emu.credentials.project_id
    plan = (
        ops.delete_training_job(project, job_id)
        if family == "training"
        else ops.delete_training_job_v1(project, job_id)
    )
    with closing(session_of(emu)) as session:
        session.run(plan)
    emu.advance(5)


@pytest.mark.parametrize(("family", "kwargs", "delete_route"), SINGLE_DELETES)
def test_a_selected_job_gone_before_its_delete_is_already_absent(emu, family, kwargs, delete_route) -> None:
    _, resume, finished = stopping_first(emu, family, **kwargs)
    delete_elsewhere(emu, family, finished[0])
    deletes_before = requests(emu, delete_route)
    result = resume()
    assert result["already_absent"] == [finished[0]]
    assert finished[0] not in result["deleted"] and result["failed"] == []
    assert requests(emu, delete_route) - deletes_before == 2  # the stopped job and the other finished one


@pytest.mark.parametrize(
    ("family", "kwargs"),
    [("training_v1", {}), ("training", {"use_batch_delete": False}), ("training", {})],
)
def test_a_name_protected_when_the_delete_comes_is_kept(emu, family, kwargs) -> None:
    operator, resume, finished = stopping_first(emu, family, **kwargs)
    operator.protected_names = ["done-*"]  # rendered again when the task resumes
    result = resume()
    assert sorted(s["job_id"] for s in result["skipped"]) == sorted(finished)
    assert {s["reason"] for s in result["skipped"]} == {"protected name"}
    assert not set(finished) & set(result["deleted"]) and result["failed"] == []
    assert set(finished) <= listed(emu, family)


def test_a_res_delete_answered_not_found_while_the_job_exists_fails_for_that_job(emu) -> None:
    """RES answers a ``del-job`` whose type differs from the job's with its not-found form."""
    jobs = emu.seed("res", 3, status="SUCCEEDED", age_seconds=OLD, type="etl")
    emu.faults.set("res.detail", {"latency_ms": 300})  # the checks before the deletes come later

    def retype() -> None:
        with emu.store.locked():
            emu.store.res[jobs[0]].type = "ranking"

    helper = after_answers(emu, "res.list", 1, retype)
    operator = cleanup(job_family="res", job_type="etl", fail_on_errors=False, offline_platform=PLATFORM)
    result = operator.execute(make_context())
    helper.join(10)
    assert sorted(result["deleted"]) == sorted(jobs[1:]) and result["already_absent"] == []
    [failure] = result["failed"]
    assert failure["job_id"] == jobs[0] and "still exists" in failure["reason"]
    assert jobs[0] in emu.store.res


def test_a_delete_answered_not_found_for_a_job_gone_meanwhile_is_already_absent(emu) -> None:
    jobs = emu.seed("training_v1", 2, status="COMPLETED", age_seconds=OLD)
    emu.faults.set("v1.delete", {"latency_ms": 300})  # the delete is served after the job is gone

    def forget() -> None:
        with emu.store.locked():
            del emu.store.v1[int(jobs[0])]

    helper = after_answers(emu, "v1.versions", 1, forget)
    result = cleanup(job_family="training_v1", max_concurrency=1, fail_on_errors=False).execute(
        make_context()
    )
    helper.join(10)
    assert result["already_absent"] == [jobs[0]]
    assert result["deleted"] == [jobs[1]] and result["failed"] == []


def test_a_v1_job_whose_versions_cannot_be_read_is_skipped_with_why(emu) -> None:
    [several] = emu.seed("training_v1", 1, status="COMPLETED", age_seconds=OLD, versions=2)
    [single] = emu.seed("training_v1", 1, status="COMPLETED", age_seconds=OLD)
    emu.faults.set("v1.versions", {"next_count": 1, "next_status": 400})
    result = cleanup(job_family="training_v1", fail_on_errors=False).execute(make_context())
    assert result["deleted"] == [single]
    [skip] = result["skipped"]
    assert skip["job_id"] == several and "its versions could not be read" in skip["reason"]
    assert several in listed(emu, "training_v1")


def test_without_a_complete_walk_of_unfinished_jobs_each_job_is_checked_on_its_own(emu) -> None:
    """A job that starts during the walk of unfinished v2 jobs shifts its pages: the walk proves
    nothing about which jobs have finished, so no batch delete; each job is checked and deleted alone."""
    emu.seed("training", 60, status="Running")  # recent: never selected; two pages of unfinished jobs
    old = emu.seed("training", 3, status="Completed", age_seconds=OLD)
    emu.faults.set("v2.search", {"latency_ms": 200})
    # v2.search answers: 1 the selection's listing, 2 the first page of the unfinished jobs
    helper = after_answers(emu, "v2.search", 2, lambda: emu.seed("training", 1, status="Running"))
    result = cleanup().execute(make_context())
    helper.join(10)
    assert sorted(result["deleted"]) == sorted(old) and result["confirmed_gone"] == 3
    assert requests(emu, "v2.batch_delete") == 0
    assert requests(emu, "v2.delete") == 3


PLATFORM = {"platform": "DLI", "platform_parameter": {"cluster_name": "res_one"}}


@pytest.mark.parametrize("stop_running", [False, True])
def test_a_job_found_stopping_right_before_its_delete_is_deleted_only_with_stop_running(
    emu, stop_running
) -> None:
    """A finished visualization job is restarted and stopped by someone else after the selection:
    right before its delete it is stopping. Without ``stop_running`` it is left alone, like any job
    that is not finished; with it, the cleanup waits until it has stopped, then deletes it."""
    emu.config.update({"stop_seconds": 1.5})
    jobs = emu.seed("visualization", 2, status="KILLED", age_seconds=OLD)
    emu.faults.set("vis.detail", {"latency_ms": 300})  # the checks before the deletes come later

    def restart_and_stop() -> None:
        with emu.store.locked() as now:
            life = emu.store.vis[int(jobs[0])].life
            life.restarted_at, life.stop_at, life.fixed = now, now, None

    helper = after_answers(emu, "vis.list", 1, restart_and_stop)
    operator = cleanup(job_family="visualization", stop_running=stop_running, fail_on_errors=False)
    result = drive(operator, make_context()).result
    helper.join(10)
    if stop_running:
        assert sorted(result["deleted"]) == sorted(jobs) and result["skipped"] == []
        assert requests(emu, "vis.stop") == 0  # it was stopping already: waited for, not stopped
        return
    assert result["deleted"] == [jobs[1]]
    [skip] = result["skipped"]
    assert skip["job_id"] == jobs[0]
    assert skip["reason"].startswith("KILLING (9) when it was about to be deleted")
    assert jobs[0] in listed(emu, "visualization")
