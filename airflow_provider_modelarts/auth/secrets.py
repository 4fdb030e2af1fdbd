"""Registering secrets with Airflow's masker, without ever blocking an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

# httpcore's DEBUG trace logs raw response headers, among them the IAM token (X-Subject-Token),
# before anything could register it with the masker.
_SECRET_HEADERS = re.compile(
    r"(b'(?:x-subject-token|x-auth-token|x-security-token|authorization)', b')[^']*", re.IGNORECASE
)
HTTP_TRACE_LOGGERS = ("httpcore.http11", "httpcore.http2")


class RedactSecretHeaders(logging.Filter):
    """Replaces the values of credential headers in HTTP trace records with ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_HEADERS.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def protect_http_trace_logs() -> None:
    """Install :class:`RedactSecretHeaders` on httpcore's trace loggers (once)."""
    for name in HTTP_TRACE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretHeaders) for f in logger.filters):
            logger.addFilter(RedactSecretHeaders())


def _masker() -> tuple[Callable[[Any], None] | None, Any]:
    try:
        from airflow.sdk import log as sdk_log
    except ImportError:  # pragma: no cover - Airflow without the task SDK
        return None, None
    return getattr(sdk_log, "mask_secret", None), getattr(sdk_log, "amask_secret", None)


def mask(value: str | None) -> None:
    """Hide ``value`` in every log Airflow writes from now on (a no-op outside Airflow)."""
    if not value:
        return
    sync_mask, _ = _masker()
    if sync_mask is not None:
        with contextlib.suppress(Exception):
            sync_mask(value)


async def amask(value: str | None) -> None:
    """Async twin of :func:`mask`: uses ``amask_secret`` (Airflow 3.3+) or a worker thread."""
    if not value:
        return
    _, async_mask = _masker()
    if async_mask is not None:
        with contextlib.suppress(Exception):
            await async_mask(value)
        return
    await asyncio.to_thread(mask, value)
