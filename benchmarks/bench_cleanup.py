"""Housekeeping at scale: ``ModelArtsCleanupJobsOperator`` on 10,000 v2 jobs and on 2,000 v1 jobs.

The emulator runs in its own process with every job seeded as an old, finished job, and deleted
jobs stay visible for less than the poll interval. The operator lists, selects, deletes (v2 in
batches of 100, v1 one by one) and waits until every job is confirmed gone; the figures are its
wall time and the API calls the emulator counted. Afterwards the emulator's own list must be empty.

Its targets are counts (API calls, jobs confirmed gone, jobs still listed), which do not depend on
the machine's speed. The wall and CPU times are printed without a target, for the record: the wall
time mixes this process's CPU, the emulator's (another process on the same cores) and fixed waits
(the poll interval, the emulator's deletion delay), so no one floor measured here would make it a
fair ratio; what the operator must not do at scale (a call per job where one per page or batch
will do) shows in the call count.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from typing import Any

import httpx

from benchmarks._common import EmulatorProcess, Report, delta, prepare_airflow_home, use_connection

NAME = "cleanup"
POLL_INTERVAL = 1.0
DELETE_VISIBLE_SECONDS = 0.5  # shorter than the poll interval
AGE_SECONDS = 40 * 86_400  # older than the 30 days the operator is told to keep
OLD_FINISHED = {"outcome": "completed", "run_seconds": 60}


class _TaskInstance:
    """The pieces of an Airflow task instance the operator touches outside a real run: its XCom."""

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value

    def xcom_pull(self, *, task_ids: str, key: str, map_indexes: int | None = None) -> Any:
        return self.xcom.get(key)


def _remaining(emu: EmulatorProcess, family: str) -> int:
    """Jobs the emulator still lists (signed requests of the service's own API)."""
    from airflow_provider_modelarts.auth.aksk import AkSkAuth

    conn = emu.connection
    project = conn["extra"]["project_id"]
    with httpx.Client(base_url=emu.url, auth=AkSkAuth(conn["login"], conn["password"]), timeout=30) as client:
        if family == "training":
            answer = client.post(f"/v2/{project}/training-job-searches", json={"limit": 1, "offset": 0})
            answer.raise_for_status()
            return int(answer.json()["count"])
        answer = client.get(f"/v1/{project}/training-jobs", params={"per_page": 1, "page": 1})
        answer.raise_for_status()
        return int(answer.json()["job_total_count"])


def _clean(emu: EmulatorProcess, family: str, count: int, conn_id: str) -> dict[str, Any]:
    from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator

    emu.reset()
    emu.seed(family, count, name="nightly", age_seconds=AGE_SECONDS, emulator=OLD_FINISHED)
    operator = ModelArtsCleanupJobsOperator(
        task_id=f"cleanup_{family}",
        job_family=family,
        older_than=timedelta(days=30),
        max_deletes=count,
        deferrable=False,
        wait_for_completion=True,
        poll_interval=POLL_INTERVAL,
        timeout=300,
        modelarts_conn_id=conn_id,
    )
    before = emu.requests()
    started, cpu = time.perf_counter(), time.process_time()
    result = operator.execute({"ti": _TaskInstance()})
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    calls = delta(emu.requests(), before)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "calls": calls,
        "total_calls": sum(calls.values()),
        "deleted": len(result["deleted"]),
        "confirmed_gone": result["confirmed_gone"],
        "failed": len(result["failed"]),
        "still_listed": _remaining(emu, family),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_cleanup", description=__doc__.splitlines()[0])
    parser.add_argument("--v2-jobs", type=int, default=10_000, help="v2 jobs (100-20,000)")
    parser.add_argument("--v1-jobs", type=int, default=2_000, help="v1 jobs (100-5,000)")
    args = parser.parse_args(argv)
    v2_jobs = min(max(args.v2_jobs, 100), 20_000)
    v1_jobs = min(max(args.v1_jobs, 100), 5_000)
    prepare_airflow_home()
    report = Report(NAME)
    with EmulatorProcess("--delete-visible-seconds", str(DELETE_VISIBLE_SECONDS)) as emu:
        use_connection("bench_cleanup", emu.airflow_connection("aksk"))
        v2 = _clean(emu, "training", v2_jobs, "bench_cleanup")
        v1 = _clean(emu, "training_v1", v1_jobs, "bench_cleanup")
    report.exactly(f"v2: jobs confirmed gone (of {v2_jobs})", v2["confirmed_gone"], "jobs", v2_jobs)
    report.exactly("v2: jobs the service still lists", v2["still_listed"], "jobs", 0)
    report.add("v2: wall time", round(v2["wall_s"], 2), "s")
    report.add("v2: CPU time of this process", round(v2["cpu_s"], 2), "s")
    report.at_most("v2: API calls", v2["total_calls"], "calls", 500)
    report.exactly(f"v1: jobs confirmed gone (of {v1_jobs})", v1["confirmed_gone"], "jobs", v1_jobs)
    report.exactly("v1: jobs the service still lists", v1["still_listed"], "jobs", 0)
    report.add("v1: wall time", round(v1["wall_s"], 2), "s")
    report.add("v1: CPU time of this process", round(v1["cpu_s"], 2), "s")
    report.add("v1: API calls", v1["total_calls"], "calls")
    report.details = {
        "poll_interval_s": POLL_INTERVAL,
        "delete_visible_s": DELETE_VISIBLE_SECONDS,
        "v2": v2,
        "v1": v1,
    }
    return report.finish()


if __name__ == "__main__":
    raise SystemExit(main())
