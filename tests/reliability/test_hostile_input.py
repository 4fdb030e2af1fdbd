# Tables of calls read best one per line; each property is "refused or sent right", hence the except
# blocks that assert; the fullwidth digits are deliberate hostile input.
# ruff: noqa: E501, PT017, RUF001
"""Every id, project, region, endpoint and body field: sent percent-encoded where intended, or refused
with a ValueError naming the field before any request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.endpoints import Service
from airflow_provider_modelarts.api.errors import ModelArtsError
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.operators import modelarts as op
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor
from tests.airflow_support import serving
from tests.reliability.conftest import FAST, task_context

P = "0123456789abcdef0123456789abcdef"
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HOSTILE = st.sampled_from(
    ["../x", "a/b", "%2F", "a?b=1", "a#b", " 1", "1 ", "", "..", "１２３", "1\n2", "-1", "+1", "0x1f", "a" * 65,
     "9" * 20, "9223372036854775807", "9223372036854775808", "abc_def", "ABC-def-1", "12", "007"]
)  # fmt: skip
VALUES = st.one_of(
    HOSTILE,
    st.text(max_size=70),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,30}", fullmatch=True),
    st.from_regex(r"[0-9]{1,20}", fullmatch=True),
    st.integers(min_value=-5, max_value=2**64),
)


class _Recorder(BaseHTTPRequestHandler):
    calls: list[tuple[str, str, bytes]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.calls.append((self.command, self.path, self.rfile.read(length)))
        # Each family's own documented not-found form, so every call ends in "the job is gone".
        segments = _segments(self.path)
        if segments[0] == "v2":
            status, error = 400, {"error_code": "ModelArts.2775", "error_msg": "Training job not found."}
        elif segments[2:3] in (["del-job"], ["jobs"]):
            status, error = 404, {"error_code": "RES.1002", "error_msg": "The job does not exist."}
        else:
            status, error = 404, {"error_code": "ModelArts.0015", "error_msg": "resource does not exist"}
        body = json.dumps(error).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def loopback() -> Iterator[str]:
    with serving(_Recorder) as url:
        yield url


@pytest.fixture
def recorded(loopback: str, use_connection) -> list[tuple[str, str, bytes]]:
    use_connection({"conn_type": "modelarts", "login": "AK", "password": "SK-x", "host": loopback,
                    "extra": {"region": "cn-north-4", "project_id": P}})  # fmt: skip
    _Recorder.calls.clear()
    return _Recorder.calls


def _segments(raw_path: str) -> list[str]:
    return [unquote(s) for s in urlsplit(raw_path).path.split("/")[1:]]


def _canonical(value: Any, numeric: bool) -> str:
    return str(int(value)) if numeric else str(value)


HOOK_CALLS: dict[str, tuple[str, bool, Callable[[ModelArtsHook, Any], Any], list[str]]] = {
    "get_training_job": ("training_job_id", False, lambda h, v: h.get_training_job(v), ["v2", P, "training-jobs", "*"]),
    "delete_training_job": ("training_job_id", False, lambda h, v: h.delete_training_job(v), ["v2", P, "training-jobs", "*"]),
    "terminate_training_job": ("training_job_id", False, lambda h, v: h.terminate_training_job(v), ["v2", P, "training-jobs", "*", "actions"]),
    "delete_training_job_v1": ("job_id", True, lambda h, v: h.delete_training_job_v1(v), ["v1", P, "training-jobs", "*"]),
    "list_training_job_versions": ("job_id", True, lambda h, v: h.list_training_job_versions(v), ["v1", P, "training-jobs", "*", "versions"]),
    "get_training_job_version": ("version_id", True, lambda h, v: h.get_training_job_version(7, v), ["v1", P, "training-jobs", "7", "versions", "*"]),
    "stop_training_job_version": ("version_id", True, lambda h, v: h.stop_training_job_version(7, v), ["v1", P, "training-jobs", "7", "versions", "*", "stop"]),
    "delete_training_job_version": ("job_id", True, lambda h, v: h.delete_training_job_version(v, 8), ["v1", P, "training-jobs", "*", "versions", "8"]),
    "get_visualization_job": ("job_id", True, lambda h, v: h.get_visualization_job(v), ["v1", P, "visualization-jobs", "*"]),
    "delete_visualization_job": ("job_id", True, lambda h, v: h.delete_visualization_job(v), ["v1", P, "visualization-jobs", "*"]),
    "stop_visualization_job": ("job_id", True, lambda h, v: h.stop_visualization_job(v), ["v1", P, "visualization-jobs", "*", "stop"]),
    "get_res_job": ("job_id", False, lambda h, v: h.get_res_job(v), ["v1", P, "jobs", "*"]),
    "observe_res": ("job_id", False, lambda h, v: h.observe("res", v), ["v1", P, "jobs", "*"]),
    "project_id": ("project_id", False, lambda h, v: h.get_res_job("job1", project_id=v), ["v1", "*", "jobs", "job1"]),
}  # fmt: skip


def _run_one(
    calls: list,
    run: Callable[[], Any],
    field: str,
    numeric: bool,
    shape: list[str],
    value: Any,
    also: tuple[list[str], ...] = (),
) -> None:
    """``shape`` is the path every request must have (``*`` = the value); ``also`` lists other
    paths a caller may read afterwards, such as the detail an operator checks after acting."""
    calls.clear()
    try:
        run()
    except ValueError as exc:
        assert field in str(exc), str(exc)
        assert calls == [], "a refused value must not cause any request"
        return
    except ModelArtsError:
        pass  # the loopback answers "not found"; what matters is what was sent
    assert calls, "an accepted value must lead to a request"
    expected = [
        [_canonical(value, numeric) if part == "*" else part for part in candidate]
        for candidate in (shape, *also)
    ]
    for _, raw, _ in calls:
        # Nothing in the value added or removed a segment, or changed the route.
        assert _segments(raw) in expected, (raw, expected)


@pytest.mark.parametrize("name", list(HOOK_CALLS))
@SETTINGS
@given(value=VALUES)
def test_hook_methods_send_ids_encoded_or_refuse_them(recorded, name: str, value: Any):
    field, numeric, call, shape = HOOK_CALLS[name]
    hook = ModelArtsHook(retry_policy=FAST)
    _run_one(recorded, lambda: call(hook, value), field, numeric, shape, value)


@SETTINGS
@given(job_id=VALUES, job_type=st.one_of(st.sampled_from(["ranking", "etl", "nearline", "ETL", ""]), st.text(max_size=12)),
       cluster=st.one_of(st.none(), st.text(max_size=140)))  # fmt: skip
def test_res_delete_body_fields_are_sent_as_given_or_refused(
    recorded, job_id: Any, job_type: str, cluster: Any
):
    platform = (
        None if cluster is None else {"platform": "DLI", "platform_parameter": {"cluster_name": cluster}}
    )
    hook = ModelArtsHook(retry_policy=FAST)
    recorded.clear()
    try:
        hook.delete_res_job(job_id, job_type, platform)
    except ValueError as exc:
        assert any(f in str(exc) for f in ("job_id", "job_type", "offline_platform")), str(exc)
        assert recorded == []
        return
    except ModelArtsError:
        pass
    (method, raw, body), *_ = recorded
    assert (method, _segments(raw)) == ("DELETE", ["v1", P, "del-job"])
    sent = json.loads(body)
    assert sent["job_id"] == str(job_id) and sent["type"] == job_type
    assert sent.get("offline_platform", {}).get("platform_parameter", {}).get("cluster_name") == cluster


OPERATORS: dict[str, tuple[Callable[[Any], Any], str, bool, list[str]]] = {
    "v2-delete": (lambda v: op.ModelArtsDeleteTrainingJobOperator(task_id="t", job_id=v), "job_id", False, ["v2", P, "training-jobs", "*"]),
    "v1-delete": (lambda v: op.ModelArtsDeleteTrainingJobV1Operator(task_id="t", job_id=v), "job_id", True, ["v1", P, "training-jobs", "*"]),  # its detail: ["v1", P, "training-jobs", "*", "versions"]
    "v1-version-delete": (lambda v: op.ModelArtsDeleteTrainingJobVersionOperator(task_id="t", job_id=3, version_id=v), "version_id", True, ["v1", P, "training-jobs", "3", "versions", "*"]),
    "vis-delete": (lambda v: op.ModelArtsDeleteVisualizationJobOperator(task_id="t", job_id=v), "job_id", True, ["v1", P, "visualization-jobs", "*"]),
    "res-delete": (lambda v: op.ModelArtsDeleteResJobOperator(task_id="t", job_id=v, job_type="ranking"), "job_id", False, ["v1", P, "*"]),
    "sensor-res": (lambda v: ModelArtsJobDeletedSensor(task_id="t", job_family="res", job_id=v), "job_id", False, ["v1", P, "jobs", "*"]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(OPERATORS))
@SETTINGS
@given(value=VALUES.filter(lambda v: "{{" not in str(v)))
def test_operators_and_sensors_send_ids_encoded_or_refuse_them(recorded, name: str, value: Any):
    build, field, numeric, shape = OPERATORS[name]
    recorded.clear()
    try:
        task = build(value)
    except ValueError as exc:
        assert field in str(exc) and recorded == []
        return
    run = (
        (lambda: task.poke(task_context()))
        if name.startswith("sensor")
        else (lambda: task.execute(task_context()))
    )
    if name == "res-delete":  # the del-job body carries the id; the detail path checks it afterwards
        recorded.clear()
        run()
        assert recorded and all(
            json.loads(b)["job_id"] == str(value) for m, _, b in recorded if m == "DELETE"
        )
        assert all(_segments(raw)[-1] in ("del-job", str(value)) for _, raw, _ in recorded)
        return
    also = (["v1", P, "training-jobs", "*", "versions"],) if name == "v1-delete" else ()
    _run_one(recorded, run, field, numeric, shape, value, also)


@SETTINGS
@given(region=st.one_of(st.text(max_size=30), st.sampled_from(["eu-de", "cn-north-4", "EU-DE", "eu", "eu-de/x", "ap-southeast-1"])),
       project=st.one_of(st.text(max_size=70), st.from_regex(r"[A-Za-z0-9-]{1,64}", fullmatch=True)))  # fmt: skip
def test_region_and_project_overrides_are_checked_before_any_request(recorded, region: str, project: str):
    hook = ModelArtsHook(region=region, project_id=project, retry_policy=FAST)
    recorded.clear()
    try:
        hook.get_res_job("job1")
    except ValueError as exc:
        assert "region" in str(exc) or "project_id" in str(exc), str(exc)
        assert recorded == []
        return
    except ModelArtsError:
        pass
    expected = project or P  # an empty override means "not set": the connection's project applies
    assert [_segments(raw) for _, raw, _ in recorded] == [["v1", expected, "jobs", "job1"]]


@SETTINGS
@given(host=st.one_of(st.text(max_size=60), st.sampled_from(
    ["modelarts.example.com", "https://modelarts.example.com/", "http://127.0.0.1:1", "ftp://x", "https://a b",
     "https://user:pw@host", "https://host/path?q=1", "https://host#frag", "//host", "https://"])))  # fmt: skip
def test_endpoints_are_refused_naming_the_field_or_kept_as_one_origin(host: str):
    try:
        config = ConnectionConfig.from_connection_fields(
            login="AK", password="SK-x", host=host, extra={"region": "eu-de"}, environ={}
        )
    except ValueError as exc:
        assert "endpoint" in str(exc) or "host" in str(exc), str(exc)
        return
    endpoint = config.endpoint(Service.MODELARTS)  # an empty host means the region's default endpoint
    parts = urlsplit(endpoint)
    assert parts.scheme in ("http", "https") and parts.hostname
    # A base path is allowed (https://host[:port][/base]); credentials, queries and fragments are not.
    assert not parts.query and not parts.fragment and not parts.username and not parts.password
    assert (not endpoint.endswith("/") and parts.port is None) or isinstance(parts.port, int)
