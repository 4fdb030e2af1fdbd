"""``ModelArtsTeardownJobOperator``: one task for a whole teardown, for every family, on the worker
and deferred, across an Airflow retry after a crash, and for a list of jobs with a partial failure.
Also the list form (``job_ids``) of the delete operators, and the one naming scheme's checks."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_modelarts.api.statuses import JobFamily, V1Status, V2Phase
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators import modelarts as op
from airflow_provider_modelarts.teardown.core import STATE_KEY
from tests.airflow_support import FAST, drive, make_context, mutating_requests, run_trigger
from tests.operators.cases import RES_PLATFORM, Target, emulator_status

MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])

# family, seed status of a running job, the stop route, the delete route, extra operator kwargs
FAMILIES: dict[str, tuple[str, str, str | None, str, dict[str, Any]]] = {
    "training": ("training", "Running", "v2.terminate", "v2.delete", {}),
    "training_v1": ("training_v1", "RUNNING", "v1.version_stop", "v1.delete", {}),
    "training_v1-version": ("training_v1", "RUNNING", "v1.version_stop", "v1.version_delete", {}),
    "visualization": ("visualization", "RUNNING", "vis.stop", "vis.delete", {}),
    "res": ("res", "RUNNING", None, "res.delete", {"job_type": "etl", "offline_platform": RES_PLATFORM}),
}


def teardown(target: Target, **kwargs: Any) -> op.ModelArtsTeardownJobOperator:
    kwargs.setdefault("poll_interval", FAST)
    kwargs.setdefault("task_id", "teardown")
    if target.version_id is not None:
        kwargs["version_id"] = target.version_id
    return op.ModelArtsTeardownJobOperator(job_family=target.family.value, job_id=target.job_id, **kwargs)


def seed(emu: EmulatorServer, name: str, status: str | None = None, versions: int = 1) -> Target:
    family, running, *_ = FAMILIES[name]
    fields: dict[str, Any] = {"status": status or running}
    if family == "training_v1":
        fields["versions"] = versions
    (job_id,) = emu.seed(family, **fields)
    version = None
    if name == "training_v1-version":
        version = str(emu.store.v1[int(job_id)].versions[-1].id)
    return Target(JobFamily(family), job_id, version)


@pytest.mark.parametrize("name", list(FAMILIES))
@MODES
def test_a_running_job_is_stopped_then_deleted(emu: EmulatorServer, name: str, deferrable: bool) -> None:
    _, _, stop_route, delete_route, extra = FAMILIES[name]
    target = seed(emu, name)
    driven = drive(teardown(target, deferrable=deferrable, **extra), make_context())

    result = driven.result
    assert emulator_status(emu, target) is None
    assert result["job_id"] == target.job_id and result["job_family"] == target.family.value
    assert result["action"] == "teardown" and result["final_status"] == "ABSENT"
    assert (result["stopped"], result["deleted"], result["already_absent"]) == (
        stop_route is not None,
        True,
        False,
    )
    expected = {delete_route: 1} | ({stop_route: 1} if stop_route else {})
    assert mutating_requests(emu) == expected
    if deferrable:
        waits = [d.method_name for d in driven.deferrals]
        assert waits == (["execute_after_stop"] if stop_route else []) + ["execute_complete"]


@pytest.mark.parametrize("name", ["training", "training_v1", "visualization"])
def test_a_finished_job_is_deleted_without_a_stop(emu: EmulatorServer, name: str) -> None:
    done = {"training": "Completed", "training_v1": "COMPLETED", "visualization": "KILLED"}[name]
    target = seed(emu, name, status=done)
    result = drive(teardown(target, deferrable=True), make_context()).result
    assert (result["stopped"], result["deleted"]) == (False, True)
    assert list(mutating_requests(emu)) == [FAMILIES[name][3]]


def test_a_v1_job_with_any_running_version_is_stopped_version_by_version(emu: EmulatorServer) -> None:
    target = seed(emu, "training_v1", versions=3)
    job = emu.store.v1[int(target.job_id)]
    emu.store.add_version(job, fixed=V1Status.COMPLETED)  # the latest finished; three still run
    result = drive(teardown(target), make_context()).result
    assert result["stopped"] and result["deleted"]
    assert mutating_requests(emu) == {"v1.version_stop": 3, "v1.delete": 1}


def test_a_gone_job_is_already_absent(emu: EmulatorServer) -> None:
    target = seed(emu, "training")
    emu.store.reset()
    result = drive(teardown(target, deferrable=True), make_context()).result
    assert (result["already_absent"], result["stopped"], result["deleted"]) == (True, False, False)
    assert mutating_requests(emu) == {}


def test_stop_first_false_refuses_a_running_job(emu: EmulatorServer) -> None:
    target = seed(emu, "training")
    with pytest.raises(AirflowException, match=r"Running; stop_first=False, so it is not deleted"):
        drive(teardown(target, stop_first=False), make_context())
    assert mutating_requests(emu) == {}
    assert emulator_status(emu, target) == "Running"


@MODES
def test_delete_false_only_stops(emu: EmulatorServer, deferrable: bool) -> None:
    target = seed(emu, "visualization")
    result = drive(teardown(target, delete=False, deferrable=deferrable), make_context()).result
    assert (result["stopped"], result["deleted"], result["final_status"]) == (True, False, "KILLED (12)")
    assert mutating_requests(emu) == {"vis.stop": 1}
    assert emulator_status(emu, target) == "KILLED"


@pytest.mark.parametrize("crash", ["waiting-to-stop", "waiting-to-be-gone"])
def test_an_airflow_retry_after_a_crash_resumes_where_the_last_try_stopped(
    emu: EmulatorServer, crash: str
) -> None:
    """The first try dies while it waits (its worker is gone, its deferral is lost); the retry, a
    new task instance, looks at the job and goes on from there: no second stop request."""
    target = seed(emu, "training")
    emu.config.update({"stop_seconds": 1.0, "delete_visible_seconds": 1.0})
    first = teardown(target, deferrable=True)
    first_context = make_context()
    with pytest.raises(TaskDeferred) as deferred:
        first.execute(first_context)
    if crash == "waiting-to-be-gone":
        stop_wait = deferred.value
        event = run_trigger(stop_wait.trigger)  # the stop completes; resumed, the task deletes
        with pytest.raises(TaskDeferred) as deferred:
            first.resume_execution(stop_wait.method_name, {"event": event}, first_context)
        assert deferred.value.method_name == "execute_complete"
    before = dict(mutating_requests(emu))

    retry = drive(teardown(target, deferrable=True), make_context()).result

    assert emulator_status(emu, target) is None
    assert retry["final_status"] == "ABSENT" and (retry["deleted"] or retry["already_absent"])
    after = mutating_requests(emu)
    assert after.get("v2.terminate") == 1  # never asked twice
    assert after.get("v2.delete", 0) - before.get("v2.delete", 0) <= 1


# ---- many jobs in one task ----------------------------------------------------------------------


@MODES
def test_a_list_is_torn_down_in_one_task_with_a_report_per_job(emu: EmulatorServer, deferrable: bool) -> None:
    running = emu.seed("training", 3, status="Running")
    finished = emu.seed("training", 2, status="Failed")
    gone = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
    context = make_context()
    task = op.ModelArtsTeardownJobOperator(
        task_id="teardown_all",
        job_family="training",
        job_ids=[*running, *finished, gone],
        poll_interval=FAST,
        deferrable=deferrable,
    )
    driven = drive(task, context)
    report = driven.result
    outcome = {entry["job_id"]: entry["outcome"] for entry in report["jobs"]}
    assert outcome == {**dict.fromkeys(running + finished, "deleted"), gone: "already_absent"}
    assert sorted(report["stopped"]) == sorted(running) and report["confirmed_gone"] == 5
    assert mutating_requests(emu) == {"v2.terminate": 3, "v2.batch_delete": 1}
    if deferrable:  # one trigger for the stops, one for the deletions
        assert [len(d.trigger.job_ids) for d in driven.deferrals] == [3, 5]


def test_a_partial_failure_fails_the_task_at_the_end_after_everything_else(emu: EmulatorServer) -> None:
    """Two jobs whose deletion the service reports failed, one running job that may not be
    stopped: the others are still deleted and confirmed gone; then the task fails, naming each
    failed job and why."""
    fine = emu.seed("visualization", 2, status="KILLED")
    failing = emu.seed("visualization", 2, status="KILLED", emulator={"delete_fails": True})
    running = emu.seed("visualization", 1, status="RUNNING")
    context = make_context()
    task = op.ModelArtsTeardownJobOperator(
        task_id="teardown_all",
        job_family="visualization",
        job_ids=[*fine, *failing, *running],
        stop_first=False,
        poll_interval=FAST,
        deferrable=True,  # the report travels in XCom between the waits
    )
    with pytest.raises(AirflowException) as failed:
        drive(task, context)
    message = str(failed.value)
    assert message.startswith("3 visualization job(s) could not be torn down")
    assert all(job in message for job in failing + running) and "stop_first=False" in message
    assert all(emulator_status(emu, Target(JobFamily.VISUALIZATION, job)) is None for job in fine)
    report = context["ti"].pushed[STATE_KEY]["report"]
    assert report["confirmed_gone"] == 2


@pytest.mark.parametrize(
    "where", [{"workspace_id": "w1"}, {"owner": "emulator-user-2"}], ids=["another-workspace", "another-user"]
)
def test_a_job_running_again_where_the_default_search_does_not_look_is_stopped_before_its_delete(
    emu: EmulatorServer, where: dict[str, str]
) -> None:
    """v2 jobs are deleted 100 per call. A search of unfinished jobs is scoped (documented: the
    caller's jobs; in the emulator by default, workspace ``0``): its silence about a job it never
    showed proves nothing. A finished job of another workspace or user that runs again while the
    task waits for a stop is stopped again before its delete, never deleted running."""
    (busy,) = emu.seed("training", 1, status="Running")
    (other,) = emu.seed("training", 1, status="Completed", **where)
    context = make_context()
    task = op.ModelArtsTeardownJobOperator(
        task_id="teardown_all",
        job_family="training",
        job_ids=[busy, other],
        poll_interval=FAST,
        deferrable=True,
    )
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(context)
    assert deferred.value.method_name == "execute_after_stop"
    with emu.store.locked():
        emu.store.v2[other].life.fixed = V2Phase.RUNNING  # it runs again (as after a restart)
    driven = drive(task, context, resumed=deferred.value)

    stops = [d.trigger.job_ids for d in driven.deferrals if d.method_name == "execute_after_stop"]
    assert stops == [[busy], [other]] and mutating_requests(emu)["v2.terminate"] == 2
    assert sorted(driven.result["stopped"]) == sorted([busy, other])
    assert sorted(driven.result["deleted"]) == sorted([busy, other]) and driven.result["confirmed_gone"] == 2


def test_the_delete_operators_take_a_list_too(emu: EmulatorServer) -> None:
    jobs = emu.seed("training_v1", 4, status="COMPLETED")
    task = op.ModelArtsDeleteTrainingJobV1Operator(task_id="delete_all", job_ids=jobs, poll_interval=FAST)
    report = drive(task, make_context()).result
    assert [entry["outcome"] for entry in report["jobs"]] == ["deleted"] * 4
    assert mutating_requests(emu) == {"v1.delete": 4}
    assert all(emulator_status(emu, Target(JobFamily.TRAINING_V1, job)) is None for job in jobs)


# ---- one naming scheme --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"job_family": "training", "job_id": "../x"}, r"^job_id: '\.\./x' is not valid"),
        (
            {"job_family": "training", "job_ids": ["3faf5c03-aaa1", "a/b"]},
            r"^job_ids\[1\]: 'a/b' is not valid",
        ),
        ({"job_family": "training", "job_ids": "3faf5c03-aaa1"}, r"^job_ids: expected a list of job ids"),
        ({"job_family": "training", "job_id": "a", "job_ids": ["b"]}, r"give job_id or job_ids"),
        ({"job_family": "training"}, r"give job_id or job_ids"),
        ({"job_family": "training", "job_id": "a", "version_id": 1}, r"^version_id: only training_v1"),
        (
            {"job_family": "training_v1", "job_ids": [1, 2], "version_id": 1},
            r"^version_id: job_ids name whole jobs",
        ),
        (
            {
                "job_family": "res",
                "job_id": "a",
                "job_type": "etl",
                "offline_platform": RES_PLATFORM,
                "delete": False,
            },
            r"^delete: RES jobs",
        ),
        (
            {"job_family": "training", "job_id": "a", "delete": False, "stop_first": False},
            r"at least one step",
        ),
        ({"job_family": "nope", "job_id": "a"}, r"^job_family: 'nope' is not one of"),
        ({"job_family": "training", "job_id": "a", "poll_interval": float("nan")}, r"^poll_interval: "),
        ({"job_family": "training", "job_id": "a", "timeout": float("inf")}, r"^timeout: "),
    ],
)
def test_bad_arguments_are_refused_naming_what_the_user_wrote(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        op.ModelArtsTeardownJobOperator(task_id="t", **kwargs)


def test_the_v2_delete_operator_deletes_a_list_in_one_batch_whatever_each_job_is_doing(
    emu: EmulatorServer,
) -> None:
    """A plain delete does not check its jobs first: one batch call, running jobs included."""
    jobs = emu.seed("training", 2, status="Completed") + emu.seed("training", 1, status="Running")
    task = op.ModelArtsDeleteTrainingJobOperator(task_id="delete_all", job_ids=jobs, poll_interval=FAST)
    report = drive(task, make_context()).result
    assert sorted(report["deleted"]) == sorted(jobs) and report["confirmed_gone"] == 3
    assert mutating_requests(emu) == {"v2.batch_delete": 1}


def test_v2_operators_name_the_job_id_as_written() -> None:
    with pytest.raises(ValueError, match=r"^job_id: '\.\./x'"):
        op.ModelArtsDeleteTrainingJobOperator(task_id="t", job_id="../x")
    with pytest.raises(TypeError, match="takes one job_id"):
        op.ModelArtsTerminateTrainingJobOperator(task_id="t", job_ids=["a"])


def test_templated_job_ids_are_checked_once_rendered(emu: EmulatorServer) -> None:
    task = op.ModelArtsDeleteTrainingJobOperator(task_id="t", job_ids="{{ params.ids }}", poll_interval=FAST)
    task.job_ids = "['3faf5c03-aaa1']"  # what the template renders to without native rendering
    with pytest.raises(ValueError, match=r"^job_ids: expected a list of job ids"):
        task.execute(make_context())
    assert mutating_requests(emu) == {}
