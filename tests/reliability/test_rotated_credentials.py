"""Temporary credentials rotated while a trigger waits: the wait reads its connection again when
its credentials are refused, goes on with the new ones, and ends in an error only when the fresh
ones are refused too. Over real HTTP against the emulator, with the connection in an env var."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest

from airflow_provider_modelarts.api import session as session_module
from airflow_provider_modelarts.api.shared_watch import all_watches
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobsTrigger, ModelArtsJobTrigger
from tests.reliability.conftest import FAST, seed_running

CONN_ID = "rotating"
KINDS = ["one job", "many jobs"]


def _trigger(kind: str, jobs: list[str]) -> ModelArtsJobTrigger | ModelArtsJobsTrigger:
    common: dict[str, Any] = {
        "goal": "stopped",
        "modelarts_conn_id": CONN_ID,
        "poll_interval": 0.1,
        "deadline": time.time() + 60,
        "max_poll_failures": 1,  # a refusal during a rotation must not count as the one failure allowed
    }
    if kind == "one job":
        return ModelArtsJobTrigger(job_family="training", job_id=jobs[0], **common)
    return ModelArtsJobsTrigger(job_family="training", job_ids=jobs, **common)


def _update_connection(monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any]) -> None:
    """Change the connection where it lives, as a rotation does: the process's cache of parsed
    connections is left alone."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))


def _secrets(conn: dict[str, Any]) -> list[str]:
    return [conn["password"], conn["extra"]["security_token"]]


def _refusals(emu: EmulatorServer) -> int:
    return int(emu.stats()["auth_failures_by_code"].get("APIGW.0301", 0))


def _requests(emu: EmulatorServer) -> int:
    return sum(emu.stats()["requests"].values())


UNTIL_SECONDS = 10.0


async def _until(condition: Any, what: str) -> None:
    """Wait (bounded in time and count) until ``condition()`` holds."""
    for _ in range(int(UNTIL_SECONDS / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {UNTIL_SECONDS} s: {what}")


async def _first_event(trigger: ModelArtsJobTrigger | ModelArtsJobsTrigger) -> dict[str, Any]:
    async with asyncio.timeout(30):
        async for event in trigger.run():
            return dict(event.payload)
    raise AssertionError("the trigger ended without an event")


def _assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text


def _start_waiting(
    emu: EmulatorServer, use_connection: Any, caplog: pytest.LogCaptureFixture, kind: str
) -> tuple[dict[str, Any], list[str], Any, asyncio.Future[dict[str, Any]]]:
    """Temporary credentials in the connection, running jobs, and a trigger waiting on them."""
    first = use_connection(emu.airflow_connection("temporary"), CONN_ID)
    jobs = seed_running(emu, "training", 1 if kind == "one job" else 3)
    trigger = _trigger(kind, jobs)
    caplog.set_level(logging.DEBUG, logger="airflow_provider_modelarts")
    return first, jobs, trigger, asyncio.ensure_future(_first_event(trigger))


async def _polled(emu: EmulatorServer, count: int, what: str) -> None:
    start = _requests(emu)
    await _until(lambda: _requests(emu) >= start + count, what)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_wait_goes_on_with_rotated_credentials(
    modelarts_emulator: EmulatorServer,
    use_connection: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    emu = modelarts_emulator
    first, jobs, trigger, wait = _start_waiting(emu, use_connection, caplog, kind)
    try:
        await _polled(emu, 3, "a few polls with the first credentials")
        refused_identity = ModelArtsHook(CONN_ID).get_config().identity()
        old_sessions = [s for s in session_module._SHARED.values() if s.config.identity() == refused_identity]
        assert old_sessions  # the wait polls through the shared session of the first credentials

        rotated = emu.rotate_temporary_credentials()  # the old ones are refused from now on
        _update_connection(monkeypatch, rotated)
        await _until(lambda: _refusals(emu) >= 1, "a poll refused with the old credentials")
        served = _requests(emu)
        await _until(lambda: wait.done() or _requests(emu) >= served + 3, "polls with the new credentials")
        assert not wait.done(), wait.result()

        stopper = ModelArtsHook(CONN_ID, retry_policy=FAST)  # reads the connection as it is now
        for job in jobs:
            await asyncio.to_thread(stopper.terminate_training_job, job)
        event = await wait
    finally:
        wait.cancel()
    assert event["status"] == "success", event
    refused_rounds = _refusals(emu)
    assert 1 <= refused_rounds <= 3  # the old credentials were refused in one round, not poll after poll
    assert all(old.retired for old in old_sessions)  # the first credentials' session was let go
    if kind == "many jobs":  # the wait moved to the watch of the new credentials' session
        keys = [w.session.config.access_key for w in all_watches()]
        assert rotated["login"] in keys and first["login"] not in keys  # the old watch was let go
    texts = [json.dumps(event), json.dumps(trigger.serialize()), caplog.text]
    _assert_no_secret(texts, _secrets(first) + _secrets(rotated))


@pytest.mark.parametrize("kind", KINDS)
async def test_fresh_credentials_refused_too_end_the_wait_in_an_auth_error(
    modelarts_emulator: EmulatorServer,
    use_connection: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    emu = modelarts_emulator
    first, jobs, trigger, wait = _start_waiting(emu, use_connection, caplog, kind)
    try:
        await _polled(emu, 3, "a few polls with the first credentials")

        stale = emu.rotate_temporary_credentials()
        _update_connection(monkeypatch, stale)  # the connection gets credentials that are...
        latest = emu.rotate_temporary_credentials()  # ...already replaced again, so refused as well
        event = await wait
    finally:
        wait.cancel()
    assert event["status"] == "error", event
    reasons = [event["message"]] if kind == "one job" else [e["reason"] for e in event["errors"]]
    assert kind == "one job" or sorted(e["job_id"] for e in event["errors"]) == sorted(jobs)
    for reason in reasons:
        assert "HTTP 401 APIGW.0301" in reason and "read again" in reason, reason
    assert _refusals(emu) >= 2  # the old credentials were refused, then the fresh ones too
    texts = [json.dumps(event), json.dumps(trigger.serialize()), caplog.text]
    _assert_no_secret(texts, _secrets(first) + _secrets(stale) + _secrets(latest))
