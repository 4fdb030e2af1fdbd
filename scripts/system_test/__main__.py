"""Entry point: ``python -m scripts.system_test [--rounds N] [--keep]`` (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from airflow_provider_modelarts.get_provider_info import get_provider_info
from scripts.system_test import checks, scenario
from scripts.system_test.api import AirflowApi
from scripts.system_test.environment import airflow_env, free_port
from scripts.system_test.events import event_round
from scripts.system_test.results import Results, conclude
from scripts.system_test.services import Components, wait_until

BIN = Path(sys.executable).parent
CONN_ID = "modelarts_default"
DEFERRED_OR_DONE = {"deferred", "success", "failed", "skipped", "upstream_failed"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="./run system-test", description="The example DAGs in a real deployment."
    )
    p.add_argument("--rounds", type=int, default=8, help="runs of each example DAG (default 8)")
    p.add_argument("--poll-interval", type=float, default=2.0, help="the DAGs' poll interval, s (default 2)")
    p.add_argument("--settle", type=float, default=10.0, help="stops and deletes take this long, s")
    p.add_argument("--fast-settle", type=float, default=1.5, help="the same in fast rounds, s")
    p.add_argument("--timeout", type=float, default=1800.0, help="time limit of the whole test, s")
    p.add_argument("--keep", action="store_true", help="keep AIRFLOW_HOME (it is kept anyway on failure)")
    p.add_argument(
        "--no-event-round",
        dest="event_round",
        action="store_false",
        help="skip the event-driven round (asset watcher, triggerer restart)",
    )
    return p


def _connection(server: Any, auth: str) -> dict[str, Any]:
    """The connection as a user would store it through the REST API (extras as JSON text)."""
    c = server.credentials
    extra: dict[str, Any] = {"region": c.region, "project_id": c.project_id}
    if auth == "token":
        login, password = c.iam_user, c.iam_password
        extra["domain_name"] = c.iam_domain
    else:
        login, password = c.temp_access_key, c.temp_secret_key
        extra["security_token"] = c.security_token
    body = {"conn_type": "modelarts", "login": login, "password": password, "host": server.url}
    return {**body, "extra": json.dumps(extra)}


def _secrets(server: Any) -> dict[str, str]:
    c = server.credentials
    found = {
        "secret key": c.secret_key,
        "temporary secret key": c.temp_secret_key,
        "security token": c.security_token,
        "IAM password": c.iam_password,
    }
    # The emulator remembers the IAM tokens it issued: any of them in a file is a leak too.
    for number, token in enumerate(list(server.app.tokens._tokens), start=1):
        found[f"issued IAM token {number}"] = token
    return found


def _airflow(
    env: dict[str, str], log: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - our own venv's airflow with fixed arguments
        [str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    log.write_text(done.stdout + done.stderr)
    return done


def _collect(
    api: AirflowApi,
    home: Path,
    results: Results,
    dag_id: str,
    states: dict[str, str],
    seconds: float | None,
    one: Any,
) -> None:
    """Record how the runs of ``dag_id`` went; ``one`` is the round they belong to (None: none)."""
    for run_id, state in states.items():
        tasks = checks.outcomes(dag_id, run_id, api.task_instances(dag_id, run_id))
        expected = one.must_defer(dag_id) if one is not None else set()
        deferred = sum(task.deferred(home) for task in tasks)
        late = checks.never_deferred(tasks, expected, home)
        index, label = (0, "scheduled") if one is None else (one.index, one.label)
        results.run(dag_id, index, label, state, seconds, tasks, deferred, late, checks.failed(tasks))
        if one is not None:
            for wrong in one.wrong_states(dag_id, {task.task_id: task.state for task in tasks}):
                results.problem(f"round {index}: {wrong}")


def _start(components: Components, api: AirflowApi, port: int) -> None:
    components.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(port))
    components.start("scheduler", "scheduler", "--skip-serve-logs")
    components.start("dag-processor", "dag-processor")
    components.start("triggerer", "triggerer", "--skip-serve-logs")

    def healthy() -> bool:
        if components.exited():
            raise RuntimeError(f"components exited: {components.exited()}")
        health = api.health()
        return len(health) >= 4 and set(health.values()) == {"healthy"}

    wait_until("components healthy", healthy, 180)
    wait_until("example DAGs parsed", lambda: all(api.has_dag(dag) for dag in scenario.DAGS), 180)


def _wait_for_wait(api: AirflowApi, run_id: str) -> None:
    def deferred() -> bool:
        return api.task_state(scenario.TEARDOWN, run_id, scenario.WAIT) in DEFERRED_OR_DONE

    with contextlib.suppress(TimeoutError):  # the checks tell if it never deferred
        wait_until("the wait for training deferred", deferred, 180)


def _rounds(
    args: argparse.Namespace, api: AirflowApi, emulator: Any, home: Path, results: Results, deadline: float
) -> None:
    requests_before = sum(emulator.stats()["requests"].values())
    started = time.monotonic()
    for index in range(1, args.rounds + 1):
        if time.monotonic() > deadline - 180:
            results.problem(f"time limit: stopped after {index - 1} of {args.rounds} rounds")
            break
        one = scenario.seed_round(emulator, index, args.settle, args.fast_settle)
        api.put_connection(CONN_ID, _connection(emulator, one.auth))
        triggered = time.monotonic()
        runs = {
            dag: api.trigger(dag, one.teardown_conf if dag == scenario.TEARDOWN else {})
            for dag in scenario.DAGS
        }
        if not one.overrun:  # the training finishes once its wait has deferred (or failed to, bounded)
            _wait_for_wait(api, runs[scenario.TEARDOWN])
            scenario.finish_training(emulator)
        for dag_id, run_id in runs.items():
            states = api.wait_for_runs(dag_id, [run_id], min(600.0, max(30.0, deadline - time.monotonic())))
            _collect(api, home, results, dag_id, states, time.monotonic() - triggered, one)
        for problem in checks.misplaced_jobs(emulator, one.gone, one.kept):
            results.problem(f"round {index}: {problem}")
    elapsed = time.monotonic() - started
    requests = sum(emulator.stats()["requests"].values()) - requests_before
    results.figure(f"{args.rounds} rounds, wall", elapsed)
    results.figure(
        "ModelArts requests per poll interval, average", requests * args.poll_interval / elapsed, ""
    )


def run(args: argparse.Namespace, home: Path, results: Results) -> None:
    from airflow_provider_modelarts.emulator import EmulatorConfig, EmulatorServer

    deadline = time.monotonic() + args.timeout
    out = home / "system-test"
    out.mkdir(parents=True)
    port = free_port()
    # The wait for training times out in overrun rounds, so its timeout sets their length. It must
    # also cover a fresh triggerer's first trigger: in one run, 15 s passed between that trigger's
    # start and its first answer (a timeout of 20 s then skipped a wait whose job had completed).
    env = airflow_env(home, BIN, port, args.poll_interval, max(45.0, 20 * args.poll_interval))
    durations = {"stop_seconds": args.settle, "delete_visible_seconds": args.settle}
    emulator = EmulatorServer(
        EmulatorConfig(create_seconds=0.5, pending_seconds=0.5, run_seconds=None, **durations)
    )
    components = Components(BIN / "airflow", env, out)
    api = AirflowApi(port)
    emulator.start()
    try:
        started = time.monotonic()
        if _airflow(env, out / "db-migrate.out", "db", "migrate").returncode:
            raise RuntimeError(f"airflow db migrate failed; see {out / 'db-migrate.out'}")
        results.figure("airflow db migrate", time.monotonic() - started)
        started = time.monotonic()
        _start(components, api, port)
        results.figure("start-up: launch to healthy, DAGs parsed", time.monotonic() - started)

        api.put_connection(CONN_ID, _connection(emulator, "temporary"))
        for dag_id in scenario.DAGS:
            api.unpause(dag_id)
        time.sleep(5)  # unpaused, the nightly DAG gets a run for its latest interval: let it finish
        warmup = [run["dag_run_id"] for run in api.runs(scenario.HOUSEKEEPING)]
        states = api.wait_for_runs(scenario.HOUSEKEEPING, warmup, 120)
        _collect(api, home, results, scenario.HOUSEKEEPING, states, None, None)
        _rounds(args, api, emulator, home, results, deadline)
        if args.event_round:
            event_round(api, emulator, components, results, deadline)

        listening = checks.non_loopback_listeners(components.pids())
        results.expect(f"no component listens beyond 127.0.0.1 {listening or ''}".strip(), not listening)
        status, answer = api.test_connection_as_the_ui_does(CONN_ID)
        results.expect(
            f"the UI's Test button succeeds (HTTP {status})", status == 200 and answer.get("status") is True
        )
        cli = _airflow(env, out / "connections-test.out", "connections", "test", CONN_ID, timeout=120)
        results.expect(
            "airflow connections test succeeds", cli.returncode == 0 and "success" in cli.stdout.lower()
        )
    finally:
        api.close()
        stopping = time.monotonic()
        left = components.stop()
        results.figure("stop: every process started gone", time.monotonic() - stopping)
        results.expect(f"every process started is gone {left or ''}".strip(), not left)
        tokens = int(emulator.stats().get("tokens_issued", 0))
        results.expect(f"IAM token auth was used ({tokens} tokens issued)", tokens > 0 or args.rounds < 2)
        secrets = _secrets(emulator)
        emulator.stop()
    _scan(home, secrets, emulator.credentials.temp_access_key, results)


def _scan(home: Path, secrets: dict[str, str], access_key: str, results: Results) -> None:
    for hit in checks.secret_hits(home, secrets):
        results.problem(f"secret found: {hit}")
    rows, hits = checks.log_table_hits(home / "airflow.db", secrets)
    for hit in hits:
        results.problem(f"secret found: {hit}")
    results.figure("secrets looked for / log-table rows read", f"{len(secrets)} / {rows}")
    # The scan can see: the (not secret) access key is in the DB file and in the audit log.
    control = {"access key": access_key}
    seen = checks.secret_hits(home, control) + checks.log_table_hits(home / "airflow.db", control)[1]
    results.expect(
        "the scan finds the access key in the DB file and its log table (a control)",
        {"access key in airflow.db", "access key in table log"} <= set(seen),
    )
    warnings = checks.count_in_files(home / "logs", checks.MASKER_WARNING)
    results.expect(f"no masker warning in task or trigger logs ({warnings} found)", warnings == 0)
    symptoms = checks.count_in_files(home / "system-test", checks.RACE_SYMPTOM)
    results.figure("executor/state race reports in the scheduler's output", str(symptoms))


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    grace = float(get_provider_info()["config"]["modelarts"]["options"]["deferral_grace_seconds"]["default"])
    if args.settle < grace + 3:  # a stop or delete done within the grace needs no deferral
        parser.error(f"--settle must exceed the deferral grace ({grace:g} s) by 3 s or more")
    if args.fast_settle > grace - 2:
        parser.error(f"--fast-settle must stay 2 s or more below the deferral grace ({grace:g} s)")
    home = Path(tempfile.mkdtemp(prefix="modelarts-system-test-"))
    results = Results()
    print(f"system test: {args.rounds} round(s) of both example DAGs; AIRFLOW_HOME {home}", flush=True)
    try:
        run(args, home, results)
    except Exception as exc:
        results.problem(f"{type(exc).__name__}: {exc}")
    return conclude(results, home, args.keep, "AIRFLOW_HOME")


if __name__ == "__main__":
    sys.exit(main())
