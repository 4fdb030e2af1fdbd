"""How long an async hook keeps a connection it read, and reading it again after a refusal."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from airflow_provider_modelarts.hooks import modelarts as hook_module
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

P = "0123456789abcdef0123456789abcdef"
CONN_ID = "rereading"


def _conn(access_key: str) -> dict[str, Any]:
    return {
        "conn_type": "modelarts",
        "login": access_key,
        "password": f"SK-OF-{access_key}",
        "extra": {"region": "cn-north-4", "project_id": P, "security_token": f"TOKEN-OF-{access_key}"},
    }


@pytest.fixture
def reads(use_connection: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Connection look-ups made, by conn id; the connection starts with access key ``AK1``."""
    import airflow.providers.common.compat.connection as compat

    use_connection(_conn("AK1"), CONN_ID)
    made: list[str] = []
    real = compat.get_async_connection

    async def counting(conn_id: str, **kwargs: Any) -> Any:
        made.append(conn_id)
        await asyncio.sleep(0.01)
        return await real(conn_id, **kwargs)

    monkeypatch.setattr(compat, "get_async_connection", counting)
    return made


def _rotate(monkeypatch: pytest.MonkeyPatch, access_key: str) -> None:
    """Change the connection where it lives (the process's cache is left alone)."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(_conn(access_key)))


def test_a_hook_reads_its_connection_again_after_the_period(
    reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hook_module, "CONFIG_CACHE_SECONDS", 0.3)

    async def scenario() -> None:
        hook = ModelArtsHook(CONN_ID)
        first = await hook.asession()
        assert first.config.access_key == "AK1"
        _rotate(monkeypatch, "AK2")
        assert (await hook.aget_config()).access_key == "AK1"  # within the period
        assert await hook.asession() is first
        await asyncio.sleep(0.35)
        assert (await hook.aget_config()).access_key == "AK2"
        second = await hook.asession()
        assert second is not first and second.config.access_key == "AK2"
        assert first.retired  # nobody else used the old credentials' session
        await hook.aclose_session()

    asyncio.run(scenario())
    assert len(reads) == 2


def test_waits_refused_together_read_the_connection_once(
    reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        hooks = [ModelArtsHook(CONN_ID) for _ in range(50)]
        assert {(await hook.aget_config()).access_key for hook in hooks} == {"AK1"}
        assert len(reads) == 1
        _rotate(monkeypatch, "AK2")
        refused_at = time.monotonic()  # well within the period: only a refusal makes them read
        fresh = await asyncio.gather(*(hook.areread_config(refused_at) for hook in hooks))
        assert {config.access_key for config in fresh} == {"AK2"} and len(reads) == 2
        late = ModelArtsHook(CONN_ID)  # refused a moment later: the read since then serves it too
        assert (await late.areread_config(refused_at)).access_key == "AK2" and len(reads) == 2
        _rotate(monkeypatch, "AK3")
        again = time.monotonic()  # a refusal after that read: it is not trusted, the connection is read
        assert (await hooks[0].areread_config(again)).access_key == "AK3" and len(reads) == 3
        assert (await hooks[1].aget_config()).access_key == "AK2"  # a hook not refused keeps its read

    asyncio.run(scenario())
