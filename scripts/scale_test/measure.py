"""What the scale test measures while Airflow runs: CPU and RSS of each component's process family
(from /proc), the emulator's request counters over time, and the metadata DB's own view (task
instances, triggers, triggerer jobs, log tables) through a plain PostgreSQL connection."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scripts.system_test.services import Components, Proc, descendants, stat_fields

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def family_usage(root: Proc) -> tuple[float, float]:
    """CPU seconds (the live processes' own and their reaped children's) and RSS in MB of ``root``
    and everything it started that is still alive."""
    cpu_ticks = 0
    rss_pages = 0
    for proc in [root, *descendants(root.pid)] if root.alive() else []:
        fields = stat_fields(proc.pid)
        if fields is None:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the command name
        cpu_ticks += sum(int(value) for value in fields[11:15])
        rss_pages += int(fields[21])
    return cpu_ticks / TICK, rss_pages * PAGE_KB / 1024


@dataclass
class Sample:
    at: float  # time.time()
    requests: dict[str, int]
    usage: dict[str, tuple[float, float]]  # component -> (cpu s, rss MB)


@dataclass
class Sampler:
    """Samples once a second in a thread until ``stop()`` (and at most ``max_samples`` times)."""

    components: Components
    emulator: Any
    max_samples: int = 7200
    samples: list[Sample] = field(default_factory=list)
    # job id -> (stop requested at, delete requested at), by the emulator's clock: the store forgets
    # a job once it is gone, so its moments are copied while it is still there
    lives: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scale-sampler", daemon=True)

    def take(self) -> Sample:
        usage = {name: family_usage(proc) for name, (_popen, proc) in list(self.components.started.items())}
        store = self.emulator.store
        with store.lock:
            for job_id, job in store.v2.items():
                self.lives[job_id] = (job.life.stop_at, job.life.deleted_at)
        return Sample(time.time(), dict(self.emulator.stats()["requests"]), usage)

    def _loop(self) -> None:
        while not self._stop.is_set() and len(self.samples) < self.max_samples:
            self.samples.append(self.take())
            self._stop.wait(1.0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def at(self, moment: float) -> Sample | None:
        """The last sample taken at or before ``moment``."""
        before = [s for s in self.samples if s.at <= moment]
        return before[-1] if before else None


def requests_between(first: Sample, last: Sample) -> dict[str, int]:
    routes = set(first.requests) | set(last.requests)
    return {r: last.requests.get(r, 0) - first.requests.get(r, 0) for r in sorted(routes)}


class MetadataDb:
    """Read-only questions to Airflow's PostgreSQL metadata DB."""

    def __init__(self, dsn: str) -> None:
        import psycopg2

        self.db = psycopg2.connect(dsn)
        self.db.autocommit = True

    def close(self) -> None:
        self.db.close()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.db.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def task_instances(
        self, dag_id: str, run_id: str
    ) -> list[tuple[str, int, str | None, datetime | None, int]]:
        """(task_id, map_index, state, end_date, try_number) of every task instance of the run."""
        return [
            (str(t), int(m), s, e, int(n))
            for t, m, s, e, n in self.rows(
                "SELECT task_id, map_index, state, end_date, try_number FROM task_instance"
                " WHERE dag_id = %s AND run_id = %s",
                dag_id,
                run_id,
            )
        ]

    def triggerer_jobs(self) -> list[tuple[int, datetime | None, str | None]]:
        """(id, start_date, state) of every triggerer job, oldest first."""
        return [
            (int(i), s, st)
            for i, s, st in self.rows(
                "SELECT id, start_date, state FROM job WHERE job_type = 'TriggererJob' ORDER BY id"
            )
        ]

    def triggers(self) -> list[tuple[int, int | None, int, str]]:
        """(id, triggerer_id, stored kwargs length in bytes, classpath) of every trigger."""
        return [
            (int(i), None if t is None else int(t), int(n), str(c))
            for i, t, n, c in self.rows(
                "SELECT id, triggerer_id, octet_length(kwargs), classpath FROM trigger"
            )
        ]

    def log_table_hits(self, secrets: dict[str, str]) -> tuple[int, list[str]]:
        """Rows of the tables named like logs, and the secrets found in any of their values."""
        tables = [
            str(name)
            for (name,) in self.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
            if "log" in str(name).lower()
        ]
        hits: set[str] = set()
        rows = 0
        for table in tables:
            for row in self.rows(f'SELECT * FROM "{table}"'):  # noqa: S608 - a table name the DB listed
                rows += 1
                text = " ".join(str(value) for value in row)
                hits |= {f"{name} in table {table}" for name, value in secrets.items() if value in text}
        return rows, sorted(hits)
