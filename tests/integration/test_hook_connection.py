"""``test_connection()`` in every auth mode and failure, and secrets kept out of reprs and logs."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from airflow_provider_modelarts.api import session as session_module
from airflow_provider_modelarts.api.errors import ModelArtsAuthError, ModelArtsServerError
from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import Api, requests_to

Connect = Callable[..., ModelArtsHook]
WRONG_SK = "WrongSecretKeyWrongSecretKeyWrong000001"
WRONG_PASSWORD = "wrong-iam-password-0001"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def _secrets(emu: EmulatorServer) -> list[str]:
    c = emu.credentials
    return [c.secret_key, c.temp_secret_key, c.security_token, c.iam_password, WRONG_SK, WRONG_PASSWORD]


def _leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    return [secret for secret in secrets for text in texts if secret in text]


# ---- test_connection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "described", "extra_requests"),
    [
        ("aksk", "AK/SK auth", {}),
        ("temporary", "temporary AK/SK auth with a security token", {}),
        ("token", "IAM token auth (user emulator-user, domain emulator-domain)", {"iam.tokens": 1}),
    ],
)
def test_success_in_every_auth_mode(
    connect: Connect, emu: EmulatorServer, auth: str, described: str, extra_requests: dict[str, int]
) -> None:
    emu.seed("training", 3, status="Running")
    ok, message = connect(auth).test_connection()
    assert ok is True, message
    project = emu.credentials.project_id
    assert message == (
        f"Connected to ModelArts (huaweicloud, cn-north-4, project {project}) "
        f"with {described}; 3 training job(s) visible"
    )
    assert requests_to(emu) == {"v2.search": 1, **extra_requests}
    assert not _leaks([message], _secrets(emu))


def test_success_with_the_project_looked_up(connect: Connect, emu: EmulatorServer) -> None:
    ok, message = connect(extra={"project_id": None}).test_connection()
    assert ok is True and f"project {emu.credentials.project_id}" in message
    assert "0 training job(s) visible" in message
    assert requests_to(emu) == {"iam.projects": 1, "v2.search": 1}


def test_wrong_secret_key(connect: Connect, emu: EmulatorServer) -> None:
    ok, message = connect(password=WRONG_SK).test_connection()
    assert ok is False
    assert message.startswith("ModelArtsAuthError: ") and "HTTP 401 APIGW.0301" in message
    assert not _leaks([message], _secrets(emu))
    assert requests_to(emu) == {"v2.search": 1}


def test_wrong_iam_password(connect: Connect, emu: EmulatorServer) -> None:
    ok, message = connect("token", password=WRONG_PASSWORD).test_connection()
    assert ok is False
    assert message.startswith("ModelArtsAuthError: ") and "The username or password is wrong." in message
    assert not _leaks([message], _secrets(emu))
    assert requests_to(emu) == {"iam.tokens": 1}


@pytest.mark.parametrize("auth", ["aksk", "token"])
def test_unreachable_endpoint(connect: Connect, emu: EmulatorServer, auth: str) -> None:
    ok, message = connect(auth, host=f"http://127.0.0.1:{_closed_port()}").test_connection()
    assert ok is False
    assert message.startswith("ModelArtsTransportError: ") and "ConnectError" in message
    assert not _leaks([message], _secrets(emu))
    assert requests_to(emu) == {}


def test_invalid_connection_is_reported_not_raised(connect: Connect, emu: EmulatorServer) -> None:
    ok, message = connect(extra={"region": None, "timeout": "soon"}).test_connection()
    assert ok is False and message.startswith("ValueError: ") and "region" in message
    ok, message = connect(extra={"timeout": -1}, conn_id="bad_timeout").test_connection()
    assert ok is False and "timeout" in message
    assert not _leaks([message], _secrets(emu))
    assert requests_to(emu) == {}


# ---- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["aksk", "temporary", "token"])
async def test_reprs_hold_no_secrets(connect: Connect, emu: EmulatorServer, auth: str) -> None:
    hook = connect(auth)
    [job_id] = emu.seed("training", status="Running")
    await hook.aget_training_job(job_id)
    config = hook.get_config()
    session = await hook.asession()
    issued = TOKENS.peek(session.token_key()) if auth == "token" else None
    secrets = [*_secrets(emu), *([issued.value] if issued else [])]
    assert auth != "token" or issued is not None
    shown = [
        repr(hook),
        str(hook),
        repr(config),
        str(config),
        config.model_dump_json(),
        repr(config.model_dump()),
        repr(session),
        repr(hook.session),
        repr(session.sync_client().auth),
        repr(issued),
    ]
    assert not _leaks(shown, secrets), shown
    assert config.secrets()  # the config does hold secrets; they are just never shown


def test_aksk_auth_repr() -> None:
    auth = AkSkAuth("AK-VISIBLE", "SK-HIDDEN-VALUE", "SECURITY-TOKEN-HIDDEN")
    assert "AK-VISIBLE" in repr(auth)
    assert "SK-HIDDEN-VALUE" not in repr(auth) and "SECURITY-TOKEN-HIDDEN" not in repr(auth)


def _log_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    texts = []
    for record in records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]))
        if record.exc_text:
            texts.append(record.exc_text)
    return texts


async def test_debug_logs_and_errors_hold_no_secrets(
    connect: Connect, emu: EmulatorServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    [job_id] = emu.seed("training", status="Running")
    errors: list[str] = []
    issued: list[str] = []

    # Signed calls first: moving the emulator clock (below) puts X-Sdk-Date out of its window.
    assert await Api(connect("temporary", conn_id="signed_temporary"), mode)("get_training_job", job_id)
    with pytest.raises(ModelArtsAuthError) as wrong_sk:
        await Api(connect(password=WRONG_SK, conn_id="signed_wrong"), mode)("get_training_job", job_id)
    errors.append(str(wrong_sk.value))

    token_hook = connect("token", conn_id="by_token")
    token_api = Api(token_hook, mode)
    await token_api("get_training_job", job_id)
    issued.append(TOKENS.peek((await token_hook.asession()).token_key()).value)  # type: ignore[union-attr]
    emu.advance(emu.config.token_ttl_seconds + 1)
    emu.faults.set("v2.search", {"next_count": 2, "next_status": 503})
    await token_api("list_training_jobs")  # expired token refreshed, then two 503 retried
    issued.append(TOKENS.peek((await token_hook.asession()).token_key()).value)  # type: ignore[union-attr]
    assert issued[0] != issued[1]
    emu.faults.set("v2.detail", {"next_count": 10, "next_status": 503})
    with pytest.raises(ModelArtsServerError) as exhausted:
        await token_api("get_training_job", job_id)
    errors.append(str(exhausted.value))
    emu.faults.clear()

    with pytest.raises(ModelArtsAuthError) as refused:
        await Api(connect("token", conn_id="wrong_pw", password=WRONG_PASSWORD), mode)(
            "get_training_job", job_id
        )
    errors.append(str(refused.value))
    errors.append(connect("token", conn_id="wrong_pw_test", password=WRONG_PASSWORD).test_connection()[1])

    assert len(errors) == 4 and requests_to(emu, "iam.tokens") == 4
    ours = [r for r in caplog.records if r.name.startswith("airflow_provider_modelarts")]
    assert len(ours) >= 5, "the session's DEBUG lines were not captured"
    headers = [r.getMessage() for r in caplog.records if "x-subject-token" in r.getMessage()]
    assert headers and all("(b'x-subject-token', b'***')" in text for text in headers)  # blanked
    secrets = [*_secrets(emu), *issued]
    assert not _leaks(_log_texts(caplog.records), secrets)
    assert not _leaks(errors, secrets)


# ---- rotated credentials ----------------------------------------------------------------------


def _rotate(connect: Any, auth: str) -> ModelArtsHook:
    hook = connect(auth)
    ModelArtsHook.forget_cached_connections()
    return hook


def test_rotated_credentials_release_the_old_session(connect: Any, emu: EmulatorServer) -> None:
    """Temporary credentials are rotated: the next hook of the connection gets a session of the
    new ones, and the old session's client is closed and no longer kept by the process."""
    [job] = emu.seed("training", status="Running")
    old_hook = _rotate(connect, "temporary")
    old = old_hook.session
    assert old_hook.get_training_job(job).id == job
    assert old._client is not None

    new_hook = _rotate(connect, "aksk")
    new = new_hook.session
    assert new is not old and new_hook.get_training_job(job).id == job
    assert old.retired and old._client is None
    assert old not in session_module._SHARED.values() and new in session_module._SHARED.values()


def test_another_connection_with_the_same_credentials_keeps_the_session(
    connect: Any, emu: EmulatorServer
) -> None:
    first = connect("aksk", conn_id="first").session
    second = connect("aksk", conn_id="second").session
    assert first is second
    ModelArtsHook.forget_cached_connections()
    connect("temporary", conn_id="first").session  # "first" moves on; "second" still uses it
    assert not first.retired


async def test_a_call_under_way_finishes_before_its_retired_session_closes(
    connect: Any, emu: EmulatorServer
) -> None:
    [job] = emu.seed("training", status="Running")
    old_hook = _rotate(connect, "temporary")
    old = await old_hook.asession()
    emu.faults.set("v2.detail", {"latency_ms": 300})
    call = asyncio.ensure_future(old_hook.aget_training_job(job))
    for _ in range(200):
        if emu.stats()["requests"].get("v2.detail"):
            break
        await asyncio.sleep(0.01)
    new = await _rotate(connect, "aksk").asession()
    assert old.retired and not old.idle and new is not old
    assert (await asyncio.wait_for(call, 10)).id == job  # the call under way was not cut off
    assert old.idle and asyncio.get_running_loop() not in old._async_clients
