from __future__ import annotations

import json

import pytest

from airflow_provider_modelarts.api import errors
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.statuses import JobFamily


def _body(**kw) -> bytes:
    return json.dumps(kw).encode()


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            _body(error_code="ModelArts.2775", error_msg="Training job (ID: x) not found."),
            "ModelArts.2775",
            "Training job (ID: x) not found.",
        ),
        (
            _body(
                is_success=False,
                error_code="ModelArts.0105",
                error_message="This job can't be delete. job status: 9",
            ),
            "ModelArts.0105",
            "This job can't be delete. job status: 9",
        ),
        (
            _body(is_success=False, error_code="ModelArts.0105", error_msg="older v1 field name"),
            "ModelArts.0105",
            "older v1 field name",
        ),
        (
            _body(
                is_success=False,
                error_code="res.2301",
                error_msg="Failed to resolve the token from the request.",
            ),
            "res.2301",
            "Failed to resolve the token from the request.",
        ),
        (
            _body(
                error_msg="Incorrect IAM authentication information", error_code="APIGW.0301", request_id="r1"
            ),
            "APIGW.0301",
            "Incorrect IAM authentication information",
        ),
        (
            _body(error={"code": 401, "title": "Unauthorized", "message": "authentication required"}),
            "401",
            "authentication required",
        ),
    ],
)
def test_every_documented_error_shape(body, code, message):
    assert errors.parse_error_body(body) == (code, message)


def test_html_and_garbage_bodies_become_readable_text():
    code, message = errors.parse_error_body(
        b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"
    )
    assert code is None
    assert message == "502 Bad Gateway"
    assert errors.parse_error_body(b"", None) == (None, "no error details in the response")
    assert len(errors.parse_error_body(b"x" * 100_000, "text/plain")[1]) <= 500


V2 = JobRef(JobFamily.TRAINING, "3faf5c03-aaa1-4cbe-879d-24b05d997347")
V1 = JobRef(JobFamily.TRAINING_V1, "10")
VERSION = JobRef(JobFamily.TRAINING_V1, "10", "12")
VIS = JobRef(JobFamily.VISUALIZATION, "300001")
RES = JobRef(JobFamily.RES, "aa22ac78f14142eaa7de")


@pytest.mark.parametrize(
    ("job", "status", "code", "message"),
    [
        (V2, 400, "ModelArts.2775", f"Training job (ID: {V2.job_id}) not found."),
        (V2, 404, "ModelArts.2775", "Training job not found."),  # a 404 is accepted too
        (V1, 404, "ModelArts.0015", "The resource you requested does not exist."),
        (VERSION, 404, "ModelArts.0015", "The resource you requested does not exist."),
        (V1, 200, "ModelArts.0015", "The resource you requested does not exist."),  # is_success false
        (VIS, 400, "ModelArts.0015", "The resource you requested does not exist."),
        (RES, 404, "RES.1002", "The job does not exist."),
    ],
)
def test_the_documented_not_found_forms_of_each_family(job, status, code, message):
    assert errors.is_job_not_found(job, status, code, message)
    assert errors.error_class(status, code, message, job) is errors.ModelArtsNotFoundError


@pytest.mark.parametrize(
    ("job", "status", "code", "message"),
    [
        # generic framework and proxy bodies from a wrong base path
        (V2, 404, None, "Not Found"),  # {"detail": "Not Found"} (FastAPI), {"message": "Not Found"}
        (V2, 404, None, "Not found."),  # DRF
        (V1, 404, "404", "Not Found"),  # Spring: {"status": 404, "error": "Not Found", ...}
        (VIS, 404, None, ""),
        # any 404 carrying some other code
        (V2, 404, "ModelArts.2836", "PathNotFound"),
        (V2, 404, "ModelArts.2786", "TokenProjectIDNotMatch"),
        (V1, 404, "APIGW.0101", "The API does not exist or has not been published"),
        (V1, 404, "ModelArts.0210", "project id in URL does not match token"),
        (RES, 404, "APIGW.0101", "The job API does not exist"),
        # documented errors about other things
        (V1, 400, "ModelArts.0102", "The workspace does not exist"),
        (V2, 400, "ModelArts.0102", "The workspace does not exist"),
        (V2, 400, "ModelArts.2762", "DuplicateFlavorCode"),
        (V2, 400, "ModelArts.2788", "The pool does not exist."),
        (V1, 400, "ModelArts.0104", "OBS path not found"),
        (V1, 200, "ModelArts.0104", "job does not exist"),
        (V1, 400, None, "The job does not exist"),
        (RES, 400, "RES.1001", "OBS path not found"),
        (RES, 401, "res.2301", "Failed to resolve the token from the request."),
        (RES, 404, None, "The job does not exist."),  # no RES code: a proxy could say that
        # one family's form for another family's job
        (V1, 404, "ModelArts.2775", "Training job (ID: 10) not found."),
        (V2, 404, "ModelArts.0015", "The resource you requested does not exist."),
        (RES, 404, "ModelArts.0015", "The resource you requested does not exist."),
        # the v2 form, but about another job
        (V2, 400, "ModelArts.2775", "Training job (ID: 11111111-2222-4333-8444-555555555555) not found."),
        # not-found codes with statuses that mean something else
        (V2, 500, "ModelArts.2775", "Training job not found."),
        (V1, 503, "ModelArts.0015", "The resource you requested does not exist."),
        (V2, 409, "ModelArts.2796", "NotAllowedToTerminate"),
    ],
)
def test_everything_else_is_an_error_not_a_missing_job(job, status, code, message):
    assert not errors.is_job_not_found(job, status, code, message)
    assert errors.error_class(status, code, message, job) is not errors.ModelArtsNotFoundError


def test_a_request_about_no_job_or_a_body_not_from_the_service_never_says_not_found():
    assert not errors.is_job_not_found(None, 400, "ModelArts.2775", "Training job (ID: x) not found.")
    assert not errors.is_job_not_found(V2, 400, "ModelArts.2775", None)  # not the service's JSON body
    assert errors.error_class(400, "ModelArts.2775", "not found", None) is errors.ModelArtsApiError


def test_error_classes_and_message():
    assert errors.error_class(401, "APIGW.0301", "x") is errors.ModelArtsAuthError
    assert errors.error_class(409, "ModelArts.2796", "x") is errors.ModelArtsConflictError
    assert errors.error_class(429, "ModelArts.2799", "x") is errors.ModelArtsRateLimitError
    assert errors.error_class(503, None, "x") is errors.ModelArtsServerError
    exc = errors.ModelArtsApiError(
        "boom", status_code=400, error_code="ModelArts.0104", request_id="rid", method="GET", path="/v1/p/x"
    )
    assert str(exc) == "GET /v1/p/x: HTTP 400 ModelArts.0104: boom (request id rid)"
