"""What the system test looks for after (and while) Airflow ran: failed tasks, tasks that should
have deferred and did not, secrets in files or log tables, masker warnings, and open sockets."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MASKER_WARNING = b"Skipping masking for a secret"
RACE_SYMPTOM = b"but the task instance's state attribute is queued"
GOOD_STATES = {"success", "skipped"}


@dataclass(frozen=True)
class TaskOutcome:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    state: str
    try_number: int

    @property
    def name(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"

    def log_dir(self, home: Path) -> Path:
        path = home / "logs" / f"dag_id={self.dag_id}" / f"run_id={self.run_id}" / f"task_id={self.task_id}"
        return path if self.map_index < 0 else path / f"map_index={self.map_index}"

    def deferred(self, home: Path) -> bool:
        """A triggerer ran a trigger for this try (it writes the trigger's log beside the task's)."""
        return any(self.log_dir(home).glob(f"attempt={self.try_number}.log.trigger.*.log"))


def outcomes(dag_id: str, run_id: str, task_instances: Iterable[dict[str, Any]]) -> list[TaskOutcome]:
    return [
        TaskOutcome(
            dag_id, run_id, ti["task_id"], int(ti["map_index"]), str(ti["state"]), int(ti["try_number"])
        )
        for ti in task_instances
    ]


def failed(tasks: Iterable[TaskOutcome]) -> list[TaskOutcome]:
    return [task for task in tasks if task.state not in GOOD_STATES]


def never_deferred(tasks: Iterable[TaskOutcome], expected: set[str], home: Path) -> list[TaskOutcome]:
    return [task for task in tasks if task.task_id in expected and not task.deferred(home)]


def count_in_files(root: Path, needle: bytes) -> int:
    return sum(path.read_bytes().count(needle) for path in _files(root))


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def secret_hits(home: Path, secrets: dict[str, str]) -> list[str]:
    """``name in path`` for every secret found in a file under ``home`` (the SQLite DB included)."""
    hits: list[str] = []
    for path in _files(home):
        data = path.read_bytes()
        hits += [
            f"{name} in {path.relative_to(home)}" for name, value in secrets.items() if value.encode() in data
        ]
    return hits


def log_table_hits(database: Path, secrets: dict[str, str]) -> tuple[int, list[str]]:
    """Rows of the metadata DB's tables named like logs, and the secrets found in any of their values."""
    hits: list[str] = []
    rows = 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in (name for name in tables if "log" in name.lower()):
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - a table name the DB listed
                rows += 1
                text = " ".join(str(value) for value in row)
                hits += [f"{name} in table {table}" for name, value in secrets.items() if value in text]
    return rows, sorted(set(hits))


def non_loopback_listeners(pids: Iterable[int]) -> list[str]:
    """Listening TCP sockets of these processes bound to anything but a loopback address."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            links = [fd.readlink() for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes |= {str(link)[8:-1] for link in links if str(link).startswith("socket:[")}
    found: list[str] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes and not _loopback(local):
                found.append(local)
    return found


def _loopback(local: str) -> bool:
    address = local.split(":")[0]
    if len(address) == 8:  # IPv4, little-endian hex: 127.x.x.x ends in 7F
        return address.endswith("7F")
    return address == "00000000000000000000000001000000"  # ::1


def misplaced_jobs(server: Any, gone: dict[str, list[str]], kept: dict[str, list[str]]) -> list[str]:
    """Jobs still there that should be gone, and jobs gone that should still be there, as the
    service answers through the provider's own client (temporary AK/SK)."""
    from airflow_provider_modelarts.api.config import ConnectionConfig
    from airflow_provider_modelarts.api.operations import observe
    from airflow_provider_modelarts.api.session import ModelArtsSession
    from airflow_provider_modelarts.api.watch import Gone

    c = server.credentials
    config = ConnectionConfig.from_connection_fields(
        login=c.temp_access_key,
        password=c.temp_secret_key,
        host=server.url,
        extra={"region": c.region, "project_id": c.project_id, "security_token": c.security_token},
    )
    session = ModelArtsSession(config)
    try:

        def present(family: str, job_id: str) -> bool:
            return not isinstance(session.run(observe(c.project_id, family, job_id)), Gone)

        wrong = [
            f"{family} {job} not gone"
            for family, jobs in gone.items()
            for job in jobs
            if present(family, job)
        ]
        wrong += [
            f"{family} {job} gone"
            for family, jobs in kept.items()
            for job in jobs
            if not present(family, job)
        ]
    finally:
        session.close()
    return wrong
