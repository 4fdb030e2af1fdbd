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
from datetime import UTC
from email.utils import parsedate_to_datetime
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
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.retry import RetryPolicy, retryable
from airflow_provider_modelarts.auth.signer import DATE_HEADER, parse_date

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
    about: JobRef | None = None  # the one job this request is about (see ``is_job_not_found``)
    # A cheaper reader of the body; it raises ``ValueError`` for a body it does not know, which is
    # then read as plain JSON. Error codes and messages are always read from the body as sent.
    read: Callable[[bytes], Any] | None = None

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
# A transport failure, or a body that could not be decoded (a Content-Encoding that does not
# decompress): the request may be tried again, as after a connection error.
TRANSPORT_FAILURES = (httpx.TransportError, httpx.DecodingError)
Outcome = httpx.Response | httpx.TransportError | httpx.DecodingError | None
Execution = Generator[Step, Outcome, T]


# Gateway signature failures; one cause is an X-Sdk-Date more than 15 minutes from the gateway clock.
SIGNATURE_ERRORS = frozenset({"APIGW.0301", "APIG.0301", "APIGW.0303", "APIG.0303"})
SDK_DATE_WINDOW_SECONDS = 15 * 60


def clock_skew_hint(response: httpx.Response) -> str | None:
    """Why a signed request was refused, if the signing clock and the service's clock disagree."""
    try:
        signed = response.request.headers.get(DATE_HEADER)
        served = response.headers.get("Date")
        if not signed or not served:
            return None
        signed_at = parse_date(signed)
        served_at = parsedate_to_datetime(served)
    except (RuntimeError, TypeError, ValueError, IndexError):
        return None
    if served_at.tzinfo is None:
        served_at = served_at.replace(tzinfo=UTC)
    apart = abs((served_at - signed_at).total_seconds())
    if apart <= SDK_DATE_WINDOW_SECONDS:
        return None
    return (
        f"likely cause: clock skew, the request was signed at {signed_at.isoformat()} "
        f"({DATE_HEADER}) but the service's clock said {served_at.astimezone(UTC).isoformat()} "
        f"({apart / 60:.0f} minutes apart; the limit is 15); fix this machine's clock"
    )


def _read(request: ApiRequest, body: bytes) -> Any:
    if request.read is not None:
        try:
            return request.read(body)
        except ValueError:
            pass  # a shape the reader does not know: plain JSON, judged by the caller's model
    return json.loads(body)


def interpret(request: ApiRequest, response: httpx.Response, gave_up: str | None = None) -> ApiResponse:
    """Turn an answer into data, or raise the matching :class:`ModelArtsApiError` (``gave_up``:
    why a retryable answer was not retried, added to its message)."""
    body = response.content
    headers = response.headers
    data: Any = None
    if body.strip():
        try:
            data = _read(request, body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: not readable JSON
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
    if response.status_code == 401 and code in SIGNATURE_ERRORS:
        hint = clock_skew_hint(response)
        message = f"{message}; {hint}" if hint else message
    # Only the service's own (JSON) error body can say a job is missing; the words "Not Found" on an
    # HTML or plain-text page (a proxy, a wrong endpoint) say nothing about the job.
    cls = error_class(
        response.status_code, code, message if isinstance(data, Mapping) else None, request.about
    )
    raise cls(
        message,
        status_code=response.status_code,
        error_code=code,
        request_id=request_id,
        method=request.method,
        path=request.path,
        note=f"not retried: {gave_up}" if gave_up else None,
    )


def _error_code(response: httpx.Response) -> str | None:
    """The service's error code of a failed answer (``None`` for a success or a body without one)."""
    if response.is_success:
        return None
    return parse_error_body(response.content, response.headers.get("content-type"))[0]


def exchange(
    request: ApiRequest, policy: RetryPolicy, clock: Callable[[], float]
) -> Generator[Step, Outcome, ApiResponse]:
    """Send ``request`` until it succeeds, fails for good, or the retry budget is spent."""
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        outcome = yield request
        if isinstance(outcome, TRANSPORT_FAILURES):
            delay = policy.next_delay(
                attempt=attempt, elapsed=clock() - started, status_code=None, retry_after=None
            )
            if delay is None:
                raise ModelArtsTransportError(
                    f"{request.describe()}: {type(outcome).__name__} after {attempt} attempt(s): {outcome}"
                ) from outcome
        else:
            assert outcome is not None
            code = _error_code(outcome)
            if not retryable(outcome.status_code, code):
                return interpret(request, outcome)
            decision = policy.decide(
                attempt=attempt,
                elapsed=clock() - started,
                status_code=outcome.status_code,
                retry_after=outcome.headers.get("Retry-After"),
                error_code=code,
            )
            if decision.delay is None:
                return interpret(request, outcome, decision.why)  # raises the typed 429/5xx error
            delay = decision.delay
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
