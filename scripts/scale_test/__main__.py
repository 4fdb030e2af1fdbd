"""Entry point: ``python -m scripts.scale_test [--short] [--keep] ...`` (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from airflow_provider_modelarts.api.operations import V2_PAGE_SIZE
from airflow_provider_modelarts.teardown.core import STATE_KEY
from scripts.scale_test.infra import PostgreSQL, Redis, ensure_packages
from scripts.scale_test.measure import MetadataDb, Sampler, requests_between
from scripts.system_test import checks
from scripts.system_test.api import AirflowApi
from scripts.system_test.environment import airflow_env, free_port
from scripts.system_test.results import Results, conclude
from scripts.system_test.services import Components, descendants, wait_until

BIN = Path(sys.executable).parent
DAGS = Path(__file__).resolve().parent / "dags"
DAG_ID = "modelarts_scale_teardown"
ONE, MANY = "tear_down_one", "tear_down_many"
CONN_ID = "modelarts_default"
TRIGGERERS = ("triggerer-1", "triggerer-2")
WORKERS = ("worker-1", "worker-2")
PROFILES: dict[str, dict[str, float]] = {
    # stops and deletes take minutes, longer than it takes to schedule and defer every task
    "full": {"single": 300, "many": 1000, "poll_interval": 30, "stop_seconds": 300, "delete_seconds": 120},
    "short": {"single": 100, "many": 100, "poll_interval": 10, "stop_seconds": 75, "delete_seconds": 20},
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="./run scale-test",
        description="N mapped teardown tasks and one task of M jobs on PostgreSQL, Redis, Celery and two "
        "triggerers (one is killed while they wait).",
    )
    p.add_argument("--short", action="store_true", help="N=100, M=100, seconds-long stops (under 5 min)")
    p.add_argument("--single", type=int, help="N: mapped tasks of one job each")
    p.add_argument("--many", type=int, help="M: jobs of the one job_ids task")
    p.add_argument("--poll-interval", type=float, help="the tasks' poll interval, s")
    p.add_argument("--stop-seconds", type=float, help="how long the emulator takes to stop a job")
    p.add_argument("--delete-seconds", type=float, help="how long a deleted job stays visible")
    p.add_argument("--concurrency", type=int, default=8, help="Celery worker concurrency (default 8)")
    p.add_argument("--timeout", type=float, default=3600.0, help="time limit of the whole test, s")
    p.add_argument("--keep", action="store_true", help="keep the work directory (kept anyway on failure)")
    p.add_argument(
        "--auth", choices=("aksk", "token"), default="aksk",
        help="the connection's auth: AK/SK signing (default) or IAM token (counts the tokens issued)",
    )  # fmt: skip
    return p


def _settings(args: argparse.Namespace) -> dict[str, float]:
    chosen = dict(PROFILES["short" if args.short else "full"])
    for key in chosen:
        value = getattr(args, key)
        if value is not None:
            chosen[key] = float(value)
    return chosen


def _env(
    home: Path, api_port: int, pg: PostgreSQL, redis: Redis, plan: Path, s: dict[str, float], concurrency: int
) -> dict[str, str]:
    env = airflow_env(home, BIN, api_port, s["poll_interval"], 3600)
    env.update(
        {
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(2 * concurrency),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.url,
            "AIRFLOW__CELERY__BROKER_URL": redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{pg.url}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
            "AIRFLOW__TRIGGERER__CAPACITY": "1000",
            "MODELARTS_SCALE_PLAN": str(plan),
        }
    )
    return env


def _airflow(env: dict[str, str], log: Path, *args: str, timeout: float = 300) -> int:
    with log.open("wb") as out:
        return subprocess.run(  # noqa: S603 - our own venv's airflow with fixed arguments
            [str(BIN / "airflow"), *args], env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
            check=False,
        ).returncode  # fmt: skip


@dataclass
class Timeline:
    """Moments (time.time()) and what was seen at them."""

    triggered: float = 0.0
    single_deferred: float | None = None  # every mapped task has deferred at least once
    all_deferred: float | None = None  # ... and the job_ids task too
    killed: float | None = None
    taken_over: float | None = None
    restarted: float | None = None
    finished: float | None = None
    first_seen_deferred: dict[tuple[str, int], float] = field(default_factory=dict)
    kwargs_sizes: list[tuple[str, int]] = field(default_factory=list)  # (task kind, bytes)
    held: dict[str, int] = field(default_factory=dict)  # triggerer -> triggers held while all wait


class ScaleRun:
    def __init__(self, args: argparse.Namespace, work: Path, results: Results) -> None:
        self.args = args
        self.s = _settings(args)
        self.work = work
        self.home = work / "home"
        self.out = self.home / "scale-test"
        self.out.mkdir(parents=True)
        self.results = results
        self.t = Timeline()
        self.triggerer_jobs: dict[str, int] = {}

    # ---- the deployment ----------------------------------------------------------------------

    def _start_airflow(self, components: Components, api: AirflowApi, db: MetadataDb, port: int) -> None:
        components.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(port))
        components.start("scheduler", "scheduler", "--skip-serve-logs")
        components.start("dag-processor", "dag-processor")
        for number, name in enumerate(TRIGGERERS, start=1):
            components.start(name, "triggerer", "--skip-serve-logs")
            wait_until(f"{name} registered", lambda n=number: len(db.triggerer_jobs()) >= n, 180)  # type: ignore[misc]
            self.triggerer_jobs[name] = db.triggerer_jobs()[-1][0]
        for name in WORKERS:
            components.start(
                name, "celery", "worker", "--concurrency", str(self.args.concurrency),
                "--celery-hostname", f"{name}@scale-test", "--skip-serve-logs", "--without-gossip",
                "--without-mingle",
            )  # fmt: skip

        def alive() -> bool:
            if components.exited():
                raise RuntimeError(f"components exited: {components.exited()}")
            return True

        def healthy() -> bool:
            alive()
            health = api.health()
            return len(health) >= 4 and set(health.values()) == {"healthy"}

        wait_until("components healthy", healthy, 240)
        wait_until("the scale DAG parsed", lambda: alive() and api.has_dag(DAG_ID), 240)

    def run(self) -> None:
        from airflow_provider_modelarts.emulator import EmulatorConfig, EmulatorServer

        s = self.s
        deadline = time.monotonic() + self.args.timeout
        ensure_packages(self.out / "apt.out")
        emulator = EmulatorServer(
            EmulatorConfig(
                create_seconds=0.0,
                pending_seconds=0.0,
                run_seconds=None,  # every job runs until stopped
                stop_seconds=s["stop_seconds"],
                delete_visible_seconds=s["delete_seconds"],
            )
        )
        emulator.start()
        single = emulator.seed("training", int(s["single"]), name="scale-one", status="Running")
        many = emulator.seed("training", int(s["many"]), name="scale-many", status="Running")
        plan = self.work / "plan.json"
        plan.write_text(json.dumps({"single": single, "many": many, "poll_interval": s["poll_interval"]}))
        pg_dir = Path(tempfile.mkdtemp(prefix="modelarts-scale-pg-"))
        pg, redis = PostgreSQL(pg_dir, self.out), Redis()
        port = free_port()
        env = _env(self.home, port, pg, redis, plan, s, self.args.concurrency)
        infra_env = {k: v for k, v in env.items() if not k.startswith(("AIRFLOW", "MODELARTS"))}
        components = Components(BIN / "airflow", env, self.out)
        sampler = Sampler(components, emulator)
        api = AirflowApi(port)
        started_infra: list[Components] = []
        db: MetadataDb | None = None
        connection = _connection(emulator, self.args.auth)
        secrets = {"connection password": connection["password"]}
        try:
            began = time.monotonic()
            pg.init()
            started_infra.append(pg.start(infra_env))
            started_infra.append(redis.start(infra_env, self.out))
            self.results.figure("PostgreSQL and Redis: install check, init, start", time.monotonic() - began)
            began = time.monotonic()
            if _airflow(env, self.out / "db-migrate.out", "db", "migrate"):
                raise RuntimeError(f"airflow db migrate failed; see {self.out / 'db-migrate.out'}")
            self.results.figure("airflow db migrate (PostgreSQL)", time.monotonic() - began)
            db = MetadataDb(pg.dsn)
            began = time.monotonic()
            self._start_airflow(components, api, db, port)
            self.results.figure("start-up: launch to healthy, DAG parsed", time.monotonic() - began)
            api.put_connection(CONN_ID, connection)
            api.unpause(DAG_ID)
            sampler.start()
            time.sleep(3)  # an idle baseline for the triggerers' RSS
            self.t.triggered = time.time()
            run_id = api.trigger(DAG_ID, {})
            self._watch(components, db, run_id, deadline)
            self._collect(db, run_id, single, many, emulator, sampler)
            self.results.expect(
                "the surviving triggerer took over every trigger of the killed one",
                self.t.taken_over is not None,
            )
            listening = checks.non_loopback_listeners(
                [*components.pids(), *(pid for c in started_infra for pid in c.pids())]
            )
            self.results.expect(
                f"nothing started listens beyond 127.0.0.1 {listening or ''}".strip(), not listening
            )
            tokens = self._issued_tokens(emulator)
            secrets.update(tokens)
            self._token_figure(db, run_id, len(tokens))
            rows, hits = db.log_table_hits(secrets)
            control = db.log_table_hits({"connection login": connection["login"]})[1]
            for hit in hits:
                self.results.problem(f"secret found: {hit}")
            self.results.figure("log-table rows read for secrets", str(rows))
            self.results.expect("the log-table scan sees the connection's login (a control)", bool(control))
        finally:
            self._stop_all(sampler, api, db, components, started_infra)
            emulator.stop()
            shutil.rmtree(pg_dir, ignore_errors=True)
        self._report(sampler)
        for hit in checks.secret_hits(self.home, secrets):
            self.results.problem(f"secret found: {hit}")
        warnings = checks.count_in_files(self.home / "logs", checks.MASKER_WARNING)
        self.results.expect(f"no masker warning in task or trigger logs ({warnings} found)", warnings == 0)

    def _stop_all(
        self,
        sampler: Sampler,
        api: AirflowApi,
        db: MetadataDb | None,
        components: Components,
        started_infra: list[Components],
    ) -> None:
        """Stop Airflow first, then Redis and PostgreSQL; a failing step does not skip the next."""
        for close in (sampler.stop, api.close, *([db.close] if db is not None else [])):
            try:
                close()
            except Exception as exc:
                self.results.problem(f"while stopping: {type(exc).__name__}: {exc}")
        stopping = time.monotonic()
        left = components.stop()
        for infra in reversed(started_infra):
            left += infra.stop(grace=30)
        self.results.figure("stop: every process started gone", time.monotonic() - stopping)
        self.results.expect(f"every process started is gone {left or ''}".strip(), not left)

    @staticmethod
    def _issued_tokens(emulator: Any) -> dict[str, str]:
        tokens = list(emulator.app.tokens._tokens)
        return {f"issued IAM token {n}": token for n, token in enumerate(tokens, start=1)}

    def _token_figure(self, db: MetadataDb, run_id: str, tokens: int) -> None:
        """IAM tokens the emulator issued, against the task runs (a start or a resume on a worker:
        each is a new process with its own session) and the triggerers' processes."""
        runs = db.rows(
            "SELECT count(*) FROM log WHERE dag_id = %s AND run_id = %s AND event = 'running'", DAG_ID, run_id
        )
        self.results.figures.append(
            (
                f"IAM tokens issued ({self.args.auth} auth)",
                f"{tokens} for {runs[0][0] if runs else '?'} task runs (starts and resumes) "
                f"and {len(TRIGGERERS) + 1} triggerer processes",
            )
        )

    # ---- while it runs -------------------------------------------------------------------------

    def _watch(self, components: Components, db: MetadataDb, run_id: str, deadline: float) -> None:
        """Follow the run once a second until it ends: note first deferrals, kill a triggerer one
        poll interval after every task waits, time the takeover, start the triggerer again."""
        t, interval = self.t, self.s["poll_interval"]
        total = int(self.s["single"]) + 1
        while time.monotonic() < deadline - 120:
            now = time.time()
            tis = db.task_instances(DAG_ID, run_id)
            for task_id, map_index, state, _end, _try in tis:
                if state == "deferred":
                    t.first_seen_deferred.setdefault((task_id, map_index), now)
            seen_one = sum(1 for task_id, _m in t.first_seen_deferred if task_id == ONE)
            if t.single_deferred is None and seen_one >= self.s["single"]:
                t.single_deferred = now
            if t.all_deferred is None and len(t.first_seen_deferred) >= total:
                t.all_deferred = now
                self._snapshot_triggers(db)
            if t.all_deferred is not None and t.killed is None and now >= t.all_deferred + interval:
                self._kill(components, TRIGGERERS[1])
            if t.killed is not None and t.taken_over is None:
                self._check_takeover(db, components)
            run_state = db.rows("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", DAG_ID, run_id)
            if run_state and run_state[0][0] in ("success", "failed"):
                t.finished = time.time()
                return
            time.sleep(1.0)
        self.results.problem("time limit: the run did not finish")

    def _snapshot_triggers(self, db: MetadataDb) -> None:
        jobs = {job_id: name for name, job_id in self.triggerer_jobs.items()}
        held: dict[str, int] = {}
        for _id, triggerer, size, _classpath in db.triggers():
            held[jobs.get(triggerer or -1, "unassigned")] = (
                held.get(jobs.get(triggerer or -1, "unassigned"), 0) + 1
            )
            self.t.kwargs_sizes.append(("", size))
        self.t.held = held

    def _kill(self, components: Components, name: str) -> None:
        _popen, root = components.started[name]
        family = [root, *descendants(root.pid)]
        for proc in family:
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
        self.t.killed = time.time()
        print(f"scale test: killed {name} (SIGKILL, {len(family)} processes)", flush=True)

    def _check_takeover(self, db: MetadataDb, components: Components) -> None:
        dead = self.triggerer_jobs[TRIGGERERS[1]]
        triggers = db.triggers()
        if triggers and all(triggerer not in (None, dead) for _i, triggerer, _n, _c in triggers):
            self.t.taken_over = time.time()
            print(f"scale test: {TRIGGERERS[0]} runs every trigger again", flush=True)
            components.start(f"{TRIGGERERS[1]}-again", "triggerer", "--skip-serve-logs")
            self.t.restarted = time.time()
        elif not triggers and self.t.killed is not None and time.time() > self.t.killed + 5:
            self.t.taken_over = time.time()  # nothing was left to take over

    # ---- afterwards ----------------------------------------------------------------------------

    def _collect(
        self, db: MetadataDb, run_id: str, single: list[str], many: list[str], emulator: Any, sampler: Sampler
    ) -> None:
        r = self.results
        tis = db.task_instances(DAG_ID, run_id)
        state = db.rows("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", DAG_ID, run_id)
        r.expect(
            f"the run succeeded ({state[0][0] if state else 'no run'})",
            bool(state) and state[0][0] == "success",
        )
        outcomes = [checks.TaskOutcome(DAG_ID, run_id, t, m, str(s), n) for t, m, s, _e, n in tis]
        failed = checks.failed(outcomes)
        late = checks.never_deferred(outcomes, {ONE, MANY}, self.home)
        deferred = sum(o.deferred(self.home) for o in outcomes)
        took = (self.t.finished or time.time()) - self.t.triggered
        r.run(DAG_ID, 1, "scale", str(state[0][0] if state else None), took, outcomes, deferred, late, failed)
        r.expect(
            f"{len(outcomes)} task instances, {int(self.s['single']) + 1} expected",
            len(outcomes) == len(single) + 1,
        )
        for problem in checks.misplaced_jobs(emulator, {"training": [*single, *many]}, {}):
            r.problem(problem)
        r.figures.append(("jobs checked gone through the API", str(len(single) + len(many))))
        self._xcom_figures(db, run_id)
        ends = {(t, m): e.timestamp() for t, m, _s, e, _n in tis if e is not None}
        early = self._early(sampler.lives, single, many, ends)
        for problem in early[:20]:
            r.problem(problem)
        r.expect(
            f"no job reported stopped or gone before the emulator says so ({len(early)} early)", not early
        )

    def _xcom_figures(self, db: MetadataDb, run_id: str) -> None:
        """What the run left in XCom: each task's report (``return_value``), and no working state
        (saved before a deferral, deleted once the task succeeds)."""
        rows = db.rows(
            "SELECT task_id, key, count(*), max(octet_length(value::text)), sum(octet_length(value::text)) "
            "FROM xcom WHERE dag_id = %s AND run_id = %s GROUP BY task_id, key ORDER BY task_id, key",
            DAG_ID, run_id,
        )  # fmt: skip
        for task_id, key, count, largest, total in rows:
            self.results.figures.append(
                (f"XCom {task_id} {key!r}", f"{count} rows, largest {largest:,} bytes, total {total:,} bytes")
            )
        left = [f"{task_id} {key!r}" for task_id, key, *_ in rows if key == STATE_KEY]
        self.results.expect(f"no working state left in XCom {left or ''}".strip(), not left)
        largest = max((row[3] for row in rows if row[1] == "return_value"), default=0)
        self.results.expect(f"each report in XCom under 1 MB ({largest:,} bytes)", largest < 1 << 20)

    def _early(
        self,
        lives: dict[str, tuple[float | None, float | None]],
        single: list[str],
        many: list[str],
        ends: dict[tuple[str, int], float],
    ) -> list[str]:
        """Jobs deleted before their stop ended, and tasks that ended before their jobs were gone,
        by the emulator's own records (stop and delete request moments) and durations."""
        stop, gone_after = self.s["stop_seconds"], self.s["delete_seconds"]
        wrong: list[str] = []

        def gone_at(job_id: str) -> float | None:
            stop_at, deleted_at = lives.get(job_id, (None, None))
            if stop_at is None:
                wrong.append(f"job {job_id} was never stopped")
            elif deleted_at is not None and deleted_at < stop_at + stop:
                wrong.append(f"job {job_id} deleted {stop_at + stop - deleted_at:.1f} s before it stopped")
            if deleted_at is None:
                wrong.append(f"job {job_id} was never deleted")
            return None if deleted_at is None else deleted_at + gone_after

        for index, job_id in enumerate(single):
            gone, end = gone_at(job_id), ends.get((ONE, index))
            if gone is not None and end is not None and end < gone:
                wrong.append(f"{ONE}[{index}] ended {gone - end:.1f} s before job {job_id} was gone")
        latest = [g for g in (gone_at(job_id) for job_id in many) if g is not None]
        end = ends.get((MANY, -1))
        if latest and end is not None and end < max(latest):
            wrong.append(f"{MANY} ended {max(latest) - end:.1f} s before its last job was gone")
        return wrong

    def _report(self, sampler: Sampler) -> None:
        r, t, s = self.results, self.t, self.s
        interval = s["poll_interval"]
        if t.single_deferred is not None:
            r.figure(
                f"trigger to all {int(s['single'])} mapped tasks deferred", t.single_deferred - t.triggered
            )
        if t.all_deferred is not None:
            r.figure(f"trigger to all {int(s['single']) + 1} tasks deferred", t.all_deferred - t.triggered)
        if t.finished is not None:
            r.figure("trigger to run finished", t.finished - t.triggered)
        if t.killed is not None and t.taken_over is not None:
            r.figure(
                f"{TRIGGERERS[1]} SIGKILLed: seconds until {TRIGGERERS[0]} held its triggers",
                t.taken_over - t.killed,
            )
        sizes = [size for _kind, size in t.kwargs_sizes]
        if sizes:
            r.figures.append(
                (
                    "trigger kwargs in the DB (encrypted), bytes",
                    f"{len(sizes)} triggers, max {max(sizes)}, min {min(sizes)}, total {sum(sizes)}",
                )
            )
        r.figures.append(
            ("triggers held while all waited", ", ".join(f"{k} {v}" for k, v in sorted(t.held.items())))
        )
        self._request_figures(sampler, interval)
        self._cpu_figures(sampler)

    def _request_figures(self, sampler: Sampler, interval: float) -> None:
        r, t = self.results, self.t
        if t.all_deferred is None or not sampler.samples:
            return
        # While every task waits and no job has changed yet: from all deferred until the kill.
        end = t.killed or t.all_deferred + interval
        first, last = sampler.at(t.all_deferred), sampler.at(end)
        listed = int(self.s["single"] + self.s["many"])
        pages = math.ceil(listed / V2_PAGE_SIZE)
        if first is not None and last is not None and last.at > first.at:
            counts = requests_between(first, last)
            per = interval / (last.at - first.at)
            searches = counts.get("v2.search", 0) * per
            r.figures.append(
                (
                    "requests per poll interval, all waiting (2 triggerers)",
                    f"{searches:.1f} list pages (= {searches / pages:.2f} walks of {pages} pages), "
                    f"{counts.get('v2.detail', 0) * per:.1f} details, "
                    f"{sum(counts.values()) * per:.1f} in all",
                )
            )
        print("\nRequests to the emulator per poll interval (from the trigger on)")
        print(f"  {'t (s)':>6} {'search':>7} {'detail':>7} {'terminate':>9} {'delete':>7} {'other':>6}")
        series = [x for x in sampler.samples if x.at >= t.triggered]
        bins = max(1, min(200, math.ceil((series[-1].at - t.triggered) / interval))) if series else 0
        for index in range(bins):
            a = sampler.at(t.triggered + index * interval)
            b = sampler.at(t.triggered + (index + 1) * interval)
            if a is None or b is None:
                continue
            c = requests_between(a, b)
            main = ("v2.search", "v2.detail", "v2.terminate", "v2.delete")
            other = sum(v for k, v in c.items() if k not in main)
            print(
                f"  {index * interval:6.0f} "
                + " ".join(f"{c.get(k, 0):>{w}}" for k, w in zip(main, (7, 7, 9, 7), strict=True))
                + f" {other:>6}"
            )

    def _cpu_figures(self, sampler: Sampler) -> None:
        r, t = self.results, self.t
        if not sampler.samples:
            return
        first, last = sampler.samples[0], sampler.samples[-1]
        span = max(1.0, last.at - first.at)
        for name in ("scheduler", *WORKERS, "api-server", "dag-processor"):
            if name in first.usage and name in last.usage:
                cpu = last.usage[name][0] - first.usage[name][0]
                r.figure(
                    f"{name}: CPU over the run ({span:.0f} s)",
                    f"{cpu:.1f} s ({100 * cpu / span:.0f} % of a core)",
                    "",
                )
        # Each triggerer while all tasks wait (before the kill), per trigger it holds.
        if t.all_deferred is None:
            return
        idle = sampler.at(t.triggered)
        a, b = sampler.at(t.all_deferred), sampler.at(t.killed or t.all_deferred + self.s["poll_interval"])
        if a is None or b is None or idle is None or b.at <= a.at:
            return
        for name in TRIGGERERS:
            held = t.held.get(name, 0)
            if held == 0 or name not in b.usage:
                continue
            cpu_rate = (b.usage[name][0] - a.usage[name][0]) / (b.at - a.at)
            rss, rss_idle = b.usage[name][1], idle.usage[name][1]
            per_interval_ms = 1000 * cpu_rate * self.s["poll_interval"] / held
            r.figures.append(
                (
                    f"{name}: {held} waiting tasks",
                    f"CPU {100 * cpu_rate:.1f} % of a core ({per_interval_ms:.1f} ms per task per interval), "
                    f"RSS {rss:.0f} MB (idle {rss_idle:.0f} MB; "
                    f"{1024 * (rss - rss_idle) / held:.0f} KB per task)",
                )
            )


def _connection(server: Any, auth: str) -> dict[str, Any]:
    """AK/SK or IAM token, stored through the REST API as a user would (extras as JSON text)."""
    conn = server.airflow_connection(auth)
    return {**conn, "extra": json.dumps(conn["extra"])}


def _terminate(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM or SIGINT: unwind, so that everything started is stopped by the ``finally`` blocks."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _terminate)
    work = Path(tempfile.mkdtemp(prefix="modelarts-scale-test-"))
    results = Results()
    s = _settings(args)
    print(
        f"scale test: {int(s['single'])} mapped tasks + 1 task of {int(s['many'])} jobs; "
        f"stop {s['stop_seconds']:g} s, "
        f"delete {s['delete_seconds']:g} s, poll {s['poll_interval']:g} s; work directory {work}",
        flush=True,
    )
    started = time.monotonic()
    try:
        ScaleRun(args, work, results).run()
    except Exception as exc:
        results.problem(f"{type(exc).__name__}: {exc}")
    results.figure("scale test wall time", time.monotonic() - started)
    return conclude(results, work, args.keep, "work directory")


if __name__ == "__main__":
    sys.exit(main())
