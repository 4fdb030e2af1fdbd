"""``select_jobs``: the pure choice of what a cleanup run deletes, stops first, or skips."""

from __future__ import annotations

from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.operators.cleanup import select_jobs

NOW = 1_800_000_000_000
DAY_MS = 86_400_000


def v2(
    job_id: str, *, days: float | None = 40, phase: str = "Completed", name: str | None = None
) -> JobSnapshot:
    created = None if days is None else int(NOW - days * DAY_MS)
    return JobSnapshot(JobFamily.TRAINING, job_id, phase, name=name or f"job-{job_id}", create_time=created)


def ids(jobs: list[JobSnapshot]) -> list[str]:
    return [job.job_id for job in jobs]


def test_age_keeps_recent_jobs_and_jobs_of_unknown_age() -> None:
    jobs = [v2("old", days=31), v2("recent", days=29), v2("unknown", days=None)]
    selection = select_jobs(jobs, now_ms=NOW, older_than_s=30 * 86_400)
    assert ids(selection.delete) == ["old"]
    assert selection.skipped == []  # not old enough is not a skip, just not selected
    assert ids(select_jobs(jobs, now_ms=NOW, older_than_s=None).delete) == ["unknown", "old", "recent"]


def test_statuses_match_by_value_or_by_name() -> None:
    v1 = [
        JobSnapshot(JobFamily.TRAINING_V1, "1", 10, create_time=NOW - 50 * DAY_MS),  # COMPLETED
        JobSnapshot(JobFamily.TRAINING_V1, "2", 11, create_time=NOW - 50 * DAY_MS),  # FAILED
        JobSnapshot(JobFamily.TRAINING_V1, "3", 12, create_time=NOW - 50 * DAY_MS),  # KILLED
    ]
    by_code = select_jobs(v1, now_ms=NOW, older_than_s=0, statuses=[10, "12"])
    assert ids(by_code.delete) == ["1", "3"]
    by_name = select_jobs(v1, now_ms=NOW, older_than_s=0, statuses=["FAILED (11)"])
    assert ids(by_name.delete) == ["2"]
    v2_jobs = [v2("a", phase="Failed"), v2("b", phase="Completed")]
    assert ids(select_jobs(v2_jobs, now_ms=NOW, older_than_s=0, statuses=["Failed"]).delete) == ["a"]


def test_name_pattern_selects_and_protected_names_always_win() -> None:
    jobs = [
        v2("1", name="nightly-a"),
        v2("2", name="nightly-keep"),
        v2("3", name="adhoc-b"),
    ]
    selection = select_jobs(
        jobs, now_ms=NOW, older_than_s=0, name_pattern="nightly-*", protected_names=["*-keep"]
    )
    assert ids(selection.delete) == ["1"]
    assert [(s["job_id"], s["reason"]) for s in selection.skipped] == [("2", "protected name")]
    everything = select_jobs(jobs, now_ms=NOW, older_than_s=None, protected_names=["*-keep", "adhoc-*"])
    assert ids(everything.delete) == ["1"]


def test_running_jobs_are_left_alone_unless_stop_running() -> None:
    jobs = [v2("done", phase="Completed"), v2("busy", phase="Running")]
    kept = select_jobs(jobs, now_ms=NOW, older_than_s=0)
    assert ids(kept.delete) == ["done"] and kept.stop_first == []
    assert [s["job_id"] for s in kept.skipped] == ["busy"]
    assert "stop_running" in kept.skipped[0]["reason"]

    stopping = select_jobs(jobs, now_ms=NOW, older_than_s=0, stop_running=True)
    assert sorted(ids(stopping.delete)) == ["busy", "done"]
    assert ids(stopping.stop_first) == ["busy"]
    assert stopping.skipped == []


def test_cap_keeps_the_oldest_and_reports_the_rest_skipped() -> None:
    jobs = [v2(str(days), days=days) for days in (35, 90, 60, 45)]
    selection = select_jobs(jobs, now_ms=NOW, older_than_s=0, max_deletes=2)
    assert ids(selection.delete) == ["90", "60"]
    assert [(s["job_id"], "max_deletes" in s["reason"]) for s in selection.skipped] == [
        ("45", True),
        ("35", True),
    ]
    assert select_jobs(jobs, now_ms=NOW, older_than_s=0, max_deletes=0).delete == []


def test_stop_first_only_lists_capped_running_jobs() -> None:
    jobs = [v2("old-busy", days=90, phase="Running"), v2("new-busy", days=40, phase="Pending")]
    selection = select_jobs(jobs, now_ms=NOW, older_than_s=0, stop_running=True, max_deletes=1)
    assert ids(selection.delete) == ["old-busy"] and ids(selection.stop_first) == ["old-busy"]
    assert [s["job_id"] for s in selection.skipped] == ["new-busy"]
