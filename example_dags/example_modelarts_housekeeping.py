"""Nightly housekeeping: delete old, finished ModelArts training jobs and wait until they are gone.

Finds v2 and v1 training jobs older than a cut-off in a terminal state, then deletes each with
dynamic task mapping. The deletes defer while ModelArts removes the jobs, so a sweep of hundreds
of jobs holds no worker slots.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, task

from airflow_provider_modelarts.api.statuses import V1Status, V2Phase
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.operators.modelarts import (
    ModelArtsDeleteTrainingJobOperator,
    ModelArtsDeleteTrainingJobV1Operator,
)

POLL_INTERVAL = float(os.environ.get("MODELARTS_EXAMPLE_POLL_INTERVAL", "30"))
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
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "older_than_hours": Param(24 * 30, type="number", minimum=0),
        "max_jobs": Param(500, type="integer", minimum=1, description="safety cap per run and family"),
    },
) as dag:

    @task
    def find_old_v2_jobs(params: dict) -> list[str]:
        cutoff_ms = int((time.time() - params["older_than_hours"] * 3600) * 1000)
        jobs = ModelArtsHook().list_training_jobs(
            phases=[p.value for p in FINISHED_V2], created_before_ms=cutoff_ms
        )
        ids = [job.id for job in jobs][: params["max_jobs"]]
        print(f"{len(jobs)} finished v2 training job(s) older than the cut-off; deleting {len(ids)}")
        return ids

    @task
    def find_old_v1_jobs(params: dict) -> list[str]:
        cutoff_ms = int((time.time() - params["older_than_hours"] * 3600) * 1000)
        jobs = [
            job
            for job in ModelArtsHook().list_training_jobs_v1()
            if job.status in FINISHED_V1 and (job.create_time or 0) < cutoff_ms
        ]
        ids = [job.job_id for job in jobs][: params["max_jobs"]]
        print(f"{len(jobs)} finished v1 training job(s) older than the cut-off; deleting {len(ids)}")
        return ids

    # [START howto_modelarts_housekeeping_mapped_delete]
    ModelArtsDeleteTrainingJobOperator.partial(
        task_id="delete_old_v2_jobs",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
        max_active_tis_per_dag=16,
    ).expand(training_job_id=find_old_v2_jobs())
    # [END howto_modelarts_housekeeping_mapped_delete]

    ModelArtsDeleteTrainingJobV1Operator.partial(
        task_id="delete_old_v1_jobs",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
        max_active_tis_per_dag=16,
    ).expand(job_id=find_old_v1_jobs())


if __name__ == "__main__":
    dag.test()
