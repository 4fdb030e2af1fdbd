"""Post-training teardown: stop what still runs, delete, confirm it is gone.

Two forms side by side:

* one task: ``ModelArtsTeardownJobOperator`` stops a job if it runs, waits, deletes it and waits
  until it is gone; with ``job_ids`` it does that for many jobs of one family in one task;
* step by step: a stopped-sensor, a terminate (or stop) operator, a delete operator and a
  deleted-sensor, when the steps need their own retries, trigger rules or neighbours.

Trigger it with the ids of the jobs to tear down, for example::

    airflow dags trigger example_modelarts_teardown --conf '{"job_ids": ["3faf5c03-..."]}'

Each branch runs only for the ids it is given; the waits are deferrable, so no worker slot is
held while ModelArts stops and deletes the jobs.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, Param, task

from airflow_provider_modelarts.operators.modelarts import (
    ModelArtsDeleteResJobOperator,
    ModelArtsDeleteTrainingJobOperator,
    ModelArtsDeleteTrainingJobV1Operator,
    ModelArtsDeleteVisualizationJobOperator,
    ModelArtsStopTrainingJobVersionOperator,
    ModelArtsStopVisualizationJobOperator,
    ModelArtsTeardownJobOperator,
    ModelArtsTerminateTrainingJobOperator,
)
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor

POLL_INTERVAL = float(os.environ.get("MODELARTS_EXAMPLE_POLL_INTERVAL", "30"))
RETRIES = int(os.environ.get("MODELARTS_EXAMPLE_RETRIES", "2"))
TRAINING_TIMEOUT = float(os.environ.get("MODELARTS_EXAMPLE_TRAINING_TIMEOUT", str(6 * 3600)))

with DAG(
    dag_id="example_modelarts_teardown",
    description="Stop and delete the ModelArts jobs of a finished (or cancelled) training pipeline",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["modelarts", "teardown", "example"],
    render_template_as_native_obj=True,  # "{{ params.job_ids }}" renders to a list
    default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=30)},
    params={
        "job_ids": Param([], type="array", description="v2 training jobs to tear down in one task"),
        "training_job_id": Param(None, type=["null", "string"], description="v2 training job id"),
        "v1_job_id": Param(None, type=["null", "integer"], description="v1 training job id"),
        "v1_version_id": Param(
            None, type=["null", "integer"], description="its running version (with v1_job_id)"
        ),
        "visualization_job_id": Param(None, type=["null", "integer"], description="visualization job id"),
        "res_job_id": Param(None, type=["null", "string"], description="RES job id"),
        "res_job_type": Param("etl", type="string"),
        "res_dli_cluster": Param("res_one", type="string"),
    },
) as dag:

    @task.short_circuit
    def given(name: str, **context) -> bool:
        """Run a branch only when its id was passed in the DAG run's conf."""
        return context["params"].get(name) is not None

    @task.short_circuit
    def any_given(name: str, **context) -> bool:
        """Run a branch only when its list of ids is not empty."""
        return bool(context["params"].get(name))

    # [START howto_modelarts_teardown_job]
    teardown_all = ModelArtsTeardownJobOperator(
        task_id="tear_down_training_jobs",
        job_family="training",
        job_ids="{{ params.job_ids }}",  # or job_id=... for one job, or an XComArg
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    any_given.override(task_id="has_job_ids")("job_ids") >> teardown_all
    # [END howto_modelarts_teardown_job]

    # [START howto_modelarts_v2_teardown]
    wait_for_training = ModelArtsJobStoppedSensor(
        task_id="wait_for_training_to_finish",
        job_family="training",
        job_id="{{ params.training_job_id }}",
        poke_interval=POLL_INTERVAL,
        timeout=TRAINING_TIMEOUT,
        soft_fail=True,  # if training overruns, fall through and terminate it
        deferrable=True,
    )
    terminate = ModelArtsTerminateTrainingJobOperator(
        task_id="terminate_training_job",
        job_id="{{ params.training_job_id }}",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
        trigger_rule="none_failed",
    )
    delete = ModelArtsDeleteTrainingJobOperator(
        task_id="delete_training_job",
        job_id="{{ params.training_job_id }}",
        wait_for_completion=False,
    )
    confirm_gone = ModelArtsJobDeletedSensor(
        task_id="confirm_training_job_gone",
        job_family="training",
        job_id="{{ params.training_job_id }}",
        poke_interval=POLL_INTERVAL,
        timeout=3600,
        deferrable=True,
    )
    given.override(task_id="has_training_job")("training_job_id") >> wait_for_training >> terminate
    terminate >> delete >> confirm_gone
    # [END howto_modelarts_v2_teardown]

    # [START howto_modelarts_v1_teardown]
    stop_version = ModelArtsStopTrainingJobVersionOperator(
        task_id="stop_v1_version",
        job_id="{{ params.v1_job_id }}",
        version_id="{{ params.v1_version_id }}",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    delete_v1 = ModelArtsDeleteTrainingJobV1Operator(
        task_id="delete_v1_training_job",
        job_id="{{ params.v1_job_id }}",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    given.override(task_id="has_v1_job")("v1_job_id") >> stop_version >> delete_v1
    # [END howto_modelarts_v1_teardown]

    # [START howto_modelarts_visualization_teardown]
    stop_visualization = ModelArtsStopVisualizationJobOperator(
        task_id="stop_visualization_job",
        job_id="{{ params.visualization_job_id }}",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    delete_visualization = ModelArtsDeleteVisualizationJobOperator(
        task_id="delete_visualization_job",
        job_id="{{ params.visualization_job_id }}",
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    given.override(task_id="has_visualization_job")("visualization_job_id") >> stop_visualization
    stop_visualization >> delete_visualization
    # [END howto_modelarts_visualization_teardown]

    # [START howto_res_del_job]
    delete_res = ModelArtsDeleteResJobOperator(
        task_id="delete_res_job",
        job_id="{{ params.res_job_id }}",
        job_type="{{ params.res_job_type }}",
        offline_platform={
            "platform": "DLI",
            "platform_parameter": {"cluster_name": "{{ params.res_dli_cluster }}"},
        },
        poll_interval=POLL_INTERVAL,
        deferrable=True,
    )
    given.override(task_id="has_res_job")("res_job_id") >> delete_res
    # [END howto_res_del_job]


if __name__ == "__main__":
    dag.test()
