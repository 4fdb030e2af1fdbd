"""Teardown operators in the awkward cases: finished or stopping jobs, service errors, time-outs,
deletions the service reports as failed, refusals while stopping, retries, templates."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.api.statuses import JobFamily, V1Status
from airflow_provider_modelarts.api.watch import ABSENT
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.operators import modelarts as ops
from tests.airflow_support import FAST, Driven, drive, make_context, mutating_requests, requests
from tests.operators.cases import BY_NAME, RES_PLATFORM, STOP_CASES, Case, Target, emulator_status

FINISHED = {
    JobFamily.TRAINING: "Completed",
    JobFamily.TRAINING_V1: V1Status.COMPLETED.name,
    JobFamily.VISUALIZATION: V1Status.COMPLETED.name,
}
MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
stop_ids = [case.name for case in STOP_CASES]


def fast_hook(attempts: int = 2) -> ModelArtsHook:
    """The default connection with a small retry budget, so exhausting it takes milliseconds."""
    policy = RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.02, total_timeout=5)
    return ModelArtsHook(retry_policy=policy)


def start_stopping(server: EmulatorServer, target: Target) -> None:
    """Put the job (or version) into its stopping state, as if someone had just stopped it."""
    store = server.store
    with store.locked() as now:
        if target.family is JobFamily.TRAINING:
            life = store.v2[target.job_id].life
        elif target.family is JobFamily.VISUALIZATION:
            life = store.vis[int(target.job_id)].life
        else:
            job = store.v1[int(target.job_id)]
            life = next(v for v in job.versions if str(v.id) == target.version_id).life
        life.stop_at = now


# ---- stop operators on jobs that are not running ---------------------------------------------


@pytest.mark.parametrize("case", STOP_CASES, ids=stop_ids)
@MODES
def test_stop_of_a_finished_job_succeeds_with_its_status(
    case: Case, emu: EmulatorServer, deferrable: bool
) -> None:
    target = case.seed(emu, status=FINISHED[case.family])
    driven = drive(case.operator(target, deferrable=deferrable), make_context())
    assert driven.deferrals == []
    assert str(driven.result["final_status"]).startswith(FINISHED[case.family])
    assert driven.result["already_absent"] is False
    assert mutating_requests(emu) == {}


@pytest.mark.parametrize("case", STOP_CASES, ids=stop_ids)
def test_stop_of_a_finished_job_fails_when_asked_to(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu, status=FINISHED[case.family])
    op = case.operator(target, fail_if_not_running=True)
    with pytest.raises(AirflowException, match=f"is not running: it is {FINISHED[case.family]}"):
        drive(op, make_context())
    assert mutating_requests(emu) == {}


@pytest.mark.parametrize("case", STOP_CASES, ids=stop_ids)
@MODES
def test_stop_of_a_stopping_job_waits_without_asking_again(
    case: Case, emu: EmulatorServer, deferrable: bool
) -> None:
    target = case.seed(emu)
    start_stopping(emu, target)
    driven = drive(case.operator(target, deferrable=deferrable), make_context())
    assert len(driven.deferrals) == int(deferrable)
    assert str(driven.result["final_status"]).startswith(str(case.stopped))
    assert emulator_status(emu, target) == case.stopped
    assert mutating_requests(emu) == {}


# ---- service errors ---------------------------------------------------------------------------


def test_refused_credentials_fail_clearly(emu: EmulatorServer, use_connection: Any) -> None:
    conn = emu.airflow_connection()
    conn["password"] = "NotTheSecretKey00000000000000000000000"
    use_connection(conn)
    case = BY_NAME["delete_training"]
    target = case.seed(emu)
    with pytest.raises(AirflowException, match=r"HTTP 40[13] APIGW\.0301") as info:
        drive(case.operator(target), make_context())
    assert "request id" in str(info.value)
    assert emu.stats()["auth_failures"] >= 1
    assert emulator_status(emu, target) == "Completed"


@MODES
def test_persistent_server_errors_on_the_request_fail_after_the_retry_budget(
    emu: EmulatorServer, deferrable: bool
) -> None:
    case = BY_NAME["delete_training"]
    target = case.seed(emu)
    emu.faults.set("v2.delete", {"error_rate": 1.0, "error_status": 503})
    op = case.operator(target, deferrable=deferrable)
    op.hook = fast_hook(attempts=3)
    with pytest.raises(AirflowException, match=r"HTTP 503 ModelArts\.0010.*3 attempts made"):
        drive(op, make_context())
    assert requests(emu, "v2.delete") == 3
    assert emulator_status(emu, target) == "Completed"


def test_persistent_server_errors_while_waiting_fail_after_max_poll_failures(emu: EmulatorServer) -> None:
    case = BY_NAME["delete_res"]
    target = case.seed(emu)
    emu.config.update({"delete_visible_seconds": 30})
    emu.faults.set("res.detail", {"error_rate": 1.0, "error_status": 500})
    op = case.operator(target, max_poll_failures=3)
    op.hook = fast_hook(attempts=1)
    with pytest.raises(AirflowException, match=r"HTTP 500.*3 polls in a row failed"):
        drive(op, make_context())
    # The check right after the request is the wait's first poll: max_poll_failures polls in all.
    assert requests(emu, "res.detail") == 3
    assert requests(emu, "res.delete") == 1


def test_transient_server_errors_while_waiting_are_tolerated(emu: EmulatorServer) -> None:
    case = BY_NAME["delete_res"]
    target = case.seed(emu)
    emu.faults.set("res.detail", {"next_count": 2, "next_status": 503})
    op = case.operator(target, max_poll_failures=3)
    op.hook = fast_hook(attempts=1)
    driven = drive(op, make_context())
    assert driven.result["final_status"] == ABSENT
    assert emulator_status(emu, target) is None
    assert requests(emu, "res.detail") >= 3


# ---- time-outs --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["delete_training", "stop_visualization", "delete_res"])
@MODES
def test_a_timeout_shorter_than_the_service_fails_the_task(
    name: str, emu: EmulatorServer, deferrable: bool
) -> None:
    case = BY_NAME[name]
    target = case.seed(emu)
    emu.config.update({"stop_seconds": 30, "delete_visible_seconds": 30})
    op = case.operator(target, deferrable=deferrable, timeout=0.3)
    driven = Driven()
    with pytest.raises(AirflowException, match="before the deadline"):
        drive(op, make_context(), driven)
    assert len(driven.deferrals) == int(deferrable)
    if deferrable:
        assert driven.events[0]["status"] == "timeout"
        assert driven.events[0]["polls"] >= 1
    assert emulator_status(emu, target) is not None
    assert mutating_requests(emu) == {case.route: 1}


# ---- deletions the service reports as failed -------------------------------------------------


@pytest.mark.parametrize("name", ["delete_training_v1", "delete_visualization"])
@MODES
def test_delete_failed_fails_with_the_service_status(
    name: str, emu: EmulatorServer, deferrable: bool
) -> None:
    case = BY_NAME[name]
    target = case.seed(emu, emulator={"delete_fails": True})
    op = case.operator(target, deferrable=deferrable)
    with pytest.raises(AirflowException, match=r"deletion failed: DELETE_FAILED \(6\)"):
        drive(op, make_context())
    assert emulator_status(emu, target) == V1Status.DELETE_FAILED.name


# ---- visualization delete refused while KILLING ----------------------------------------------


@MODES
def test_visualization_delete_while_killing_waits_then_deletes(emu: EmulatorServer, deferrable: bool) -> None:
    case = BY_NAME["delete_visualization"]
    emu.config.update({"stop_seconds": 2.0})  # still KILLING when the delete comes, even on a busy machine
    target = case.seed(emu, status=V1Status.RUNNING.name)
    start_stopping(emu, target)
    op = case.operator(target, deferrable=deferrable)

    driven = drive(op, make_context())

    assert emulator_status(emu, target) is None
    assert driven.result["final_status"] == ABSENT and driven.result["already_absent"] is False
    # Refused once while KILLING, accepted once it was KILLED.
    assert emu.stats()["responses"]["vis.delete"] == {"200": 1, "400": 1}
    if deferrable:
        assert [d.method_name for d in driven.deferrals] == ["execute_after_stop", "execute_complete"]
        assert driven.deferrals[0].trigger.goal == "stopped"
        assert driven.events[0]["stopped_as"][target.job_id].startswith("KILLED")
    else:
        assert driven.deferrals == []


# ---- an Airflow retry after the first try already acted -------------------------------------


@pytest.mark.parametrize("case", list(BY_NAME.values()), ids=list(BY_NAME))
@MODES
def test_retry_after_the_first_try_acted_succeeds(case: Case, emu: EmulatorServer, deferrable: bool) -> None:
    target = case.seed(emu)
    first = drive(case.operator(target, wait_for_completion=False), make_context())
    assert first.result["final_status"] is None

    retry = drive(case.operator(target, deferrable=deferrable), make_context())

    if case.is_stop:
        assert str(retry.result["final_status"]).startswith(str(case.stopped))
        assert emulator_status(emu, target) == case.stopped
    else:
        assert retry.result["final_status"] == ABSENT
        assert emulator_status(emu, target) is None
    # A stop is never sent twice; a repeated delete is harmless and accepted.
    assert mutating_requests(emu)[case.route] == (1 if case.is_stop else 2)


# ---- templated ids ----------------------------------------------------------------------------


def test_templated_ids_are_rendered_from_the_context(emu: EmulatorServer) -> None:
    case = BY_NAME["stop_training_version"]
    target = case.seed(emu)
    op = ops.ModelArtsStopTrainingJobVersionOperator(
        task_id="stop",
        job_id="{{ params.job }}",
        version_id="{{ params.version }}",
        poll_interval=FAST,
    )
    context = make_context(job=target.job_id, version=target.version_id)
    op.render_template_fields(context)
    driven = drive(op, context)
    assert driven.result["job_id"] == target.job_id and driven.result["version_id"] == target.version_id
    assert emulator_status(emu, target) == V1Status.KILLED.name


@pytest.mark.parametrize("case", list(BY_NAME.values()), ids=list(BY_NAME))
def test_a_rendered_path_escape_fails_before_any_request(case: Case, emu: EmulatorServer) -> None:
    target = case.seed(emu)
    templated = Target(target.family, "{{ params.bad }}", "{{ params.bad }}" if target.version_id else None)
    op = case.operator(templated)
    context = make_context(bad="../x")
    op.render_template_fields(context)
    with pytest.raises(ValueError, match=r"'\.\./x' is not valid"):
        op.execute(context)
    assert emu.stats()["requests"] == {}
    assert context["ti"].pushed == {}


@pytest.mark.parametrize("case", list(BY_NAME.values()), ids=list(BY_NAME))
def test_a_literal_bad_id_fails_at_construction(case: Case) -> None:
    bad = Target(case.family, "../x", "1" if case.with_version else None)
    with pytest.raises(ValueError, match="is not valid"):
        case.operator(bad)
    if case.with_version:
        with pytest.raises(ValueError, match="version_id"):
            case.operator(Target(case.family, "1", "../x"))


# ---- RES del-job body -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job_type", "platform", "message"),
    [
        ("etl", None, "offline_platform: required"),
        ("etl", {"platform": "MRS"}, "offline_platform.platform"),
        ("etl", {"platform": "DLI", "platform_parameter": {"cluster_name": ""}}, "cluster_name"),
        ("etl", {"platform": "DLI", "surprise": 1}, "offline_platform"),
        ("nonsense", RES_PLATFORM, "job_type"),
    ],
)
def test_res_body_is_validated_at_construction(job_type: str, platform: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ops.ModelArtsDeleteResJobOperator(
            task_id="res", job_id="abc", job_type=job_type, offline_platform=platform
        )


def test_res_templated_body_is_validated_before_the_request(emu: EmulatorServer) -> None:
    (job_id,) = emu.seed("res", type="etl")
    op = ops.ModelArtsDeleteResJobOperator(
        task_id="res",
        job_id=job_id,
        job_type="{{ params.type }}",
        offline_platform={"platform": "DLI", "platform_parameter": {"cluster_name": "{{ params.cluster }}"}},
        poll_interval=FAST,
    )
    context = make_context(type="etl", cluster="")
    op.render_template_fields(context)
    with pytest.raises(ValueError, match="cluster_name"):
        op.execute(context)
    assert requests(emu, "res.delete") == 0

    good = make_context(type="etl", cluster="res_one")
    op = ops.ModelArtsDeleteResJobOperator(
        task_id="res",
        job_id=job_id,
        job_type="{{ params.type }}",
        offline_platform={"platform": "DLI", "platform_parameter": {"cluster_name": "{{ params.cluster }}"}},
        poll_interval=FAST,
    )
    op.render_template_fields(good)
    assert drive(op, good).result["final_status"] == ABSENT
    assert emu.stats()["responses"]["res.delete"] == {"200": 1}
    assert emulator_status(emu, Target(JobFamily.RES, job_id)) is None


# ---- a delete that answers "not found" for a job that exists ----------------------------------


@MODES
def test_res_delete_with_the_wrong_type_is_not_taken_for_already_gone(
    emu: EmulatorServer, deferrable: bool
) -> None:
    """RES answers del-job for a job of another type with "not found"; the job is still there."""
    [job_id] = emu.seed("res", 1, type="filter", status="RUNNING")
    operator = ops.ModelArtsDeleteResJobOperator(
        task_id="res",
        job_id=job_id,
        job_type="etl",
        offline_platform=RES_PLATFORM,
        poll_interval=0.05,
        deferrable=deferrable,
    )
    with pytest.raises(AirflowException, match=r"still exists; check .*job_type"):
        drive(operator, make_context())
    assert requests(emu, "res.delete") == 1
    assert ModelArtsHook().get_res_job(job_id).job_id == job_id  # nothing was deleted

    right = ops.ModelArtsDeleteResJobOperator(
        task_id="res",
        job_id=job_id,
        job_type="filter",
        offline_platform=RES_PLATFORM,
        poll_interval=0.05,
        deferrable=deferrable,
    )
    result = drive(right, make_context()).result
    assert result["already_absent"] is False
    assert result["final_status"] == ABSENT
