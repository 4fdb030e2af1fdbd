"""One error hierarchy for every family, and the one predicate that knows what "not found" looks like.

Error bodies come in four documented shapes: v2 (``error_code``/``error_msg``), v1
(``is_success: false`` with ``error_message`` or ``error_msg``), RES (like v1, ``error_msg``) and the
API gateway (``error_code``/``error_msg``/``request_id``). :func:`parse_error_body` reads them all.

"The job does not exist" is decided by :func:`is_job_not_found` alone, and only for a request about
one job (:class:`JobRef`), from the documented not-found form of that job's family. A 404 from a
proxy or a wrong base path, a framework's default body, or a documented error about something
else (a workspace, a pool, an OBS path) is an ordinary :class:`ModelArtsApiError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.retry import RETRY_LATER_CODES
from airflow_provider_modelarts.api.statuses import JobFamily

REQUEST_ID_HEADERS = ("X-Request-Id", "X-Request-ID", "x-apig-request-id")

V2_NOT_FOUND = "ModelArts.2775"  # TrainingJobNotFound: "Training job (ID: %s) not found.", HTTP 400
RESOURCE_NOT_FOUND = "ModelArts.0015"  # "the resource you requested does not exist" (HTTP 404)
_GATEWAY_PREFIXES = ("APIG.", "APIGW.")
# The v2 not-found message names the job; an answer naming another job is not about ours.
_NAMED_ID = re.compile(r"\(ID:\s*([^)\s]+)\s*\)")
# RES documents no not-found code: its own error namespace plus words about the job being missing.
_RES_CODE = re.compile(r"res\.\d+", re.I)
_RES_JOB_MISSING = re.compile(r"\bjob\b.*\b(not\s+found|not\s+exists?|does\s+not\s+exist)\b", re.I)
_MAX_MESSAGE = 500
_ERROR_KEYS = (
    ("error_code", ("error_msg", "error_message", "message")),
    ("errorCode", ("errorMsg", "errorMessage")),
    ("code", ("message", "msg")),
)


class ModelArtsError(Exception):
    """Base of every error this provider raises about the service."""


class ModelArtsApiError(ModelArtsError):
    """The service answered with an error (HTTP status, service code, message, request id)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error_code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        note: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.note = note
        self.error_code = error_code
        self.error_msg = message
        self.request_id = request_id
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        code = f" {self.error_code}" if self.error_code else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        note = f"; {self.note}" if self.note else ""
        return f"{where}HTTP {self.status_code}{code}: {self.error_msg}{rid}{note}"

    @property
    def is_not_found(self) -> bool:
        """Whether the service said the job does not exist (decided once, when the answer was read)."""
        return isinstance(self, ModelArtsNotFoundError)


class ModelArtsNotFoundError(ModelArtsApiError):
    """The job (or version) the request was about does not exist: its family's documented form."""


class ModelArtsAuthError(ModelArtsApiError):
    """Authentication or authorization was refused (401/403, gateway signature errors)."""


class ModelArtsConflictError(ModelArtsApiError):
    """The job is not in a state that allows the action (409, e.g. ``ModelArts.2796``)."""


class ModelArtsRateLimitError(ModelArtsApiError):
    """HTTP 429 after the retry budget was spent."""


class ModelArtsRetryLaterError(ModelArtsApiError):
    """A documented "try again later" answer (``retry.RETRY_LATER_CODES``, such as 409
    ``ModelArts.2878`` JobStatusChanged) after the retry budget was spent."""


class ModelArtsServerError(ModelArtsApiError):
    """HTTP 5xx after the retry budget was spent."""


class ModelArtsTransportError(ModelArtsError):
    """The service could not be reached (connection, timeout) after the retry budget was spent."""


class ModelArtsHostNotFoundError(ModelArtsError):
    """An endpoint's host name does not resolve: a configuration error (a misspelt region or
    endpoint override), not retried."""


class ModelArtsResponseError(ModelArtsError):
    """The service answered 2xx with a body this provider cannot read."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        self.request_id = request_id
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(message + suffix)


def is_job_not_found(
    job: JobRef | None, status_code: int, error_code: str | None, message: str | None
) -> bool:
    """Whether an error answer is the documented "does not exist" of ``job``.

    * v2 training jobs: ``ModelArts.2775`` (documented with HTTP 400; a 404 is accepted too), and
      if the message names a job id, it names this one.
    * v1 training jobs and versions, visualization jobs: ``ModelArts.0015`` (HTTP 404; v1 failures
      may also come as 200 or 400 with ``is_success: false``).
    * RES: a RES error code (``RES.nnnn``) with a message saying the job does not exist.

    ``message`` is ``None`` unless the answer was the service's own JSON body. Everything else,
    including any answer to a request that is not about one job, is not "not found".
    """
    if job is None or message is None:
        return False
    code = error_code or ""
    if job.family is JobFamily.TRAINING:
        named = _NAMED_ID.search(message)
        return code == V2_NOT_FOUND and status_code in (400, 404) and (not named or named[1] == job.job_id)
    if job.family in (JobFamily.TRAINING_V1, JobFamily.VISUALIZATION):
        return code == RESOURCE_NOT_FOUND and status_code in (200, 400, 404)
    return (
        _RES_CODE.fullmatch(code) is not None
        and status_code in (200, 400, 404)
        and _RES_JOB_MISSING.search(message) is not None
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def parse_error_body(body: bytes, content_type: str | None = None) -> tuple[str | None, str]:
    """``(error_code, message)`` from any documented error body; falls back to the raw text."""
    try:
        data: Any = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: read as text
        data = None
    if isinstance(data, Mapping):
        candidates = []
        for code_key, msg_keys in _ERROR_KEYS:
            code = data.get(code_key)
            message = next((data[k] for k in msg_keys if isinstance(data.get(k), str)), None)
            if code is not None or message is not None:
                candidates.append((code, message))
        if candidates:
            # Prefer the shape whose code is present: {"code": 401, "message": ...} over a bare message.
            code, message = next((c for c in candidates if c[0] is not None), candidates[0])
            return (str(code) if code is not None else None), _clip(str(message or ""))
        nested = next((v for v in data.values() if isinstance(v, Mapping)), None)
        if nested is not None:
            return parse_error_body(json.dumps(nested).encode())
    text = body.decode("utf-8", errors="replace") if body else ""
    if content_type and "html" in content_type.lower():
        text = re.sub(r"<[^>]+>", " ", text)
    return None, _clip(text) or "no error details in the response"


def request_id_of(headers: Mapping[str, str], body_request_id: object = None) -> str | None:
    for name in REQUEST_ID_HEADERS:
        if headers.get(name):
            return headers[name]
    return str(body_request_id) if body_request_id else None


def is_transient(exc: BaseException) -> bool:
    """Whether a failure that outlived the retry budget may still pass (a waiter keeps waiting)."""
    return isinstance(
        exc,
        ModelArtsTransportError
        | ModelArtsServerError
        | ModelArtsRateLimitError
        | ModelArtsRetryLaterError
        | ModelArtsResponseError,
    )


def error_class(
    status_code: int, error_code: str | None, message: str | None, job: JobRef | None = None
) -> type[ModelArtsApiError]:
    """The most specific class for an error answer (``job``: what the request was about)."""
    if is_job_not_found(job, status_code, error_code, message):
        return ModelArtsNotFoundError
    code = error_code or ""
    if code in RETRY_LATER_CODES:
        return ModelArtsRetryLaterError
    if status_code in (401, 403) or code.startswith(_GATEWAY_PREFIXES):
        return ModelArtsAuthError
    if status_code == 409:
        return ModelArtsConflictError
    if status_code == 429:
        return ModelArtsRateLimitError
    if status_code >= 500:
        return ModelArtsServerError
    return ModelArtsApiError
