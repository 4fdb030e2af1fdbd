"""Credentials as users paste them: surrounding whitespace is dropped, anything worse is refused unseen.

Over real HTTP against the emulator: a trailing newline on a temporary AK/SK and its security token
still authenticates; a newline inside fails before any request, and no message shows the value.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import requests_to

Connect = Callable[..., ModelArtsHook]


def test_surrounding_whitespace_is_dropped(connect: Connect, emu: EmulatorServer) -> None:
    c = emu.credentials
    hook = connect(
        "temporary",
        login=f" {c.temp_access_key}\n",
        password=f"{c.temp_secret_key}\r\n",
        extra={"security_token": f"{c.security_token}\n"},
    )
    [job_id] = emu.seed("training", status="Running")
    assert hook.get_training_job(job_id).metadata.id == job_id
    ok, message = hook.test_connection()
    assert ok, message
    assert requests_to(emu) == {"v2.detail": 1, "v2.search": 1}


@pytest.mark.parametrize("field", ["password", "security_token"])
def test_a_newline_inside_is_refused_without_showing_the_value(
    connect: Connect, emu: EmulatorServer, field: str
) -> None:
    c = emu.credentials
    secret = {"password": c.temp_secret_key, "security_token": c.security_token}[field]
    broken = secret[:10] + "\n" + secret[10:]
    extra = {"security_token": broken} if field == "security_token" else {}
    fields = {"password": broken} if field == "password" else {}
    hook = connect("temporary", extra=extra, **fields)
    with pytest.raises(ValueError, match="the value is not shown") as info:
        hook.get_training_job("3faf5c03-0000-0000-0000-000000000000")
    ok, message = hook.test_connection()
    assert not ok
    for text in (str(info.value), message):
        assert secret[:10] not in text and secret[10:] not in text
    assert requests_to(emu) == {}
