"""The cleanup's promises, end to end against the emulator: statuses it knows, ages it cannot
misread, filters that never widen silently, a log that says what happened to each job, and a
bounded report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import XCom

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.cleanup import STATE_KEY, ModelArtsCleanupJobsOperator
from airflow_provider_modelarts.teardown import core
from airflow_provider_modelarts.teardown.core import STATE_DONE
from airflow_provider_modelarts.teardown.decide import protected
from tests.airflow_support import RecordingTI, drive, make_context
from tests.verdicts.emulated import listed

OLD = 40 * 86_400


LINE = re.compile(r"^\S+ \[(\w+)\s*\] (.*?) \[([\w.]+)\](?: \w+=.*)?$")


def task_log(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, str]]:
    """(level, message, logger) of every line the task logged (Airflow's task logger prints them)."""
    return [(m[1], m[2], m[3]) for line in capsys.readouterr().out.splitlines() if (m := LINE.match(line))]


def cleanup(**kwargs: Any) -> ModelArtsCleanupJobsOperator:
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return ModelArtsCleanupJobsOperator(task_id="cleanup", **kwargs)


def rendered(op: ModelArtsCleanupJobsOperator, **params: Any) -> ModelArtsCleanupJobsOperator:
    op.render_template_fields({"params": params})
    return op


# ---- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "wanted"),
    [
        ("training_v1", ["COMPLETED"]),
        ("training_v1", ["completed"]),  # codes ("10", 10) and "COMPLETED (10)" matched already
        ("visualization", ["Completed"]),
        ("training", ["completed"]),
    ],
)
def test_every_documented_spelling_of_a_status_selects_its_jobs(
    emu: EmulatorServer, family: str, wanted: list[Any]
) -> None:
    status = "Completed" if family == "training" else "COMPLETED"
    done = emu.seed(family, 2, status=status, age_seconds=OLD)
    emu.seed(family, 1, status="Failed" if family == "training" else "FAILED", age_seconds=OLD)
    report = cleanup(job_family=family, statuses=wanted, dry_run=True).execute(make_context())
    assert sorted(report["selected"]) == sorted(done)


@pytest.mark.parametrize(
    ("family", "wanted", "named"),
    [("training", ["Done"], "Completed"), ("training_v1", ["Finished"], "COMPLETED (10)"),
     ("training_v1", [99], "KILLED (12)"), ("visualization", ["Succeeded"], "RUNNING (8)")],
)  # fmt: skip
def test_a_status_the_family_does_not_know_is_refused_naming_the_accepted_ones(
    family: str, wanted: list[Any], named: str
) -> None:
    with pytest.raises(ValueError, match=r"statuses: .* not .* status\(es\); accepted: .*") as refused:
        cleanup(job_family=family, statuses=wanted)
    assert named in str(refused.value)


def test_a_templated_status_list_is_checked_once_rendered(emu: EmulatorServer) -> None:
    op = cleanup(job_family="{{ params.family }}", statuses=["Done"])  # the family is not known yet
    with pytest.raises(ValueError, match="accepted: Creating"):
        rendered(op, family="training").execute(make_context())


# ---- max_deletes, protected_names ---------------------------------------------------------------


def test_max_deletes_zero_is_refused_pointing_at_dry_run() -> None:
    with pytest.raises(ValueError, match=r"max_deletes: 0 .*dry_run=True"):
        cleanup(max_deletes=0)


def test_an_explicitly_empty_protected_names_is_warned_about(
    emu: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cleanup(dry_run=True).execute(make_context())
    assert not [line for line in task_log(capsys) if "no job is protected" in line[1]]
    cleanup(protected_names=[], dry_run=True).execute(make_context())
    [(level, _, _)] = [line for line in task_log(capsys) if "no job is protected" in line[1]]
    assert level == "warning"


# ---- older_than ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [30, 30.0, "30", 2_592_000])
def test_a_bare_number_of_age_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r'older_than: .*timedelta\(days=30\) or "30d"'):
        cleanup(older_than=value)


@pytest.mark.parametrize("value", ["30d", "P30D", "720h", "43200m", "{{ params.age }}"])
def test_an_age_is_a_timedelta_or_a_duration_string(emu: EmulatorServer, value: str) -> None:
    [older] = emu.seed("training", 1, status="Completed", age_seconds=31 * 86_400)
    emu.seed("training", 1, status="Completed", age_seconds=29 * 86_400)
    op = rendered(cleanup(older_than=value, dry_run=True), age="P4W2D")  # 30 days
    assert op.execute(make_context())["selected"] == [older]


def test_older_than_max_deletes_and_dry_run_are_templated_and_checked_once_rendered(
    emu: EmulatorServer,
) -> None:
    old = emu.seed("training", 3, status="Completed", age_seconds=OLD)
    op = cleanup(older_than="{{ params.age }}", max_deletes="{{ params.cap }}", dry_run="{{ params.dry }}")
    for field in ("older_than", "max_deletes", "report_only"):
        assert field in op.template_fields
    report = rendered(op, age="12h", cap=2, dry=True).execute(make_context())
    assert report["dry_run"] is True and len(report["selected"]) == 2
    assert listed(emu, "training") == set(old)  # nothing deleted
    for params, error in [({"age": "30", "cap": 2, "dry": True}, "bare number|not a duration"),
                          ({"age": "1d", "cap": 0, "dry": True}, "max_deletes"),
                          ({"age": "1d", "cap": 2, "dry": "maybe"}, "dry_run")]:  # fmt: skip
        again = cleanup(
            older_than="{{ params.age }}", max_deletes="{{ params.cap }}", dry_run="{{ params.dry }}"
        )
        with pytest.raises(ValueError, match=error):
            rendered(again, **params).execute(make_context())


# ---- filters that render empty --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name_pattern", "workspace_id"])
def test_a_filter_that_renders_empty_is_refused_naming_it(emu: EmulatorServer, field: str) -> None:
    old = emu.seed("training", 2, status="Completed", age_seconds=OLD)
    op = cleanup(**{field: "{{ dag_run.conf.get('x', '') if dag_run else '' }}"})
    op.render_template_fields({"params": {}, "dag_run": None})
    with pytest.raises(ValueError, match=f"{field}: '' is empty"):
        op.execute(make_context())
    assert listed(emu, "training") == set(old)


def test_a_literal_empty_name_pattern_is_refused_and_none_means_no_filter() -> None:
    with pytest.raises(ValueError, match="name_pattern=None"):
        cleanup(name_pattern="")
    cleanup(name_pattern=None)


# ---- an empty name is a missing name -------------------------------------------------------------


def test_a_job_with_an_empty_name_is_kept_while_names_are_protected(emu: EmulatorServer) -> None:
    [nameless] = emu.seed("training", 1, name="", status="Completed", age_seconds=OLD)
    others = emu.seed("training", 2, name="tmp", status="Completed", age_seconds=OLD)
    report = cleanup(protected_names=["prod-*"]).execute(make_context())
    assert sorted(report["deleted"]) == sorted(others)
    assert listed(emu, "training") == {nameless}
    assert protected("", ["prod-*"]) and not protected("", [])


def test_an_empty_name_never_matches_a_name_pattern(emu: EmulatorServer) -> None:
    emu.seed("training", 1, name="", status="Completed", age_seconds=OLD)
    report = cleanup(name_pattern="*", dry_run=True).execute(make_context())
    assert report["selected"] == []


# ---- the audit trail and the report ---------------------------------------------------------------


def test_the_log_says_what_happened_to_each_job(
    emu: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    done = emu.seed("training", 2, name="nightly", status="Completed", age_seconds=OLD)
    [kept] = emu.seed("training", 1, name="prod-model", status="Completed", age_seconds=OLD)
    [running] = emu.seed("training", 1, name="busy", status="Running", age_seconds=OLD)
    cleanup(protected_names=["prod-*"]).execute(make_context())
    lines = [message for _, message, _ in task_log(capsys)]
    for job in done:
        assert any(
            job in line and line.startswith("Deleted: training job") and "Completed" in line for line in lines
        )
    assert any(kept in line and "'prod-model'" in line and "protected name" in line for line in lines)
    assert any(running in line and "'busy'" in line and "stop_running" in line for line in lines)


def test_the_log_lists_at_most_the_limit_of_a_kind_then_counts(
    emu: EmulatorServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "AUDIT_LIMIT", 2)
    emu.seed("training", 5, status="Completed", age_seconds=OLD)
    cleanup().execute(make_context())
    lines = [message for _, message, _ in task_log(capsys)]
    assert sum(line.startswith("Deleted: training job ") for line in lines) == 2
    assert "Deleted: 3 more training job(s) not logged one by one (the first 2 are above)" in lines


def test_listed_is_what_the_listing_returned_before_filters(emu: EmulatorServer) -> None:
    emu.seed("training_v1", 3, name="a", status="COMPLETED", age_seconds=OLD)
    emu.seed("training_v1", 2, name="b", status="COMPLETED", age_seconds=OLD)
    report = cleanup(job_family="training_v1", name_pattern="a-*", dry_run=True).execute(make_context())
    assert report["listed"] == 5 and len(report["selected"]) == 3


def test_the_report_is_bounded_whatever_the_number_skipped(
    emu: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = emu.seed("training", 30, name="prod", status="Completed", age_seconds=OLD)
    gone = emu.seed("training", 2, name="tmp", status="Completed", age_seconds=OLD)
    report = cleanup(protected_names=["prod-*"]).execute(make_context())
    assert any("2 deleted" in message and "30 skipped" in message for _, message, _ in task_log(capsys))
    assert sorted(report["deleted"]) == sorted(gone)
    assert report["skipped_count"] == 30 and len(report["skipped"]) == 20
    summary = report["skipped_by_reason"]["protected name"]
    assert summary["count"] == 30 and len(summary["sample"]) == 20 and set(summary["sample"]) <= set(kept)
    assert set(report["final_status"]) == set(gone)


class DeletingTI(RecordingTI):
    task_id, dag_id, run_id = "cleanup", "housekeeping", "manual__1"


@pytest.mark.parametrize("deletable", [True, False])
def test_the_saved_state_is_removed_once_the_task_succeeds(
    emu: EmulatorServer, monkeypatch: pytest.MonkeyPatch, deletable: bool
) -> None:
    ti = DeletingTI()
    deleted: list[dict[str, Any]] = []

    def delete(**kwargs: Any) -> None:
        if not deletable:
            raise RuntimeError("this backend cannot delete")
        deleted.append(kwargs)
        ti.pushed.pop(kwargs["key"], None)

    monkeypatch.setattr(XCom, "delete", delete)
    context = {"ti": ti, "task_instance": ti, "params": {}}
    emu.seed("training", 1, status="Completed", age_seconds=OLD)
    cleanup(deferrable=False).execute(context)  # never deferred: nothing saved, nothing to delete
    assert deleted == [] and STATE_KEY not in ti.pushed
    emu.seed("training", 3, status="Completed", age_seconds=OLD)
    driven = drive(cleanup(deferrable=True), context)
    assert driven.deferrals and driven.result["confirmed_gone"] == 3
    if deletable:
        assert deleted == [{"key": STATE_KEY, "task_id": "cleanup", "dag_id": "housekeeping",
                            "run_id": "manual__1", "map_index": -1}]  # fmt: skip
        assert STATE_KEY not in ti.pushed
    else:
        assert ti.pushed[STATE_KEY] == STATE_DONE
