"""Nightly housekeeping: delete old, finished ModelArts training jobs and wait until they are gone.

Two styles side by side:

* v2 training jobs: ``ModelArtsCleanupJobsOperator`` selects finished jobs older than the cut-off,
  deletes them 100 per call, and defers until every one is confirmed gone.
* v1 training jobs: a task picks the old finished jobs, and one ``ModelArtsTeardownJobOperator``
  task with ``job_ids`` deletes them all (no task per job), checking each again right before its
  delete: a job that runs again is left alone and named in the report.

Neither holds a worker slot while ModelArts does the work.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, task

from airflow_provider_modelarts.api.statuses import V1Status, V2Phase
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.operators.modelarts import (
    ModelArtsCleanupJobsOperator,
    ModelArtsTeardownJobOperator,
)

POLL_INTERVAL = float(os.environ.get("MODELARTS_EXAMPLE_POLL_INTERVAL", "30"))
RETRIES = int(os.environ.get("MODELARTS_EXAMPLE_RETRIES", "2"))
FINISHED_V2 = [V2Phase.COMPLETED, V2Phase.FAILED, V2Phase.TERMINATED, V2Phase.ABNORMAL]
FINISHED_V1 = {V1Status.COMPLETED, V1Status.FAILED, V1Status.KILLED, V1Status.CANCELED}

with DAG(
    dag_id="example_modelarts_housekeeping",
    description="Delete finished ModelArts training jobs older than a cut-off",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["modelarts", "housekeeping", "example"],
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=1)},
    params={
        "older_than_hours": Param(24 * 30, type="number", minimum=0, description="v1 cut-off"),
        "max_jobs": Param(500, type="integer", minimum=1, description="safety cap for the v1 sweep"),
    },
) as dag:
    # [START howto_modelarts_cleanup_jobs]
    ModelArtsCleanupJobsOperator(
        task_id="clean_up_old_v2_jobs",
        job_family="training",
        older_than=timedelta(hours=24 * 30),
        statuses=[phase.value for phase in FINISHED_V2],
        protected_names=["baseline-*", "prod-*"],
        max_deletes=5000,
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    # [END howto_modelarts_cleanup_jobs]

    @task
    def find_old_v1_jobs(params: dict) -> list[str]:
        """Old jobs whose latest version finished (the list shows only that one; the teardown
        below checks every version again before it deletes a job)."""
        cutoff_ms = int((time.time() - params["older_than_hours"] * 3600) * 1000)
        jobs = [
            job
            for job in ModelArtsHook().list_training_jobs_v1()
            if job.status in FINISHED_V1 and (job.create_time or 0) < cutoff_ms
        ]
        ids = [job.job_id for job in jobs][: params["max_jobs"]]
        print(f"{len(jobs)} finished v1 training job(s) older than the cut-off; deleting {len(ids)}")
        return ids

    # [START howto_modelarts_housekeeping_list_delete]
    ModelArtsTeardownJobOperator(
        task_id="delete_old_v1_jobs",
        job_family="training_v1",
        job_ids=find_old_v1_jobs(),  # one task for the whole list
        stop_first=False,  # a job found running is left alone (and named in the report)
        fail_on_errors=False,  # housekeeping: report what was left, do not fail the run
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    # [END howto_modelarts_housekeeping_list_delete]


if __name__ == "__main__":
    dag.test()
