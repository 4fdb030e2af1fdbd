"""A job is gone only on its family's documented not-found form, in whatever error shape it comes.

The client reads every error shape the official SDK reads (``error_code``/``error_msg``,
``errorCode``/``errorMsg``, ``code``/``message``) and the v1 variants (``error_message``, ``msg``).
A not-found answer in any of them must read as "gone" for its family, and with every HTTP status
the family may use for it; the RES form needs its message, so each message key is exercised too.
"""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsNotFoundError
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Gone
from tests.verdicts.scripted import V2_JOB, Answer, observe

SHAPES = [
    ("error_code", "error_msg"),
    ("error_code", "error_message"),
    ("error_code", "message"),
    ("errorCode", "errorMsg"),
    ("errorCode", "errorMessage"),
    ("code", "message"),
    ("code", "msg"),
]
NOT_FOUND = {
    JobFamily.TRAINING: (400, "ModelArts.2775", f"Training job (ID: {V2_JOB}) not found."),
    JobFamily.TRAINING_V1: (404, "ModelArts.0015", "The resource you requested does not exist."),
    JobFamily.VISUALIZATION: (404, "ModelArts.0015", "The resource you requested does not exist."),
    JobFamily.RES: (404, "RES.1002", "The job does not exist."),
}


@pytest.mark.parametrize("family", list(NOT_FOUND))
@pytest.mark.parametrize(("code_key", "message_key"), SHAPES)
def test_a_not_found_answer_reads_gone_in_every_error_shape(family, code_key, message_key) -> None:
    status, code, message = NOT_FOUND[family]
    assert isinstance(observe(Answer(status, {code_key: code, message_key: message}), family), Gone)


@pytest.mark.parametrize("status", [200, 400, 404])
def test_res_says_a_job_is_missing_with_any_status_it_uses_for_errors(status) -> None:
    body = {"is_success": False, "error_code": "RES.1002", "error_msg": "The job does not exist."}
    assert isinstance(observe(Answer(status, body), JobFamily.RES), Gone)


def test_res_words_about_a_missing_job_need_a_res_code() -> None:
    body = {"is_success": False, "error_code": "ModelArts.1002", "error_msg": "The job does not exist."}
    with pytest.raises(ModelArtsApiError) as caught:
        observe(Answer(404, body), JobFamily.RES)
    assert not isinstance(caught.value, ModelArtsNotFoundError)


@pytest.mark.parametrize(
    ("family", "status", "body"),
    [
        (JobFamily.TRAINING_V1, 404, {"is_success": False, "error_code": "ModelArts.0015"}),
        (JobFamily.VISUALIZATION, 200, {"is_success": False, "error_code": "ModelArts.0015"}),
        (JobFamily.TRAINING, 400, {"error_code": "ModelArts.2775"}),
    ],
)
def test_a_not_found_code_without_a_message_still_reads_gone(family, status, body) -> None:
    assert isinstance(observe(Answer(status, body), family), Gone)
