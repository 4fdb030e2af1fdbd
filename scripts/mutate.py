"""Mutation testing of the verdict code: does some test fail when a verdict rule is changed?

``./run mutate [MODULE ...]`` parses each module (a path under ``airflow_provider_modelarts/``,
optionally ``:name,name`` to mutate only those functions or module-level names), makes one small
change at a time (a *mutant*), and runs the tests that reach the changed line against it. A mutant
is killed when a test fails (or the run outlives its time limit); it survives when they all pass.

How a mutant runs: this process imports Airflow, pytest and the test suite's set-up once; each
mutant runs in a forked child whose ``sys.path`` starts with a private copy of the package holding
the mutated file. The real files are never written. Which tests reach which line comes from one
traced run of the module's tests on the unmutated code (which must pass); that run also sets each
mutant's time limit. A surviving mutant is run once more against every test that reaches its
function before it is reported.

Survivors that are listed in ``mutate_allowed.toml`` (next to this file: reviewed equivalent or
verdict-neutral mutants, each with its reason) do not fail the run; any other survivor does.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import importlib
import json
import os
import pkgutil
import random
import shutil
import signal
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "airflow_provider_modelarts"
ALLOWED_FILE = Path(__file__).with_name("mutate_allowed.toml")
MAX_MUTANTS = 3000  # a run never tries more; --max samples fewer
MIN_LIMIT = 30.0  # seconds: the least time a mutant's tests get
TEST_LIMIT = 10.0  # seconds: the least time one test gets in a mutant's run (plus LIMIT_FACTOR x its time)
RUNNER_FAILED = 70  # a child's exit code when it could not run pytest at all
LIMIT_FACTOR = 3.0  # a mutant's time limit: this many times its tests' unmutated duration, plus MIN_LIMIT

# What is mutated by default (``None``: the whole module), and the tests that exercise each module.
DEFAULT_TARGETS: dict[str, tuple[str, ...] | None] = {
    "api/errors.py": None,
    "api/watch.py": None,
    "api/waiting.py": None,
    "api/shared_watch.py": None,
    "api/statuses.py": None,
    # The cleanup's selection; the per-job decision of every teardown, and the core's reading of
    # each answer and its checks right before a delete.
    "operators/cleanup.py": ("_status_matches", "select_jobs", "select"),
    "teardown/decide.py": None,
    "teardown/core.py": (
        "TERMINAL_V2_PHASES",
        "judge",
        "_apply",
        "_after_refusal",
        "_ready",
        "_delete_batches",
        "_delete_one",
        "_stop_one",
    ),
}
_VERDICT_TESTS = ("tests/unit", "tests/verdicts")
# The tests each module's mutants run against: the verdict tests and the fast suites that exercise
# the module (the emulator-driven operator and sensor suites would make a pass take many hours).
MODULE_TESTS: dict[str, tuple[str, ...]] = {
    "api/errors.py": (
        *_VERDICT_TESTS,
        "tests/integration/test_hook_errors.py",
        "tests/operators/test_foreign_answers.py",
    ),
    "api/watch.py": (*_VERDICT_TESTS, "tests/sharing", "tests/triggers"),
    "api/waiting.py": (*_VERDICT_TESTS, "tests/triggers"),
    "api/shared_watch.py": (*_VERDICT_TESTS, "tests/sharing"),
    "api/statuses.py": (*_VERDICT_TESTS, "tests/sharing"),
    "operators/cleanup.py": (*_VERDICT_TESTS, "tests/cleanup"),
    "teardown/decide.py": (*_VERDICT_TESTS, "tests/teardown", "tests/operators/test_teardown_operators.py"),
    "teardown/core.py": (
        *_VERDICT_TESTS,
        "tests/teardown",
        "tests/cleanup",
        "tests/operators/test_teardown_job.py",
    ),
}

LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "log"})
# Verdict-flipping category swaps: a status that ends no wait read as stopped, and the reverse.
CATEGORY_FLIPS = {
    "ACTIVE": "STOPPED",
    "STOPPING": "STOPPED",
    "UNKNOWN": "STOPPED",
    "STOPPED": "ACTIVE",
    "SUCCEEDED": "ACTIVE",
    "FAILED": "ACTIVE",
}
_FLIPPED_CMP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


# ---- mutants ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    module: str  # path under the package, e.g. api/errors.py
    scope: str  # qualified name of the function, or the module-level name, it changes
    line: int
    end_line: int
    operator: str
    mutation: str
    original: str
    source: str  # the whole mutated module
    at_import: bool = False  # it changes code that runs once, when the module is imported (a table)

    @property
    def lines(self) -> range:
        return range(self.line, self.end_line + 1)

    @property
    def where(self) -> str:
        return f"{PACKAGE}/{self.module}:{self.line}"

    def describe(self) -> str:
        return f"{self.where} [{self.scope}] {self.operator}: {self.mutation}  (was: {self.original})"


def _one_line(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _simple(node: ast.expr) -> bool:
    """Whether a container element is table data: a constant, a name, or a tuple of those."""
    if isinstance(node, ast.Constant | ast.Name | ast.Attribute):
        return True
    return isinstance(node, ast.Tuple | ast.List) and all(_simple(e) for e in node.elts)


def _is_log_or_error_call(node: ast.AST) -> bool:
    """A logging call or an exception's construction: its arguments are message text."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in LOG_METHODS or name.endswith(("Error", "Exception", "Failed", "TimedOut", "Event"))


def _returns(annotation: ast.expr | None) -> tuple[bool, bool]:
    """(returns bool, may return None) from a return annotation."""
    if annotation is None:
        return False, False
    text = ast.unparse(annotation).replace(" ", "")
    parts = set(text.split("|"))
    return text == "bool", "None" in parts and len(parts) > 1


_Node = ast.expr | ast.stmt


class _Finder(ast.NodeVisitor):
    """Walks one module and yields (node, replacement text, operator, mutation) for each mutant."""

    def __init__(self, wanted: tuple[str, ...] | None) -> None:
        self.wanted = wanted
        self.stack: list[str] = []
        # node, new text, operator, mutation, scope, whether it runs at import
        self.found: list[tuple[_Node, str, str, str, str, bool]] = []
        self._function_returns: list[tuple[bool, bool]] = []
        self._removable: set[int] = set()  # constants whose removal from a literal is a mutant already
        self._function_depth = 0  # > 0 inside a function body: code that runs when called, not at import

    # -- scope ---------------------------------------------------------------------------------

    @property
    def scope(self) -> str:
        return ".".join(self.stack) or "<module>"

    def _in_scope(self) -> bool:
        return self.wanted is None or any(part in self.wanted for part in self.stack)

    def _add(self, node: _Node, text: str, operator: str, mutation: str) -> None:
        if self._in_scope():
            self.found.append((node, text, operator, mutation, self.scope, not self._function_depth))

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            target = _assigned_name(stmt)
            if target == "__all__":
                continue
            if target is not None:
                self.stack.append(target)
                self.visit(stmt)
                self.stack.pop()
            else:
                self.visit(stmt)

    def _visit_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.stack.append(node.name)
        in_function = not isinstance(node, ast.ClassDef)
        if isinstance(node, ast.ClassDef):
            self._function_returns.append((False, False))
        else:
            self._function_returns.append(_returns(node.returns))
            for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
                self.visit(default)  # evaluated once, at import
        self._function_depth += in_function
        for stmt in node.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            self.visit(stmt)
        self._function_depth -= in_function
        self._function_returns.pop()
        self.stack.pop()

    visit_FunctionDef = _visit_def
    visit_AsyncFunctionDef = _visit_def
    visit_ClassDef = _visit_def

    # -- text that is not a rule ---------------------------------------------------------------

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # message text

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)  # not the annotation: never evaluated

    def visit_Raise(self, node: ast.Raise) -> None:
        return  # what is raised is decided by the branch that raises; its message is text

    def visit_Call(self, node: ast.Call) -> None:
        if _is_log_or_error_call(node):
            return
        self.generic_visit(node)

    # -- operators -----------------------------------------------------------------------------

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            flipped = _FLIPPED_CMP.get(type(op))
            if flipped is None:
                continue
            mutant = copy.deepcopy(node)
            mutant.ops[index] = flipped()
            self._add(node, ast.unparse(mutant), "compare", f"`{_op(op)}` -> `{_op(flipped())}`")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        mutant = copy.deepcopy(node)
        mutant.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        names = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        self._add(node, ast.unparse(mutant), "boolean", f"`{names[0]}` -> `{names[1]}`")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._add(node, ast.unparse(node.operand), "not", "`not` removed")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self._removable:
            return  # removing it from its table changes what changing it would
        value = node.value
        if isinstance(value, bool):
            self._add(node, repr(not value), "constant", f"{value!r} -> {not value!r}")
        elif isinstance(value, int | float):
            for changed in (value + 1, value - 1):
                self._add(node, repr(changed), "number", f"{value!r} -> {changed!r}")
        elif isinstance(value, str) and value:
            self._add(node, "''", "string", f"{_one_line(repr(value), 40)} -> ''")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        flip = CATEGORY_FLIPS.get(node.attr)
        if flip and isinstance(node.value, ast.Name) and node.value.id == "Category":
            self._add(node, f"Category.{flip}", "category", f"Category.{node.attr} -> Category.{flip}")
        self.generic_visit(node)

    def _remove_elements(self, node: ast.Set | ast.Tuple | ast.List, kind: str) -> None:
        if isinstance(node.ctx if not isinstance(node, ast.Set) else ast.Load(), ast.Load) and all(
            _simple(e) for e in node.elts
        ):
            self._removable.update(id(e) for e in node.elts)
            for index, element in enumerate(node.elts):
                mutant = copy.deepcopy(node)
                del mutant.elts[index]
                text = ast.unparse(mutant) if mutant.elts or not isinstance(node, ast.Set) else "set()"
                self._add(
                    node, text, "element", f"`{_one_line(ast.unparse(element), 50)}` removed from {kind}"
                )
        self.generic_visit(node)

    def visit_Set(self, node: ast.Set) -> None:
        self._remove_elements(node, "set")

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._remove_elements(node, "tuple")

    def visit_List(self, node: ast.List) -> None:
        self._remove_elements(node, "list")

    def visit_Dict(self, node: ast.Dict) -> None:
        for index, key in enumerate(node.keys):
            if key is None:
                continue
            self._removable.add(id(key))
            mutant = copy.deepcopy(node)
            del mutant.keys[index]
            del mutant.values[index]
            self._add(
                node, ast.unparse(mutant), "element", f"entry `{_one_line(ast.unparse(key), 50)}` removed"
            )
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        returns_bool, may_be_none = self._function_returns[-1] if self._function_returns else (False, False)
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            if returns_bool and not isinstance(value, ast.Constant):
                self._add(node, f"return not ({ast.unparse(value)})", "return", "returns the opposite")
            if may_be_none:
                self._add(node, "return None", "return", "returns None")
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return  # imports for type checkers only: never run
        for branch in (node.body, node.orelse):
            for stmt in branch:
                if _deletable(stmt, branch is node.orelse):
                    self._add(stmt, "pass", "statement", f"`{_one_line(ast.unparse(stmt), 60)}` deleted")
        self.generic_visit(node)


def _deletable(stmt: ast.stmt, in_else: bool) -> bool:
    if isinstance(stmt, ast.Pass) or (in_else and isinstance(stmt, ast.If)):
        return False  # nothing to delete; an elif's own branches are mutated one by one
    if isinstance(stmt, ast.Expr):
        return not isinstance(stmt.value, ast.Constant) and not _is_log_or_error_call(stmt.value)
    return True


def _op(op: ast.cmpop) -> str:
    return ast.unparse(ast.Compare(ast.Name("a"), [op], [ast.Name("b")]))[2:-2]


def _assigned_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


def _splice(source: bytes, line_starts: list[int], node: _Node, text: str) -> bytes:
    start = line_starts[node.lineno - 1] + node.col_offset
    end_line, end_col = node.end_lineno, node.end_col_offset
    assert end_line is not None and end_col is not None
    end = line_starts[end_line - 1] + end_col
    # Expressions keep their place in any context in parentheses; a statement replaces a statement.
    new = text if isinstance(node, ast.stmt) else f"({text})"
    return source[:start] + new.encode() + source[end:]


def mutants_of(module: str, wanted: tuple[str, ...] | None) -> list[Mutant]:
    """Every mutant of ``module`` (inside ``wanted`` names only, if given), in source order."""
    text = (ROOT / PACKAGE / module).read_text(encoding="utf-8")
    source = text.encode()
    line_starts = [0]
    for raw in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(raw))
    tree = ast.parse(text)
    finder = _Finder(wanted)
    finder.visit(tree)
    # A constant is shown (and allowed) with the expression around it: `candidates[0]`, not `0`.
    parents = {id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    mutants = []
    for node, new_text, operator, mutation, scope, at_import in finder.found:
        mutated = _splice(source, line_starts, node, new_text).decode()
        try:
            compile(mutated, module, "exec", dont_inherit=True)
        except SyntaxError:
            continue
        parent = parents.get(id(node))
        shown = parent if isinstance(node, ast.Constant) and isinstance(parent, ast.expr) else node
        original = _one_line(ast.get_source_segment(text, shown) or "")
        where = (node.lineno, node.end_lineno or node.lineno)
        mutants.append(Mutant(module, scope, *where, operator, mutation, original, mutated, at_import))
    return sorted(mutants, key=lambda m: (m.line, m.operator, m.mutation))


# ---- the allow-list of reviewed survivors --------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    module: str
    scope: str
    reason: str
    mutation: str | None = None  # None: any mutation of ``original`` in ``scope``
    original: str | None = None  # None: any place in ``scope``

    def matches(self, mutant: Mutant) -> bool:
        return (
            self.module == mutant.module
            and self.scope == mutant.scope
            and self.mutation in (None, mutant.mutation)
            and self.original in (None, mutant.original)
        )


def load_allowed(path: Path = ALLOWED_FILE) -> list[Allowed]:
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("allowed", [])
    allowed = []
    for entry in entries:
        if not str(entry.get("reason", "")).strip():
            raise SystemExit(f"mutate: {path.name}: every entry needs a reason: {entry}")
        allowed.append(Allowed(**entry))
    return allowed


# ---- running tests in forked children ----------------------------------------------------------


class _TestTimeout(BaseException):
    """Raised in a mutant's run when one test outlives its limit (not an Exception: nothing catches it)."""


class _Deadline:
    """A pytest plugin for a mutant's run: a test that runs far longer than it did unmutated is
    stopped (and the run counts as a timeout), so a mutant that makes a wait hang costs seconds."""

    def __init__(self, limits: dict[str, float], marker: Path) -> None:
        self.limits = limits
        self.marker = marker

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        self.marker.touch()
        raise _TestTimeout("the test ran past its limit")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> object:
        signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, self.limits.get(item.nodeid, TEST_LIMIT))
        try:
            return (yield)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


class _Recorder:
    """A pytest plugin for the unmutated run: which lines of the targets each test reaches, how
    long each test takes, and which tests fail."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files  # file name as imported -> module key
        self.current: str | None = None
        self.lines: dict[str, set[tuple[str, int]]] = defaultdict(set)
        self.durations: dict[str, float] = defaultdict(float)
        self.failed: set[str] = set()
        self.order: list[str] = []

    def _line(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        if event == "line":
            self.lines[self.current or ""].add((self.files[frame.f_code.co_filename], frame.f_lineno))
        return self._line

    def _call(self, frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        module = self.files.get(frame.f_code.co_filename)
        if module is None:
            return None
        self.lines[self.current or ""].add((module, frame.f_lineno))
        return self._line

    def start(self) -> None:
        import threading

        threading.settrace(self._call)
        sys.settrace(self._call)

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        self.current = nodeid
        self.order.append(nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
        self.current = None

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] += report.duration
        if report.failed:
            self.failed.add(report.nodeid)


@dataclass
class Outcome:
    status: str  # killed, survived, timeout, error
    seconds: float


class Runner:
    """Runs pytest in forked children against private copies of the package (one per slot)."""

    def __init__(self, workdir: Path, jobs: int) -> None:
        self.workdir = workdir
        self.test_limits: dict[str, float] = {}  # each test's time limit in a mutant's run
        self.slots = []
        for index in range(jobs):
            slot = workdir / f"slot{index}"
            shutil.copytree(ROOT / PACKAGE, slot / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
            self.slots.append(slot)

    def _fork(self, slot: Path, args: list[str], plugin: object | None, log: Path) -> int:
        sys.stdout.flush()  # or the child would write this process's pending output once more
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            with contextlib.suppress(OSError):  # the child already did, or has already exited
                os.setpgid(pid, pid)
            return pid
        code = RUNNER_FAILED
        try:
            os.setpgid(0, 0)
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(out, 2)
            sys.dont_write_bytecode = True
            sys.path.insert(0, str(slot))
            os.environ["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(slot), os.environ.get("PYTHONPATH")])
            )
            import airflow_provider_modelarts

            where = Path(airflow_provider_modelarts.__file__ or "").resolve()
            if not where.is_relative_to(slot.resolve()):
                raise RuntimeError(f"the package was imported from {where}, not from the copy")
            if isinstance(plugin, _Recorder):
                plugin.files = {str(slot / PACKAGE / m): m for m in plugin.files.values()}
                plugin.start()
            code = int(pytest.main(args, plugins=[plugin] if plugin else []))
            if isinstance(plugin, _Recorder):
                sys.settrace(None)
                result = {
                    "lines": {k: sorted(v) for k, v in plugin.lines.items()},
                    "durations": plugin.durations,
                    "failed": sorted(plugin.failed),
                    "order": plugin.order,
                }
                (log.parent / "baseline.json").write_text(json.dumps(result))
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _reap(self, pid: int, deadline: float) -> int | None:
        """The child's exit code, or ``None`` if it ran past ``deadline`` (it is then killed)."""
        while True:
            finished, code = self._poll(pid, deadline)
            if finished:
                return code
            time.sleep(0.05)

    def baseline(self, tests: Sequence[str], modules: Sequence[str]) -> dict[str, Any]:
        """Run ``tests`` once, unmutated and traced; the coverage map, durations and failures."""
        log = self.workdir / "baseline.log"
        recorder = _Recorder({m: m for m in modules})
        pid = self._fork(self.slots[0], [*tests, "-q", "-p", "no:cacheprovider"], recorder, log)
        code = self._reap(pid, time.monotonic() + 3600)
        result_file = self.workdir / "baseline.json"
        if code not in (0, 1) or not result_file.exists():
            sys.stdout.write(log.read_text(errors="replace")[-5000:])
            raise SystemExit(f"mutate: the unmutated test run did not complete (exit {code})")
        return dict(json.loads(result_file.read_text()))

    def run(self, mutants: Sequence[tuple[Mutant, list[str], float]]) -> Iterator[tuple[Mutant, Outcome]]:
        """Run each mutant's tests (``-x``) in a free slot; yields outcomes as children finish."""
        queue = list(mutants)
        running: dict[int, tuple[Mutant, Path, float, float]] = {}  # pid -> mutant, slot, start, deadline
        free = list(self.slots)
        try:
            while queue or running:
                while queue and free:
                    mutant, tests, limit = queue.pop(0)
                    slot = free.pop()
                    (slot / PACKAGE / mutant.module).write_text(mutant.source, encoding="utf-8")
                    args = [*tests, "-x", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts="]
                    marker = slot / "timed-out"
                    marker.unlink(missing_ok=True)
                    pid = self._fork(slot, args, _Deadline(self.test_limits, marker), slot / "mutant.log")
                    start = time.monotonic()
                    running[pid] = (mutant, slot, start, start + limit)
                time.sleep(0.05)
                for pid, (mutant, slot, start, deadline) in list(running.items()):
                    finished, code = self._poll(pid, deadline)
                    if not finished:
                        continue
                    del running[pid]
                    shutil.copyfile(ROOT / PACKAGE / mutant.module, slot / PACKAGE / mutant.module)
                    free.append(slot)
                    if (slot / "timed-out").exists():
                        code = None
                    yield mutant, Outcome(_status(code), time.monotonic() - start)
        finally:
            for pid in running:  # interrupted: stop the children still at work
                _reap_group(pid)
                os.waitpid(pid, 0)

    @staticmethod
    def _poll(pid: int, deadline: float) -> tuple[bool, int | None]:
        """(finished, exit code): the code is ``None`` if the child ran past ``deadline`` (it is
        killed then)."""
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _reap_group(pid)
            return True, os.waitstatus_to_exitcode(status)
        if time.monotonic() <= deadline:
            return False, None
        _reap_group(pid)
        os.waitpid(pid, 0)
        return True, None


def _status(code: int | None) -> str:
    """A child's exit code as an outcome. pytest's 1 (a test failed), 2 (a test module failed to
    import), 3 (internal error: a plugin failed to load) and 4 (usage error: a test id the mutant
    renamed is not found) all come from the mutant (the same tests pass unmutated), as does a crash;
    5 (no tests ran) and RUNNER_FAILED are this runner's errors."""
    if code is None:
        return "timeout"
    if code == 0:
        return "survived"
    return "killed" if code in (1, 2, 3, 4) or code < 0 else "error"


def _reap_group(pid: int) -> None:
    """Stop whatever a finished or overdue child left running in its own process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _preload() -> None:
    """Import, once, what every child would import: the test suite's set-up (it sets AIRFLOW_HOME
    and more before Airflow is imported), pytest and its plugins, and every module of the package
    for the third-party modules they pull in. The package's own modules are then forgotten: each
    child imports them from its copy."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    importlib.import_module("tests.conftest")
    for name in ("pytest", "pytest_asyncio", "hypothesis", "airflow.sdk"):
        importlib.import_module(name)
    for info in pkgutil.walk_packages([str(ROOT / PACKAGE)], PACKAGE + "."):
        if not info.name.endswith(".__main__"):
            importlib.import_module(info.name)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


# ---- choosing tests --------------------------------------------------------------------------


@dataclass
class Coverage:
    """Which tests reach which lines, from the unmutated run."""

    by_line: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, baseline: dict[str, Any]) -> Coverage:
        coverage = cls(durations=baseline["durations"], failed=baseline["failed"])
        coverage.order = {nodeid: i for i, nodeid in enumerate(baseline["order"])}
        failed = set(coverage.failed)
        by_line: dict[tuple[str, int], set[str]] = defaultdict(set)
        for nodeid, lines in baseline["lines"].items():
            if nodeid and nodeid not in failed:  # "": lines run while collecting (imports)
                for module, line in lines:
                    by_line[(module, line)].add(nodeid)
        coverage.by_line = {key: sorted(value) for key, value in by_line.items()}
        return coverage

    def tests_for(self, mutant: Mutant, lines: range) -> list[str]:
        """The tests that reach any of ``lines`` of the mutant's module, quickest first."""
        found: set[str] = set()
        for line in lines:
            found.update(self.by_line.get((mutant.module, line), ()))
        return sorted(found, key=lambda t: (self.durations.get(t, 0.0), self.order.get(t, 0)))

    def limit(self, tests: Sequence[str]) -> float:
        return MIN_LIMIT + LIMIT_FACTOR * sum(self.durations.get(t, 0.0) for t in tests)


def _scope_lines(module: str, scope: str) -> range:
    """The lines of the function (or module-level name) ``scope`` names; the whole module for
    ``<module>`` or a name it cannot find."""
    tree = ast.parse((ROOT / PACKAGE / module).read_text(encoding="utf-8"))
    body: list[ast.stmt] = tree.body
    found: ast.stmt | None = None
    for part in scope.split("."):
        found = next((s for s in body if (getattr(s, "name", None) or _assigned_name(s)) == part), None)
        if found is None:
            return range(1, (tree.body[-1].end_lineno or 0) + 1 if tree.body else 1)
        body = getattr(found, "body", [])
    assert found is not None
    return range(found.lineno, (found.end_lineno or found.lineno) + 1)


# ---- the command -----------------------------------------------------------------------------


def _targets(specs: Sequence[str]) -> dict[str, tuple[str, ...] | None]:
    if not specs:
        return dict(DEFAULT_TARGETS)
    targets: dict[str, tuple[str, ...] | None] = {}
    for spec in specs:
        module, _, names = spec.partition(":")
        module = module.removeprefix(f"{PACKAGE}/")
        if not (ROOT / PACKAGE / module).is_file():
            raise SystemExit(f"mutate: no module {PACKAGE}/{module}")
        targets[module] = tuple(names.split(",")) if names else DEFAULT_TARGETS.get(module)
    return targets


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./run mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "modules",
        nargs="*",
        metavar="MODULE",
        help=f"a module under {PACKAGE}/ (api/errors.py), optionally :name,name (default: the verdict code)",
    )
    parser.add_argument("--list", action="store_true", help="only print the mutants")
    parser.add_argument("--max", type=int, default=0, metavar="N", help="run a random sample of N mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --max sample (default 0)")
    parser.add_argument("--scope", metavar="TEXT", help="only mutants whose scope contains TEXT")
    parser.add_argument("--operator", metavar="NAME", help="only mutants of this operator (compare, ...)")
    parser.add_argument("--tests", nargs="+", metavar="PATH", help="test paths instead of the module map")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    return parser.parse_args(argv)


def _select(args: argparse.Namespace, targets: dict[str, tuple[str, ...] | None]) -> list[Mutant]:
    mutants = [m for module, wanted in targets.items() for m in mutants_of(module, wanted)]
    if args.scope:
        mutants = [m for m in mutants if args.scope in m.scope]
    if args.operator:
        mutants = [m for m in mutants if m.operator == args.operator]
    count = min(args.max or MAX_MUTANTS, MAX_MUTANTS)
    if len(mutants) > count:
        sample = random.Random(args.seed).sample(mutants, count)  # noqa: S311  (a sample, not a secret)
        mutants = sorted(sample, key=lambda m: (m.module, m.line))
    return mutants


def _summary(results: list[tuple[Mutant, Outcome, bool]], modules: Sequence[str], seconds: float) -> None:
    print(f"\n{'module':<24}{'mutants':>9}{'killed':>8}{'timeout':>9}{'survived':>10}{'allowed':>9}")
    for module in modules:
        mine = [(o, allowed) for m, o, allowed in results if m.module == module]
        counts = [
            len(mine),
            sum(o.status == "killed" for o, _ in mine),
            sum(o.status == "timeout" for o, _ in mine),
            sum(o.status != "killed" and o.status != "timeout" for o, _ in mine),
            sum(allowed for _, allowed in mine),
        ]
        print(f"{module:<24}" + "".join(f"{n:>{w}}" for n, w in zip(counts, (9, 8, 9, 10, 9), strict=True)))
    print(f"{len(results)} mutants in {seconds:.0f} s")


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupted)  # stop the children and remove the copies
    args = _parse_args(argv)
    targets = _targets(args.modules)
    mutants = _select(args, targets)
    if args.list:
        for mutant in mutants:
            print(mutant.describe())
        print(f"{len(mutants)} mutants")
        return 0
    if not mutants:
        print("mutate: no mutants")
        return 0
    started = time.monotonic()
    allowed = load_allowed()
    modules = sorted({m.module for m in mutants})
    tests = args.tests or sorted({t for m in modules for t in MODULE_TESTS.get(m, _VERDICT_TESTS)})
    tests = [t for t in tests if (ROOT / t.split("::")[0]).exists()]
    _preload()
    with tempfile.TemporaryDirectory(prefix="mutate-") as workdir:
        runner = Runner(Path(workdir), max(1, args.jobs))
        print(
            f"mutate: {len(mutants)} mutants in {len(modules)} module(s); unmutated run of {' '.join(tests)}"
        )
        coverage = Coverage.of(runner.baseline(tests, modules))
        runner.test_limits = {t: TEST_LIMIT + LIMIT_FACTOR * d for t, d in coverage.durations.items()}
        if coverage.failed:
            print(f"mutate: left out, failing on the unmutated code: {', '.join(coverage.failed)}")
        print(f"mutate: {len(coverage.order)} tests, {sum(coverage.durations.values()):.0f} s unmutated")
        results = _run_all(runner, coverage, mutants, allowed)
    _summary(results, modules, time.monotonic() - started)
    failing = _report(results)
    return 1 if failing else 0


def _run_all(
    runner: Runner, coverage: Coverage, mutants: list[Mutant], allowed: list[Allowed]
) -> list[tuple[Mutant, Outcome, bool]]:
    """Each mutant against the tests reaching its lines; survivors again against every test that
    reaches their function (or module-level name)."""
    results: dict[Mutant, Outcome] = {}
    jobs: list[tuple[Mutant, list[str], float]] = []
    for mutant in mutants:
        # Code run once, at import (a table, a default), is reached by every test of its module.
        lines = _scope_lines(mutant.module, "<module>") if mutant.at_import else mutant.lines
        tests = coverage.tests_for(mutant, lines)
        if tests:
            jobs.append((mutant, tests, coverage.limit(tests)))
        else:
            results[mutant] = Outcome("survived", 0.0)
    total, done = len(mutants), 0
    for mutant, outcome in results.items():
        done += 1
        _progress(done, total, mutant, outcome, "no test reaches it")
    for mutant, outcome in runner.run(jobs):
        done += 1
        results[mutant] = outcome
        _progress(done, total, mutant, outcome)
    again = []
    for mutant, tests, _ in jobs:
        if results[mutant].status == "survived":
            wider = coverage.tests_for(mutant, _scope_lines(mutant.module, mutant.scope))
            if len(wider) > len(tests):
                again.append((mutant, wider, coverage.limit(wider)))
    if again:
        print(f"mutate: {len(again)} survivor(s) once more, against every test reaching their function")
        for index, (mutant, outcome) in enumerate(runner.run(again), 1):
            results[mutant] = outcome
            _progress(index, len(again), mutant, outcome)
    return [(m, results[m], any(a.matches(m) for a in allowed)) for m in mutants]


def _progress(done: int, total: int, mutant: Mutant, outcome: Outcome, note: str = "") -> None:
    took = note or f"{outcome.seconds:.1f} s"
    print(f"[{done:>4}/{total}] {outcome.status:<8} {took:>6}  {mutant.describe()}", flush=True)


def _report(results: list[tuple[Mutant, Outcome, bool]]) -> list[Mutant]:
    survivors = [(m, allowed) for m, o, allowed in results if o.status in ("survived", "error")]
    failing = [m for m, allowed in survivors if not allowed]
    if survivors:
        print("\nsurvivors:")
        for mutant, allowed in survivors:
            print(f"  {'allowed ' if allowed else 'SURVIVED'} {mutant.describe()}")
    print(f"\n{len(failing)} survivor(s) not in {ALLOWED_FILE.name}")
    return failing


if __name__ == "__main__":
    sys.exit(main())
