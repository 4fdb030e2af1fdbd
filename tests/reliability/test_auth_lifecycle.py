"""Credentials over time: a token expiring mid-wait, a 401 that persists, a signing clock 20 minutes off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.errors import ModelArtsAuthError
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger
from tests.reliability.conftest import FAST, make_targets, request_teardown, truth


def test_token_expiring_mid_wait_is_refreshed_exactly_once(
    modelarts_emulator: EmulatorServer, use_connection
):
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("token"))
    targets = make_targets(emu, "res", "delete", "deleted", 5) + make_targets(
        emu, "training", "terminate", "stopped", 5
    )
    hook = ModelArtsHook(retry_policy=FAST)

    async def scenario() -> list[dict]:
        waits = [
            asyncio.create_task(
                ModelArtsJobTrigger(
                    job_family=t.family,
                    job_id=t.job_id,
                    goal=t.goal,
                    poll_interval=0.1,
                    deadline=time.time() + 30,
                ).wait(hook)
            )
            for t in targets
        ]
        await asyncio.sleep(0.35)  # a few polls with the first token
        assert TOKENS.fetches == 1 and not any(w.done() for w in waits)
        emu.advance(emu.config.token_ttl_seconds + 60)  # every poll from now on carries an expired token
        await asyncio.sleep(0.35)
        for target in targets:
            await request_teardown(hook, target)
        events = await asyncio.wait_for(asyncio.gather(*waits), 30)
        await (await hook.asession()).aclose()
        return events

    events = asyncio.run(scenario())
    stats = emu.stats()
    assert [e["status"] for e in events] == ["success"] * len(targets), [e["message"] for e in events]
    assert stats["auth_failures_by_code"].get("ModelArts.0202", 0) >= 1  # the expiry was really seen
    assert TOKENS.fetches == 2 and stats["tokens_issued"] == 2
    assert {truth(emu, t.family, t.job_id) for t in targets} == {"gone", "stopped"}


@pytest.mark.parametrize("refusals", [1, 2, 5])
def test_gateway_401_gets_one_refresh_then_a_clear_error(
    modelarts_emulator: EmulatorServer, use_connection, refusals: int
):
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("token"))
    job = make_targets(emu, "training", "delete", "deleted", 1)[0].job_id
    hook = ModelArtsHook(retry_policy=FAST)
    emu.faults.set("v2.detail", {"next_count": refusals, "next_status": 401})

    if refusals == 1:
        assert hook.get_training_job(job).id == job  # refreshed once, then served
    else:
        with pytest.raises(ModelArtsAuthError) as caught:
            hook.get_training_job(job)
        text = str(caught.value)
        assert caught.value.status_code == 401 and caught.value.request_id
        assert f"GET /v2/{emu.config.project_id}/training-jobs/{job}: HTTP 401" in text
        assert caught.value.request_id in text
    assert TOKENS.fetches == 2 and emu.stats()["tokens_issued"] == 2
    assert emu.stats()["requests"]["v2.detail"] == 2  # one send, one resend: 401 is never retried blindly


def test_trigger_ends_in_error_when_the_401_persists(modelarts_emulator: EmulatorServer, use_connection):
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("token"))
    job = make_targets(emu, "res", "delete", "deleted", 1)[0].job_id
    emu.faults.set("res.detail", {"next_count": 100, "next_status": 401})
    trigger = ModelArtsJobTrigger(job_family="res", job_id=job, goal="deleted", poll_interval=0.05)
    event = asyncio.run(trigger.wait(ModelArtsHook(retry_policy=FAST)))
    assert event["status"] == "error" and "HTTP 401" in event["message"] and event["polls"] == 1
    assert TOKENS.fetches == 2


class _ResigningTransport(httpx.HTTPTransport):
    """The network, but every request leaves signed by an AkSkAuth with its own clock."""

    def __init__(self, auth: AkSkAuth) -> None:
        super().__init__()
        self.auth = auth

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.auth.sign(request)
        return super().handle_request(request)


class _AsyncResigningTransport(httpx.AsyncHTTPTransport):
    def __init__(self, auth: AkSkAuth) -> None:
        super().__init__()
        self.auth = auth

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.auth.sign(request)
        return await super().handle_async_request(request)


def _signed_with(
    emu: EmulatorServer, clock: Callable[[], datetime], secret: str | None = None
) -> ModelArtsSession:
    c = emu.credentials
    config = ConnectionConfig.from_connection_fields(
        login=c.access_key,
        password=c.secret_key,
        host=emu.url,
        extra={"region": c.region, "project_id": c.project_id},
        environ={},
    )
    auth = AkSkAuth(c.access_key, secret or c.secret_key, clock=clock)
    return ModelArtsSession(
        config,
        policy=FAST,
        transport=_ResigningTransport(auth),
        async_transport=_AsyncResigningTransport(auth),
    )


@pytest.mark.parametrize("offset_minutes", [-20, 20])
def test_signing_clock_20_minutes_off_names_the_skew(modelarts_emulator: EmulatorServer, offset_minutes: int):
    emu = modelarts_emulator
    job = make_targets(emu, "training", "delete", "deleted", 1)[0].job_id
    session = _signed_with(emu, lambda: datetime.now(UTC) + timedelta(minutes=offset_minutes))
    plan = lambda: ops.get_training_job(emu.credentials.project_id, job)  # noqa: E731

    with pytest.raises(ModelArtsAuthError) as sync_error:
        session.run(plan())

    async def go() -> None:
        try:
            await session.arun(plan())
        finally:
            await session.aclose()

    with pytest.raises(ModelArtsAuthError) as async_error:
        asyncio.run(go())
    session.close()
    for caught in (sync_error.value, async_error.value):
        text = str(caught)
        assert caught.status_code == 401 and caught.error_code == "APIGW.0301"
        assert "clock skew" in text and "20 minutes apart" in text
        signed = (datetime.now(UTC) + timedelta(minutes=offset_minutes)).strftime("%Y-%m-%dT%H:")
        served = datetime.now(UTC).strftime("%Y-%m-%dT%H:")
        assert signed in text and served in text  # both times, to the hour at least
        assert caught.request_id and caught.request_id in text
    assert emu.stats()["auth_failures_by_code"] == {"APIGW.0301": 2}


def test_a_wrong_secret_is_not_blamed_on_the_clock(modelarts_emulator: EmulatorServer):
    emu = modelarts_emulator
    job = make_targets(emu, "training", "delete", "deleted", 1)[0].job_id
    session = _signed_with(emu, lambda: datetime.now(UTC), secret="not-the-secret")
    with pytest.raises(ModelArtsAuthError) as caught:
        session.run(ops.get_training_job(emu.credentials.project_id, job))
    session.close()
    assert caught.value.error_code == "APIGW.0301" and "skew" not in str(caught.value)
    # and the right clock and secret pass, so the failures above are the clock's and the secret's
    good = _signed_with(emu, lambda: datetime.now(UTC))
    assert good.run(ops.get_training_job(emu.credentials.project_id, job)).id == job
    good.close()
