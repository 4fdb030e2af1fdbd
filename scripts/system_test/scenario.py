"""What one round of the system test puts in the emulator, and which tasks must then defer.

A round is one run of each example DAG on fresh jobs. The teardown run gets a v2 training job,
a v1 job with a running version, a visualization job and a RES job. In odd rounds the training
job finishes by itself, but only once the wait for it has deferred (the emulator's default run
time is "until stopped" and is cut to zero for a moment), so scheduling delays cannot make the
wait find it finished; in even rounds it overruns the wait's timeout, the sensor is skipped
(``soft_fail``) and the terminate task stops it. The housekeeping run finds old finished v2 and
v1 jobs among recent, protected and running ones. Stops and deletes take ``settle`` seconds in
the emulator, so every wait on them has to go to the triggerer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_modelarts.emulator import EmulatorServer

TEARDOWN = "example_modelarts_teardown"
HOUSEKEEPING = "example_modelarts_housekeeping"
DAGS = (TEARDOWN, HOUSEKEEPING)
WAIT, TERMINATE = "wait_for_training_to_finish", "terminate_training_job"
DAY = 24 * 3600.0
OLD = 40 * DAY

# Deferrable tasks that must defer in every round: each waits on a stop or a delete that takes
# the emulator's settle time, or on a job that is still running.
MUST_DEFER = {
    TEARDOWN: {
        WAIT,
        "confirm_training_job_gone",
        "stop_v1_version",
        "delete_v1_training_job",
        "stop_visualization_job",
        "delete_visualization_job",
        "delete_res_job",
    },
    HOUSEKEEPING: {"clean_up_old_v2_jobs", "delete_old_v1_jobs"},
}


@dataclass
class Round:
    index: int
    overrun: bool  # the training job runs until stopped
    auth: str  # "temporary" (AK/SK with a security token) or "token" (IAM user and password)
    teardown_conf: dict[str, Any] = field(default_factory=dict)
    gone: dict[str, list[str]] = field(default_factory=dict)  # family -> ids that must be gone
    kept: dict[str, list[str]] = field(default_factory=dict)  # family -> ids that must remain

    def must_defer(self, dag_id: str) -> set[str]:
        """Task ids of this round's run of ``dag_id`` that must have deferred."""
        extra = {TERMINATE} if dag_id == TEARDOWN and self.overrun else set()
        return MUST_DEFER[dag_id] | extra

    def wrong_states(self, dag_id: str, states: dict[str, str]) -> list[str]:
        """Tasks that ended otherwise than this round's story says (failures are counted apart)."""
        if dag_id != TEARDOWN:
            return []
        expected = "skipped" if self.overrun else "success"
        return [] if states.get(WAIT) == expected else [f"{WAIT} ended {states.get(WAIT)}, not {expected}"]


def _run_seconds(server: EmulatorServer, seconds: float | None) -> None:
    """Set the emulator's default run time (jobs without their own) through its control API."""
    httpx.post(f"{server.url}/_emulator/config", json={"run_seconds": seconds}, timeout=10).raise_for_status()


def finish_training(server: EmulatorServer) -> None:
    """Let this round's training job complete now (it has no run time of its own)."""
    _run_seconds(server, 0)


def seed_round(server: EmulatorServer, index: int) -> Round:
    """Fresh jobs for round ``index`` (from 1); odd rounds finish and sign, even ones overrun and use IAM."""
    overrun = index % 2 == 0
    auth = "token" if overrun else "temporary"
    _run_seconds(server, None)
    hint: dict[str, Any] = {"emulator": {"run_seconds": None}} if overrun else {}
    [training] = server.seed("training", 1, name=f"round{index}-train", **hint)
    [v1_job] = server.seed("training_v1", name=f"round{index}-legacy", status="RUNNING")
    v1_version = str(server.store.v1[int(v1_job)].versions[0].id)
    [visualization] = server.seed("visualization", name=f"round{index}-board", status="RUNNING")
    [res] = server.seed("res", name=f"round{index}-etl", type="etl", status="RUNNING")
    old_v2 = server.seed("training", 6, name=f"nightly-r{index}", status="Completed", age_seconds=OLD)
    old_v2 += server.seed("training", 2, name=f"nightly-failed-r{index}", status="Failed", age_seconds=OLD)
    old_v1 = server.seed("training_v1", 3, name=f"legacy-sweep-r{index}", status=10, age_seconds=OLD)
    kept_v2 = server.seed("training", 2, name=f"fresh-r{index}", status="Completed", age_seconds=DAY)
    kept_v2 += server.seed("training", name=f"baseline-r{index}", status="Completed", age_seconds=OLD)
    kept_v2 += server.seed("training", name=f"long-running-r{index}", status="Running", age_seconds=OLD)
    kept_v1 = server.seed("training_v1", name=f"legacy-fresh-r{index}", status=10, age_seconds=DAY)
    return Round(
        index=index,
        overrun=overrun,
        auth=auth,
        teardown_conf={
            "training_job_id": training,
            "v1_job_id": int(v1_job),
            "v1_version_id": int(v1_version),
            "visualization_job_id": int(visualization),
            "res_job_id": res,
        },
        gone={
            "training": [training, *old_v2],
            "training_v1": [v1_job, *old_v1],
            "visualization": [visualization],
            "res": [res],
        },
        kept={"training": kept_v2, "training_v1": kept_v1},
    )
