"""The scale test's DAG: N mapped teardown tasks of one running job each, and one task tearing down
M jobs with ``job_ids``, all deferrable and without retries.

The job ids come from the JSON file named by ``MODELARTS_SCALE_PLAN`` (written by ``./run
scale-test`` before Airflow starts): ``{"single": [...], "many": [...], "poll_interval": s}``.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG

from airflow_provider_modelarts.operators.modelarts import ModelArtsTeardownJobOperator

DAG_ID = "modelarts_scale_teardown"
_plan_file = os.environ.get("MODELARTS_SCALE_PLAN")
PLAN: dict[str, Any] = (
    json.loads(Path(_plan_file).read_text())
    if _plan_file
    else {"single": [], "many": [], "poll_interval": 30}
)
SINGLE: list[str] = PLAN["single"]
MANY: list[str] = PLAN["many"]

with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_tasks=len(SINGLE) + 8,  # deferred tasks count as active
    tags=["modelarts", "scale-test"],
) as dag:
    common: dict[str, Any] = {
        "job_family": "training",
        "poll_interval": float(PLAN["poll_interval"]),
        "deferrable": True,
        "retries": 0,
    }
    if SINGLE:
        ModelArtsTeardownJobOperator.partial(task_id="tear_down_one", **common).expand(job_id=SINGLE)
    if MANY:
        ModelArtsTeardownJobOperator(task_id="tear_down_many", job_ids=MANY, **common)
