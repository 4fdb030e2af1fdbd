"""Test your own DAGs against the emulator: :func:`run_dag` runs a DAG once, as ``dag.test()`` does.

A DAG defined inside a test is in no DAG file, and ``dag.test()`` on Airflow 3 needs the DAG in the
metadata database ("the dag is not serialized"): :func:`store_dags` writes it there as the DAG
processor would. :func:`run_dag` creates the metadata database when it is empty (what
``airflow db migrate`` does), stores the DAG, points the given connections at the emulator for the
run (``AIRFLOW_CONN_*`` variables, restored afterwards), runs it with ``dag.test()`` (deferrable
tasks run their triggers inline) and returns the run's state and task states::

    from airflow_provider_modelarts.emulator.testing import run_dag

    result = run_dag(dag, conf={...}, connections={"modelarts_default": emulator.airflow_connection()})
    assert result.state == "success", result.task_states

This is the one module of the emulator package that imports Airflow (lazily, when called); like
the rest of the emulator it never imports the provider's client packages. It works with Airflow
3.1 and later: the DAG bag moved from ``airflow.models.dagbag`` (3.1) to
``airflow.dag_processing.dagbag`` (3.2+), and both are tried.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DagResult:
    """The outcome of one :func:`run_dag`."""

    state: str  # the run's state: "success" or "failed"
    task_states: dict[str, str]  # task id (mapped tasks: "task_id[index]") -> state
    run: Any  # the DagRun, for anything else

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def run_dag(
    dag: Any,
    *,
    conf: Mapping[str, Any] | None = None,
    connections: Mapping[str, Mapping[str, Any] | str] | None = None,
    create_db: bool = True,
) -> DagResult:
    """Run ``dag`` once with ``dag.test()`` and return its state and task states.

    :param conf: the run's ``conf`` (``params`` and ``dag_run.conf`` in templates).
    :param connections: connection id -> connection (a dict such as
        ``EmulatorServer.airflow_connection()``, or a URI/JSON string), set for this run only.
    :param create_db: create the metadata database first when it has no tables.
    """
    if create_db:
        ensure_db()
    store_dags(dag)
    with use_connections(connections or {}):
        run = dag.test(run_conf=dict(conf) if conf is not None else None)
    states: dict[str, str] = {}
    for ti in run.get_task_instances():
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        states[key] = _text(ti.state)
    return DagResult(_text(run.state), states, run)


def ensure_db() -> None:
    """Create the Airflow metadata database (``airflow db migrate``) if it has no tables yet."""
    from airflow import settings
    from airflow.utils import db
    from sqlalchemy import inspect

    if settings.engine is None:  # pragma: no cover - Airflow configures it on import
        settings.configure_orm()
    if not inspect(settings.engine).has_table("alembic_version"):
        db.upgradedb()


def store_dags(*dags: Any) -> None:
    """Store DAGs in the metadata database as the DAG processor would (so ``dag.test()`` can run
    a DAG that is in no DAG file), in the first configured DAG bundle."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    try:  # Airflow 3.2+
        from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag, sync_bag_to_db  # type: ignore[attr-defined,no-redef]

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bundle = next(iter(manager.get_all_dag_bundles()))
    bag = DagBag(collect_dags=False)  # an empty bag: no DAG folder is read
    for dag in dags:
        bag.bag_dag(dag)
    sync_bag_to_db(bag, bundle.name, None)


@contextmanager
def use_connections(connections: Mapping[str, Mapping[str, Any] | str]) -> Iterator[None]:
    """Set ``AIRFLOW_CONN_<ID>`` for each connection while the block runs, then restore them.

    The provider's hooks keep parsed connections for a while; they are forgotten on the way in and
    out, so two tests with two emulators never share one.
    """
    names = {f"AIRFLOW_CONN_{conn_id.upper()}": conn for conn_id, conn in connections.items()}
    saved = {name: os.environ.get(name) for name in names}
    _forget_hook_connections()
    try:
        for name, conn in names.items():
            os.environ[name] = conn if isinstance(conn, str) else json.dumps(conn)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_hook_connections()


HOOK_MODULE = "airflow_provider_modelarts.hooks.modelarts"


def _forget_hook_connections() -> None:
    """Drop the hook's cache of parsed connections, if the hook is loaded (if it is not, it has
    cached nothing). Looked up in ``sys.modules`` so that the emulator does not import the client."""
    hook_module = sys.modules.get(HOOK_MODULE)
    if hook_module is not None:
        hook_module.ModelArtsHook.forget_cached_connections()


def _text(state: Any) -> str:
    return str(getattr(state, "value", state))
