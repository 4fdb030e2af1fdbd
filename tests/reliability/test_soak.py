"""Soak: hundreds of teardown waits, every family, both auth modes, one event loop, faults everywhere."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_modelarts.api.errors import ModelArtsServerError
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger
from tests.reliability.conftest import FAST, KINDS, Target, make_targets, request_teardown, truth

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "soak.json"
PER_KIND_AND_CONN = 20  # 8 kinds x 2 connections x 20 = 320 waits
CONNECTIONS = {"soak_aksk": "aksk", "soak_token": "token"}
SOAK_TIMEOUT = 90.0
# Rules apply in the order drop, throttle, error: these rates give 5 % drops, 10 % 429s and 20 % 5xx.
FAULTS = {
    "drop_rate": 0.05,
    "throttle_rate": round(0.10 / 0.95, 4),
    "retry_after": 1,
    "error_rate": round(0.20 / (0.95 * (1 - 0.10 / 0.95)), 4),
    "error_status": 503,
    "latency_ms": 1,
    "jitter_ms": 120,
}


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    # Stopping and disappearing take a while, so every wait polls several times through the faults.
    return EmulatorConfig.for_tests(stop_seconds=1.5, delete_visible_seconds=1.5)


async def _one(emu: EmulatorServer, hook: ModelArtsHook, target: Target) -> dict[str, Any]:
    await request_teardown(hook, target)
    trigger = ModelArtsJobTrigger(
        job_family=target.family,
        job_id=target.job_id,
        version_id=target.version_id,
        goal=target.goal,
        modelarts_conn_id=hook.modelarts_conn_id,
        poll_interval=0.2,
        deadline=time.time() + 60,
    )
    event = await trigger.wait(hook)
    # The emulator's state at the moment the event arrived: a "gone" job can never come back and a
    # stopped one never runs again, so anything else here means the event was premature.
    return {
        "target": target,
        "event": event,
        "seen": truth(emu, target.family, target.job_id, target.version_id),
    }


async def _soak(emu: EmulatorServer, targets: dict[str, list[Target]]) -> list[dict[str, Any]]:
    hooks = {conn: ModelArtsHook(conn, retry_policy=FAST) for conn in targets}
    tasks = [_one(emu, hooks[conn], t) for conn, group in targets.items() for t in group]
    try:
        return await asyncio.wait_for(asyncio.gather(*tasks), SOAK_TIMEOUT)
    finally:
        for hook in hooks.values():
            await (await hook.asession()).aclose()


def test_soak_every_family_both_auth_modes_under_faults(modelarts_emulator: EmulatorServer, use_connection):
    emu = modelarts_emulator
    for conn_id, auth in CONNECTIONS.items():
        use_connection(emu.airflow_connection(auth), conn_id)
    targets = {
        conn: [t for kind in KINDS for t in make_targets(emu, *kind, PER_KIND_AND_CONN)]
        for conn in CONNECTIONS
    }
    emu.faults.set("*", FAULTS)
    started = time.monotonic()
    results = asyncio.run(_soak(emu, targets))
    wall = time.monotonic() - started
    stats = emu.stats()

    outcomes = Counter(r["event"]["status"] for r in results)
    premature = [r for r in results if r["seen"] != ("gone" if r["target"].goal == "deleted" else "stopped")]
    failed = [r["event"]["message"] for r in results if r["event"]["status"] != "success"]
    assert len(results) == 8 * 2 * PER_KIND_AND_CONN
    assert not failed, failed[:5]
    assert not premature, [(r["target"], r["event"]["message"], r["seen"]) for r in premature[:5]]
    # Every job ends in its true final state in the store (not only the one the event named).
    finals = Counter(truth(emu, t.family, t.job_id, t.version_id) for g in targets.values() for t in g)
    assert finals == Counter({"gone": 5 * 2 * PER_KIND_AND_CONN, "stopped": 3 * 2 * PER_KIND_AND_CONN})
    faults = stats["faults"]
    # The faults really happened, in every kind, and every one of them was retried away.
    assert faults.get("error", 0) > 100 and faults.get("throttle", 0) > 50 and faults.get("drop", 0) > 20
    assert stats["tokens_issued"] >= 1 and TOKENS.fetches >= 1

    summary = {
        "jobs": len(results),
        "jobs_by_kind": {f"{f}.{a}": 2 * PER_KIND_AND_CONN for f, a, _ in KINDS},
        "connections": CONNECTIONS,
        "fault_rule": FAULTS,
        "faults_injected": faults,
        "requests": sum(stats["requests"].values()),
        "requests_by_route": stats["requests"],
        "retries": faults.get("error", 0) + faults.get("throttle", 0) + faults.get("drop", 0),
        "tokens_issued": stats["tokens_issued"],
        "polls": sum(r["event"]["polls"] for r in results),
        "outcome": dict(outcomes),
        "premature_reports": len(premature),
        "wall_seconds": round(wall, 2),
    }
    print("\nsoak summary:", json.dumps(summary, indent=2, sort_keys=True))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")


def test_fault_beyond_the_retry_budget_fails_clearly(modelarts_emulator: EmulatorServer, use_connection):
    emu = modelarts_emulator
    use_connection(emu.airflow_connection("aksk"))
    v2 = make_targets(emu, "training", "delete", "deleted", 1)[0]
    res = make_targets(emu, "res", "delete", "deleted", 1)[0]
    emu.faults.set("v2.detail", {"error_rate": 1.0, "error_status": 503})
    emu.faults.set("res.detail", {"error_rate": 1.0, "error_status": 503})
    hook = ModelArtsHook(retry_policy=FAST)

    with pytest.raises(ModelArtsServerError) as caught:
        hook.get_training_job(v2.job_id)
    assert caught.value.status_code == 503
    assert f"GET /v2/{emu.config.project_id}/training-jobs/{v2.job_id}" in str(caught.value)
    assert "HTTP 503" in str(caught.value) and caught.value.request_id
    assert emu.stats()["requests"]["v2.detail"] == FAST.max_attempts

    trigger = ModelArtsJobTrigger(
        job_family="res", job_id=res.job_id, goal="deleted", poll_interval=0.05, max_poll_failures=2
    )
    event = asyncio.run(trigger.wait(hook))
    assert event["status"] == "error"
    assert "HTTP 503" in event["message"] and "2 polls in a row failed" in event["message"]
    assert truth(emu, "res", res.job_id) == "active"  # and the job was never touched
