from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.emulator import EmulatorServer


def server_clock(server: EmulatorServer):  # type: ignore[no-untyped-def]
    return lambda: datetime.fromtimestamp(server.clock.now(), UTC)


def aksk(
    server: EmulatorServer, *, temporary: bool = False, secret: str | None = None, second: bool = False
) -> AkSkAuth:
    c = server.credentials
    if second:
        return AkSkAuth(c.second_access_key, secret or c.second_secret_key, clock=server_clock(server))
    if temporary:
        return AkSkAuth(
            c.temp_access_key, secret or c.temp_secret_key, c.security_token, clock=server_clock(server)
        )
    return AkSkAuth(c.access_key, secret or c.secret_key, clock=server_clock(server))


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer) -> EmulatorServer:
    return modelarts_emulator


@pytest.fixture
def client(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, auth=aksk(emu), timeout=10) as c:
        yield c


@pytest.fixture
def other(emu: EmulatorServer) -> Iterator[httpx.Client]:
    """A client signed with the second IAM user's AK/SK."""
    with httpx.Client(base_url=emu.url, auth=aksk(emu, second=True), timeout=10) as c:
        yield c


@pytest.fixture
def raw(emu: EmulatorServer) -> Iterator[httpx.Client]:
    """A client without any authentication."""
    with httpx.Client(base_url=emu.url, timeout=10) as c:
        yield c


@pytest.fixture
def p(emu: EmulatorServer) -> str:
    return emu.credentials.project_id
