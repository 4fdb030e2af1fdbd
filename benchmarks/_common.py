"""Shared pieces of the benchmarks: an emulator in its own process, figures with targets, results."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

RESULTS_DIR = Path(__file__).parent / "results"
START_TIMEOUT = 30.0


def prepare_airflow_home() -> None:
    """Point Airflow at a throw-away home before anything imports it."""
    if "AIRFLOW_HOME" not in os.environ:
        os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="modelarts-bench-")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")


class EmulatorProcess:
    """``python -m airflow_provider_modelarts.emulator`` on a free port of 127.0.0.1, in a child process."""

    def __init__(self, *args: str) -> None:
        self.args = ["--host", "127.0.0.1", "--port", "0", *args]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.connection: dict[str, Any] = {}
        self.client = httpx.Client(timeout=60)

    def __enter__(self) -> EmulatorProcess:
        command = [sys.executable, "-m", "airflow_provider_modelarts.emulator", *self.args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            found = re.search(r"listening on (\S+)", line)
            if found:
                self.url = found.group(1)
            if line.removeprefix("export ").startswith("AIRFLOW_CONN_MODELARTS_DEFAULT="):
                self.connection = json.loads(line.split("=", 1)[1].strip().strip("'"))
                return self
        self.__exit__(None, None, None)
        raise RuntimeError("the emulator process did not start")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.client.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def control(self, action: str, body: Any = None) -> Any:
        if body is None:
            response = self.client.get(f"{self.url}/_emulator/{action}")
        else:
            response = self.client.post(f"{self.url}/_emulator/{action}", json=body)
        response.raise_for_status()
        return response.json()

    def seed(self, family: str, count: int, **fields: Any) -> list[str]:
        created = self.control("seed", {"family": family, "count": count, **fields})["created"]
        return list(created[family])

    def reset(self) -> None:
        self.control("reset", {})

    def configure(self, **settings: Any) -> None:
        self.control("config", settings)

    def requests(self) -> dict[str, int]:
        """Requests per route so far (the control API itself excluded)."""
        counts = self.control("stats")["requests"]
        return {route: n for route, n in counts.items() if not route.startswith("control.")}

    def tokens_issued(self) -> int:
        return int(self.control("stats")["tokens_issued"])

    def airflow_connection(self, auth_type: str = "aksk") -> dict[str, Any]:
        conn: dict[str, Any] = json.loads(json.dumps(self.connection))
        if auth_type == "token":
            from airflow_provider_modelarts.emulator import defaults

            conn.update(login=defaults.IAM_USER, password=defaults.IAM_PASSWORD)
            conn["extra"].update(domain_name=defaults.IAM_DOMAIN)  # selects IAM token auth
        return conn


def use_connection(conn_id: str, connection: dict[str, Any]) -> None:
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(connection)


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""  # e.g. "<= 50", empty: reported only
    check: Callable[[float], bool] | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool | None:
        return None if self.check is None else bool(self.check(self.value))


@dataclass
class Report:
    name: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        target: str = "",
        check: Callable[[float], bool] | None = None,
    ) -> Figure:
        figure = Figure(name, value, unit, target, check)
        self.figures.append(figure)
        return figure

    def at_most(self, name: str, value: float, unit: str, limit: float) -> Figure:
        return self.add(name, value, unit, f"<= {limit:g}", lambda v: v <= limit)

    def below(self, name: str, value: float, unit: str, limit: float) -> Figure:
        return self.add(name, value, unit, f"< {limit:g}", lambda v: v < limit)

    def exactly(self, name: str, value: float, unit: str, wanted: float) -> Figure:
        return self.add(name, value, unit, f"== {wanted:g}", lambda v: v == wanted)

    @property
    def passed(self) -> bool:
        return all(f.passed is not False for f in self.figures)

    def finish(self) -> int:
        """Print the table, write ``results/<name>.json``; the exit code (1 if a target is missed)."""
        width = max([len(f.name) for f in self.figures] + [10])
        print(f"\n== {self.name}")
        print(f"{'figure':<{width}}  {'value':>12}  {'unit':<10}  {'target':<10}  result")
        for f in self.figures:
            verdict = "-" if f.passed is None else ("PASS" if f.passed else "FAIL")
            print(f"{f.name:<{width}}  {_fmt(f.value):>12}  {f.unit:<10}  {f.target:<10}  {verdict}")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        data = {
            "benchmark": self.name,
            "passed": self.passed,
            "python": sys.version.split()[0],
            "figures": [
                {"name": f.name, "value": f.value, "unit": f.unit, "target": f.target, "passed": f.passed}
                for f in self.figures
            ],
            "details": self.details,
        }
        (RESULTS_DIR / f"{self.name}.json").write_text(json.dumps(data, indent=2) + "\n")
        return 0 if self.passed else 1


def _fmt(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.1f}"
