"""Shared pieces of the benchmarks: an emulator in its own process, figures with targets, results.

Timing targets are ratios: a timing depends on the machine (the same machine runs the same work up
to 3x slower from one day to the next), so each one is divided by a floor measured in the same run,
on the same machine, under the same load (:meth:`Report.ratio`). Counts (requests, calls, tokens,
polls, bytes) do not depend on the machine's speed and are checked as they are.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
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
    """Point Airflow at a throw-away home before anything imports it; removed when the process ends."""
    if "AIRFLOW_HOME" not in os.environ:
        home = tempfile.mkdtemp(prefix="modelarts-bench-")
        os.environ["AIRFLOW_HOME"] = home
        atexit.register(_remove_home, home)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")


def _remove_home(home: str) -> None:
    shutil.rmtree(home, ignore_errors=True)


class ServerProcess:
    """A server in a child process on a free port of 127.0.0.1; it prints ``listening on URL`` (and
    whatever ``_started`` waits for), and is terminated (by its PID) on exit."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.client = httpx.Client(timeout=60)

    def _started(self, line: str) -> bool:
        return bool(self.url)

    def __enter__(self) -> Any:
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            found = re.search(r"listening on (\S+)", line)
            if found:
                self.url = found.group(1)
            if self._started(line):
                return self
        self.__exit__(None, None, None)
        raise RuntimeError(f"the server process ({' '.join(self.command[1:3])}) did not start")

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


class EmulatorProcess(ServerProcess):
    """``python -m airflow_provider_modelarts.emulator`` on a free port of 127.0.0.1, in a child process."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "airflow_provider_modelarts.emulator"]
        super().__init__([*command, "--host", "127.0.0.1", "--port", "0", *args])
        self.connection: dict[str, Any] = {}

    def _started(self, line: str) -> bool:
        if line.removeprefix("export ").startswith("AIRFLOW_CONN_MODELARTS_DEFAULT="):
            self.connection = json.loads(line.split("=", 1)[1].strip().strip("'"))
            return True
        return False

    def __enter__(self) -> EmulatorProcess:
        started: EmulatorProcess = super().__enter__()
        return started

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
class Floor:
    """What a timing is divided by: the same kind of work done the barest way, in the same run."""

    name: str
    value: float
    unit: str


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""  # e.g. "<= 50" (on the value) or, with a floor, on the ratio; empty: reported only
    check: Callable[[float], bool] | None = field(default=None, repr=False)
    floor: Floor | None = None  # with a floor the target is on value / floor.value

    @property
    def ratio(self) -> float | None:
        if self.floor is None:
            return None
        return self.value / self.floor.value if self.floor.value else float("inf")

    @property
    def checked(self) -> float:
        """What the target is checked on: the ratio when there is a floor, else the value."""
        ratio = self.ratio
        return self.value if ratio is None else ratio

    @property
    def passed(self) -> bool | None:
        return None if self.check is None else bool(self.check(self.checked))


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
        floor: Floor | None = None,
    ) -> Figure:
        figure = Figure(name, value, unit, target, check, floor)
        self.figures.append(figure)
        return figure

    def at_most(self, name: str, value: float, unit: str, limit: float) -> Figure:
        return self.add(name, value, unit, f"<= {limit:g}", lambda v: v <= limit)

    def below(self, name: str, value: float, unit: str, limit: float) -> Figure:
        return self.add(name, value, unit, f"< {limit:g}", lambda v: v < limit)

    def exactly(self, name: str, value: float, unit: str, wanted: float) -> Figure:
        return self.add(name, value, unit, f"== {wanted:g}", lambda v: v == wanted)

    def ratio(self, name: str, value: float, floor: Floor, limit: float, *, at_least: bool = False) -> Figure:
        """A timing checked as ``value / floor.value`` (same unit) against ``limit``: at most, or at
        least with ``at_least``."""
        if at_least:
            return self.add(name, value, floor.unit, f">= {limit:g}", lambda r: r >= limit, floor)
        return self.add(name, value, floor.unit, f"<= {limit:g}", lambda r: r <= limit, floor)

    @property
    def passed(self) -> bool:
        return all(f.passed is not False for f in self.figures)

    def finish(self) -> int:
        """Print the table, write ``results/<name>.json``; the exit code (1 if a target is missed).

        A figure with a floor prints its value, the floor's value, the ratio and the ratio's limit;
        the floors themselves are listed under the table."""
        width = max([len(f.name) for f in self.figures] + [10])
        print(f"\n== {self.name}")
        columns = f"{'value':>10}  {'unit':<8}  {'floor':>10}  {'ratio':>8}  {'target':<10}"
        print(f"{'figure':<{width}}  {columns}  result   (a target is on the ratio when there is a floor)")
        floors: dict[tuple[str, str], Floor] = {}
        for f in self.figures:
            verdict = "-" if f.passed is None else ("PASS" if f.passed else "FAIL")
            floor = "" if f.floor is None else _fmt(f.floor.value)
            ratio = "" if f.ratio is None else _fmt_ratio(f.ratio)
            print(
                f"{f.name:<{width}}  {_fmt(f.value):>10}  {f.unit:<8}  {floor:>10}  {ratio:>8}  "
                f"{f.target:<10}  {verdict}"
            )
            if f.floor is not None:
                floors.setdefault((f.floor.name, f.floor.unit), f.floor)
        for floor_ in floors.values():
            print(f"floor: {floor_.name} = {_fmt(floor_.value)} {floor_.unit}")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        data = {
            "benchmark": self.name,
            "passed": self.passed,
            "python": sys.version.split()[0],
            "figures": [
                {
                    "name": f.name,
                    "value": f.value,
                    "unit": f.unit,
                    "floor": None if f.floor is None else vars(f.floor),
                    "ratio": None if f.ratio is None else round(f.ratio, 4),
                    "target": f.target,
                    "target_on": "ratio" if f.floor is not None else "value",
                    "passed": f.passed,
                }
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


def _fmt_ratio(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.1f}"
