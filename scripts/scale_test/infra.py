"""PostgreSQL (the metadata database) and Redis (the Celery broker), private to one run.

Both come from Debian's packages, installed with apt-get only when missing. PostgreSQL gets a fresh
cluster in a temporary directory owned by the unprivileged ``postgres`` user (it refuses to run as
root) and runs in the foreground under ``runuser``; Redis runs without persistence. Both listen on
127.0.0.1 only, on free ports, and are started and stopped by PID through
:class:`scripts.system_test.services.Components`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

from scripts.system_test.environment import free_port
from scripts.system_test.services import Components

DB_USER = "airflow"
DB_NAME = "airflow"
PG_USER = "postgres"


def _pg_bin(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, or in Debian's versioned directory (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key, reverse=True)
    return candidates[0] if candidates else None


def _version_key(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def ensure_packages(log: Path) -> None:
    """Install Debian's postgresql and redis-server when their programs are missing."""
    missing = []
    if _pg_bin("initdb") is None or _pg_bin("postgres") is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(
            f"missing {', '.join(missing)}: install them (apt-get install -y {' '.join(missing)})"
        )
    print(f"scale test: installing {', '.join(missing)} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("ab") as out:
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", *missing]):
            subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, check=True, timeout=900)  # noqa: S603


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("runuser is needed to run PostgreSQL as the postgres user")
        return [runuser, "-u", PG_USER, "--", *command]
    return list(command)


class PostgreSQL:
    """A fresh cluster in ``directory`` on a free port of 127.0.0.1, trust auth for local users."""

    def __init__(self, directory: Path, log_dir: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.log_dir = log_dir
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={DB_USER} dbname={DB_NAME}"

    def init(self) -> None:
        initdb = _pg_bin("initdb")
        if initdb is None:
            raise RuntimeError("initdb not found")
        if os.geteuid() == 0:
            shutil.chown(self.directory, user=PG_USER)
        with (self.log_dir / "initdb.out").open("wb") as out:
            subprocess.run(  # noqa: S603 - Debian's initdb with fixed arguments
                _as_postgres(
                    initdb, "-D", str(self.data), "-A", "trust", "-U", DB_USER, "--no-sync", "-E", "UTF8"
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
                cwd=self.directory,
            )

    def start(self, env: dict[str, str]) -> Components:
        """Run ``postgres`` in the foreground (its PID is ours to stop), then create the database.
        Returns the started process, to be stopped with ``stop()``."""
        server = _pg_bin("postgres")
        if server is None:
            raise RuntimeError("postgres not found")
        command = _as_postgres(server)
        infra = Components(Path(command[0]), env, self.log_dir)
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.directory),
            "max_connections": "300",
            "shared_buffers": "256MB",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        options = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        infra.start("postgresql", *command[1:], "-D", str(self.data), "-p", str(self.port), *options)
        try:
            self._wait_ready(infra)
            import psycopg2

            db = psycopg2.connect(f"host=127.0.0.1 port={self.port} user={DB_USER} dbname=postgres")
            try:
                db.autocommit = True
                with db.cursor() as cursor:
                    cursor.execute(f"CREATE DATABASE {DB_NAME}")
            finally:
                db.close()
        except BaseException:
            infra.stop()
            raise
        return infra

    def _wait_ready(self, infra: Components) -> None:
        import psycopg2

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "postgresql" in infra.exited():
                raise RuntimeError(f"PostgreSQL exited; see {self.log_dir / 'postgresql.out'}")
            try:
                psycopg2.connect(f"host=127.0.0.1 port={self.port} user={DB_USER} dbname=postgres").close()
                return
            except psycopg2.OperationalError:
                time.sleep(0.3)
        raise TimeoutError("PostgreSQL did not accept connections within 60 s")


class Redis:
    """A private redis-server on a free port of 127.0.0.1, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, env: dict[str, str], log_dir: Path) -> Components:
        """Start it; returns the started process, to be stopped with ``stop()``."""
        program = shutil.which("redis-server")
        if program is None:
            raise RuntimeError("redis-server not found")
        infra = Components(Path(program), env, log_dir)
        infra.start(
            "redis", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "yes", "--daemonize", "no",
        )  # fmt: skip
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                if "redis" in infra.exited():
                    raise RuntimeError("redis-server exited")
                try:
                    if client.ping():
                        return infra
                except redis.RedisError:
                    time.sleep(0.2)
            raise TimeoutError("redis-server did not answer within 30 s")
        except BaseException:
            infra.stop()
            raise
        finally:
            client.close()
