"""When a wait's goal is reached, for every status of every family (:func:`watch.judge`).

The status tables are the vendor's (v1 codes and names: the v1 job status reference; v2 phases:
the v2 training job reference); RES statuses are undocumented, so every plausible spelling is read
case-insensitively. A stop wait ends on a finished status and on nothing else; a deletion wait
ends only on the job's absence, or with an error on v1 ``DELETE_FAILED``. A v1 job (not one
version) has stopped only when all its versions have; it is read from its versions list.
"""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import Category, JobFamily, category, status_name
from airflow_provider_modelarts.api.waiting import UnexpectedEvent, check_job_event, job_event
from airflow_provider_modelarts.api.watch import ABSENT, NOT_FOUND, Goal, Gone, judge
from tests.verdicts.scripted import Answer, observe

V1_FAMILIES = [JobFamily.TRAINING_V1, JobFamily.VISUALIZATION]
# code: (documented name, finished)
V1_CODES = {
    0: ("UNKNOWN", False),
    1: ("INIT", False),
    2: ("IMAGE_CREATING", False),
    3: ("IMAGE_FAILED", True),
    4: ("SUBMIT_TRYING", False),
    5: ("SUBMIT_FAILED", True),
    6: ("DELETE_FAILED", True),
    7: ("WAITING", False),
    8: ("RUNNING", False),
    9: ("KILLING", False),
    10: ("COMPLETED", True),
    11: ("FAILED", True),
    12: ("KILLED", True),
    13: ("CANCELED", True),
    14: ("LOST", True),
    15: ("SCALING", False),
    16: ("SUBMIT_MODEL_FAILED", True),
    17: ("DEPLOY_SERVICE_FAILED", True),
    18: ("CHECK_INIT", False),
    19: ("CHECK_RUNNING", False),
    20: ("CHECK_RUNNING_COMPLETED", True),
    21: ("CHECK_FAILED", True),
}
V2_PHASES = {
    "Creating": False,
    "Pending": False,
    "Running": False,
    "Terminating": False,
    "Terminated": True,
    "Completed": True,
    "Failed": True,
    "Abnormal": True,
}
RES_WORDS = {
    **dict.fromkeys(
        ["running", "computing", "pending", "waiting", "queuing", "queued", "submitted", "init", "creating"],
        False,
    ),
    **dict.fromkeys(["killing", "stopping", "terminating", "canceling", "cancelling"], False),
    **dict.fromkeys(["killed", "stopped", "canceled", "cancelled", "terminated"], True),
    **dict.fromkeys(["succeeded", "success", "successful", "completed", "finished", "done"], True),
    **dict.fromkeys(["failed", "failure", "error", "abnormal", "lost"], True),
}
CASES = [
    *((family, code, finished) for family in V1_FAMILIES for code, (_, finished) in V1_CODES.items()),
    *((JobFamily.TRAINING, phase, finished) for phase, finished in V2_PHASES.items()),
    *((JobFamily.RES, word, finished) for word, finished in RES_WORDS.items()),
]
UNKNOWN = [
    (JobFamily.TRAINING, "Exploding"),
    (JobFamily.TRAINING, None),
    (JobFamily.TRAINING, ""),
    (JobFamily.TRAINING, 12),
    (JobFamily.TRAINING_V1, 22),
    (JobFamily.TRAINING_V1, -1),
    (JobFamily.TRAINING_V1, None),
    (JobFamily.TRAINING_V1, "KILLED"),
    (JobFamily.VISUALIZATION, "twelve"),
    (JobFamily.RES, "half-done"),
    (JobFamily.RES, None),
    (JobFamily.RES, 12),
]


@pytest.mark.parametrize(("family", "status", "finished"), CASES)
def test_a_stop_wait_ends_exactly_on_the_finished_statuses(family, status, finished) -> None:
    verdict = judge(Goal.STOPPED, JobSnapshot(family, "1", status))
    assert (verdict.done, verdict.error) == (finished, None)


@pytest.mark.parametrize(("family", "status", "finished"), CASES)
def test_a_deletion_wait_ends_only_when_the_job_is_gone_or_its_deletion_failed(
    family, status, finished
) -> None:
    verdict = judge(Goal.DELETED, JobSnapshot(family, "1", status))
    delete_failed = family in V1_FAMILIES and status == 6
    assert (verdict.done, verdict.error is not None) == (delete_failed, delete_failed)


@pytest.mark.parametrize("goal", list(Goal))
def test_a_job_that_is_gone_ends_every_wait(goal) -> None:
    verdict = judge(goal, Gone("j", NOT_FOUND))
    assert (verdict.done, verdict.final_status, verdict.error, verdict.absent) == (True, ABSENT, None, True)
    assert not judge(goal, JobSnapshot(JobFamily.TRAINING, "1", "Terminated")).absent


@pytest.mark.parametrize(("family", "status"), UNKNOWN)
@pytest.mark.parametrize("goal", list(Goal))
def test_an_unknown_or_unreadable_status_ends_no_wait(family, status, goal) -> None:
    verdict = judge(goal, JobSnapshot(family, "1", status))
    assert (verdict.done, verdict.error) == (False, None)


def test_res_statuses_are_read_whatever_their_case_and_spacing() -> None:
    assert judge(Goal.STOPPED, JobSnapshot(JobFamily.RES, "1", "  Killed ")).done
    assert not judge(Goal.STOPPED, JobSnapshot(JobFamily.RES, "1", "RUNNING")).done


@pytest.mark.parametrize("family", [JobFamily.TRAINING, JobFamily.RES])
def test_a_code_that_reads_delete_failed_in_v1_means_nothing_for_other_families(family) -> None:
    for status in (6, "6"):
        verdict = judge(Goal.DELETED, JobSnapshot(family, "1", status))
        assert (verdict.done, verdict.error) == (False, None)


@pytest.mark.parametrize("family", V1_FAMILIES)
@pytest.mark.parametrize(("code", "name", "finished"), [(c, n, f) for c, (n, f) in V1_CODES.items()])
def test_v1_statuses_carry_their_documented_names_and_a_stop_event_is_believed_by_them(
    family, code, name, finished
) -> None:
    """Events carry status names (``KILLED (12)``); the task reads the code back from the name."""
    assert status_name(family, code) == status_name(family, str(code)) == f"{name} ({code})"
    target = JobRef(family, "10")
    event = job_event(target, Goal.STOPPED, "success", "stopped", f"{name} ({code})", 1)
    if finished:
        assert check_job_event(event, target, Goal.STOPPED) is event
    else:
        with pytest.raises(UnexpectedEvent):
            check_job_event(event, target, Goal.STOPPED)


def test_an_unknown_v1_code_keeps_its_raw_value_as_its_name() -> None:
    assert status_name(JobFamily.TRAINING_V1, 99) == "99"
    assert status_name(JobFamily.VISUALIZATION, "twelve") == "twelve"
    assert status_name(JobFamily.TRAINING_V1, None) == "None"
    assert status_name(JobFamily.TRAINING, "Terminated") == "Terminated"


# ---- a whole v1 job, from its versions list -------------------------------------------------------


def versions(*statuses: int) -> Answer:
    """The versions list of v1 job 10, newest first."""
    listed = [{"version_id": 20 - index, "status": status} for index, status in enumerate(statuses)]
    return Answer(200, {"is_success": True, "job_id": 10, "version_count": len(listed), "versions": listed})


def v1_job(answer: Answer) -> JobSnapshot:
    snapshot = observe(answer, JobFamily.TRAINING_V1, "10")
    assert snapshot is not None
    return snapshot


def test_a_v1_job_with_a_running_version_has_not_stopped_whatever_its_newest_version_did() -> None:
    job = v1_job(versions(12, 8, 10))  # the newest was killed, an older one still runs
    assert (job.status_name, judge(Goal.STOPPED, job).done) == ("RUNNING (8)", False)


def test_a_v1_job_is_shown_by_its_newest_unfinished_version() -> None:
    assert v1_job(versions(12, 8, 9)).status_name == "RUNNING (8)"


def test_a_v1_job_whose_versions_all_finished_has_stopped_with_its_newest_status() -> None:
    job = v1_job(versions(12, 10, 11))
    assert (job.status_name, judge(Goal.STOPPED, job).done) == ("KILLED (12)", True)


def test_a_v1_job_without_versions_exists_and_has_not_stopped() -> None:
    job = v1_job(versions())
    assert job.status is None
    assert not judge(Goal.STOPPED, job).done
    assert not judge(Goal.DELETED, job).done


@pytest.mark.parametrize("word", ["killing", "stopping", "terminating", "canceling", "cancelling", "KILLING"])
def test_a_res_job_that_is_stopping_is_waited_for_not_asked_to_stop(word) -> None:
    """A teardown waits for a job that is already stopping (it sends no stop request, which RES does
    not even have); only a job that runs is asked to stop."""
    assert category(JobFamily.RES, word) is Category.STOPPING
    assert category(JobFamily.RES, "running") is Category.ACTIVE
