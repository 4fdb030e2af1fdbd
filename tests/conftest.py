"""Test-wide set-up: an isolated AIRFLOW_HOME, set before anything imports Airflow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# The emulator's fixtures (modelarts_emulator, modelarts_emulator_config), opted into as a user would.
pytest_plugins = ["airflow_provider_modelarts.emulator.pytest_plugin"]

ROOT = Path(__file__).resolve().parent.parent
_HOME = tempfile.mkdtemp(prefix="modelarts-tests-airflow-home-")
_HOME_OWNER = os.getpid()  # processes forked from this one (they share the home) leave it alone
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "example_dags")
os.environ.pop("AIRFLOW_CONN_MODELARTS_DEFAULT", None)
# Tasks defer right after their first check and triggers poll one interval later; the tests of the
# grace itself set it (``[modelarts] deferral_grace_seconds``).
os.environ["AIRFLOW__MODELARTS__DEFERRAL_GRACE_SECONDS"] = "0"
for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"):
    os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's AIRFLOW_HOME when the process that made it ends its session."""
    if os.getpid() == _HOME_OWNER:
        shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def use_connection(monkeypatch: pytest.MonkeyPatch):
    """Point ``modelarts_default`` (or another conn id) at a connection dict, e.g. an emulator's."""
    from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

    def install(conn: dict, conn_id: str = "modelarts_default") -> dict:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        ModelArtsHook.forget_cached_connections()
        return conn

    yield install
    ModelArtsHook.forget_cached_connections()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A fresh embedded SQLite metadata DB for DAG runs (once per test session)."""
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, timeout=300)
    return Path(_HOME)
