"""Helpers for the tests that run an operator against the emulator: a cleanup operator
with test pacing, the ids a family lists now, and a helper that changes the emulator's world right
after it has answered a given route."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator

OLD = 40 * 86_400  # seconds: older than the cleanup's default 30 days
FINISHED = {
    "training": "Completed",
    "training_v1": "COMPLETED",
    "visualization": "KILLED",
    "res": "SUCCEEDED",
}
RUNNING = {"training": "Running", "training_v1": "RUNNING", "visualization": "RUNNING", "res": "RUNNING"}


def cleanup(**kwargs: Any) -> ModelArtsCleanupJobsOperator:
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("timeout", 20)
    return ModelArtsCleanupJobsOperator(task_id="cleanup", **kwargs)


def session_of(emu: EmulatorServer) -> ModelArtsSession:
    conn = emu.airflow_connection()
    config = ConnectionConfig.from_connection_fields(
        login=conn["login"], password=conn["password"], host=conn["host"], extra=conn["extra"], environ={}
    )
    return ModelArtsSession(config)


def listed(emu: EmulatorServer, family: str) -> set[str]:
    """The ids the service lists now (a fresh session, outside the operator)."""
    project = emu.credentials.project_id
    plan = {
        "training": ops.list_training_jobs(project),
        "training_v1": ops.list_training_jobs_v1(project),
        "visualization": ops.list_visualization_jobs(project),
    }[family]
    with closing(session_of(emu)) as session:
        return {job.snapshot().job_id for job in session.run(plan)}


def answered(emu: EmulatorServer, route: str) -> int:
    return sum(emu.stats()["responses"].get(route, {}).values())


def after_answers(
    emu: EmulatorServer, route: str, count: int, action: Callable[[], None]
) -> threading.Thread:
    """Run ``action`` as soon as the emulator has answered ``route`` ``count`` times (within 10 s)."""

    def watch() -> None:
        for _ in range(1000):
            if answered(emu, route) >= count:
                action()
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread
