"""What an error answer tells the task besides its verdict: the request id, from whichever header
the gateway used (or else the body), and a message that is readable and bounded whatever the body."""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsAuthError, ModelArtsServerError
from airflow_provider_modelarts.api.statuses import JobFamily
from tests.verdicts.scripted import Answer, observe

OTHER_ERROR = {"error_code": "ModelArts.0104", "error_msg": "Parameter error"}


def error_of(answer: Answer) -> ModelArtsApiError:
    with pytest.raises(ModelArtsApiError) as caught:
        observe(answer, JobFamily.TRAINING)
    return caught.value


@pytest.mark.parametrize("header", ["X-Request-Id", "x-apig-request-id"])
def test_the_request_id_comes_from_a_gateway_header(header) -> None:
    error = error_of(Answer(400, OTHER_ERROR, headers={header: "req-header-1"}))
    assert error.request_id == "req-header-1"
    assert "(request id req-header-1)" in str(error)


def test_without_a_header_the_request_id_comes_from_the_body() -> None:
    error = error_of(Answer(401, {"error_code": "APIGW.0301", "error_msg": "x", "request_id": "req-body-1"}))
    assert error.request_id == "req-body-1"


def test_a_long_body_is_cut_to_500_characters_ending_in_an_ellipsis() -> None:
    long = error_of(Answer(400, b"x" * 100_000, "text/plain")).error_msg
    assert len(long) == 500 and long.endswith("x...")
    exactly = "y" * 500
    assert error_of(Answer(400, exactly.encode(), "text/plain")).error_msg == exactly


def test_a_body_that_is_not_utf8_still_gives_its_readable_part() -> None:
    error = error_of(Answer(502, b"\xff\xfe bad gateway \xfd", "text/plain"))
    assert isinstance(error, ModelArtsServerError)
    assert "bad gateway" in error.error_msg


def test_only_an_html_page_loses_its_tags_and_they_part_words() -> None:
    page = b"<html><body><h1>404</h1><p>Not Found</p></body></html>"
    assert error_of(Answer(404, page, "text/html; charset=utf-8")).error_msg == "404 Not Found"
    assert error_of(Answer(400, b"expected <job id>", "text/plain")).error_msg == "expected <job id>"


@pytest.mark.parametrize(
    ("status", "code"), [(401, "ModelArts.0201"), (403, "ModelArts.0108"), (401, "APIGW.0301")]
)
def test_a_refused_credential_is_an_auth_error_whatever_its_code(status, code) -> None:
    error = error_of(Answer(status, {"error_code": code, "error_msg": "refused"}))
    assert isinstance(error, ModelArtsAuthError)
