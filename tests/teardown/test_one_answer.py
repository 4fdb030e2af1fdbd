"""One teardown, one answer: every behaviour runs through a list of one (``job_id``) and a list of
several (``job_ids``: the job among others in mixed states), with the same expectations for the job,
over the real HTTP stack against the emulator (behind a proxy on 127.0.0.1 where the service's
answer is one the emulator never gives)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_modelarts.api.statuses import JobFamily, V2Phase
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators import modelarts as op
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger
from tests.airflow_support import FAST, drive, make_context, mutating_requests, run_trigger
from tests.operators.cases import RES_PLATFORM, Target, emulator_status
from tests.teardown.proxy import Override, Proxy, corrupt_gzip, error_body, proxy_for
from tests.verdicts.emulated import FINISHED, OLD, RUNNING, cleanup

FORMS = pytest.mark.parametrize("form", ["one", "several"])
RES = {"job_type": "etl", "offline_platform": RES_PLATFORM}
UNKNOWN_V2 = "0b0e8c1e-1111-4222-8333-444455556666"


@dataclass
class Outcome:
    """What happened to the job under test: its report entry, or the task's failure."""

    entry: dict[str, Any] | None
    error: str | None
    result: Any


def others(emu: EmulatorServer, proxy: Proxy, family: str) -> list[str]:
    """Jobs beside the one under test, in mixed states: finished, running, gone, one whose stop the
    service refuses for good (not for RES: its del-job names the job in the body only), and one
    whose first look fails with a 503 (tried again)."""
    finished, running = FINISHED[family], RUNNING[family]
    jobs = emu.seed(family, 1, status=finished) + emu.seed(family, 1, status=running)
    (gone,) = emu.seed(family, 1, status=finished)
    pre = op.ModelArtsTeardownJobOperator(
        task_id="pre", job_family=family, job_id=gone, poll_interval=FAST, **(RES if family == "res" else {})
    )
    drive(pre, make_context())
    (flaky,) = emu.seed(family, 1, status=finished)
    proxy.add(Override("GET", rf"/{flaky}(/versions)?$", 503, error_body("ModelArts.0010", "Internal error")))
    jobs += [gone, flaky]
    if family != "res":
        (refused,) = emu.seed(family, 1, status=running)
        proxy.add(Override("POST", rf"/{refused}/", 403, error_body("ModelArts.0108", "Denied"), times=None))
        jobs.append(refused)
    return jobs


TEARDOWN = op.ModelArtsTeardownJobOperator


def tear(
    form: str, emu: EmulatorServer, proxy: Proxy, family: str, job: str, *, operator: type = TEARDOWN,
    **kwargs: Any,
) -> Outcome:  # fmt: skip
    """Run ``operator`` on ``job`` alone (``one``: the task fails if the job does) or among others
    in mixed states (``several``: the job's own entry of the report; its failure is its reason)."""
    kwargs.setdefault("poll_interval", FAST)
    kwargs.setdefault("timeout", 20)
    if operator is op.ModelArtsTeardownJobOperator:
        kwargs["job_family"] = family
    if family == "res":
        kwargs.update(RES)
    if form == "one":
        task = operator(task_id="under_test", job_id=job, **kwargs)
        try:
            result = drive(task, make_context()).result
        except AirflowException as exc:
            return Outcome(None, str(exc), None)
        return Outcome(result, None, result)
    task = operator(
        task_id="under_test", job_ids=[job, *others(emu, proxy, family)], fail_on_errors=False, **kwargs
    )
    result = drive(task, make_context()).result
    (entry,) = [e for e in result["jobs"] if e["job_id"] == job]
    error = f"{job}: {entry['reason']}" if entry["outcome"] == "failed" else None
    return Outcome(entry, error, result)


def outcome_of(outcome: Outcome) -> str:
    """``deleted``, ``already_absent``, ``stopped`` or ``failed``, whichever form."""
    if outcome.error is not None:
        return "failed"
    entry = outcome.entry
    assert entry is not None
    if "outcome" in entry:
        return str(entry["outcome"])
    if entry.get("already_absent"):
        return "already_absent"
    if entry.get("deleted", entry["action"] == "delete"):
        return "deleted"
    return "stopped"


def status(emu: EmulatorServer, family: str, job: str) -> str | None:
    return emulator_status(emu, Target(JobFamily(family), job))


@pytest.fixture(autouse=True)
def proxied(emu: EmulatorServer, use_connection: Any) -> Iterator[Proxy]:
    with proxy_for(emu) as proxy:
        conn = emu.airflow_connection()
        conn["host"] = proxy.url
        use_connection(conn)
        yield proxy


# ---- 1, 2: RES has no stop API ----------------------------------------------------------------


def deleted_in_both_forms(emu: EmulatorServer, proxied: Proxy, form: str, family: str, job: str) -> None:
    outcome = tear(form, emu, proxied, family, job)
    assert outcome.error is None and outcome_of(outcome) == "deleted"
    assert status(emu, family, job) is None


@FORMS
def test_a_running_res_job_is_deleted_as_it_is_with_stop_first(
    emu: EmulatorServer, proxied: Proxy, form: str
) -> None:
    (job,) = emu.seed("res", 1, status="RUNNING")
    deleted_in_both_forms(emu, proxied, form, "res", job)


@FORMS
def test_a_running_res_job_fails_and_stays_without_stop_first(
    emu: EmulatorServer, proxied: Proxy, form: str
) -> None:
    (job,) = emu.seed("res", 1, status="RUNNING")
    outcome = tear(form, emu, proxied, "res", job, stop_first=False)
    assert (
        outcome.error is not None
        and f"{job}: RUNNING; stop_first=False, so it is not deleted" in outcome.error
    )
    assert status(emu, "res", job) == "RUNNING"


# ---- 3, 4: a stop the service refuses ---------------------------------------------------------


@FORMS
def test_a_job_status_changed_answer_is_tried_again(emu: EmulatorServer, proxied: Proxy, form: str) -> None:
    """409 ModelArts.2878 (JobStatusChanged, documented "try again later") is retried like a 503."""
    (job,) = emu.seed("training", 1, status="Running")
    changed = error_body("ModelArts.2878", "The job status has changed. Try again later.")
    proxied.add(Override("POST", f"/training-jobs/{job}/actions$", 409, changed))
    started = time.monotonic()
    outcome = tear(form, emu, proxied, "training", job)
    assert outcome.error is None and outcome_of(outcome) == "deleted"
    assert status(emu, "training", job) is None
    assert proxied.count("POST", f"/training-jobs/{job}/actions$", 409) == 1
    assert proxied.count("POST", f"/training-jobs/{job}/actions$", 202) == 1
    assert time.monotonic() - started < 15


@FORMS
def test_a_stop_refused_for_good_fails_the_job_at_once_naming_the_refusal(
    emu: EmulatorServer, proxied: Proxy, form: str
) -> None:
    (job,) = emu.seed("training", 1, status="Running")
    refused = error_body("ModelArts.0108", "You do not have permission to operate this job.")
    proxied.add(Override("POST", f"/training-jobs/{job}/actions$", 403, refused, times=None))
    started = time.monotonic()
    outcome = tear(form, emu, proxied, "training", job, timeout=120)
    assert time.monotonic() - started < 30  # not the whole timeout
    assert outcome.error is not None
    assert f"{job}: stop refused" in outcome.error and "HTTP 403 ModelArts.0108" in outcome.error
    assert "request id proxy-req-1" in outcome.error
    assert status(emu, "training", job) == "Running"


# ---- 5: ignore_not_found=False means the same for one job and many ------------------------------


@FORMS
@pytest.mark.parametrize("operator", [op.ModelArtsTeardownJobOperator, op.ModelArtsDeleteTrainingJobOperator])
def test_ignore_not_found_false_fails_for_an_unknown_job(
    emu: EmulatorServer, proxied: Proxy, form: str, operator: type
) -> None:
    outcome = tear(form, emu, proxied, "training", UNKNOWN_V2, operator=operator, ignore_not_found=False)
    assert outcome.error is not None and f"{UNKNOWN_V2}: does not exist" in outcome.error


@FORMS
def test_a_plain_delete_with_ignore_not_found_false_deletes_a_running_job(
    emu: EmulatorServer, proxied: Proxy, form: str
) -> None:
    """A plain delete looks first only to know the job exists; then deletes it whatever it does."""
    (job,) = emu.seed("visualization", 1, status="RUNNING")
    outcome = tear(
        form, emu, proxied, "visualization", job,
        operator=op.ModelArtsDeleteVisualizationJobOperator, ignore_not_found=False,
    )  # fmt: skip
    assert outcome.error is None and outcome_of(outcome) == "deleted"
    assert status(emu, "visualization", job) is None
    assert proxied.count("POST", rf"/visualization-jobs/{job}/") == 0  # never stopped


@FORMS
def test_ignore_not_found_true_reports_an_unknown_job_already_absent(
    emu: EmulatorServer, proxied: Proxy, form: str
) -> None:
    outcome = tear(form, emu, proxied, "training", UNKNOWN_V2, operator=op.ModelArtsDeleteTrainingJobOperator)
    assert outcome.error is None and outcome_of(outcome) == "already_absent"


# ---- 6: a v1 job is looked at again right before its delete -------------------------------------


@FORMS
def test_a_v1_version_started_after_the_stop_wait_is_stopped_not_deleted_running(
    emu: EmulatorServer, form: str
) -> None:
    (job,) = emu.seed("training_v1", 1, status="RUNNING")
    jobs = [job] if form == "one" else [job, *emu.seed("training_v1", 2, status="COMPLETED")]
    ids: dict[str, Any] = {"job_id": job} if form == "one" else {"job_ids": jobs}
    task = op.ModelArtsTeardownJobOperator(
        task_id="t", job_family="training_v1", poll_interval=FAST, timeout=20, deferrable=True, **ids
    )
    context = make_context()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(context)
    assert deferred.value.method_name == "execute_after_stop"
    event = run_trigger(deferred.value.trigger)  # the stop wait ends: every version has stopped
    with emu.store.locked():
        emu.store.add_version(emu.store.v1[int(job)])  # a new version runs from now on
    # Found running right before its delete: stopped again first, never deleted running.
    with pytest.raises(TaskDeferred) as again:
        task.resume_execution(deferred.value.method_name, {"event": event}, context)
    assert again.value.method_name == "execute_after_stop" and again.value.trigger.job_ids == [job]
    assert status(emu, "training_v1", job) is not None  # not deleted


# ---- 7: any sequence of ids; duplicates removed and reported -----------------------------------


class Ids(Sequence[str]):
    """A sequence that is not a list or tuple (as Airflow's lazy XCom sequence of a mapped task)."""

    def __init__(self, items: list[str]) -> None:
        self.items = items

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)


def test_job_ids_take_any_sequence_and_duplicates_are_reported(emu: EmulatorServer) -> None:
    jobs = emu.seed("training_v1", 2, status="COMPLETED")
    task = op.ModelArtsTeardownJobOperator(
        task_id="t", job_family="training_v1", job_ids=Ids([jobs[0], jobs[1], jobs[0]]), poll_interval=FAST
    )
    report = drive(task, make_context()).result
    assert report["duplicates"] == [jobs[0]]
    assert sorted(report["deleted"]) == sorted(jobs) and mutating_requests(emu) == {"v1.delete": 2}


# ---- 8: every argument rule holds after rendering ------------------------------------------------


@FORMS
def test_a_templated_family_rendering_to_res_without_delete_is_refused(
    emu: EmulatorServer, form: str
) -> None:
    (job,) = emu.seed("res", 1, status="RUNNING")
    ids: dict[str, Any] = {"job_id": job} if form == "one" else {"job_ids": [job]}
    task = op.ModelArtsTeardownJobOperator(
        task_id="t", job_family="{{ params.family }}", delete=False, poll_interval=FAST, **RES, **ids
    )
    context = make_context(family="res")
    task.render_template_fields(context)
    with pytest.raises(ValueError, match=r"^delete: RES jobs cannot be stopped"):
        task.execute(context)
    assert mutating_requests(emu) == {} and status(emu, "res", job) == "RUNNING"


# ---- 9: one damaged answer is one failed poll, not a crash of every shared wait ----------------


def test_a_damaged_list_answer_is_a_transient_failure_of_the_shared_walk(
    emu: EmulatorServer, proxied: Proxy
) -> None:
    jobs = emu.seed("visualization", 6, status="KILLED")
    for job in jobs:
        with emu.store.locked() as now:
            emu.store.vis[int(job)].life.deleted_at = now
    proxied.add(corrupt_gzip("GET", r"/visualization-jobs$", times=2))
    trigger = ModelArtsJobsTrigger(
        job_family="visualization", job_ids=jobs, goal="deleted", poll_interval=FAST, max_poll_failures=3
    )
    payload = run_trigger(trigger)
    assert payload["status"] == "success" and payload["errors"] == []
    assert proxied.count("GET", r"/visualization-jobs$") >= 2


@FORMS
def test_a_damaged_answer_to_a_look_is_tried_again(emu: EmulatorServer, proxied: Proxy, form: str) -> None:
    (job,) = emu.seed("visualization", 1, status="KILLED")
    proxied.add(corrupt_gzip("GET", rf"/visualization-jobs/{job}$", times=1))
    deleted_in_both_forms(emu, proxied, form, "visualization", job)


# ---- 10: a v1 id given to the v2 family ---------------------------------------------------------


@FORMS
def test_a_numeric_id_is_refused_for_v2_naming_the_v1_family(emu: EmulatorServer, form: str) -> None:
    (job,) = emu.seed("training_v1", 1, status="RUNNING")
    ids: dict[str, Any] = {"job_id": job} if form == "one" else {"job_ids": [job]}
    with pytest.raises(ValueError, match="job_family='training_v1'"):
        op.ModelArtsTeardownJobOperator(task_id="t", job_family="training", **ids)
    templated: dict[str, Any] = (
        {"job_id": "{{ params.job }}"} if form == "one" else {"job_ids": "{{ params.jobs }}"}
    )
    task = op.ModelArtsTeardownJobOperator(
        task_id="t", job_family="training", poll_interval=FAST, **templated
    )
    task.render_template_as_native_obj = True
    context = make_context(job=job, jobs=[job])
    task.render_template_fields(context)
    if form == "several":
        task.job_ids = [job]  # what a native rendering of the list gives
    with pytest.raises(ValueError, match="job_family='training_v1'"):
        task.execute(context)
    assert mutating_requests(emu) == {} and status(emu, "training_v1", job) == "RUNNING"


# ---- what a refusal, a finished job and a job that keeps running come to ------------------------


@FORMS
def test_a_stop_refused_because_the_job_has_just_finished_goes_on_to_the_delete(
    emu: EmulatorServer, proxied: Proxy, form: str
) -> None:
    (job,) = emu.seed("training", 1, status="Running")

    def finish() -> None:
        with emu.store.locked():
            emu.store.v2[job].life.fixed = V2Phase.COMPLETED

    refused = error_body("ModelArts.2796", "The job cannot be terminated in its current state.")
    proxied.add(Override("POST", f"/training-jobs/{job}/actions$", 409, refused, on_take=finish))
    outcome = tear(form, emu, proxied, "training", job)
    assert outcome.error is None and outcome_of(outcome) == "deleted"
    assert status(emu, "training", job) is None


@FORMS
@pytest.mark.parametrize("fail_if_not_running", [False, True])
def test_a_finished_job_is_left_as_it_is_by_a_stop_only_teardown(
    emu: EmulatorServer, proxied: Proxy, form: str, fail_if_not_running: bool
) -> None:
    (job,) = emu.seed("training", 1, status="Completed")
    if fail_if_not_running:  # the stop operator's option (one job)
        task = op.ModelArtsTerminateTrainingJobOperator(
            task_id="stop", job_id=job, fail_if_not_running=True, poll_interval=FAST
        )
        with pytest.raises(AirflowException, match=f"{job}: is not running: it is Completed"):
            drive(task, make_context())
    else:
        outcome = tear(form, emu, proxied, "training", job, delete=False)
        assert outcome.error is None and outcome.entry is not None
        assert outcome.entry["final_status"] == "Completed"
    assert proxied.count("POST", f"/training-jobs/{job}/actions$") == 0  # no stop sent to it
    assert status(emu, "training", job) == "Completed"


def test_a_job_that_runs_again_after_every_stop_is_not_deleted(emu: EmulatorServer) -> None:
    """Stopped, found running again right before its delete, stopped again, found running again:
    after two rounds it fails, and it is never deleted running."""
    (job,) = emu.seed("training", 1, status="Running")
    task = op.ModelArtsTeardownJobOperator(
        task_id="t", job_family="training", job_id=job, poll_interval=FAST, timeout=20, deferrable=True
    )
    context = make_context()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(context)
    stops = 1
    for _ in range(3):
        assert deferred.value.method_name == "execute_after_stop"
        event = run_trigger(deferred.value.trigger)
        with emu.store.locked():  # it runs again (as after a restart)
            emu.store.v2[job].life.stop_at = None
            emu.store.v2[job].life.fixed = V2Phase.RUNNING
        try:
            task.resume_execution(deferred.value.method_name, {"event": event}, context)
        except TaskDeferred as again:
            deferred, stops = pytest.ExceptionInfo.from_exception(again), stops + 1
            continue
        except AirflowException as failed:
            message = str(failed)
            break
    else:
        raise AssertionError("the teardown neither failed nor ended")
    assert f"{job}: still Running after 2 rounds of stopping; not deleted" in message
    assert stops == 2 and status(emu, "training", job) == "Running"
    assert mutating_requests(emu) == {"v2.terminate": 2}


def test_a_finished_job_listed_among_unfinished_ones_is_judged_by_its_status(
    emu: EmulatorServer, proxied: Proxy
) -> None:
    """Right before its batch delete, the cleanup searches its own scope for jobs that have not
    finished (the documented ``not`` filter on ``phase``). A service that ignores the filter lists a
    finished job there anyway: the job is judged on the status listed, like a single job, and so
    deleted (it is not kept for being listed, nor deleted for being unlisted). Two jobs: a list of
    one is deleted alone, after a look at its detail."""
    jobs = emu.seed("training", 2, status=FINISHED["training"], age_seconds=OLD)
    searches = r"/training-job-searches$"
    unfiltered = Override(
        "POST", searches, 200, lambda: proxied.last_answer("POST", searches), payload='"not"'
    )
    proxied.add(unfiltered)
    report = cleanup(job_family="training").execute(make_context())
    assert unfiltered.used == 1, "the check before the delete searched the unfinished jobs once"
    assert sorted(report["deleted"]) == sorted(jobs) and report["failed"] == [] and report["skipped"] == []
    assert [status(emu, "training", job) for job in jobs] == [None, None]
