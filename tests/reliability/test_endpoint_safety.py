"""No credential in clear text to a host that is not loopback, and no secret of a refused endpoint
quoted back.

A forward proxy on 127.0.0.1 (``HTTP_PROXY``) stands for the network between Airflow and a
``http://`` endpoint elsewhere: what it receives is what anyone on the way could read.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from tests.airflow_support import serving

P = "0123456789abcdef0123456789abcdef"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
ELSEWHERE = "http://modelarts.example.internal"
SECRET_KEY = "ClearTextTestSecretKey-0123456789"
PASSWORD = "ClearTextTestPassword-0123456789"
POLICY = RetryPolicy(max_attempts=1, total_timeout=10)


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every request itself, with a v2 job, and keeps what it got."""

    received: ClassVar[list[str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        self.received.append(f"{self.command} {self.path}\n{self.headers}\n{body}")
        answer = json.dumps({"metadata": {"id": JOB}, "status": {"phase": "Running"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    _Proxy.received.clear()
    with serving(_Proxy) as url:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, url)
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield _Proxy.received


def _hook(use_connection: Any, auth: str, **extra: Any) -> ModelArtsHook:
    extra = {"region": "cn-north-4", "project_id": P, **extra}
    if auth == "token":
        conn = {"login": "alice", "password": PASSWORD, "extra": {**extra, "domain_name": "acme-domain"}}
    else:
        # An access key of its own: the process-wide session (and its proxy) is not another test's.
        conn = {"login": f"ClearTextAK{uuid.uuid4().hex}", "password": SECRET_KEY, "extra": extra}
    use_connection({"conn_type": "modelarts", "host": ELSEWHERE, **conn}, "clear")
    return ModelArtsHook("clear", retry_policy=POLICY)


def test_signed_requests_go_out_in_clear_text_only_when_asked(
    proxy: list[str], use_connection: Any, caplog: pytest.LogCaptureFixture
):
    hook = _hook(use_connection, "aksk")
    with pytest.raises(ValueError, match="allow_insecure_http") as info:
        hook.get_training_job(JOB)
    assert ELSEWHERE in str(info.value)
    ok, message = hook.test_connection()
    assert not ok and "allow_insecure_http" in message
    assert proxy == []  # nothing left this machine

    with caplog.at_level(logging.WARNING):
        hook = _hook(use_connection, "aksk", allow_insecure_http=True)
        assert hook.get_training_job(JOB).id == JOB
    # The proxy stands for the network: what it got is what went out in clear text.
    assert len(proxy) == 1 and proxy[0].startswith(f"GET {ELSEWHERE}/v2/{P}/training-jobs/{JOB}")
    assert "Signature=" in proxy[0]
    assert "Plain http to http://modelarts.example.internal" in caplog.text
    assert SECRET_KEY not in caplog.text


@pytest.mark.parametrize("opt_in", [False, True])
def test_the_iam_password_never_goes_out_in_clear_text(proxy: list[str], use_connection: Any, opt_in: bool):
    hook = _hook(use_connection, "token", **({"allow_insecure_http": True} if opt_in else {}))
    with pytest.raises(ValueError, match="IAM token auth needs https"):
        hook.get_training_job(JOB)
    ok, message = hook.test_connection()
    assert not ok and "IAM token auth needs https" in message
    assert proxy == [] and PASSWORD not in message


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("host", "https://ak-user:Endpoint-Secret-1@modelarts.example.internal"),
        ("iam_endpoint", "https://iam.example.internal/v3?sig=Endpoint-Secret-2&x=1"),
        ("res_endpoint", "https://res.example.internal/#token=Endpoint-Secret-3"),
        ("iam_endpoint", "https://u:Endpoint-Secret-4@iam.example.internal:99999/?q=Endpoint-Secret-5"),
        ("res_endpoint", "ftp://u:Endpoint-Secret-6@res.example.internal"),
        ("iam_endpoint", "u:Endpoint-Secret-7@iam.example.internal"),
    ],
)
def test_a_refused_endpoint_is_shown_without_its_secrets(use_connection: Any, field: str, url: str):
    with serving(_Proxy) as loopback:
        _Proxy.received.clear()
        extra: dict[str, Any] = {"region": "cn-north-4", "project_id": P}
        host = url if field == "host" else loopback
        if field != "host":
            extra[field] = url
        use_connection({"conn_type": "modelarts", "login": "ClearTextAK", "password": SECRET_KEY,
                        "host": host, "extra": extra}, "clear")  # fmt: skip
        hook = ModelArtsHook("clear", retry_policy=POLICY)
        named = "modelarts_endpoint" if field == "host" else field
        with pytest.raises(ValueError, match=named) as info:
            hook.get_training_job(JOB)
        ok, message = hook.test_connection()
        assert not ok and named in message
        assert _Proxy.received == []
    for text in (str(info.value), message):
        assert "Endpoint-Secret" not in text, text
        assert "example.internal" in text  # which endpoint is wrong is still said
