"""Registering secrets with Airflow's masker, without ever blocking an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

# httpcore logs every response's headers at DEBUG, X-Subject-Token (a new IAM token) included,
# before the token can be registered with the masker; these header values are blanked there.
_HTTP_DEBUG_LOGGERS = ("httpcore.http11", "httpcore.http2")
_SECRET_HEADER = re.compile(
    r"(\(b'(?:x-subject-token|x-auth-token|x-security-token)', b')[^']*(')", re.IGNORECASE
)


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


class _SecretHeaderFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_HEADER.sub(r"\1***\2", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_http_debug_logs() -> None:
    """Keep token headers out of httpcore's DEBUG lines (idempotent)."""
    for name in _HTTP_DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _SecretHeaderFilter) for f in logger.filters):
            logger.addFilter(_SecretHeaderFilter())
