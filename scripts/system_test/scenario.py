"""What one round of the system test puts in the emulator, and which tasks must then defer.

A round is one run of each example DAG on fresh jobs. The teardown run gets a list of running v2
training jobs for its one-task teardown, and, step by step, a v2 training job, a v1 job with a
running version, a visualization job and a RES job; the housekeeping run finds
old finished v2 and v1 jobs among recent, protected and running ones. Rounds cycle through four
kinds; the first two cover both auth modes, both speeds and both endings:

- *slow* rounds: stops and deletes take ``settle`` seconds, longer than the tasks' deferral grace,
  so every wait on them must go to the triggerer; *fast* rounds: they take ``fast_settle``
  seconds, the quick stops and deletes whose triggers, fired right after a deferral, used to lose
  a race in Airflow's scheduler (the tasks may now finish them on the worker instead);
- the training job either finishes by itself, but only once the wait for it has deferred (the
  emulator's default run time is "until stopped" and is cut to zero for a moment), or overruns the
  wait's timeout, the sensor is skipped (``soft_fail``) and the terminate task stops it;
- odd rounds are slow and sign with temporary AK/SK credentials, even rounds are fast and use IAM
  token auth; rounds 2 and 3 of every four overrun.
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

# Deferrable tasks that must defer in slow rounds: each requests a stop or a delete that takes the
# emulator's settle time and then waits on it (or waits on a job that is still running). Not so
# confirm_training_job_gone: the delete it waits on is another task's, so how much of the settle
# time is left when it starts depends on the scheduler; it may see the job gone within its grace.
MUST_DEFER = {
    TEARDOWN: {
        WAIT,
        "tear_down_training_jobs",
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
    fast: bool  # stops and deletes take less than the deferral grace
    overrun: bool  # the training job runs until stopped
    auth: str  # "temporary" (AK/SK with a security token) or "token" (IAM user and password)
    teardown_conf: dict[str, Any] = field(default_factory=dict)
    gone: dict[str, list[str]] = field(default_factory=dict)  # family -> ids that must be gone
    kept: dict[str, list[str]] = field(default_factory=dict)  # family -> ids that must remain

    @property
    def label(self) -> str:
        speed = "fast" if self.fast else "slow"
        ending = "overrun" if self.overrun else "finish"
        return f"{speed}/{ending}/{'IAM' if self.auth == 'token' else 'AK/SK'}"

    def must_defer(self, dag_id: str) -> set[str]:
        """Task ids of this round's run of ``dag_id`` that must have deferred (the wait for training
        always does: its job only ends after that, or never)."""
        if self.fast:
            return {WAIT} if dag_id == TEARDOWN else set()
        extra = {TERMINATE} if dag_id == TEARDOWN and self.overrun else set()
        return MUST_DEFER[dag_id] | extra

    def wrong_states(self, dag_id: str, states: dict[str, str]) -> list[str]:
        """Tasks that ended otherwise than this round's story says (failures are counted apart)."""
        if dag_id != TEARDOWN:
            return []
        expected = "skipped" if self.overrun else "success"
        return [] if states.get(WAIT) == expected else [f"{WAIT} ended {states.get(WAIT)}, not {expected}"]


def _configure(server: EmulatorServer, **settings: float | None) -> None:
    """Change emulator durations through its control API (they apply to existing jobs too)."""
    httpx.post(f"{server.url}/_emulator/config", json=settings, timeout=10).raise_for_status()


def finish_training(server: EmulatorServer) -> None:
    """Let this round's training job complete now (it has no run time of its own)."""
    _configure(server, run_seconds=0)


def seed_round(server: EmulatorServer, index: int, settle: float, fast_settle: float) -> Round:
    """Fresh jobs for round ``index`` (from 1), of the kind that index has in the cycle of four."""
    fast, overrun, auth = index % 2 == 0, index % 4 in (2, 3), "token" if index % 2 == 0 else "temporary"
    took = fast_settle if fast else settle
    _configure(server, run_seconds=None, stop_seconds=took, delete_visible_seconds=took)
    hint: dict[str, Any] = {"emulator": {"run_seconds": None}} if overrun else {}
    [training] = server.seed("training", 1, name=f"round{index}-train", **hint)
    listed = server.seed("training", 3, name=f"round{index}-sweep", emulator={"run_seconds": None})
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
        fast=fast,
        overrun=overrun,
        auth=auth,
        teardown_conf={
            "job_ids": listed,
            "training_job_id": training,
            "v1_job_id": int(v1_job),
            "v1_version_id": int(v1_version),
            "visualization_job_id": int(visualization),
            "res_job_id": res,
        },
        gone={
            "training": [training, *listed, *old_v2],
            "training_v1": [v1_job, *old_v1],
            "visualization": [visualization],
            "res": [res],
        },
        kept={"training": kept_v2, "training_v1": kept_v1},
    )
