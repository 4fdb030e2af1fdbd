"""Answers that are not the service's "the job does not exist": a proxy's or a framework's 404, and
documented errors about other things. None of them may read as "gone" (or "already absent"): every
operator and sensor fails, naming the status, the code and the request id.

The emulator always answers in the service's own forms, so a small scripted server on 127.0.0.1
stands in for a proxy or a wrong base path here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_modelarts.api.errors import ModelArtsError
from airflow_provider_modelarts.operators import modelarts as op
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor
from tests.airflow_support import FAST, drive, make_context, serving

P = "0123456789abcdef0123456789abcdef"
V2 = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
REQUEST_ID = "req-0123456789"

ANSWERS: dict[str, tuple[int, str, str]] = {
    "fastapi-404": (404, "application/json", json.dumps({"detail": "Not Found"})),
    "drf-404": (404, "application/json", json.dumps({"detail": "Not found."})),
    "message-404": (404, "application/json", json.dumps({"message": "Not Found"})),
    "spring-404": (
        404,
        "application/json",
        json.dumps({"timestamp": "2026-11-30T10:00:00Z", "status": 404, "error": "Not Found", "path": "/x"}),
    ),
    "html-404": (404, "text/html", "<html><body><h1>404 Not Found</h1>nginx</body></html>"),
    "path-not-found": (
        404,
        "application/json",
        json.dumps({"error_code": "ModelArts.2836", "error_msg": "The path was not found"}),
    ),
    "another-job": (
        400,
        "application/json",
        json.dumps(
            {
                "error_code": "ModelArts.2775",
                "error_msg": "Training job (ID: 11111111-2222-4333-8444-555555555555) not found.",
            }
        ),
    ),
    "no-workspace": (
        400,
        "application/json",
        json.dumps(
            {"is_success": False, "error_code": "ModelArts.0102", "error_msg": "The workspace does not exist"}
        ),
    ),
    "no-pool": (
        400,
        "application/json",
        json.dumps({"error_code": "ModelArts.2788", "error_msg": "The pool does not exist."}),
    ),
    "obs-path": (
        400,
        "application/json",
        json.dumps(
            {"is_success": False, "error_code": "ModelArts.0104", "error_message": "OBS path not found"}
        ),
    ),
    "res-other": (
        404,
        "application/json",
        json.dumps({"is_success": False, "error_code": "RES.1001", "error_msg": "OBS path not found"}),
    ),
}


class _Foreign(BaseHTTPRequestHandler):
    answer: tuple[int, str, str] = (404, "text/plain", "")
    calls: list[tuple[str, str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.calls.append((self.command, self.path))
        status, content_type, body = self.answer
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", REQUEST_ID)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def foreign() -> Iterator[str]:
    with serving(_Foreign) as url:
        yield url


@pytest.fixture(params=sorted(ANSWERS))
def answering(request: pytest.FixtureRequest, foreign: str, use_connection: Any) -> tuple[int, str]:
    use_connection(
        {
            "conn_type": "modelarts",
            "login": "AK",
            "password": "SK-x",
            "host": foreign,
            "extra": {"region": "cn-north-4", "project_id": P},
        }
    )
    _Foreign.answer = ANSWERS[request.param]
    _Foreign.calls = []
    return ANSWERS[request.param][0], request.param


TASKS: dict[str, Callable[[], Any]] = {
    "delete-v2": lambda: op.ModelArtsDeleteTrainingJobOperator(task_id="t", job_id=V2),
    "terminate-v2": lambda: op.ModelArtsTerminateTrainingJobOperator(task_id="t", job_id=V2),
    "delete-v1": lambda: op.ModelArtsDeleteTrainingJobV1Operator(task_id="t", job_id=10),
    "stop-v1-version": lambda: op.ModelArtsStopTrainingJobVersionOperator(
        task_id="t", job_id=10, version_id=12
    ),
    "delete-vis": lambda: op.ModelArtsDeleteVisualizationJobOperator(task_id="t", job_id=300001),
    "stop-vis": lambda: op.ModelArtsStopVisualizationJobOperator(task_id="t", job_id=300001),
    "delete-res": lambda: op.ModelArtsDeleteResJobOperator(
        task_id="t", job_id="aa22ac78f14142eaa7de", job_type="ranking"
    ),
    "deleted-sensor-v2": lambda: ModelArtsJobDeletedSensor(task_id="t", job_family="training", job_id=V2),
    "deleted-sensor-vis": lambda: ModelArtsJobDeletedSensor(
        task_id="t", job_family="visualization", job_id=300001, deferrable=True
    ),
    "stopped-sensor-res": lambda: ModelArtsJobStoppedSensor(
        task_id="t", job_family="res", job_id="aa22ac78f14142eaa7de"
    ),
}


@pytest.mark.parametrize("task", sorted(TASKS))
def test_no_foreign_answer_reads_as_gone(task: str, answering: tuple[int, str]) -> None:
    status, _name = answering
    built = TASKS[task]()
    if hasattr(built, "poll_interval"):
        built.poll_interval = FAST
    with pytest.raises((AirflowException, ModelArtsError)) as failed:
        drive(built, make_context())
    text = str(failed.value)
    assert f"HTTP {status}" in text and REQUEST_ID in text, text
    assert _Foreign.calls, "the task asked the service"
