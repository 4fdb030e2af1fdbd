"""Shared pieces of the reliability suite: a task-instance stand-in, the emulator's truth, jobs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.store import Stage, Visibility

# Generous in attempts, short in delays: faults inside this budget must never surface.
FAST = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.1, total_timeout=30)
MUTATING_ROUTES = (
    "v2.delete", "v2.terminate", "v2.batch_delete", "v2.create", "v1.delete", "v1.create",
    "v1.version_create", "v1.version_delete", "v1.version_stop", "vis.create", "vis.delete",
    "vis.stop", "res.delete",
)  # fmt: skip


class RecordingTI:
    """Stands in for a task instance: records what an operator pushes to XCom."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, Any]] = []

    def xcom_push(self, key: str, value: Any, **_: Any) -> None:
        self.pushed.append((key, value))

    def xcom_pull(self, *, key: str, **_: Any) -> Any:
        return next((value for pushed, value in reversed(self.pushed) if pushed == key), None)


def task_context() -> dict[str, Any]:
    return {"ti": RecordingTI()}


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    TOKENS.clear()
    yield
    TOKENS.clear()


@dataclass(frozen=True)
class Target:
    """One job to tear down: family, ids, the action and the goal the wait is for."""

    family: str
    job_id: str
    action: str
    goal: str
    version_id: str | None = None


def seed_running(emu: EmulatorServer, family: str, count: int = 1) -> list[str]:
    """Jobs already running, until stopped (RES jobs get the 'ranking' type: no offline platform needed)."""
    extra: dict[str, Any] = {"type": "ranking"} if family == "res" else {}
    return emu.seed(family, count, age_seconds=5, emulator={"run_seconds": None}, **extra)


def first_version(emu: EmulatorServer, job_id: str) -> str:
    with emu.store.locked():
        return str(emu.store.v1[int(job_id)].versions[0].id)


def truth(emu: EmulatorServer, family: str, job_id: str, version_id: str | None = None) -> str:
    """The job as the emulator's store holds it now: ``gone``, ``stopped`` or ``active``."""
    store = emu.store
    with store.locked() as now:
        if family == "training_v1":
            job = store.v1_visible(int(job_id), now)
            if job is None:
                return "gone"
            if version_id is None:
                lives = [v.life for v in store.v1_versions(job, now)]
            else:
                version = next((v for v in job.versions if v.id == int(version_id)), None)
                if version is None or store.v1_version_state(job, version, now) is Visibility.GONE:
                    return "gone"
                lives = [version.life]
            run_default = store.config.run_seconds
        else:
            found: Any = {
                "training": lambda: store.v2_visible(job_id, now),
                "visualization": lambda: store.vis_visible(int(job_id), now),
                "res": lambda: store.res_visible(job_id, now),
            }[family]()
            if found is None:
                return "gone"
            lives = [found.life]
            run_default = (
                store.config.visualization_run_seconds
                if family == "visualization"
                else store.config.run_seconds
            )
        stages = {store.stage(life, now, run_default) for life in lives}
        return "stopped" if stages <= {Stage.STOPPED, Stage.DONE} else "active"


def mutating_requests(emu: EmulatorServer) -> dict[str, int]:
    requests = emu.stats()["requests"]
    return {route: requests.get(route, 0) for route in MUTATING_ROUTES}


async def request_teardown(hook: Any, target: Target) -> None:
    """Send the target's teardown request through the hook's async methods."""
    family, job, action, version = target.family, target.job_id, target.action, target.version_id
    if family == "training":
        if action == "delete":
            await hook.adelete_training_job(job)
        else:
            await hook.aterminate_training_job(job)
    elif family == "training_v1":
        if version is None:
            await hook.adelete_training_job_v1(job)
        elif action == "stop":
            await hook.astop_training_job_version(job, version)
        else:
            await hook.adelete_training_job_version(job, version)
    elif family == "visualization":
        if action == "delete":
            await hook.adelete_visualization_job(job)
        else:
            await hook.astop_visualization_job(job)
    else:
        await hook.adelete_res_job(job, "ranking")


KINDS = (
    ("training", "delete", "deleted"),
    ("training", "terminate", "stopped"),
    ("training_v1", "delete", "deleted"),
    ("training_v1", "stop_version", "stopped"),
    ("training_v1", "delete_version", "deleted"),
    ("visualization", "delete", "deleted"),
    ("visualization", "stop", "stopped"),
    ("res", "delete", "deleted"),
)


def make_targets(emu: EmulatorServer, family: str, action: str, goal: str, count: int) -> list[Target]:
    targets = []
    for job in seed_running(emu, family, count):
        version = first_version(emu, job) if action.endswith("_version") else None
        targets.append(Target(family, job, action.removesuffix("_version"), goal, version))
    return targets
