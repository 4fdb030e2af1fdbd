"""Helpers for tests that drive operators, sensors and triggers against the emulator.

``emu`` is the emulator fixture with ``modelarts_default`` pointing at it. ``make_context`` builds
the smallest context a task needs here: ``params`` for templates and a task instance stand-in
that records ``xcom_push``. ``drive`` runs an operator the way a worker and a triggerer would:
``execute``; on ``TaskDeferred`` the trigger runs to its one event, which is handed back through
``resume_execution`` (again and again, bounded, if the task defers more than once).

Airflow imports that moved between 3.1 and 3.3 are resolved here once, so the suite runs on both.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_modelarts.emulator import EmulatorServer

AIRFLOW_VERSION = tuple(int(part) for part in version("apache-airflow-core").split(".")[:2])
AIRFLOW_3_2_PLUS = AIRFLOW_VERSION >= (3, 2)
if AIRFLOW_3_2_PLUS:
    from airflow.dag_processing.dagbag import DagBag as DagBag  # for the example DAG tests
else:
    from airflow.models.dagbag import DagBag as DagBag  # type: ignore[no-redef]

EVENT_TIMEOUT = 30.0
MAX_DEFERRALS = 4
FAST = 0.05  # poll interval of the tests, in seconds


@pytest.fixture
def modelarts_emulator_config() -> Any:
    """The test durations, with stops and deletions that outlast the look a task takes right after
    its request, even on a busy machine: these tests assert which waits deferred."""
    from airflow_provider_modelarts.emulator.config import EmulatorConfig

    config = EmulatorConfig.for_tests()
    config.update({"stop_seconds": 0.8, "delete_visible_seconds": 0.8})
    return config


@pytest.fixture
def emu(modelarts_emulator: EmulatorServer, use_connection: Any) -> EmulatorServer:
    use_connection(modelarts_emulator.airflow_connection())
    return modelarts_emulator


class RecordingTI:
    """Stands in for the task instance: records what the task pushes to XCom."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    map_index = -1

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, *, task_ids: str, key: str, map_indexes: int | None = None) -> Any:
        return self.pushed.get(key)

    def get_first_reschedule_date(self, context: Any) -> None:
        return None  # no earlier reschedule: the sensor starts its timeout now


def make_context(**params: Any) -> dict[str, Any]:
    ti = RecordingTI()
    return {"ti": ti, "task_instance": ti, "params": params}


def requests(server: EmulatorServer, route: str) -> int:
    return int(server.stats()["requests"].get(route, 0))


def mutating_requests(server: EmulatorServer) -> dict[str, int]:
    """Requests to routes that change jobs (create, stop, terminate, delete)."""
    words = ("create", "delete", "stop", "terminate")
    return {
        route: count
        for route, count in server.stats()["requests"].items()
        if any(word in route for word in words) and count
    }


async def all_events(trigger: BaseTrigger, limit: float = EVENT_TIMEOUT) -> list[TriggerEvent]:
    """Every event the trigger yields until ``run()`` ends (bounded in time)."""
    async with asyncio.timeout(limit):
        return [event async for event in trigger.run()]


def run_trigger(trigger: BaseTrigger, limit: float = EVENT_TIMEOUT) -> dict[str, Any]:
    """Run a trigger to its end; it must yield exactly one event. Returns the payload."""
    events = asyncio.run(all_events(trigger, limit))
    assert len(events) == 1, events
    payload = events[0].payload
    assert isinstance(payload, dict)
    return payload


@dataclass
class Driven:
    result: Any = None
    deferrals: list[TaskDeferred] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def drive(
    op: Any, context: dict[str, Any], driven: Driven | None = None, *, resumed: TaskDeferred | None = None
) -> Driven:
    """Execute ``op``; run each deferral's trigger and resume the task with its event.

    Exceptions of the task propagate; ``driven`` (if given) keeps what happened before them.
    ``resumed``: start from a deferral the test already caught, instead of from ``execute``.
    """
    driven = driven if driven is not None else Driven()
    step = lambda: op.execute(context)  # noqa: E731
    if resumed is not None:
        driven.deferrals.append(resumed)
        payload = run_trigger(resumed.trigger)
        driven.events.append(payload)
        step = lambda: op.resume_execution(  # noqa: E731
            resumed.method_name, {**(resumed.kwargs or {}), "event": payload}, context
        )
    for _ in range(MAX_DEFERRALS + 1):
        try:
            driven.result = step()
            return driven
        except TaskDeferred as deferred:
            driven.deferrals.append(deferred)
            payload = run_trigger(deferred.trigger)
            driven.events.append(payload)
            kwargs = {**(deferred.kwargs or {}), "event": payload}
            step = lambda d=deferred, k=kwargs: op.resume_execution(d.method_name, k, context)  # noqa: E731
    raise AssertionError(f"the task deferred more than {MAX_DEFERRALS} times")


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A small scripted HTTP server on 127.0.0.1 (for answers the emulator never gives); its URL.
    Stopped, and its thread joined, on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def sync_dags_to_db(*dags: Any) -> None:
    """Store DAGs defined in a test the way the DAG processor would, so ``dag.test()`` can run them."""
    from airflow_provider_modelarts.emulator.testing import store_dags

    store_dags(*dags)
