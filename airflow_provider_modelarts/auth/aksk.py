"""AK/SK signing as an ``httpx.Auth``: every send, retries included, gets a fresh date and signature."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from airflow_provider_modelarts.auth import signer

SECURITY_TOKEN_HEADER = "X-Security-Token"


def _signed_names(request: httpx.Request) -> list[str]:
    # Sign what the service needs and proxies leave alone: host, content type and the X- headers.
    names = signer.signable_header_names(request.headers.keys())
    return [name for name in names if name in ("host", "content-type") or name.startswith("x-")]


class AkSkAuth(httpx.Auth):
    """Signs requests with ``SDK-HMAC-SHA256``; adds ``X-Security-Token`` for temporary credentials."""

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        security_token: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._security_token = security_token
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"AkSkAuth(access_key={self._access_key!r}, secret_key='***')"

    def sign(self, request: httpx.Request) -> None:
        request.headers[signer.DATE_HEADER] = signer.format_date(self._clock())
        request.headers.pop("Authorization", None)
        if self._security_token:
            request.headers[SECURITY_TOKEN_HEADER] = self._security_token
        request.headers["Authorization"] = signer.sign(
            access_key=self._access_key,
            secret_key=self._secret_key,
            method=request.method,
            path=request.url.path,
            query=request.url.params.multi_items(),
            headers=request.headers,
            body=request.content,
            signed_headers=_signed_names(request),
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
