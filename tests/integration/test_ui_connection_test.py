"""The UI's Test button on a stored ``modelarts`` connection, through Airflow's real API app.

The button posts the stored connection back with its secrets masked and ``port: 0`` (the UI's
``Number(null)``). Airflow 3.3.0-3.3.2 refuses that with 400 for any connection without a port;
the provider's API-server middleware drops the 0 for ``modelarts`` connections only. The API app
runs in a subprocess (its auth manager and plugins are process-wide) on the tests' metadata DB.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.plugins.connection_test import PortlessConnectionTest, without_zero_port
from tests.airflow_support import AIRFLOW_VERSION

SCRIPT = """
import json, sys
from fastapi.testclient import TestClient
from airflow.api_fastapi.app import create_app

stored, tests = json.loads(sys.argv[1]), json.loads(sys.argv[2])
answers = []
with TestClient(create_app(apps="core")) as client:
    token = client.get("/auth/token").json()["access_token"]  # all admins: no credentials needed
    client.headers["Authorization"] = f"Bearer {token}"
    for body in stored:
        client.delete(f"/api/v2/connections/{body['connection_id']}")
        created = client.post("/api/v2/connections", json=body)
        assert created.status_code == 201, created.text
    for conn_id, changes in tests:
        shown = client.get(f"/api/v2/connections/{conn_id}").json()
        ui = {key: shown.get(key) or "" for key in ("connection_id", "conn_type", "description", "host",
              "login", "password", "schema", "extra")}
        ui["port"] = int(shown.get("port") or 0)
        response = client.post("/api/v2/connections/test", json={**ui, **changes})
        answers.append([response.status_code, response.json()])
print("ANSWERS " + json.dumps(answers))
"""


def _ui_tests(stored: list[dict[str, Any]], tests: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    env = {
        **os.environ,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(stored), json.dumps(tests)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    [line] = [line for line in done.stdout.splitlines() if line.startswith("ANSWERS ")] or [
        done.stderr[-3000:]
    ]
    return list(json.loads(line.removeprefix("ANSWERS ")))


def test_the_test_button_works_for_a_stored_modelarts_connection(
    modelarts_emulator: EmulatorServer, airflow_db: Path
) -> None:
    c = modelarts_emulator.credentials
    extra = {"region": c.region, "project_id": c.project_id, "security_token": c.security_token}
    ours = {
        "connection_id": "ui_test_modelarts",
        "conn_type": "modelarts",
        "host": modelarts_emulator.url,
        "login": c.temp_access_key,
        "password": c.temp_secret_key,
        "extra": json.dumps(extra),
    }
    other = {"connection_id": "ui_test_other", "conn_type": "generic", "host": "example.com", "login": "u"}
    answers = _ui_tests(
        [ours, other],
        [
            ("ui_test_modelarts", {}),  # exactly what the button sends
            ("ui_test_modelarts", {"host": "http://127.0.0.1:9"}),  # another destination, stored secrets
            ("ui_test_other", {}),  # another connection type: Airflow's own answer, untouched
        ],
    )
    [[status, body], [moved, _], [untouched, _]] = answers
    assert (status, body["status"]) == (200, True), body
    assert "with temporary AK/SK auth with a security token" in body["message"]
    assert c.security_token not in json.dumps(answers) and c.temp_secret_key not in json.dumps(answers)
    if AIRFLOW_VERSION >= (3, 3):  # 3.3 compares the host, and still does: stored secrets stay home
        assert moved == 400
    assert untouched in (200, 400)  # 400 on 3.3.0-3.3.2, 200 where Airflow has fixed it
    assert modelarts_emulator.stats()["requests"] == {"v2.search": 1}


# ---- the middleware alone, as an ASGI app in front of one that records what it gets ----------


def _call(scope: dict[str, Any], chunks: list[bytes]) -> tuple[dict[str, Any], bytes]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["scope"], body = scope, b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["body"] = body

    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        raise AssertionError("nothing answers here")

    asyncio.run(PortlessConnectionTest(app)(scope, receive, send))
    return seen["scope"], seen["body"]


def _scope(method: str = "POST", path: str = "/api/v2/connections/test") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": [(b"content-length", b"999")]}


def test_the_middleware_drops_port_zero_of_a_modelarts_test_only() -> None:
    body = json.dumps({"conn_type": "modelarts", "port": 0, "host": "https://x.example"}).encode()
    scope, forwarded = _call(_scope(), [body[:10], body[10:]])
    assert json.loads(forwarded) == {"conn_type": "modelarts", "host": "https://x.example"}
    assert dict(scope["headers"])[b"content-length"] == str(len(forwarded)).encode()
    for unchanged in (
        {"conn_type": "modelarts", "port": 443},
        {"conn_type": "modelarts", "port": False},
        {"conn_type": "http", "port": 0},
        {"conn_type": "modelarts"},
    ):
        assert without_zero_port(json.dumps(unchanged).encode()) == json.dumps(unchanged).encode()
    assert without_zero_port(b"not json") == b"not json"
    for scope_ in (_scope("GET"), _scope(path="/api/v2/connections")):
        assert _call(scope_, [body]) == (scope_, body)


@pytest.mark.parametrize("size", [0, 1, 5000])
def test_the_middleware_forwards_any_body_whole(size: int) -> None:
    body = b"x" * size
    assert _call(_scope(), [body[: size // 2], body[size // 2 :]])[1] == body
