"""Event-driven teardown: when ModelArts training jobs finish, keep them a while, then delete them.

The DAG is scheduled on an asset watched by ``ModelArtsJobEventTrigger``: the triggerer lists the
project's v2 training jobs and fires an asset event per poll listing the jobs that reached a
terminal state (completed, failed, stopped) since the last one. Each run then

1. reads the jobs from its ``triggering_asset_events`` (a run may carry several events; a job
   reported twice counts once) and leaves out protected names;
2. keeps the jobs for ``retention_minutes`` after the latest of their end times (a deferrable
   wait: no worker slot is held);
3. reports what it would delete, and, unless ``dry_run`` is set, tears them down with
   ``ModelArtsTeardownJobOperator`` (idempotent: a job already gone counts as torn down, so an
   event delivered twice does no harm).

Run it with the emulator: ``./run emulator serve`` in one shell, the Airflow services in another;
every training job created in the emulator is deleted ``retention_minutes`` after it finishes.
Triggered by hand (``airflow dags trigger``), a run has no asset events and does nothing.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG, Asset, AssetWatcher, Param, task

from airflow_provider_modelarts.operators.modelarts import ModelArtsTeardownJobOperator
from airflow_provider_modelarts.triggers.events import (
    MIN_POLL_INTERVAL,
    ModelArtsJobEventTrigger,
    job_ids_from_events,
)

POLL_INTERVAL = float(os.environ.get("MODELARTS_EXAMPLE_POLL_INTERVAL", "30"))
WATCH_INTERVAL = max(MIN_POLL_INTERVAL, float(os.environ.get("MODELARTS_EXAMPLE_WATCH_INTERVAL", "60")))
RETENTION_MINUTES = int(os.environ.get("MODELARTS_EXAMPLE_RETENTION_MINUTES", "60"))
NAME_PATTERNS = [p for p in os.environ.get("MODELARTS_EXAMPLE_WATCH_NAMES", "").split(",") if p]

# [START howto_modelarts_job_event_asset]
finished_training_jobs = Asset(
    name="modelarts_training_jobs_finished",
    watchers=[
        AssetWatcher(
            name="modelarts_training_jobs_finished_watcher",
            trigger=ModelArtsJobEventTrigger(
                job_family="training",
                report=["terminal"],  # or "finished", "failed", "stopped"
                name_patterns=NAME_PATTERNS,  # e.g. ["exp-*"]; empty: every job
                look_back=timedelta(hours=1),  # also jobs that ended up to an hour before it started
                poll_interval=WATCH_INTERVAL,
                batch=True,  # one event per poll: jobs that finish together go in one run
            ),
        )
    ],
)
# [END howto_modelarts_job_event_asset]

with DAG(
    dag_id="example_modelarts_event_teardown",
    description="Delete ModelArts training jobs a retention period after they finish",
    schedule=[finished_training_jobs],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["modelarts", "teardown", "event-driven", "example"],
    params={
        "retention_minutes": Param(
            RETENTION_MINUTES, type="integer", minimum=0, description="keep a finished job this long"
        ),
        "dry_run": Param(False, type="boolean", description="only report what would be deleted"),
        "protected_names": Param(
            ["prod-*", "baseline-*"], type="array", description="name patterns never to delete"
        ),
    },
) as dag:

    @task(multiple_outputs=True)
    def finished_jobs(**context) -> dict:
        """The finished jobs this run was triggered by, and when their retention ends."""
        params = context["params"]
        triggering = context["triggering_asset_events"]
        events = [event for asset in triggering for event in triggering[asset]]
        chosen = job_ids_from_events(
            events, job_family="training", protected_names=params["protected_names"]
        ).get("training", [])
        ends = [datetime.fromisoformat(job["end_time"]) for job in chosen if job.get("end_time")]
        latest = max(ends, default=datetime.now(UTC))
        keep_until = latest + timedelta(minutes=params["retention_minutes"])
        return {"job_ids": [job["job_id"] for job in chosen], "keep_until": keep_until.isoformat()}

    jobs = finished_jobs()

    # [START howto_modelarts_event_retention]
    retention = DateTimeSensorAsync(
        task_id="keep_for_retention",
        target_time="{{ ti.xcom_pull(task_ids='finished_jobs', key='keep_until') }}",
    )
    # [END howto_modelarts_event_retention]

    @task.short_circuit
    def report(job_ids: list[str], **context) -> bool:
        """Say what happens to the jobs; go on to the teardown only if there is one to do."""
        dry_run = context["params"]["dry_run"]
        verb = "would delete (dry run)" if dry_run else "deleting"
        print(f"{verb} {len(job_ids)} finished training job(s): {', '.join(job_ids) or 'none'}")
        return bool(job_ids) and not dry_run

    tear_down = ModelArtsTeardownJobOperator(
        task_id="tear_down_finished_jobs",
        job_family="training",
        job_ids=jobs["job_ids"],
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )

    jobs >> retention >> report(jobs["job_ids"]) >> tear_down
