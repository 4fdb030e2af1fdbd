"""The session over the real httpx stack, with a scripted transport standing in for the network."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from airflow_provider_modelarts.api import errors
from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.auth import signer
from airflow_provider_modelarts.auth.token import TokenCache

P = "0123456789abcdef0123456789abcdef"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.01, total_timeout=5)
Handler = Callable[[httpx.Request], httpx.Response]


def _v2_job(job_id: str = JOB, phase: str = "Running") -> dict:
    return {"kind": "job", "metadata": {"id": job_id, "name": "n"}, "status": {"phase": phase}}


def _config(**extra) -> ConnectionConfig:
    auth = extra.pop("auth", "aksk")
    login, password = ("alice", "PW-SECRET") if auth == "token" else ("AK", "SK-SECRET")
    extra.setdefault("region", "cn-north-4")
    extra.setdefault("project_id", P)
    if auth == "token":
        extra.setdefault("domain_name", "acme")  # selects IAM token auth
    return ConnectionConfig.from_connection_fields(
        login=login, password=password, host="https://modelarts.test", extra=extra, environ={}
    )


class Recorder:
    """Records every request and checks its AK/SK signature the way the gateway would."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        auth = request.headers.get("Authorization")
        if auth:
            parsed = signer.parse_authorization(auth)
            assert parsed is not None
            expected = signer.sign(
                access_key="AK",
                secret_key="SK-SECRET",
                method=request.method,
                path=request.url.path,
                query=request.url.params.multi_items(),
                headers=request.headers,
                body=request.content,
                signed_headers=parsed.signed_headers,
            )
            assert expected == auth, "signature does not verify"
        return self.answer(request)


def _session(answer: Handler, policy: RetryPolicy = FAST, **extra) -> tuple[ModelArtsSession, Recorder]:
    recorder = Recorder(answer)
    session = ModelArtsSession(
        _config(**extra),
        policy=policy,
        transport=httpx.MockTransport(recorder),
        async_transport=httpx.MockTransport(recorder),
        token_cache=TokenCache(),
    )
    return session, recorder


def _script(*responses: httpx.Response | Exception) -> Handler:
    queue = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)

    return answer


def test_delete_is_signed_with_project_header_and_accepts_empty_202():
    session, rec = _session(_script(httpx.Response(202, content=b"")))
    assert session.run(ops.delete_training_job(P, JOB)) is None
    (request,) = rec.requests
    assert request.method == "DELETE"
    assert str(request.url) == f"https://modelarts.test/v2/{P}/training-jobs/{JOB}"
    assert request.headers["X-Project-Id"] == P
    assert "x-project-id" in request.headers["Authorization"]


def test_retries_5xx_then_succeeds():
    session, rec = _session(
        _script(httpx.Response(503), httpx.Response(502), httpx.Response(200, json=_v2_job()))
    )
    job = session.run(ops.get_training_job(P, JOB))
    assert job.id == JOB
    assert len(rec.requests) == 3
    assert len({r.headers["Authorization"] for r in rec.requests}) >= 1


def test_429_with_retry_after_is_retried():
    session, rec = _session(
        _script(
            httpx.Response(429, headers={"Retry-After": "0"}, json={"error_code": "ModelArts.2799"}),
            httpx.Response(200, json=_v2_job()),
        )
    )
    assert session.run(ops.get_training_job(P, JOB)).phase == "Running"
    assert len(rec.requests) == 2


def test_budget_exhausted_raises_typed_error_with_request_id():
    session, rec = _session(
        _script(
            httpx.Response(
                503,
                headers={"X-Request-Id": "rid-1"},
                json={"error_code": "ModelArts.2950", "error_msg": "busy"},
            )
        )
    )
    with pytest.raises(errors.ModelArtsServerError) as info:
        session.run(ops.get_training_job(P, JOB))
    assert len(rec.requests) == FAST.max_attempts
    assert info.value.status_code == 503
    assert info.value.request_id == "rid-1"
    assert "ModelArts.2950" in str(info.value)


def test_other_4xx_are_not_retried_and_not_found_is_typed():
    session, rec = _session(
        _script(
            httpx.Response(
                400,
                json={"error_code": "ModelArts.2775", "error_msg": f"Training job (ID: {JOB}) not found."},
            )
        )
    )
    with pytest.raises(errors.ModelArtsNotFoundError) as info:
        session.run(ops.get_training_job(P, JOB))
    assert info.value.is_not_found
    assert len(rec.requests) == 1


def test_transport_errors_are_retried_then_reported():
    session, rec = _session(_script(httpx.ConnectError("refused")))
    with pytest.raises(errors.ModelArtsTransportError, match="ConnectError after 4 attempt"):
        session.run(ops.get_training_job(P, JOB))
    assert len(rec.requests) == 4


def test_v1_failure_inside_http_200_is_an_error():
    session, _ = _session(
        _script(
            httpx.Response(
                200,
                json={
                    "is_success": False,
                    "error_code": "ModelArts.0105",
                    "error_message": "This job can't be stop. job status: 10",
                },
            )
        )
    )
    with pytest.raises(errors.ModelArtsApiError, match="job status: 10") as info:
        session.run(ops.stop_training_job_version(P, 10, 11))
    assert info.value.error_code == "ModelArts.0105"
    assert not info.value.is_not_found


def test_malformed_success_bodies_give_clear_errors():
    session, _ = _session(
        _script(httpx.Response(200, content=b"<html>oops</html>", headers={"X-Request-Id": "r9"}))
    )
    with pytest.raises(errors.ModelArtsResponseError, match=r"not JSON.*request id r9"):
        session.run(ops.get_training_job(P, JOB))
    session, _ = _session(_script(httpx.Response(200, json={"metadata": {"id": 5}, "status": {"phase": []}})))
    with pytest.raises(errors.ModelArtsResponseError, match="training job detail: unexpected answer"):
        session.run(ops.get_training_job(P, JOB))


def test_v2_search_walks_page_indexes():
    jobs = [_v2_job(f"job-{i:03d}") for i in range(120)]

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        page, limit = body["offset"], body["limit"]
        items = jobs[page * limit : (page + 1) * limit]
        return httpx.Response(200, json={"total": 120, "count": 120, "items": items})

    session, rec = _session(answer)
    found = session.run(ops.list_training_jobs(P, phases=["Completed"], name="n"))
    assert [j.id for j in found] == [j["metadata"]["id"] for j in jobs]
    pages = [json.loads(r.content) for r in rec.requests]
    assert [p["offset"] for p in pages] == [0, 1, 2]
    assert pages[0]["filters"] == [
        {"key": "name", "operator": "like", "value": ["n"]},
        {"key": "phase", "operator": "in", "value": ["Completed"]},
    ]


def test_v1_and_res_lists_page_from_one():
    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if "/jobs" in request.url.path and "type" in params:
            page, size = int(params["current-page"]), int(params["page-size"])
            jobs = [{"job_id": f"r{n}", "job_status": "RUNNING"} for n in range(250)][
                (page - 1) * size : page * size
            ]
            return httpx.Response(200, json={"is_success": True, "total_items": 250, "jobs": jobs})
        page, size = int(params["page"]), int(params["per_page"])
        jobs = [{"job_id": n, "status": 8} for n in range(150)][(page - 1) * size : page * size]
        return httpx.Response(200, json={"is_success": True, "job_total_count": 150, "jobs": jobs})

    session, rec = _session(answer)
    v1 = session.run(ops.list_training_jobs_v1(P, search_content="demo"))
    assert [j.job_id for j in v1] == [str(n) for n in range(150)]
    assert [r.url.params["page"] for r in rec.requests] == ["1", "2"]
    assert rec.requests[0].url.params["search_content"] == "demo"
    rec.requests.clear()
    res = session.run(ops.list_res_jobs(P, "etl"))
    assert len(res) == 250
    assert [r.url.params["current-page"] for r in rec.requests] == ["1", "2", "3"]


def test_res_del_job_sends_and_signs_its_delete_body():
    session, rec = _session(
        _script(httpx.Response(200, json={"is_success": True, "message": "Succeed to delete train log."}))
    )
    platform = {"platform": "DLI", "platform_parameter": {"cluster_name": "res_one"}, "config_load_path": ""}
    assert (
        session.run(ops.delete_res_job(P, "aa22ac78f1414", "etl", platform)) == "Succeed to delete train log."
    )
    (request,) = rec.requests
    assert request.method == "DELETE"
    assert request.url.path == f"/v1/{P}/del-job"
    assert json.loads(request.content) == {
        "job_id": "aa22ac78f1414",
        "type": "etl",
        "offline_platform": platform,
    }


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ops.delete_training_job(P, "../x"), "training_job_id"),
        (lambda: ops.delete_training_job("a/b", JOB), "project_id"),
        (lambda: ops.stop_training_job_version(P, 1, "2/stop"), "version_id"),
        (lambda: ops.delete_res_job(P, "ok", "etl"), "offline_platform"),
        (lambda: ops.delete_res_job(P, "ok", "bogus"), "job_type"),
        (lambda: ops.delete_res_job(P, "ok", "etl", {"platform": "MRS"}), "platform"),
        (lambda: ops.batch_delete_training_jobs(P, [JOB] * 101), "training_job_ids"),
        (lambda: ops.list_training_jobs(P, order="sideways"), "order"),
    ],
)
def test_bad_input_raises_before_any_request(build, field):
    with pytest.raises(ValueError, match=field):
        build()


def _token_answer(counter: list[int], expires: datetime | None = None) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/tokens":
            counter.append(1)
            body = json.loads(request.content)
            assert body["auth"]["scope"] == {"project": {"id": P}}
            when = (expires or datetime.now(UTC) + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
            return httpx.Response(
                201,
                headers={"X-Subject-Token": f"TOKEN-{len(counter)}"},
                json={"token": {"expires_at": when, "project": {"id": P}}},
            )
        if request.headers.get("X-Auth-Token") != f"TOKEN-{len(counter)}":
            return httpx.Response(401, json={"error_code": "ModelArts.0202", "error_msg": "token expired"})
        return httpx.Response(200, json=_v2_job())

    return answer


def test_token_auth_fetches_once_and_refreshes_once_on_401():
    counter: list[int] = []
    session, rec = _session(_token_answer(counter), auth="token")
    session.run(ops.get_training_job(P, JOB))
    session.run(ops.get_training_job(P, JOB))
    assert len(counter) == 1
    # The service forgets the token (as after a password change): one refresh, one resend.
    counter.append(0)  # the next token the service will accept is TOKEN-3
    session.run(ops.get_training_job(P, JOB))
    assert len(counter) == 3
    assert [r.url.path for r in rec.requests].count("/v3/auth/tokens") == 2
    assert "PW-SECRET" not in "".join(r.headers.get("X-Auth-Token", "") for r in rec.requests)


def test_token_close_to_expiry_is_refreshed_before_use():
    """A 10-minute token is renewed once less than 5 minutes of it are left, before it expires."""
    counter: list[int] = []
    now = [time.time()]
    expires = datetime.now(UTC) + timedelta(minutes=10)
    recorder = Recorder(_token_answer(counter, expires=expires))
    session = ModelArtsSession(
        _config(auth="token"),
        policy=FAST,
        transport=httpx.MockTransport(recorder),
        token_cache=TokenCache(clock=lambda: now[0]),
    )
    session.run(ops.get_training_job(P, JOB))
    now[0] += 200  # 8 minutes left: still used
    session.run(ops.get_training_job(P, JOB))
    assert len(counter) == 1
    now[0] += 200  # under 5 minutes left: renewed before use
    session.run(ops.get_training_job(P, JOB))
    assert len(counter) == 2


async def test_many_concurrent_async_callers_share_one_token_request():
    counter: list[int] = []
    session, rec = _session(_token_answer(counter), auth="token")
    jobs = await asyncio.gather(*(session.arun(ops.get_training_job(P, JOB)) for _ in range(50)))
    assert len(jobs) == 50
    assert len(counter) == 1
    assert sum(r.url.path == "/v3/auth/tokens" for r in rec.requests) == 1


async def test_async_and_sync_paths_agree():
    answer = _script(httpx.Response(503), httpx.Response(200, json=_v2_job(phase="Terminated")))
    session, _ = _session(answer)
    async_job = await session.arun(ops.get_training_job(P, JOB))
    sync_job = session.run(ops.get_training_job(P, JOB))
    assert async_job == sync_job
    assert async_job.is_stopped


def test_project_id_comes_from_iam_when_not_configured():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/projects":
            assert request.url.params["name"] == "cn-north-4"
            return httpx.Response(200, json={"projects": [{"id": "found-project", "name": "cn-north-4"}]})
        return httpx.Response(200, json=_v2_job())

    session, rec = _session(answer, project_id="")
    assert session.project_id() == "found-project"
    assert session.project_id() == "found-project"
    assert len(rec.requests) == 1


def test_verify_false_logs_a_warning(caplog):
    with caplog.at_level("WARNING"):
        _session(_script(httpx.Response(200)), verify=False, region="cn-north-1")
    assert "TLS certificate verification is OFF" in caplog.text


def test_short_lived_tokens_are_reused_for_half_their_life():
    """A token living less than the 5-minute renewal lead is still used, until half its life."""
    counter: list[int] = []
    soon = datetime.now(UTC) + timedelta(seconds=120)
    session, _ = _session(_token_answer(counter, expires=soon), auth="token")
    session.run(ops.get_training_job(P, JOB))
    session.run(ops.get_training_job(P, JOB))
    assert len(counter) == 1
