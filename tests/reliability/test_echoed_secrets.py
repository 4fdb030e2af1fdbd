"""A server (or a proxy before it) that echoes the request in its error body never gets a credential
into an error: not the signature, the security token, the issued IAM token, nor the IAM password,
whatever the body's encoding."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import pytest

from airflow_provider_modelarts.api.errors import ModelArtsError
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from tests.airflow_support import serving

P = "0123456789abcdef0123456789abcdef"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
# Test credentials, each long enough to be found in any form; the password has characters that JSON
# and URL encoding change.
SECRET_KEY = "EchoTestSecretKey0123456789abcdefABCDEF"
SECURITY_TOKEN = "EchoTestSecurityToken-" + "Zm9vYmFy" * 12
PASSWORD = 'Echo/Test+Pass"word&=é\\42'
ISSUED_TOKEN = "MIIEchoTestIssuedToken" + "x9Yq" * 40
POLICY = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, total_timeout=10)


def _echo_text(headers: dict[str, str], body: bytes) -> str:
    lines = [f"{name}: {value}" for name, value in headers.items()]
    return "\n".join([*lines, "", body.decode("utf-8", "replace")])


def _clipped(headers: dict[str, str], body: bytes) -> str:
    """The most secret value received, starting 20 characters before an error message is clipped."""
    secret = headers.get("X-Security-Token") or headers.get("X-Auth-Token")
    if secret is None:
        secret = json.loads(body)["auth"]["identity"]["password"]["user"]["password"]
    return "x" * 479 + " " + secret + " " + _echo_text(headers, body)


# How the server echoes what it received: (status, content type, body from (headers, body)).
ECHOES: dict[str, tuple[int, str, Callable[[dict[str, str], bytes], bytes]]] = {
    "json-400": (400, "application/json", lambda h, b: json.dumps(
        {"error_code": "ModelArts.0101", "error_msg": f"bad request: {json.dumps(h)} {b.decode()}"}
    ).encode()),
    "json-401": (401, "application/json", lambda h, b: json.dumps(
        {"error_code": "APIGW.0301", "error_msg": f"refused: {json.dumps(h)} {b.decode()}"}
    ).encode()),
    "text-500": (500, "text/plain", lambda h, b: _echo_text(h, b).encode()),
    "text-503": (503, "text/plain", lambda h, b: _echo_text(h, b).encode()),
    "url-encoded-400": (400, "text/plain", lambda h, b: urlencode({**h, "body": b.decode()}).encode()),
    "base64-400": (400, "text/plain", lambda h, b: (
        "body=" + base64.b64encode(b).decode() + " " + " ".join(
            f"{k}={base64.b64encode(v.encode()).decode()}" for k, v in h.items()
        )
    ).encode()),
    # A secret straddles the 500 characters an error message keeps.
    "clipped-400": (400, "text/plain", lambda h, b: _clipped(h, b).encode()),
}  # fmt: skip


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    echo: ClassVar[str] = "json-400"
    issue_tokens: ClassVar[bool] = True  # answer the IAM token request, else echo it too
    seen: ClassVar[list[str]] = []
    authorizations: ClassVar[list[str]] = []  # the Authorization values received

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        if self.headers.get("Authorization"):
            self.authorizations.append(self.headers["Authorization"])
        if self.path.startswith("/v3/auth/tokens") and self.issue_tokens:
            self._send(201, "application/json", json.dumps({"token": {
                "expires_at": "2999-01-01T00:00:00.000000Z", "project": {"id": P}}}
            ).encode(), {"X-Subject-Token": ISSUED_TOKEN})  # fmt: skip
            return
        status, content_type, render = ECHOES[self.echo]
        self._send(status, content_type, render(dict(self.headers.items()), body), {})

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", "req-echo")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with serving(_Echo) as url:
        yield url


def _forms(secret: str) -> list[str]:
    """A secret as it might show: whole, its first characters, and encoded."""
    raw = secret.encode()
    return [
        secret,
        secret[:12],
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
    ]


def _assert_clean(text: str, secrets: list[str]) -> None:
    leaks = [f"{s[:3]}... as {form[:3]}..." for s in secrets for form in _forms(s) if form in text]
    assert not leaks, f"secrets in the error text: {leaks}"


def _connect(use_connection: Any, url: str, auth: str, echo: str, issue_tokens: bool = True) -> ModelArtsHook:
    _Echo.echo, _Echo.issue_tokens = echo, issue_tokens
    _Echo.seen.clear()
    _Echo.authorizations.clear()
    extra: dict[str, Any] = {"region": "cn-north-4", "project_id": P}
    if auth == "token":
        login, password = "alice", PASSWORD
        extra["domain_name"] = "acme-domain"
    else:
        login, password = "EchoTestAccessKey", SECRET_KEY
        extra["security_token"] = SECURITY_TOKEN
    use_connection({"conn_type": "modelarts", "login": login, "password": password, "host": url,
                    "extra": extra}, "echo")  # fmt: skip
    return ModelArtsHook("echo", retry_policy=POLICY)


def _signed() -> list[str]:
    """The Authorization values the server received, and their signatures (one per request)."""
    return [part for value in _Echo.authorizations for part in (value, value.rpartition("Signature=")[2])]


@pytest.mark.parametrize("echo", list(ECHOES))
def test_an_echo_of_the_signed_request_keeps_signature_and_security_token_out(
    echo_url: str, use_connection: Any, echo: str
):
    hook = _connect(use_connection, echo_url, "aksk", echo)
    with pytest.raises(ModelArtsError) as info:
        hook.get_training_job(JOB)
    text = f"{info.value}\n{info.value!r}"
    assert "***" in text, text  # the echo came back and was redacted
    assert _Echo.authorizations and not _hex_run(text)
    _assert_clean(text, [SECRET_KEY, SECURITY_TOKEN, *_signed()])
    ok, message = hook.test_connection()
    assert not ok and "***" in message
    assert not _hex_run(message)
    _assert_clean(message, [SECRET_KEY, SECURITY_TOKEN, *_signed()])


def _hex_run(text: str) -> bool:
    """Whether ``text`` holds 64 hex digits in a row (an SDK-HMAC-SHA256 signature)."""
    run = 0
    for ch in text:
        run = run + 1 if ch in "0123456789abcdef" else 0
        if run >= 64:
            return True
    return False


@pytest.mark.parametrize("echo", list(ECHOES))
def test_an_echo_of_a_token_authenticated_request_keeps_the_issued_token_out(
    echo_url: str, use_connection: Any, echo: str
):
    hook = _connect(use_connection, echo_url, "token", echo)
    with pytest.raises(ModelArtsError) as info:
        hook.get_training_job(JOB)
    assert "POST /v3/auth/tokens" in " ".join(_Echo.seen)  # a token was issued and then sent
    text = f"{info.value}\n{info.value!r}"
    assert "***" in text, text
    _assert_clean(text, [ISSUED_TOKEN, PASSWORD])


@pytest.mark.parametrize("echo", list(ECHOES))
def test_iam_echoing_the_token_request_keeps_the_password_out(echo_url: str, use_connection: Any, echo: str):
    hook = _connect(use_connection, echo_url, "token", echo, issue_tokens=False)
    with pytest.raises(ModelArtsError) as info:
        hook.get_training_job(JOB)
    assert _Echo.seen[0].startswith("POST /v3/auth/tokens")
    text = f"{info.value}\n{info.value!r}"
    assert "***" in text, text
    _assert_clean(text, [PASSWORD])
    ok, message = hook.test_connection()
    assert not ok and "***" in message
    _assert_clean(message, [PASSWORD])


@pytest.mark.parametrize("auth", ["aksk", "token"])
def test_the_async_path_redacts_too(echo_url: str, use_connection: Any, auth: str):
    hook = _connect(use_connection, echo_url, auth, "json-400", issue_tokens=auth == "token")

    async def call() -> None:
        try:
            await hook.aget_training_job(JOB)
        finally:
            await hook.aclose_session()

    started = time.monotonic()
    with pytest.raises(ModelArtsError) as info:
        asyncio.run(call())
    assert time.monotonic() - started < 10
    text = f"{info.value}\n{info.value!r}"
    assert "***" in text, text
    _assert_clean(text, [SECRET_KEY, SECURITY_TOKEN, ISSUED_TOKEN, PASSWORD])
