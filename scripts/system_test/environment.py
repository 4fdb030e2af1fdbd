"""A fresh AIRFLOW_HOME and the environment every Airflow component of the system test shares."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_env(
    home: Path, bin_dir: Path, api_port: int, poll_interval: float, wait_timeout: float
) -> dict[str, str]:
    """LocalExecutor on a SQLite DB in ``home``; the API server on 127.0.0.1; all admins (no login).

    Connection passwords and extras are encrypted with a fresh Fernet key, as in any real
    deployment; the example DAGs get retries 0 so that a failed try is a failed task.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "MODELARTS_"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": base64.b64encode(os.urandom(32)).decode(),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "MODELARTS_EXAMPLE_POLL_INTERVAL": str(poll_interval),
            "MODELARTS_EXAMPLE_RETRIES": "0",
            "MODELARTS_EXAMPLE_TRAINING_TIMEOUT": str(wait_timeout),
            # the event-driven example: watch only the event round's jobs, often, and keep none
            "MODELARTS_EXAMPLE_WATCH_NAMES": "event-*",
            "MODELARTS_EXAMPLE_WATCH_INTERVAL": "5",
            "MODELARTS_EXAMPLE_RETENTION_MINUTES": "0",
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env
