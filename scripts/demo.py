"""The main job, end to end: both example DAGs against the bundled emulator, on a fresh SQLite DB.

Starts the emulator, creates jobs through its public create endpoints (and old ones through the
seed API), runs ``airflow dags test`` for the teardown and the housekeeping DAG (deferrable tasks
run their triggers inline), then checks the emulator's own state and prints a summary.
Exit status 0 only if both DAG runs succeeded and every job ended where it should.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".airflow-demo"
BIN = Path(sys.executable).parent
DAY = 24 * 3600.0


def _airflow_env(connection: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(HOME),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_MODELARTS_DEFAULT": json.dumps(connection),
            "MODELARTS_EXAMPLE_POLL_INTERVAL": "1",
            "MODELARTS_EXAMPLE_RETRIES": "0",  # a failed try must fail the demo, not hide in a retry
            "MODELARTS_EXAMPLE_TRAINING_TIMEOUT": "30",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env


def _create(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    response.raise_for_status()
    return dict(response.json())


def _seed_teardown_jobs(server: Any) -> dict[str, Any]:
    """One job per family, created the way a user's pipeline would create them."""
    from airflow_provider_modelarts.auth.aksk import AkSkAuth

    c = server.config
    auth = AkSkAuth(c.access_key, c.secret_key)
    project = c.project_id
    with httpx.Client(
        base_url=server.url, auth=auth, headers={"X-Project-Id": project}, timeout=10
    ) as client:
        v2 = _create(
            client,
            f"/v2/{project}/training-jobs",
            {"kind": "job", "metadata": {"name": "demo-train-resnet"}, "emulator": {"run_seconds": 4}},
        )
        v1 = _create(
            client,
            f"/v1/{project}/training-jobs",
            {"job_name": "demo-legacy-train", "config": {}, "emulator": {"run_seconds": None}},
        )
        vis = _create(
            client,
            f"/v1/{project}/visualization-jobs",
            {"job_name": "demo-tensorboard", "config": {}},
        )
        pipeline = [
            _create(
                client,
                f"/v2/{project}/training-jobs",
                {
                    "kind": "job",
                    "metadata": {"name": f"demo-pipeline-{n}"},
                    "emulator": {"run_seconds": None},
                },
            )["metadata"]["id"]
            for n in range(3)
        ]
    [res] = server.seed("res", 1, name="demo-res-etl", type="etl", status="RUNNING")
    return {
        "job_ids": pipeline,
        "training_job_id": v2["metadata"]["id"],
        "v1_job_id": int(v1["job_id"]),
        "v1_version_id": int(v1["version_id"]),
        "visualization_job_id": int(vis["job_id"]),
        "res_job_id": res,
        "res_job_type": "etl",
    }


def _seed_housekeeping_jobs(server: Any) -> dict[str, list[str]]:
    old = 40 * DAY
    return {
        "old_v2": server.seed("training", 25, name="nightly-sweep", status="Completed", age_seconds=old)
        + server.seed("training", 5, name="nightly-failed", status="Failed", age_seconds=old),
        "keep_v2": server.seed("training", 3, name="fresh-run", status="Completed", age_seconds=DAY)
        + server.seed("training", 2, name="baseline-model", status="Completed", age_seconds=old)
        + server.seed("training", 1, name="long-running", status="Running", age_seconds=old),
        "old_v1": server.seed("training_v1", 3, name="legacy-sweep", status=10, age_seconds=old),
        "keep_v1": server.seed("training_v1", 1, name="legacy-fresh", status=10, age_seconds=DAY),
    }


def _run(args: list[str], env: dict[str, str], log: Path) -> tuple[int, float]:
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(  # noqa: S603 - our own venv's airflow with fixed arguments
            args, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=900, check=False, cwd=ROOT
        ).returncode
    return code, time.monotonic() - started


def _state(session: Any, family: str, job_id: str) -> str:
    """What the service says about a job now: ``gone`` or its status."""
    from airflow_provider_modelarts.api.operations import observe
    from airflow_provider_modelarts.api.statuses import JobFamily, status_name
    from airflow_provider_modelarts.api.watch import Gone

    snapshot = session.run(observe(session.project_id(), family, job_id))
    return "gone" if isinstance(snapshot, Gone) else status_name(JobFamily(family), snapshot.status)


def _session(connection: dict[str, Any]) -> Any:
    from airflow_provider_modelarts.api.config import ConnectionConfig
    from airflow_provider_modelarts.api.session import ModelArtsSession

    config = ConnectionConfig.from_connection_fields(
        login=connection["login"],
        password=connection["password"],
        host=connection["host"],
        extra=connection["extra"],
    )
    return ModelArtsSession(config)


def main() -> int:
    from airflow_provider_modelarts.emulator import EmulatorConfig, EmulatorServer

    shutil.rmtree(HOME, ignore_errors=True)
    (HOME / "demo-logs").mkdir(parents=True)
    config = EmulatorConfig(
        create_seconds=0.5, pending_seconds=0.5, stop_seconds=2.0, delete_visible_seconds=2.0
    )
    print("modelarts demo: starting the emulator and seeding jobs")
    with EmulatorServer(config) as server:
        connection = server.airflow_connection("aksk")
        env = _airflow_env(connection)
        teardown = _seed_teardown_jobs(server)
        sweep = _seed_housekeeping_jobs(server)
        print(f"  emulator at {server.url}; {sum(server.store.counts().values())} jobs seeded")

        print("  creating a fresh SQLite metadata DB (airflow db migrate)")
        code, _ = _run([str(BIN / "airflow"), "db", "migrate"], env, HOME / "demo-logs" / "db-migrate.log")
        if code:
            print(f"airflow db migrate failed; see {HOME / 'demo-logs' / 'db-migrate.log'}")
            return 1

        runs = [
            ("example_modelarts_teardown", ["-c", json.dumps(teardown)]),
            ("example_modelarts_housekeeping", []),
        ]
        results: dict[str, tuple[int, float]] = {}
        for dag_id, extra in runs:
            print(f"  airflow dags test {dag_id} ...", flush=True)
            log = HOME / "demo-logs" / f"{dag_id}.log"
            results[dag_id] = _run([str(BIN / "airflow"), "dags", "test", dag_id, *extra], env, log)

        stats = server.stats()
        families = {
            "training_job_id": "training",
            "v1_job_id": "training_v1",
            "visualization_job_id": "visualization",
            "res_job_id": "res",
        }
        session = _session(connection)
        torn_down = {key: _state(session, fam, str(teardown[key])) for key, fam in families.items()}
        torn_down |= {
            f"job_ids[{n}]": _state(session, "training", job) for n, job in enumerate(teardown["job_ids"])
        }
        families |= {f"job_ids[{n}]": "training (list)" for n in range(len(teardown["job_ids"]))}
        swept = {group: [_state(session, "training" if "v2" in group else "training_v1", j) for j in jobs]
                 for group, jobs in sweep.items()}  # fmt: skip
        session.close()

    requests = stats.get("requests", {})
    ok = all(code == 0 for code, _ in results.values())
    checks = {
        "teardown jobs confirmed gone": all(state == "gone" for state in torn_down.values()),
        "old finished jobs confirmed gone": all(s == "gone" for g in ("old_v2", "old_v1") for s in swept[g]),
        "recent, protected and running jobs untouched": all(
            s != "gone" for g in ("keep_v2", "keep_v1") for s in swept[g]
        ),
    }
    print()
    print("DAG runs")
    for dag_id, (code, seconds) in results.items():
        print(f"  {dag_id:<34} {'success' if code == 0 else f'FAILED (exit {code})':<18} {seconds:5.1f} s")
    print("Teardown (example_modelarts_teardown)")
    for key, state in torn_down.items():
        job = teardown[key] if key in teardown else teardown["job_ids"][int(key[8:-1])]
        print(f"  {families[key]:<16} {job!s:<38} {state}")
    stopped = (
        requests.get("v2.terminate", 0) + requests.get("v1.version_stop", 0) + requests.get("vis.stop", 0)
    )
    deletes = sum(requests.get(r, 0) for r in ("v2.delete", "v1.delete", "vis.delete", "res.delete"))
    print(f"  stop requests {stopped}, delete requests {deletes}")
    print("Housekeeping (example_modelarts_housekeeping)")
    found = len(sweep["old_v2"]) + len(sweep["old_v1"])
    gone = sum(s == "gone" for g in ("old_v2", "old_v1") for s in swept[g])
    kept = sum(s != "gone" for g in ("keep_v2", "keep_v1") for s in swept[g])
    print(f"  old finished jobs found {found}, deleted and confirmed gone {gone}")
    keep = len(sweep["keep_v2"]) + len(sweep["keep_v1"])
    print(f"  recent/protected/running jobs left alone {kept} of {keep}")
    batches, v1_deletes = requests.get("v2.batch_delete", 0), requests.get("v1.delete", 0)
    print(f"  v2 batch deletes {batches}, v1 deletes {v1_deletes}")
    print(f"API requests served by the emulator: {sum(requests.values())}")
    for name, passed in checks.items():
        print(f"  [{'ok' if passed else 'FAIL'}] {name}")
    if not ok:
        print(f"Logs: {HOME / 'demo-logs'}")
    return 0 if ok and all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
