from __future__ import annotations

import json

import pytest

from airflow_provider_modelarts.api import errors


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


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (400, "ModelArts.2775", "Training job (ID: x) not found.", True),
        (404, "ModelArts.0015", "The resource you requested does not exist.", True),
        (404, "RES.1002", "The job does not exist.", True),
        (200, "ModelArts.0104", "job does not exist", True),
        (400, None, "The job does not exist", True),
        (404, "ModelArts.2836", "PathNotFound", False),  # a wrong route, not a missing job
        (404, "ModelArts.2786", "TokenProjectIDNotMatch", False),
        (404, "APIGW.0101", "The API does not exist or has not been published", False),
        (404, None, "", False),  # a bare 404 proves nothing
        (400, "ModelArts.2762", "DuplicateFlavorCode", False),
        (500, "ModelArts.0010", "not found in cache", False),
        (409, "ModelArts.2796", "NotAllowedToTerminate", False),
    ],
)
def test_not_found_is_one_predicate(status, code, message, expected):
    assert errors.is_not_found(status, code, message) is expected


def test_error_classes_and_message():
    assert errors.error_class(401, "APIGW.0301", "x") is errors.ModelArtsAuthError
    assert errors.error_class(409, "ModelArts.2796", "x") is errors.ModelArtsConflictError
    assert errors.error_class(429, "ModelArts.2799", "x") is errors.ModelArtsRateLimitError
    assert errors.error_class(503, None, "x") is errors.ModelArtsServerError
    assert errors.error_class(400, "ModelArts.2775", "x") is errors.ModelArtsNotFoundError
    exc = errors.ModelArtsApiError(
        "boom", status_code=400, error_code="ModelArts.0104", request_id="rid", method="GET", path="/v1/p/x"
    )
    assert str(exc) == "GET /v1/p/x: HTTP 400 ModelArts.0104: boom (request id rid)"
