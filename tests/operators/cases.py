"""One seeded job per operator, and what the emulator says about it afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_provider_modelarts.api.statuses import JobFamily, ResStatus, V1Status, V2Phase
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.store import Visibility
from airflow_provider_modelarts.operators import modelarts as ops
from tests.airflow_support import FAST

RES_PLATFORM = {"platform": "DLI", "platform_parameter": {"cluster_name": "res_one"}}


@dataclass(frozen=True)
class Target:
    family: JobFamily
    job_id: str
    version_id: str | None = None


def emulator_status(server: EmulatorServer, target: Target) -> str | None:
    """The job's (or version's) status as the emulator stores it; ``None`` once it is gone."""
    store = server.store
    with store.locked() as now:
        if target.family is JobFamily.TRAINING:
            job = store.v2_visible(target.job_id, now)
            return None if job is None else store.v2_phase(job, now).value
        if target.family is JobFamily.RES:
            res = store.res_visible(target.job_id, now)
            return None if res is None else store.res_status(res, now).value
        if target.family is JobFamily.VISUALIZATION:
            vis = store.vis_visible(int(target.job_id), now)
            if vis is None:
                return None
            state = store.visibility(vis.life.deleted_at, vis.life.hints.delete_fails, now)
            run = server.config.visualization_run_seconds
            return store.v1_status(vis.life, now, run, state).name
        v1 = store.v1_visible(int(target.job_id), now)
        if v1 is None:
            return None
        versions = store.v1_versions(v1, now)
        if target.version_id is not None:
            versions = [v for v in versions if v.id == int(target.version_id)]
        if not versions:
            return None
        version = versions[0]
        state = store.v1_version_state(v1, version, now)
        if state is Visibility.GONE:
            return None
        return store.v1_status(version.life, now, server.config.run_seconds, state).name


@dataclass(frozen=True)
class Case:
    """An operator, how to seed its job, the request it sends, and where it ends."""

    name: str
    family: JobFamily
    running: str  # a seed status that stays until stopped
    route: str  # the mutating request the operator sends
    stopped: str | None  # the final status of a stop operator; None for deletes
    build: Callable[[Target, dict[str, Any]], ops.ModelArtsBaseOperator]
    versions: int = 1
    with_version: bool = False

    @property
    def action(self) -> str:
        if self.name == "terminate_training":
            return "terminate"
        return "stop" if self.is_stop else "delete"

    @property
    def is_stop(self) -> bool:
        return self.stopped is not None

    def seed(self, server: EmulatorServer, **fields: Any) -> Target:
        extra: dict[str, Any] = {"status": self.running, **fields}
        if self.family is JobFamily.TRAINING_V1:
            extra.setdefault("versions", self.versions)
        (job_id,) = server.seed(self.family.value, **extra)
        version = None
        if self.with_version:
            version = str(server.store.v1[int(job_id)].versions[-1].id)
        return Target(self.family, job_id, version)

    def operator(self, target: Target, **kwargs: Any) -> ops.ModelArtsBaseOperator:
        kwargs.setdefault("task_id", f"{self.name}_task")
        kwargs.setdefault("poll_interval", FAST)
        return self.build(target, kwargs)


CASES = [
    Case(
        "delete_training",
        JobFamily.TRAINING,
        V2Phase.COMPLETED.value,
        "v2.delete",
        None,
        lambda t, kw: ops.ModelArtsDeleteTrainingJobOperator(job_id=t.job_id, **kw),
    ),
    Case(
        "terminate_training",
        JobFamily.TRAINING,
        V2Phase.RUNNING.value,
        "v2.terminate",
        V2Phase.TERMINATED.value,
        lambda t, kw: ops.ModelArtsTerminateTrainingJobOperator(job_id=t.job_id, **kw),
    ),
    Case(
        "delete_training_v1",
        JobFamily.TRAINING_V1,
        V1Status.COMPLETED.name,
        "v1.delete",
        None,
        lambda t, kw: ops.ModelArtsDeleteTrainingJobV1Operator(job_id=t.job_id, **kw),
        versions=2,
    ),
    Case(
        "stop_training_version",
        JobFamily.TRAINING_V1,
        V1Status.RUNNING.name,
        "v1.version_stop",
        V1Status.KILLED.name,
        lambda t, kw: ops.ModelArtsStopTrainingJobVersionOperator(
            job_id=t.job_id, version_id=t.version_id, **kw
        ),
        with_version=True,
    ),
    Case(
        "delete_training_version",
        JobFamily.TRAINING_V1,
        V1Status.COMPLETED.name,
        "v1.version_delete",
        None,
        lambda t, kw: ops.ModelArtsDeleteTrainingJobVersionOperator(
            job_id=t.job_id, version_id=t.version_id, **kw
        ),
        versions=2,
        with_version=True,
    ),
    Case(
        "delete_visualization",
        JobFamily.VISUALIZATION,
        V1Status.COMPLETED.name,
        "vis.delete",
        None,
        lambda t, kw: ops.ModelArtsDeleteVisualizationJobOperator(job_id=t.job_id, **kw),
    ),
    Case(
        "stop_visualization",
        JobFamily.VISUALIZATION,
        V1Status.RUNNING.name,
        "vis.stop",
        V1Status.KILLED.name,
        lambda t, kw: ops.ModelArtsStopVisualizationJobOperator(job_id=t.job_id, **kw),
    ),
    Case(
        "delete_res",
        JobFamily.RES,
        ResStatus.SUCCEEDED.value,
        "res.delete",
        None,
        lambda t, kw: ops.ModelArtsDeleteResJobOperator(
            job_id=t.job_id, job_type="etl", offline_platform=RES_PLATFORM, **kw
        ),
    ),
]
BY_NAME = {case.name: case for case in CASES}
STOP_CASES = [case for case in CASES if case.is_stop]
DELETE_CASES = [case for case in CASES if not case.is_stop]
