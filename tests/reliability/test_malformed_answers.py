"""Answers this provider cannot read: a clear error with the request id, never a crash, never "gone"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import httpx
import pytest

from airflow_provider_modelarts.api import operations
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsError, ModelArtsResponseError
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.api.session import MAX_BODY_BYTES, ModelArtsSession
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from tests.airflow_support import serving

P = "0123456789abcdef0123456789abcdef"
RID = "req-4f1c2a"
TARGETS = {
    "training": ("3faf5c03-aaa1-4cbe-879d-24b05d997347", None),
    "training_v1": ("10001", None),
    "training_v1-version": ("10001", "20001"),
    "visualization": ("30001", None),
    "res": ("Ab_12-x", None),
}
HTML = "text/html; charset=utf-8"
JSON = "application/json"
ANSWERS = {
    "bad-json": (200, JSON, b'{"metadata": {"id": '),
    "not-utf8": (200, JSON, b"\xff\xfe\x00{"),
    "wrong-types": (200, JSON, b'{"metadata": {"id": ["x"]}, "job_id": {"a": 1}, "job": [], "versions": 7}'),
    "missing-fields": (200, JSON, b'{"unrelated": true}'),
    "json-array": (200, JSON, b"[1, 2, 3]"),
    "json-string": (200, JSON, b'"ok"'),
    "empty-200": (200, JSON, b""),
    "whitespace-200": (200, JSON, b"  \n "),
    "html-200": (200, HTML, b"<html><body><h1>Welcome</h1></body></html>"),
    "html-404-not-found": (
        404,
        HTML,
        b"<html><head><title>404 Not Found</title></head><body>nginx</body></html>",
    ),
    "text-404-not-found": (404, "text/plain", b"404 page not found"),
    "html-403": (403, HTML, b"<html><body>Forbidden</body></html>"),
    "html-502": (502, HTML, b"<html><body>Bad Gateway</body></html>"),
    "empty-500": (500, JSON, b""),
}
FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01, total_timeout=5)


def _config() -> ConnectionConfig:
    return ConnectionConfig.from_connection_fields(
        login="AK", password="SK-SECRET", host="https://modelarts.test",
        extra={"region": "cn-north-4", "project_id": P}, environ={},
    )  # fmt: skip


def _session(handler: httpx.MockTransport) -> ModelArtsSession:
    return ModelArtsSession(_config(), policy=FAST, transport=handler, async_transport=handler)


def _observe(session: ModelArtsSession, target: str) -> object:
    family = target.removesuffix("-version")
    job, version = TARGETS[target]
    return session.run(operations.observe(P, family, job, version))


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize("target", list(TARGETS))
def test_unreadable_answers_raise_with_the_request_id(target: str, answer: str):
    status, content_type, body = ANSWERS[answer]
    seen: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(
            status, headers={"Content-Type": content_type, "X-Request-Id": RID}, content=body
        )

    session = _session(httpx.MockTransport(respond))
    # Neither a job nor None ("gone") may come out of an answer nobody can read.
    with pytest.raises(ModelArtsError) as caught:
        _observe(session, target)
    assert getattr(caught.value, "request_id", None) == RID and RID in str(caught.value)
    if isinstance(caught.value, ModelArtsResponseError):
        assert "unexpected answer" in str(caught.value) or "JSON" in str(caught.value)
    assert seen, "the request was sent"


def _chunks(count: int, consumed: list[int]) -> Iterator[bytes]:
    for _ in range(count):
        consumed.append(1)
        yield b"x" * 65536


async def _achunks(count: int, consumed: list[int]) -> AsyncIterator[bytes]:
    for chunk in _chunks(count, consumed):
        yield chunk


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
@pytest.mark.parametrize("status", [200, 404, 503])
def test_huge_bodies_are_refused_without_being_read_whole(status: int, declared: bool):
    total = MAX_BODY_BYTES // 65536 * 4  # four times the cap
    sync_consumed: list[int] = []
    async_consumed: list[int] = []
    headers = {"Content-Type": JSON, "X-Request-Id": RID}
    if declared:
        headers["Content-Length"] = str(total * 65536)

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=_chunks(total, sync_consumed))

    async def arespond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=_achunks(total, async_consumed))

    session = ModelArtsSession(
        _config(),
        policy=FAST,
        transport=httpx.MockTransport(respond),
        async_transport=httpx.MockTransport(arespond),
    )
    with pytest.raises(ModelArtsResponseError) as sync_error:
        session.run(operations.observe(P, "res", "Ab_12-x"))

    async def go() -> None:
        await session.arun(operations.observe(P, "training", TARGETS["training"][0]))

    with pytest.raises(ModelArtsResponseError) as async_error:
        asyncio.run(go())
    for caught in (sync_error.value, async_error.value):
        assert caught.request_id == RID and RID in str(caught) and str(MAX_BODY_BYTES) in str(caught)
    cap_chunks = MAX_BODY_BYTES // 65536 + 1
    for consumed in (sync_consumed, async_consumed):
        assert len(consumed) <= cap_chunks  # stopped at the cap (or before reading, when declared)
        assert (len(consumed) == 0) if declared else (len(consumed) == cap_chunks)


def test_a_body_just_under_the_cap_is_read():
    body = b'{"metadata": {"id": "j"}, "status": {"phase": "Running"}, "pad": "' + b"x" * (
        MAX_BODY_BYTES - 100
    )
    body += b'"}'
    assert len(body) <= MAX_BODY_BYTES

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": JSON, "X-Request-Id": RID}, content=body)

    snapshot = _session(httpx.MockTransport(respond)).run(operations.observe(P, "training", "j"))
    assert snapshot is not None and snapshot.status == "Running"


class _Deep(BaseHTTPRequestHandler):
    """Answers with JSON nested 100,000 levels deep, with the status the test sets."""

    status: ClassVar[int] = 200

    def do_GET(self) -> None:
        body = b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH
        self.send_response(self.status)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", RID)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


DEPTH = 100_000


@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize("target", ["training", "visualization", "res"])
def test_json_nested_too_deep_is_an_error_not_a_crash(use_connection: Any, status: int, target: str):
    _Deep.status = status
    with serving(_Deep) as url:
        use_connection({"conn_type": "modelarts", "login": "AK", "password": "SK-deep", "host": url,
                        "extra": {"region": "cn-north-4", "project_id": P}}, "deep")  # fmt: skip
        hook = ModelArtsHook("deep", retry_policy=FAST)
        family = target.removesuffix("-version")
        job, version = TARGETS[target]
        with pytest.raises(ModelArtsError) as info:
            hook.observe(family, job, version)
        expected = ModelArtsResponseError if status == 200 else ModelArtsApiError
        assert isinstance(info.value, expected)
        assert RID in str(info.value)
        with pytest.raises(ModelArtsError):
            asyncio.run(_aobserve(hook, family, job, version))


async def _aobserve(hook: ModelArtsHook, family: str, job: str, version: str | None) -> object:
    try:
        return await hook.aobserve(family, job, version)
    finally:
        await hook.aclose_session()
