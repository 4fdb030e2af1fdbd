"""The I/O-free heart of the client: one request/response exchange with retries, and plan execution.

Operations are generators ("plans") that yield :class:`ApiRequest` and receive :class:`ApiResponse`
(or have the service's error thrown in). :func:`execute` turns a plan into a flat stream of
:class:`ApiRequest` sends and :class:`Sleep` pauses, so the sync and the async driver are a few
lines each and URL building, retry decisions and response parsing exist exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from airflow_provider_modelarts.api.endpoints import Service
from airflow_provider_modelarts.api.errors import (
    ModelArtsError,
    ModelArtsResponseError,
    ModelArtsTransportError,
    error_class,
    parse_error_body,
    request_id_of,
)
from airflow_provider_modelarts.api.retry import RETRYABLE_STATUS, RetryPolicy

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """A request before it meets a host: the path is already validated and percent-encoded."""

    service: Service
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    authenticate: bool = True
    expect_body: bool = True

    def describe(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status_code: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Plan = Generator[ApiRequest, ApiResponse, T]
Step = ApiRequest | Sleep
Outcome = httpx.Response | httpx.TransportError | None
Execution = Generator[Step, Outcome, T]


def interpret(request: ApiRequest, response: httpx.Response) -> ApiResponse:
    """Turn an answer into data, or raise the matching :class:`ModelArtsApiError`."""
    body = response.content
    headers = response.headers
    data: Any = None
    if body.strip():
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
            if response.is_success and request.expect_body:
                raise ModelArtsResponseError(
                    f"{request.describe()}: HTTP {response.status_code} with a body that is not JSON "
                    f"({headers.get('content-type', 'no content type')})",
                    request_id=request_id_of(headers),
                ) from None
    body_request_id = data.get("request_id") if isinstance(data, dict) else None
    request_id = request_id_of(headers, body_request_id)
    v1_failure = isinstance(data, dict) and data.get("is_success") is False
    if response.is_success and not v1_failure:
        return ApiResponse(response.status_code, data, headers, request_id)
    code, message = parse_error_body(body, headers.get("content-type"))
    cls = error_class(response.status_code, code, message)
    raise cls(
        message,
        status_code=response.status_code,
        error_code=code,
        request_id=request_id,
        method=request.method,
        path=request.path,
    )


def exchange(
    request: ApiRequest, policy: RetryPolicy, clock: Callable[[], float]
) -> Generator[Step, Outcome, ApiResponse]:
    """Send ``request`` until it succeeds, fails for good, or the retry budget is spent."""
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        outcome = yield request
        if isinstance(outcome, httpx.TransportError):
            delay = policy.next_delay(
                attempt=attempt, elapsed=clock() - started, status_code=None, retry_after=None
            )
            if delay is None:
                raise ModelArtsTransportError(
                    f"{request.describe()}: {type(outcome).__name__} after {attempt} attempt(s): {outcome}"
                ) from outcome
        else:
            assert outcome is not None
            if outcome.status_code not in RETRYABLE_STATUS:
                return interpret(request, outcome)
            delay = policy.next_delay(
                attempt=attempt,
                elapsed=clock() - started,
                status_code=outcome.status_code,
                retry_after=outcome.headers.get("Retry-After"),
            )
            if delay is None:
                return interpret(request, outcome)  # raises the typed 429/5xx error
        yield Sleep(delay)


def execute(plan: Plan[T], policy: RetryPolicy, clock: Callable[[], float]) -> Execution[T]:
    """Run a plan: each request it yields goes through :func:`exchange`; errors are thrown back in."""
    value: ApiResponse | None = None
    error: ModelArtsError | None = None
    while True:
        try:
            request = plan.throw(error) if error is not None else plan.send(value)  # type: ignore[arg-type]
        except StopIteration as stop:
            result: T = stop.value
            return result
        value, error = None, None
        try:
            value = yield from exchange(request, policy, clock)
        except ModelArtsError as exc:
            error = exc
