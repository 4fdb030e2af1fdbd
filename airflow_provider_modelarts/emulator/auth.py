"""Authentication of every ModelArts, RES and IAM-project request, as the gateway would do it.

AK/SK: the ``SDK-HMAC-SHA256`` signature is recomputed by the emulator's own verifier
(:mod:`.signature`) from the request as received (raw path, raw query, headers, body bytes); the AK
must be known, ``X-Sdk-Date`` must be signed and within 15 minutes of the server clock (plus
``clock_skew_seconds``), and the temporary AK needs its ``X-Security-Token``. The access key (or
the token) tells which IAM user calls; the routes read it from ``request.user`` (see
:mod:`.users`). Every AK/SK failure is the gateway's 401 ``APIGW.0301`` (the exact reason is in the
``X-Emulator-Reason`` header). With ``lockout_enabled`` an AK is refused for 5 minutes after more
than 5 consecutive signature failures.

Tokens: ``X-Auth-Token`` must be one this emulator issued and not expired (401 ``ModelArts.0201`` /
``0202`` / ``0203``). A token without project scope gets 401 ``ModelArts.0212``. The project in the
URL must be the emulator's (403 ``ModelArts.0210``). RES answers the token failures in its own
shape, ``res.2301`` "Failed to resolve the token from the request." with the same HTTP status.
The codes, their statuses and the gateway's limits come from :mod:`.documented`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass

from airflow_provider_modelarts.emulator import documented, signature
from airflow_provider_modelarts.emulator.clock import Clock
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.faults import Stats
from airflow_provider_modelarts.emulator.users import Directory, User
from airflow_provider_modelarts.emulator.web import (
    Request,
    Response,
    gateway_error,
    keystone_error,
    res_error,
    v2_error,
)

TOKEN_HEADER = "x-auth-token"
SECURITY_TOKEN_HEADER = "x-security-token"
GATEWAY_CODE = documented.AKSK_REFUSED.code
REASON_HEADER = "x-emulator-reason"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str
    issued_at: float
    expires_at: float
    project_id: str | None
    user: User


class TokenRegistry:
    """The tokens this emulator issued (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, project_id: str | None, user: User, now: float, ttl: float) -> IssuedToken:
        token = IssuedToken("MIIEmu" + secrets.token_urlsafe(96), now, now + ttl, project_id, user)
        with self._lock:
            self._tokens[token.value] = token
        return token

    def lookup(self, value: str) -> IssuedToken | None:
        with self._lock:
            return self._tokens.get(value)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


class Authenticator:
    """Decides whether a request may pass; ``check`` returns None or the error response."""

    def __init__(
        self, config: EmulatorConfig, clock: Clock, tokens: TokenRegistry, stats: Stats, users: Directory
    ) -> None:
        self.config = config
        self.users = users
        self.clock = clock
        self.tokens = tokens
        self.stats = stats
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()

    def check(self, request: Request, project_id: str | None) -> Response | None:
        token = request.headers.get(TOKEN_HEADER)
        if token is not None:
            return self._check_token(request, token, project_id)
        if "authorization" in request.headers:
            failure = self._check_signature(request)
            if failure is not None:
                return failure
            return self._check_project(request, project_id, self.config.project_id)
        return self._refuse(request, documented.NO_TOKEN, "No key X-Auth-Token in header")

    # ---- tokens -----------------------------------------------------------------------------

    def _check_token(self, request: Request, value: str, project_id: str | None) -> Response | None:
        token = self.tokens.lookup(value)
        if token is None:
            return self._refuse(request, documented.INVALID_TOKEN, "Invalid token")
        if self.clock.now() >= token.expires_at:
            return self._refuse(request, documented.TOKEN_EXPIRED, "The token has expired")
        if token.project_id is None and project_id is not None:
            return self._refuse(
                request, documented.TOKEN_WITHOUT_PROJECT, "The token has no project; use a project token"
            )
        request.token_project = token.project_id
        request.user = token.user
        return self._check_project(request, project_id, token.project_id)

    def _check_project(self, request: Request, in_url: str | None, allowed: str | None) -> Response | None:
        if in_url is None or (in_url == allowed == self.config.project_id):
            return None
        return self._refuse(
            request,
            documented.PROJECT_MISMATCH,
            f"The project id {in_url} in the URL does not match the credentials",
        )

    def _refuse(self, request: Request, error: documented.ErrorCode, message: str) -> Response:
        status, code = error
        self.stats.auth_failure(code)
        if request.family == "res":
            response = res_error(
                status, documented.RES_TOKEN_REFUSED_CODE, documented.RES_TOKEN_REFUSED_MESSAGE
            )
        elif request.family == "iam":
            response = keystone_error(status, message)
        else:
            response = v2_error(status, code, message)
        response.headers.append((REASON_HEADER, f"{code}: {message}"))
        return response

    # ---- AK/SK ------------------------------------------------------------------------------

    def _gateway(self, request: Request, reason: str) -> Response:
        self.stats.auth_failure(GATEWAY_CODE)
        status, code = documented.AKSK_REFUSED
        response = gateway_error(status, code, documented.AKSK_REFUSED_MESSAGE, request.request_id)
        response.headers.append((REASON_HEADER, reason))
        return response

    def _check_signature(self, request: Request) -> Response | None:
        parsed = signature.parse_authorization(request.headers["authorization"])
        if parsed is None:
            return self._gateway(request, "the Authorization header is not SDK-HMAC-SHA256")
        now = self.clock.now()
        with self._lock:
            locked_until = self._locked_until.get(parsed.access_key)
        if self.config.lockout_enabled and locked_until is not None and now < locked_until:
            return self._gateway(request, "the access key is locked after repeated signature failures")
        known = self.users.access_key(parsed.access_key)
        if known is None:
            return self._gateway(request, "unknown access key")
        secret_key, security_token = known.secret_key, known.security_token
        if security_token is not None and not hmac.compare_digest(
            request.headers.get(SECURITY_TOKEN_HEADER, "").encode(), security_token.encode()
        ):
            return self._gateway(request, "the temporary access key needs its X-Security-Token")
        date_name = signature.DATE_HEADER
        if date_name not in parsed.signed_headers or date_name not in request.headers:
            return self._gateway(request, "X-Sdk-Date is missing or not signed")
        try:
            sent_at = signature.parse_sdk_date(request.headers[date_name]).timestamp()
        except ValueError:
            return self._gateway(request, "X-Sdk-Date is not in the form YYYYMMDDTHHMMSSZ")
        server_now = now + self.config.clock_skew_seconds
        if abs(server_now - sent_at) > documented.SDK_DATE_WINDOW_SECONDS:
            return self._gateway(request, "X-Sdk-Date is more than 15 minutes away from the server time")
        valid = signature.is_valid(
            parsed,
            secret_key,
            method=request.method,
            raw_path=request.path,
            query=request.query,
            headers=request.headers,
            body=request.body,
        )
        if not valid:
            self._count_failure(parsed.access_key, now)
            return self._gateway(request, "signature mismatch")
        with self._lock:
            self._failures.pop(parsed.access_key, None)
        request.user = known.user
        return None

    def _count_failure(self, access_key: str, now: float) -> None:
        with self._lock:
            count = self._failures.get(access_key, 0) + 1
            self._failures[access_key] = count
            if self.config.lockout_enabled and count > documented.LOCKOUT_FAILURES:
                self._locked_until[access_key] = now + documented.LOCKOUT_SECONDS
                self._failures[access_key] = 0
