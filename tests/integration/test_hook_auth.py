"""Authentication modes and project look-up through the hook, counted by the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from airflow_provider_modelarts.api.config import ENV_ACCESS_KEY, ENV_SECRET_KEY, ENV_SECURITY_TOKEN
from airflow_provider_modelarts.api.errors import ModelArtsAuthError
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import FAST, Api, requests_to, responses_of

Connect = Callable[..., ModelArtsHook]


# ---- AK/SK and temporary credentials -----------------------------------------------------------


@pytest.mark.parametrize("auth", ["aksk", "temporary"])
async def test_signed_requests_pass(connect: Connect, emu: EmulatorServer, mode: str, auth: str) -> None:
    api = Api(connect(auth), mode)
    [job_id] = emu.seed("training", status="Running")
    assert (await api("get_training_job", job_id)).id == job_id
    assert [job.id for job in await api("list_training_jobs")] == [job_id]
    stats = emu.stats()
    assert stats["requests"] == {"v2.detail": 1, "v2.search": 1}
    assert stats["auth_failures"] == 0 and stats["tokens_issued"] == 0


async def test_wrong_secret_key_is_refused(connect: Connect, emu: EmulatorServer, mode: str) -> None:
    api = Api(connect(password="NotTheSecretKey0000000000000000000000001"), mode)
    [job_id] = emu.seed("training", status="Running")
    with pytest.raises(ModelArtsAuthError) as refused:
        await api("get_training_job", job_id)
    assert refused.value.status_code == 401 and refused.value.error_code == "APIGW.0301"
    assert refused.value.request_id and len(refused.value.request_id) == 32
    assert requests_to(emu) == {"v2.detail": 1}  # an auth failure is never retried


async def test_temporary_key_needs_its_security_token(
    connect: Connect, emu: EmulatorServer, mode: str
) -> None:
    api = Api(connect("temporary", extra={"security_token": None}), mode)
    [job_id] = emu.seed("training", status="Running")
    with pytest.raises(ModelArtsAuthError) as refused:
        await api("get_training_job", job_id)
    assert refused.value.status_code == 401
    assert emu.stats()["auth_failures_by_code"] == {"APIGW.0301": 1}


@pytest.mark.parametrize("temporary", [False, True])
async def test_aksk_from_the_environment(
    connect: Connect, emu: EmulatorServer, mode: str, monkeypatch: pytest.MonkeyPatch, temporary: bool
) -> None:
    c = emu.credentials
    if temporary:
        monkeypatch.setenv(ENV_ACCESS_KEY, c.temp_access_key)
        monkeypatch.setenv(ENV_SECRET_KEY, c.temp_secret_key)
        monkeypatch.setenv(ENV_SECURITY_TOKEN, c.security_token)
    else:
        monkeypatch.setenv(ENV_ACCESS_KEY, c.access_key)
        monkeypatch.setenv(ENV_SECRET_KEY, c.secret_key)
    hook = connect(login="", password="")
    [job_id] = emu.seed("training", status="Running")
    assert (await Api(hook, mode)("get_training_job", job_id)).id == job_id
    config = hook.get_config()
    assert config.access_key == (c.temp_access_key if temporary else c.access_key)
    assert emu.stats()["auth_failures"] == 0 and requests_to(emu) == {"v2.detail": 1}


async def test_no_credentials_anywhere(connect: Connect, emu: EmulatorServer, mode: str) -> None:
    hook = connect(login="", password="")
    with pytest.raises(ValueError, match=f"{ENV_ACCESS_KEY}/{ENV_SECRET_KEY}"):
        await Api(hook, mode)("get_training_job", "3faf5c03-aaa1-4cbe-879d-24b05d997347")
    assert requests_to(emu) == {}


# ---- IAM token ----------------------------------------------------------------------------------


async def test_one_token_for_many_hooks_and_concurrent_calls(connect: Connect, emu: EmulatorServer) -> None:
    ids = emu.seed("training", 5, status="Running")
    slow = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, total_timeout=5.0)
    hooks = [connect("token"), ModelArtsHook(retry_policy=slow), connect("token", conn_id="modelarts_other")]
    calls = [hook.aget_training_job(job_id) for hook in hooks for job_id in ids for _ in range(3)]
    jobs = await asyncio.gather(*calls)
    assert {job.id for job in jobs} == set(ids) and len(jobs) == 45
    assert requests_to(emu) == {"iam.tokens": 1, "v2.detail": 45}
    assert emu.stats()["tokens_issued"] == 1 and TOKENS.fetches == 1
    # The sync path of yet another hook reuses the same token.
    await asyncio.to_thread(ModelArtsHook("modelarts_other", retry_policy=FAST).get_training_job, ids[0])
    assert requests_to(emu, "iam.tokens") == 1 and TOKENS.fetches == 1


def test_one_token_for_many_threads(connect: Connect, emu: EmulatorServer) -> None:
    ids = emu.seed("training", 4, status="Running")
    hooks = [connect("token"), ModelArtsHook(retry_policy=FAST), ModelArtsHook()]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(hook.get_training_job, job_id) for hook in hooks for job_id in ids * 2]
        jobs = [future.result(timeout=30) for future in futures]
    assert sorted({job.id for job in jobs}) == sorted(ids) and len(jobs) == 24
    assert requests_to(emu) == {"iam.tokens": 1, "v2.detail": 24}
    assert TOKENS.fetches == 1


async def test_token_refreshed_once_after_it_expires(
    connect: Connect, emu: EmulatorServer, mode: str
) -> None:
    api = Api(connect("token"), mode)
    [job_id] = emu.seed("training", status="Running")
    await api("get_training_job", job_id)
    assert requests_to(emu, "iam.tokens") == 1
    emu.advance(emu.config.token_ttl_seconds + 1)  # the service now refuses the cached token
    assert (await api("get_training_job", job_id)).id == job_id
    assert requests_to(emu) == {"iam.tokens": 2, "v2.detail": 3}
    assert responses_of(emu, "v2.detail") == {"200": 2, "401": 1}
    assert emu.stats()["auth_failures_by_code"] == {"ModelArts.0202": 1}
    for _ in range(3):
        await api("get_training_job", job_id)
    assert requests_to(emu) == {"iam.tokens": 2, "v2.detail": 6} and TOKENS.fetches == 2


@pytest.mark.parametrize(("unauthorized", "succeeds"), [(1, True), (2, False)])
async def test_token_refreshed_once_on_401(
    connect: Connect, emu: EmulatorServer, mode: str, unauthorized: int, succeeds: bool
) -> None:
    api = Api(connect("token"), mode)
    [job_id] = emu.seed("training", status="Running")
    await api("get_training_job", job_id)
    emu.faults.set("v2.detail", {"next_count": unauthorized, "next_status": 401})
    if succeeds:
        assert (await api("get_training_job", job_id)).id == job_id
    else:
        with pytest.raises(ModelArtsAuthError) as refused:
            await api("get_training_job", job_id)
        assert refused.value.status_code == 401
    assert requests_to(emu) == {"iam.tokens": 2, "v2.detail": 3}  # one refresh, never a second
    assert TOKENS.fetches == 2


async def test_wrong_iam_password(connect: Connect, emu: EmulatorServer, mode: str) -> None:
    api = Api(connect("token", password="not-the-password"), mode)
    with pytest.raises(ModelArtsAuthError) as refused:
        await api("get_training_job", "3faf5c03-aaa1-4cbe-879d-24b05d997347")
    assert refused.value.status_code == 401 and "username or password" in refused.value.error_msg
    assert requests_to(emu) == {"iam.tokens": 1}


# ---- project id ---------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["aksk", "temporary"])
async def test_project_id_looked_up_from_iam(
    connect: Connect, emu: EmulatorServer, mode: str, auth: str
) -> None:
    hook = connect(auth, extra={"project_id": None})
    api = Api(hook, mode)
    ids = emu.seed("training", 3, status="Running")
    for job_id in ids:
        assert (await api("get_training_job", job_id)).id == job_id
    assert await hook.aresolve_project_id() == emu.credentials.project_id
    assert requests_to(emu) == {"iam.projects": 1, "v2.detail": 3}
    assert responses_of(emu, "iam.projects") == {"200": 1}


async def test_project_id_from_the_token(connect: Connect, emu: EmulatorServer, mode: str) -> None:
    hook = connect("token", extra={"project_id": None})
    api = Api(hook, mode)
    [job_id] = emu.seed("training", status="Running")
    assert (await api("get_training_job", job_id)).id == job_id
    assert (await api("list_training_jobs"))[0].id == job_id
    assert await hook.aresolve_project_id() == emu.credentials.project_id
    assert requests_to(emu) == {"iam.tokens": 1, "v2.detail": 1, "v2.search": 1}


async def test_project_id_override_needs_no_look_up(connect: Connect, emu: EmulatorServer) -> None:
    connect(extra={"project_id": None})
    project = emu.credentials.project_id
    hook = ModelArtsHook(project_id=project, retry_policy=FAST)
    [job_id] = emu.seed("training", status="Running")
    assert (await hook.aget_training_job(job_id)).id == job_id
    assert hook.get_training_job(job_id).id == job_id
    assert await hook.aresolve_project_id() == project
    per_call = ModelArtsHook(retry_policy=FAST)
    assert per_call.get_training_job(job_id, project_id=project).id == job_id
    assert requests_to(emu) == {"v2.detail": 3}


async def test_wrong_iam_password_does_not_borrow_a_cached_token(
    connect: Connect, emu: EmulatorServer, mode: str
) -> None:
    [job_id] = emu.seed("training", status="Running")
    assert (await Api(connect("token"), mode)("get_training_job", job_id)).id == job_id
    wrong = Api(connect("token", conn_id="modelarts_wrong", password="not-the-password"), mode)
    with pytest.raises(ModelArtsAuthError):
        await wrong("get_training_job", job_id)
    assert requests_to(emu) == {"iam.tokens": 2, "v2.detail": 1}
    assert responses_of(emu, "iam.tokens") == {"201": 1, "401": 1}
