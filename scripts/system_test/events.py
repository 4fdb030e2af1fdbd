"""The event-driven round: the asset watcher reports jobs as they finish, the example DAG tears
them down, and a triggerer restart in the middle loses no job and floods nothing.

The event example (``example_modelarts_event_teardown``) watches only jobs named ``event-*`` in
the system test (see ``environment``), polls every 5 s and keeps finished jobs for no time. The
round:

1. unpauses it and waits until its watcher has polled once;
2. creates jobs that finish a few seconds later, and waits until every one is gone;
3. stops the triggerer, creates more such jobs (they finish while no triggerer watches), starts a
   triggerer again, and waits until those are gone too;
4. checks that each job got at least one asset event, that no job got more than two (at least
   once: a job of the last poll before the stop may be reported again), that no other job got
   one, and that every run of the DAG succeeded.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from airflow_provider_modelarts.triggers.events import job_ids_from_events
from scripts.system_test.api import AirflowApi
from scripts.system_test.results import Results
from scripts.system_test.services import Components, wait_until

EVENT_DAG = "example_modelarts_event_teardown"
ASSET = "modelarts_training_jobs_finished"
JOBS_PER_PHASE = 3
RUN_SECONDS = 4.0  # the jobs finish this long after they are created
WATCH_INTERVAL = 5.0  # as the system test's environment sets it


def _gone(emulator: Any, job_ids: list[str]) -> bool:
    with emulator.store.lock:
        now = emulator.store.now()
        return all(emulator.store.v2_visible(job, now) is None for job in job_ids)


def _seed(emulator: Any, phase: str) -> list[str]:
    return list(
        emulator.seed(
            "training", JOBS_PER_PHASE, name=f"event-{phase}", emulator={"run_seconds": RUN_SECONDS}
        )
    )


def event_round(
    api: AirflowApi, emulator: Any, components: Components, results: Results, deadline: float
) -> None:
    wait_until("the event example parsed", lambda: api.has_dag(EVENT_DAG), 180, step=1.0)
    searches_before = int(emulator.stats()["requests"].get("v2.search", 0))
    api.unpause(EVENT_DAG)

    def polled() -> bool:
        return int(emulator.stats()["requests"].get("v2.search", 0)) > searches_before

    with_watcher = wait_until("the watcher's first poll", polled, 120, step=1.0)
    results.figure("event round: unpaused to the watcher's first poll", with_watcher)
    watched_from, searches_from = time.monotonic(), int(emulator.stats()["requests"].get("v2.search", 0))

    before = _seed(emulator, "before")
    took = wait_until("jobs reported and torn down", lambda: _gone(emulator, before), 300, step=1.0)
    results.figure("event round: job finished to torn down (3 jobs), wall", took)

    left = components.stop_one("triggerer")
    results.expect(f"the stopped triggerer left no process {left or ''}".strip(), not left)
    during = _seed(emulator, "during")
    time.sleep(RUN_SECONDS + 2 * WATCH_INTERVAL)  # they finish while no triggerer watches
    components.start("triggerer-restarted", "triggerer", "--skip-serve-logs")
    took = wait_until(
        "jobs finished during the restart torn down",
        lambda: _gone(emulator, during),
        min(300.0, max(60.0, deadline - time.monotonic())),
        step=1.0,
    )
    results.figure("event round: triggerer back to the outage's jobs torn down, wall", took)
    time.sleep(2 * WATCH_INTERVAL)  # a flood, if any, would come within a poll or two
    intervals = (time.monotonic() - watched_from) / WATCH_INTERVAL
    searches = int(emulator.stats()["requests"].get("v2.search", 0)) - searches_from
    results.figure(
        "event round: v2 searches per watch interval (the watcher's and the teardowns')",
        f"{searches / max(intervals, 1.0):.2f} ({searches} in {intervals:.0f} intervals)",
    )

    events = api.asset_events(ASSET)
    reported: Counter[str] = Counter()  # job id -> the events that named it
    for event in events:
        for jobs in job_ids_from_events([event.get("extra") or {}]).values():
            reported.update(str(job["job_id"]) for job in jobs)
    ours = set(before + during)
    missing = sorted(ours - set(reported))
    strangers = sorted(set(reported) - ours)
    repeated = {job: count for job, count in reported.items() if count > 2}
    results.expect(f"every finished job was reported {missing or ''}".strip(), not missing)
    results.expect(f"no other job was reported {strangers or ''}".strip(), not strangers)
    results.expect(f"no job was reported more than twice {repeated or ''}".strip(), not repeated)
    results.figure("event round: asset events / jobs", f"{len(events)} / {len(ours)}")
    runs = api.runs(EVENT_DAG)
    states = api.wait_for_runs(EVENT_DAG, [run["dag_run_id"] for run in runs], 180)
    bad = {run: state for run, state in states.items() if state != "success"}
    results.expect(f"every event-driven run succeeded ({len(states)} runs) {bad or ''}".strip(), not bad)
