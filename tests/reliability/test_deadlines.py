"""Every request is bounded in time as a whole: a server that drips its answer a byte at a time,
each byte well within the per-read timeout, is cut off at the connection's timeout, retried within
the retry budget, then reported as a transport failure."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from airflow_provider_modelarts.api.errors import ModelArtsTransportError
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from tests.airflow_support import serving

P = "0123456789abcdef0123456789abcdef"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
TIMEOUT = 2.0  # the connection's timeout, seconds
GAP = 0.4  # between two bytes: far within the per-read timeout
# A whole, valid answer: dripped, it takes about 9 s (more than four timeouts).
ANSWER = json.dumps({"metadata": {"id": JOB, "name": "drip"}, "status": {"phase": "Running"}}).encode()
POLICY = RetryPolicy(max_attempts=2, base_delay=0.05, max_delay=0.05, total_timeout=60)


class _Drip(BaseHTTPRequestHandler):
    """Answers 200 and then its body (or, with ``headers_too``, its header lines as well) one byte
    every ``GAP`` seconds; stops when the client goes away or the server closes."""

    protocol_version = "HTTP/1.1"
    headers_too: ClassVar[bool] = False
    requests: ClassVar[list[float]] = []
    closing: ClassVar[threading.Event] = threading.Event()

    def do_GET(self) -> None:
        self.requests.append(time.monotonic())
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ANSWER)}\r\n\r\n"
        ).encode()
        if not self.headers_too:
            self.wfile.write(head)
            head = b""
        dripped = head + ANSWER
        for byte in (dripped[i : i + 1] for i in range(len(dripped))):
            if self.closing.wait(GAP):
                return
            try:
                self.wfile.write(byte)
                self.wfile.flush()
            except OSError:  # the client gave up: what this test wants
                return

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def drip_url(use_connection: Any) -> Iterator[str]:
    _Drip.requests.clear()
    _Drip.closing.clear()
    with serving(_Drip) as url:
        extra = {"region": "cn-north-4", "project_id": P, "timeout": TIMEOUT}
        use_connection(
            {"conn_type": "modelarts", "login": "AK", "password": "SK-drip", "host": url, "extra": extra},
            "drip",
        )
        try:
            yield url
        finally:
            _Drip.closing.set()  # let the handlers still dripping end at once


def _assert_cut_off(started: float, info: pytest.ExceptionInfo[ModelArtsTransportError]) -> None:
    elapsed = time.monotonic() - started
    assert "2 attempt(s)" in str(info.value)
    assert len(_Drip.requests) == 2  # retried once within the budget, then reported
    # Each attempt ends within the timeout (plus at most one gap on the sync path); the whole
    # answer would have taken over 9 s per attempt.
    assert elapsed < 2 * (TIMEOUT + GAP) + 1.0, elapsed
    for one, two in zip(_Drip.requests, _Drip.requests[1:], strict=False):
        assert two - one < TIMEOUT + GAP + 0.5


def test_a_dripping_body_is_cut_off_at_the_timeout_sync(drip_url: str):
    hook = ModelArtsHook("drip", retry_policy=POLICY)
    started = time.monotonic()
    with pytest.raises(ModelArtsTransportError) as info:
        hook.get_training_job(JOB)
    _assert_cut_off(started, info)


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_dripping_answer_is_cut_off_at_the_timeout_async(drip_url: str, headers_too: bool):
    _Drip.headers_too = headers_too
    hook = ModelArtsHook("drip", retry_policy=POLICY)

    async def call() -> None:
        try:
            await hook.aget_training_job(JOB)
        finally:
            await hook.aclose_session()

    started = time.monotonic()
    try:
        with pytest.raises(ModelArtsTransportError) as info:
            asyncio.run(asyncio.wait_for(call(), 30))
    finally:
        _Drip.headers_too = False
    _assert_cut_off(started, info)
