"""Which failed polls a wait outlives: a server error (HTTP 5xx) or throttling (429) that outlived
the client's retries may pass, so the wait keeps polling (up to ``max_poll_failures`` in a row);
any other error ends it at once. Each poll goes through the real session to scripted answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from airflow_provider_modelarts.api import operations
from airflow_provider_modelarts.api.errors import ModelArtsError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import JobWait, WaitFailed, poll_failures, seconds
from airflow_provider_modelarts.api.watch import ABSENT, Goal, Verdict
from tests.verdicts.scripted import PROJECT, V2_JOB, Answer, Script

GONE = Answer(400, {"error_code": "ModelArts.2775", "error_msg": f"Training job (ID: {V2_JOB}) not found."})


def polls(answers: Sequence[Answer], max_poll_failures: int = 3) -> list[Verdict]:
    """The verdict after each poll of a deletion wait on a v2 job answered by ``answers``."""
    session = Script(answers).session()
    wait = JobWait(JobRef(JobFamily.TRAINING, V2_JOB), Goal.DELETED, max_poll_failures)
    verdicts = []
    try:
        for _ in answers:
            answer: JobSnapshot | ModelArtsError | None
            try:
                answer = session.run(operations.observe(PROJECT, JobFamily.TRAINING, V2_JOB))
            except ModelArtsError as exc:
                answer = exc
            verdicts.append(wait.record(answer))
    finally:
        session.close()
    return verdicts


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_server_error_or_throttling_is_waited_out(status) -> None:
    busy = Answer(status, {"error_code": "ModelArts.0000", "error_msg": "busy"})
    verdicts = polls([busy, busy, GONE])
    assert [(v.done, v.final_status) for v in verdicts] == [(False, None), (False, None), (True, "ABSENT")]


@pytest.mark.parametrize("status", [499, 400, 403, 404, 409])
def test_any_other_error_ends_the_wait_at_once(status) -> None:
    other = Answer(status, {"error_code": "ModelArts.0104", "error_msg": "Parameter error"})
    with pytest.raises(WaitFailed):
        polls([other, GONE])


def test_failures_count_only_in_a_row_and_end_the_wait_at_max_poll_failures() -> None:
    busy = Answer(503, {"error_code": "ModelArts.0000", "error_msg": "busy"})
    running = Answer(200, {"metadata": {"id": V2_JOB}, "status": {"phase": "Running"}})
    verdicts = polls([busy, running, busy, GONE], max_poll_failures=2)
    assert [v.final_status for v in verdicts] == [None, "Running", "Running", ABSENT]
    with pytest.raises(WaitFailed, match=r"\(2 polls in a row failed\)") as caught:
        polls([running, busy, busy, GONE], max_poll_failures=2)
    assert caught.value.last_status == "Running"
    with pytest.raises(WaitFailed):
        polls([busy, GONE], max_poll_failures=1)


def test_a_programming_error_in_a_poll_is_raised_as_it_is() -> None:
    wait = JobWait(JobRef(JobFamily.TRAINING, V2_JOB), Goal.DELETED, 3)
    with pytest.raises(KeyError):
        wait.record(KeyError("a bug, not a failed poll"))
    assert wait.tally.failures == 0
    with pytest.raises(WaitFailed):  # an invalid answer is a failed poll that will not pass
        wait.record(ValueError("unreadable"))


@pytest.mark.parametrize("value", ["10", None, True, float("nan"), float("inf"), -1, 0, timedelta(0)])
def test_a_pace_or_deadline_a_wait_could_not_keep_is_refused(value) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        seconds(value, "poll_interval")


def test_zero_is_a_pace_only_where_allowed_and_numbers_and_timedeltas_are_seconds() -> None:
    assert seconds(0, "grace", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="seconds > 0, not 0"):
        seconds(0, "poll_interval")
    with pytest.raises(ValueError, match="seconds >= 0, not -1"):
        seconds(-1, "grace", allow_zero=True)
    assert seconds(timedelta(minutes=1), "timeout") == 60.0
    assert seconds(2, "poll_interval") == 2.0


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "3"])
def test_max_poll_failures_is_a_whole_number_of_at_least_one(value) -> None:
    with pytest.raises(ValueError, match="max_poll_failures"):
        poll_failures(value)
    assert poll_failures(1) == 1
