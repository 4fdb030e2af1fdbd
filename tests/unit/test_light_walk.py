"""The light v2 walk behind shared waits, and one connection look-up for many concurrent hooks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.errors import ModelArtsResponseError
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.api.session import ModelArtsSession

P = "0123456789abcdef0123456789abcdef"


def _job(i: int, **metadata: Any) -> dict[str, Any]:
    meta = {"id": f"00000000-0000-0000-0000-{i:012d}", "name": f"n{i}", "create_time": 1000 + i, **metadata}
    return {"kind": "job", "metadata": meta, "status": {"phase": "Running", "tasks": ["worker-0"]}}


def _session(items: list[dict[str, Any]]) -> ModelArtsSession:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        page = items[body["offset"] * body["limit"] : (body["offset"] + 1) * body["limit"]]
        return httpx.Response(200, json={"total": len(items), "count": len(items), "items": page})

    config = ConnectionConfig.from_connection_fields(
        login="AK",
        password="SK-SECRET",
        host="https://modelarts.test",
        extra={"region": "cn-north-4", "project_id": P},
        environ={},
    )
    policy = RetryPolicy(max_attempts=1)
    return ModelArtsSession(config, policy=policy, transport=httpx.MockTransport(answer))


def test_light_walk_matches_the_model_walk() -> None:
    items = [_job(i) for i in range(120)]
    items[7]["metadata"]["create_time"] = "1007"  # not plain: read through the model, as before
    items[9]["status"] = {}  # no phase
    session = _session(items)
    light = session.run(ops.walk_training_job_snapshots(P))
    full = session.run(ops.walk_training_jobs(P))
    assert light.items == [job.snapshot() for job in full.items]
    assert (light.complete, light.pages) == (full.complete, full.pages) == (True, 3)
    assert light.items[7].create_time == 1007
    assert light.items[9].status is None


def test_light_walk_reuses_known_snapshots_of_unchanged_jobs() -> None:
    items = [_job(i) for i in range(60)]
    session = _session(items)
    first = session.run(ops.walk_training_job_snapshots(P))
    known = {snapshot.job_id: snapshot for snapshot in first.items}
    items[3]["status"]["phase"] = "Terminating"
    items[4]["metadata"]["name"] = "renamed"
    again = session.run(ops.walk_training_job_snapshots(P, known=known))
    assert again.items == session.run(ops.walk_training_job_snapshots(P)).items  # same answer
    changed = {3, 4}
    assert all((again.items[i] is first.items[i]) == (i not in changed) for i in range(60))
    assert (again.items[3].status, again.items[4].name) == ("Terminating", "renamed")


def test_light_walk_rejects_what_the_model_rejects() -> None:
    items = [_job(0), {"kind": "job", "metadata": {"name": "no id"}, "status": {"phase": "Running"}}]
    with pytest.raises(ModelArtsResponseError):
        _session(items).run(ops.walk_training_job_snapshots(P))
    with pytest.raises(ModelArtsResponseError):
        _session(items).run(ops.walk_training_jobs(P))


def test_concurrent_hooks_share_one_connection_look_up(use_connection, monkeypatch) -> None:
    import airflow.providers.common.compat.connection as compat

    from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

    use_connection(
        {
            "conn_type": "modelarts",
            "login": "AK",
            "password": "SK-SECRET",
            "extra": {"region": "cn-north-4", "project_id": P},
        },
        "light_walk",
    )
    calls = []
    real = compat.get_async_connection

    async def counting(conn_id: str, **kwargs: Any) -> Any:
        calls.append(conn_id)
        await asyncio.sleep(0.01)
        return await real(conn_id, **kwargs)

    monkeypatch.setattr(compat, "get_async_connection", counting)

    async def many() -> list[ConnectionConfig]:
        hooks = [ModelArtsHook("light_walk") for _ in range(50)]
        return await asyncio.gather(*(hook.aget_config() for hook in hooks))

    configs = asyncio.run(many())
    assert calls == ["light_walk"]
    assert all(config is configs[0] for config in configs)
