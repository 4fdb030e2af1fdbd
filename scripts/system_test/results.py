"""What the system test found: figures for the README, and the problems that make it fail."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from scripts.system_test.checks import TaskOutcome


@dataclass
class RunResult:
    dag_id: str
    round: int  # 0: a run the scheduler made by itself
    kind: str
    state: str
    seconds: float | None
    tasks: int
    deferred: int


@dataclass
class Results:
    figures: list[tuple[str, str]] = field(default_factory=list)
    runs: list[RunResult] = field(default_factory=list)
    failed_tasks: list[TaskOutcome] = field(default_factory=list)
    never_deferred: list[TaskOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, name: str, value: float | str, unit: str = "s") -> None:
        self.figures.append((name, f"{value:.1f} {unit}" if isinstance(value, float) else value))

    def run(
        self,
        dag_id: str,
        round_index: int,
        kind: str,
        state: str,
        seconds: float | None,
        tasks: list[TaskOutcome],
        deferred: int,
        never_deferred: list[TaskOutcome],
        failed: list[TaskOutcome],
    ) -> None:
        self.runs.append(RunResult(dag_id, round_index, kind, state, seconds, len(tasks), deferred))
        self.failed_tasks += failed
        self.never_deferred += never_deferred
        if state != "success":
            self.problems.append(f"{dag_id} round {round_index}: run {state}")

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def expect(self, what: str, ok: bool) -> None:
        self.notes.append(f"[{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.problems.append(what)

    def print(self) -> bool:
        """The summary; True when nothing went wrong."""
        print("\nSystem test summary")
        for name, value in self.figures:
            print(f"  {name:<48} {value}")
        print("Runs (round 0: the run the scheduler makes when the nightly DAG is unpaused)")
        for r in self.runs:
            took = "-" if r.seconds is None else f"{r.seconds:5.1f} s"
            counts = f"{r.tasks:3d} tasks, {r.deferred:3d} deferred"
            print(f"  {r.dag_id:<32} {r.round:>2} {r.kind:<19} {r.state:<8} {took:>8}  {counts}")
        print(f"Failed tasks: {len(self.failed_tasks)}")
        for task in self.failed_tasks:
            print(f"  {task.dag_id} {task.run_id} {task.name}: {task.state}")
        print(f"Deferrable tasks that never deferred: {len(self.never_deferred)}")
        for task in self.never_deferred:
            print(f"  {task.dag_id} {task.run_id} {task.name}")
        for note in self.notes:
            print(f"  {note}")
        for problem in self.problems:
            print(f"  PROBLEM: {problem}")
        ok = not (self.problems or self.failed_tasks or self.never_deferred)
        print("PASSED" if ok else "FAILED")
        return ok


def conclude(results: Results, directory: Path, keep: bool, name: str) -> int:
    """Print ``results``; remove ``directory`` if everything passed (unless ``keep``), else say
    where it is kept (``name`` names it). Returns the exit code."""
    ok = results.print()
    if ok and not keep:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        print(f"{name} kept: {directory}")
    return 0 if ok else 1
