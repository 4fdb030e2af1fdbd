"""Registering secrets with Airflow's masker, without ever blocking an event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any


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
