from __future__ import annotations

import json
import time

import httpx
import pytest

from airflow_provider_modelarts.emulator import EmulatorServer


def _control(raw: httpx.Client, action: str, body: dict) -> httpx.Response:  # type: ignore[type-arg]
    return raw.post(f"/_emulator/{action}", json=body)


def test_latency(emu: EmulatorServer, client: httpx.Client, raw: httpx.Client, p: str) -> None:
    assert _control(raw, "faults", {"set": {"v2.search": {"latency_ms": 300}}}).status_code == 200
    started = time.monotonic()
    assert client.post(f"/v2/{p}/training-job-searches", json={}).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert emu.stats()["faults"] == {"latency": 1}


def test_error_rate(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.faults.set("*", {"error_rate": 1.0, "error_status": 500})
    response = client.post(f"/v2/{p}/training-job-searches", json={})
    assert response.status_code == 500 and response.json()["error_code"] == "ModelArts.0010"
    v1 = client.get(f"/v1/{p}/training-jobs")
    assert v1.status_code == 500 and v1.json()["is_success"] is False


def test_partial_error_rate_is_seedable(
    emu: EmulatorServer, client: httpx.Client, raw: httpx.Client, p: str
) -> None:
    def run() -> list[int]:
        _control(raw, "faults", {"seed": 7, "set": {"v2.search": {"error_rate": 0.5, "error_status": 503}}})
        return [client.post(f"/v2/{p}/training-job-searches", json={}).status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second and {200, 503} == set(first)


def test_throttle_with_retry_after(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.faults.set("v2.detail", {"throttle_rate": 1.0, "retry_after": 7})
    response = client.get(f"/v2/{p}/training-jobs/abc")
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json()["error_code"] == "ModelArts.2799"
    assert client.post(f"/v2/{p}/training-job-searches", json={}).status_code == 200
    assert emu.stats()["faults"] == {"throttle": 1}


def test_dropped_connection(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.faults.set("v2.search", {"drop_rate": 1.0})
    with pytest.raises(httpx.TransportError):
        client.post(f"/v2/{p}/training-job-searches", json={})
    emu.faults.clear()
    assert client.post(f"/v2/{p}/training-job-searches", json={}).status_code == 200
    stats = emu.stats()
    assert stats["faults"] == {"drop": 1} and stats["responses"]["v2.search"] == {"0": 1, "200": 1}


def test_next_n(emu: EmulatorServer, client: httpx.Client, raw: httpx.Client, p: str) -> None:
    _control(raw, "faults", {"set": {"res.detail": {"next_count": 2, "next_status": 503}}})
    codes = [client.get(f"/v1/{p}/jobs/x").status_code for _ in range(3)]
    assert codes == [503, 503, 404]
    assert emu.stats()["faults"] == {"next": 2}


def test_unknown_fault_settings_are_refused(raw: httpx.Client) -> None:
    assert _control(raw, "faults", {"set": {"v2.nothing": {"error_rate": 1}}}).status_code == 400
    assert _control(raw, "faults", {"set": {"*": {"error_rate": 2}}}).status_code == 400
    assert _control(raw, "faults", {"set": {"*": {"colour": 1}}}).status_code == 400


def test_counters_and_reset(emu: EmulatorServer, client: httpx.Client, raw: httpx.Client, p: str) -> None:
    client.post(f"/v2/{p}/training-job-searches", json={})
    client.get(f"/v2/{p}/training-jobs/x")
    raw.get(f"/v2/{p}/training-jobs/x")
    emu.seed("training", 2)
    stats = raw.get("/_emulator/stats").json()
    assert stats["requests"]["v2.detail"] == 2 and stats["requests"]["v2.search"] == 1
    assert stats["responses"]["v2.detail"] == {"400": 1, "401": 1}
    assert stats["auth_failures"] == 1 and stats["jobs"]["training"] == 2
    assert _control(raw, "reset", {}).json() == {"reset": True}
    stats = emu.stats()
    assert stats["jobs"]["training"] == 0 and stats["requests"] == {} and stats["auth_failures"] == 0


def test_config_and_clock(emu: EmulatorServer, raw: httpx.Client) -> None:
    response = _control(raw, "config", {"run_seconds": None, "stop_seconds": 2})
    assert response.status_code == 200 and response.json()["config"]["stop_seconds"] == 2.0
    assert emu.config.run_seconds is None
    assert _control(raw, "config", {"access_key": "x"}).status_code == 400
    assert _control(raw, "config", {"stop_seconds": -1}).status_code == 400
    before = emu.clock.now()
    now = _control(raw, "clock/advance", {"seconds": 100}).json()["now"]
    assert now - before >= 100
    assert _control(raw, "clock/advance", {"seconds": -1}).status_code == 400


def test_seed_api(emu: EmulatorServer, client: httpx.Client, raw: httpx.Client, p: str) -> None:
    # (How fast seeding is, is a benchmark's figure: bench_emulator.)
    response = _control(raw, "seed", {"family": "training", "count": 10_000, "status": "Running"})
    assert response.status_code == 200
    assert len(response.json()["created"]["training"]) == 10_000
    page = client.post(f"/v2/{p}/training-job-searches", json={"limit": 50, "offset": 199}).json()
    assert page["count"] == 10_000 and len(page["items"]) == 50
    assert page["items"][0]["status"]["phase"] == "Running"
    many = _control(
        raw,
        "seed",
        {"jobs": [{"family": "training_v1", "versions": 2, "status": "KILLED"}, {"family": "visualization"}]},
    ).json()["created"]
    assert len(many["training_v1"]) == 1 and len(many["visualization"]) == 1
    versions = client.get(f"/v1/{p}/training-jobs/{many['training_v1'][0]}/versions").json()
    assert versions["version_count"] == 2 and versions["versions"][0]["status"] == 12
    assert _control(raw, "seed", {"family": "training", "status": "Sleeping"}).status_code == 400
    assert _control(raw, "seed", {"family": "nothing"}).status_code == 400


def test_seed_age_and_hints(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    (old,) = emu.seed("training", age_seconds=10)
    (failing,) = emu.seed("training", age_seconds=10, emulator={"outcome": "failed"})
    assert client.get(f"/v2/{p}/training-jobs/{old}").json()["status"]["phase"] == "Completed"
    assert client.get(f"/v2/{p}/training-jobs/{failing}").json()["status"]["phase"] == "Failed"


def test_control_unknown_action(raw: httpx.Client) -> None:
    assert raw.post("/_emulator/nothing", json={}).status_code == 404
    assert raw.get("/_emulator/reset").status_code == 405


def test_airflow_connection(emu: EmulatorServer) -> None:
    aksk = emu.airflow_connection()
    assert aksk["conn_type"] == "modelarts" and aksk["host"] == emu.url
    assert (aksk["login"], aksk["password"]) == (emu.credentials.access_key, emu.credentials.secret_key)
    assert aksk["extra"] == {
        "region": "cn-north-4",
        "project_id": emu.credentials.project_id,
    }  # AK/SK: default
    token = emu.airflow_connection("token")
    assert token["login"] == "emulator-user" and token["extra"]["domain_name"] == "emulator-domain"
    assert "auth_type" not in token["extra"]  # the IAM domain alone selects token auth
    temporary = emu.airflow_connection("temporary")
    assert temporary["extra"]["security_token"] == emu.credentials.security_token
    assert "domain_name" not in temporary["extra"]
    json.dumps(temporary)
    with pytest.raises(ValueError, match="auth_type"):
        emu.airflow_connection("basic")  # type: ignore[arg-type]
