"""Hook integration tests: the real hook over real HTTP against the emulator on 127.0.0.1.

``api`` runs one hook method in the mode under test: ``sync`` calls the sync method in a worker
thread (as an operator would, off the event loop), ``async`` awaits its ``a``-prefixed twin.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_modelarts.api import session as session_module
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=5.0)


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Every test starts without cached tokens or shared sessions (an emulator port may be reused)."""
    TOKENS.clear()
    session_module._SHARED.clear()
    session_module._OWNERS.clear()
    yield
    for shared in list(session_module._SHARED.values()):
        shared.close()
    session_module._SHARED.clear()
    session_module._OWNERS.clear()
    TOKENS.clear()


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer) -> EmulatorServer:
    return modelarts_emulator


def requests_to(emu: EmulatorServer, route: str | None = None) -> Any:
    """Requests the emulator counted: for one route, or all of them by route name."""
    counted: dict[str, int] = emu.stats()["requests"]
    return dict(counted) if route is None else counted.get(route, 0)


def responses_of(emu: EmulatorServer, route: str) -> dict[str, int]:
    return dict(emu.stats()["responses"].get(route, {}))


@pytest.fixture
def connect(
    emu: EmulatorServer, use_connection: Callable[..., dict[str, Any]]
) -> Callable[..., ModelArtsHook]:
    """Install a connection to the emulator and return a hook on it.

    ``auth``: aksk, temporary or token; ``extra`` entries replace (``None``: remove) extra keys;
    ``fields`` replace connection fields (login, password, host).
    """

    def make(
        auth: str = "aksk",
        *,
        conn_id: str = "modelarts_default",
        extra: dict[str, Any] | None = None,
        policy: RetryPolicy | None = FAST,
        **fields: Any,
    ) -> ModelArtsHook:
        conn = emu.airflow_connection(auth)  # type: ignore[arg-type]
        for key, value in (extra or {}).items():
            if value is None:
                conn["extra"].pop(key, None)
            else:
                conn["extra"][key] = value
        conn.update(fields)
        use_connection(conn, conn_id)
        return ModelArtsHook(conn_id, retry_policy=policy)

    return make


@pytest.fixture
def hook(connect: Callable[..., ModelArtsHook]) -> ModelArtsHook:
    return connect()


class Api:
    """Calls a hook method by its sync name, in sync or async mode."""

    def __init__(self, hook: ModelArtsHook, mode: str) -> None:
        self.hook = hook
        self.mode = mode

    async def __call__(self, method_name: str, /, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            method = functools.partial(getattr(self.hook, method_name), *args, **kwargs)
            return await asyncio.to_thread(method)
        return await getattr(self.hook, "a" + method_name)(*args, **kwargs)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api(hook: ModelArtsHook, mode: str) -> Api:
    return Api(hook, mode)
