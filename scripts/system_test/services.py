"""Airflow's components as separate processes on 127.0.0.1, started and stopped by PID.

Each component runs in its own session, its output goes to a file, and everything it forks
(LocalExecutor workers, task supervisors) is found through ``/proc`` and stopped by PID too: a
polite SIGTERM first, SIGKILL for whatever is left after a bounded wait.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def wait_until(what: str, done: Callable[[], Any], seconds: float, step: float = 0.5) -> float:
    """Call ``done`` every ``step`` seconds until it is true; the seconds that took. Raises
    ``TimeoutError`` naming ``what`` after ``seconds``."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"{what}: not within {seconds:.0f} s")
        time.sleep(step)
    return time.monotonic() - started


@dataclass(frozen=True)
class Proc:
    """A process we are responsible for: its PID and start time (so a reused PID is never hit)."""

    pid: int
    started: int

    def alive(self) -> bool:
        return _start_time(self.pid) == self.started


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (``None`` once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text[text.rindex(")") + 2 :].split()


def _start_time(pid: int) -> int | None:
    fields = stat_fields(pid)
    return None if fields is None or fields[0] == "Z" else int(fields[19])


def descendants(root: int) -> list[Proc]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[Proc] = []
    todo = list(children.get(root, []))
    while todo and len(found) < 10_000:
        pid = todo.pop()
        started = _start_time(pid)
        if started is not None:
            found.append(Proc(pid, started))
        todo.extend(children.get(pid, []))
    return found


def _signal(proc: Proc, sig: signal.Signals) -> None:
    if proc.alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)


def _wait_gone(procs: list[Proc], seconds: float) -> list[Proc]:
    deadline = time.monotonic() + seconds
    left = [p for p in procs if p.alive()]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in left if p.alive()]
    return left


class Components:
    """The Airflow components this run started; ``stop()`` ends them and all they started."""

    def __init__(self, airflow: Path, env: dict[str, str], log_dir: Path) -> None:
        self.airflow = airflow
        self.env = env
        self.log_dir = log_dir
        self.started: dict[str, tuple[subprocess.Popen[bytes], Proc]] = {}

    def start(self, name: str, *args: str) -> int:
        log = (self.log_dir / f"{name}.out").open("wb")
        popen = subprocess.Popen(  # noqa: S603 - our own venv's airflow with fixed arguments
            [str(self.airflow), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        started = _start_time(popen.pid)
        self.started[name] = (popen, Proc(popen.pid, started if started is not None else -1))
        return popen.pid

    def pids(self) -> list[int]:
        """Every live process started here, and everything they started."""
        roots = [proc for _popen, proc in self.started.values() if proc.alive()]
        return [p.pid for root in roots for p in [root, *descendants(root.pid)]]

    def exited(self) -> dict[str, int]:
        """Components that have stopped on their own, with their exit codes."""
        return {name: code for name, (popen, _) in self.started.items() if (code := popen.poll()) is not None}

    def stop_one(self, name: str, grace: float = 15.0) -> list[int]:
        """Stop one component and all it started (SIGTERM, then SIGKILL after ``grace``); the PIDs
        still alive at the end, which should be none. It can be started again under a new name."""
        popen, proc = self.started.pop(name)
        return _reap(_terminate(popen, proc, grace))

    def stop(self, grace: float = 15.0) -> list[int]:
        """Stop everything started, newest first: SIGTERM, then SIGKILL for what outlives ``grace``
        (LocalExecutor workers ignore SIGTERM, and the scheduler waits for them). Returns the PIDs
        still alive at the end, which should be none."""
        every: list[Proc] = []
        for _name, (popen, proc) in reversed(list(self.started.items())):
            every += _terminate(popen, proc, grace)
        return _reap(every)


def _terminate(popen: subprocess.Popen[bytes], proc: Proc, grace: float) -> list[Proc]:
    """SIGTERM to ``proc``; if it outlives ``grace``, SIGKILL to it and all it started. Returns
    ``proc`` and every process it was seen to have started."""
    every = [proc, *descendants(proc.pid)]
    _signal(proc, signal.SIGTERM)
    if _wait_gone([proc], grace):
        family = descendants(proc.pid)
        every += family
        for straggler in [*family, proc]:
            _signal(straggler, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(timeout=5)
    return every


def _reap(every: list[Proc]) -> list[int]:
    """SIGKILL what is still alive of ``every`` after 2 s; the PIDs alive 5 s later."""
    for left in _wait_gone(every, 2.0):
        _signal(left, signal.SIGKILL)
    return [p.pid for p in _wait_gone(every, 5.0)]
