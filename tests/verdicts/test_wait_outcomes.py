"""Which failed polls a wait outlives: a server error (HTTP 5xx) or throttling (429) that outlived
the client's retries may pass, so the wait keeps polling (up to ``max_poll_failures`` in a row);
any other error ends it at once. Each poll goes through the real session to scripted answers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from airflow_provider_modelarts.api import watch
from airflow_provider_modelarts.api.errors import ModelArtsError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import JobWait, WaitFailed
from airflow_provider_modelarts.api.watch import Goal, Verdict
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
                answer = session.run(watch.observe(PROJECT, JobFamily.TRAINING, V2_JOB))
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
