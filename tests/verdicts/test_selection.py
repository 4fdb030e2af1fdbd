"""What the cleanup selects (:func:`select_jobs`, :func:`protected`): pure functions over job
snapshots, for the edges the other selection tests leave open: the age boundary, statuses by code
or by name, jobs of unknown age or name, and protection without protected names."""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.operators.cleanup import select_jobs
from airflow_provider_modelarts.teardown.decide import protected

NOW = 1_800_000_000_000
DAY_S = 86_400
THIRTY_DAYS_MS = 30 * DAY_S * 1000


def v2(job_id: str, created: int | None, phase: str = "Completed", name: str | None = "job") -> JobSnapshot:
    return JobSnapshot(JobFamily.TRAINING, job_id, phase, name=name, create_time=created)


def selected(jobs: list[JobSnapshot], **kwargs: object) -> list[str]:
    kwargs.setdefault("older_than_s", 30 * DAY_S)
    return [job.job_id for job in select_jobs(jobs, now_ms=NOW, **kwargs).delete]  # type: ignore[arg-type]


def test_a_job_exactly_as_old_as_older_than_is_old_enough_and_a_second_younger_is_not() -> None:
    jobs = [
        v2("older", NOW - THIRTY_DAYS_MS - 1000),
        v2("exactly", NOW - THIRTY_DAYS_MS),
        v2("younger", NOW - THIRTY_DAYS_MS + 1000),
    ]
    assert sorted(selected(jobs)) == ["exactly", "older"]


def test_a_job_of_unknown_age_is_selected_only_when_age_does_not_matter() -> None:
    jobs = [v2("unknown", None), v2("old", 0)]
    assert selected(jobs) == ["old"]
    assert selected(jobs, older_than_s=None) == ["old", "unknown"]  # unknown age sorts as oldest


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (None, ["10", "12", "8"]),
        ([12], ["12"]),
        (["12"], ["12"]),
        (["KILLED (12)"], ["12"]),
        (["KILLED"], ["12"]),  # its code, its name in any case, or its name as shown
        (["killed"], ["12"]),
        ([], []),
    ],
)
def test_statuses_match_a_v1_job_by_its_code_or_its_name(statuses, expected) -> None:
    jobs = [
        JobSnapshot(JobFamily.TRAINING_V1, code, int(code), name="j", create_time=0) for code in ("10", "12")
    ]
    jobs.append(JobSnapshot(JobFamily.TRAINING_V1, "8", 8, name="j", create_time=0))
    assert selected(jobs, statuses=statuses, stop_running=True) == expected


def test_a_name_pattern_never_selects_a_job_without_a_name() -> None:
    jobs = [v2("named", 0, name="nightly-1"), v2("nameless", 0, name=None), v2("other", 0, name="adhoc")]
    assert selected(jobs, name_pattern="nightly-*") == ["named"]
    assert selected(jobs, name_pattern="*") == ["named", "other"]


def test_protection_needs_a_protected_pattern_and_keeps_nameless_jobs_while_there_is_one() -> None:
    assert not protected(None, [])
    assert not protected("prod-1", [])
    assert protected(None, ["prod-*"])
    assert protected("prod-1", ["dev-*", "prod-*"])
    assert not protected("Prod-1", ["prod-*"])  # case matters, as in the service's names
    assert not protected("dev-1", ["prod-*"])


def test_running_jobs_are_stopped_first_only_when_selected_and_finished_ones_never() -> None:
    jobs = [v2("done", 0), v2("busy", 0, phase="Running"), v2("ending", 0, phase="Terminating")]
    selection = select_jobs(jobs, now_ms=NOW, older_than_s=0, stop_running=True)
    assert [job.job_id for job in selection.stop_first] == ["busy", "ending"]
    assert sorted(job.job_id for job in selection.delete) == ["busy", "done", "ending"]
