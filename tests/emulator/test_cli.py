from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.emulator import defaults
from airflow_provider_modelarts.emulator.cli import export_line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seeded_cli(port: int, seed: Path) -> subprocess.Popen[str]:
    """The emulator's command on ``port`` with a seed file; its output is piped."""
    command = [
        sys.executable,
        "-m",
        "airflow_provider_modelarts.emulator",
        "--port",
        str(port),
        "--seed",
        str(seed),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_serves_seeded_jobs_and_stops_on_sigterm(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"jobs": [{"family": "training", "count": 3, "name": "cli"}]}))
    port = _free_port()
    process = seeded_cli(port, seed)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        ready = False
        for _ in range(300):
            if time.monotonic() > deadline or process.poll() is not None:
                break
            try:
                ready = httpx.get(f"{url}/_emulator/stats", timeout=1).status_code == 200
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if ready:
                break
        assert ready, "the emulator did not answer"
        auth = AkSkAuth(defaults.ACCESS_KEY, defaults.SECRET_KEY)
        response = httpx.post(
            f"{url}/v2/{defaults.PROJECT_ID}/training-job-searches", json={"limit": 10}, auth=auth, timeout=5
        )
        assert response.status_code == 200 and response.json()["count"] == 3
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"listening on {url}" in out
    line = next(line for line in out.splitlines() if "AIRFLOW_CONN_MODELARTS_DEFAULT=" in line)
    connection = _pasted(line)
    assert connection["host"] == url and connection["login"] == defaults.ACCESS_KEY
    assert "auth_type" not in connection["extra"]  # AK/SK is the default
    assert "stopped" in out


def _pasted(line: str) -> dict:  # type: ignore[type-arg]
    """What a shell holds in the variable after the printed line is pasted into it."""
    shown = subprocess.run(
        ["sh", "-c", f'{line}\nprintf %s "$AIRFLOW_CONN_MODELARTS_DEFAULT"'],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_the_printed_line_pastes_with_quotes_in_secrets() -> None:
    connection = {"conn_type": "modelarts", "login": "user", "password": 'it\'s "quoted"', "extra": {}}
    assert export_line(connection).startswith("export AIRFLOW_CONN_MODELARTS_DEFAULT='")
    assert _pasted(export_line(connection)) == connection


def test_a_busy_port_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "airflow_provider_modelarts.emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"modelarts-emulator: cannot listen on 127.0.0.1:{port}: address already in use"
    )


def test_help_documents_the_seed_format() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_modelarts.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for word in ('"family"', '"workspace_id"', '"owner"', '"emulator"', '"versions"', "POST /_emulator/seed"):
        assert word in result.stdout


def test_cli_rejects_a_bad_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"family": "nothing"}]))
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_modelarts.emulator", "--port", "0", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2 and "bad seed file" in result.stderr
