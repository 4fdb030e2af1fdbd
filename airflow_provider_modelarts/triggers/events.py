"""Event-driven scheduling on ModelArts jobs: an asset watcher that fires when jobs finish.

:class:`ModelArtsJobEventTrigger` is a ``BaseEventTrigger``: put it in an ``AssetWatcher`` and a DAG
scheduled on that asset runs when jobs of one project and family reach a reported state (finished,
failed, stopped, or any terminal state). Each such job fires one event carrying its family, id,
name, status, end time (when the answers give one) and list scope; with ``batch=True`` each poll
fires one event listing its jobs instead (Airflow queues one DAG run per asset, and events that
come while one is queued wait for the run after the next event).

How jobs are seen. The trigger walks the family's list (newest first) every ``poll_interval``
seconds, with the same scope rule as the waits: a list is a query (workspace, the calling IAM
user), not the project's inventory, so absence from a list proves nothing and never fires an event;
a job is reported only from what a list (or, for a v1 training job, its versions' detail) says of
it. A v1 training job's listed status is its latest version's, so the whole job is confirmed on its
versions before it is reported.

Which jobs are reported. Only jobs that reach a reported state while the trigger watches, or within
``look_back`` before it started, judged on the jobs' own times:

* a job this trigger saw in a running state, and later in a reported one;
* a job whose end time (v2: start + duration; v1 and visualization: create + duration, which is a
  lower bound of the end) is at or after the floor;
* a job with no end time (RES lists give only ``operating_time``) created at or after the floor.

The floor starts at ``now - look_back`` and follows the polls: after a poll at ``t`` it moves to
``t - horizon`` (``horizon``: ``max(look_back, 15 min, 10 poll intervals)``), never past what a poll
has examined. Old finished jobs therefore never flood the asset, and the memory of reported jobs
stays bounded (a job below the floor cannot be reported again, so it is forgotten).

Delivery: at least once. On Airflow 3.3+ the trigger keeps its floor, the jobs it reported and the
jobs it saw running in the watched asset's state store, one poll behind the events it fired (an
event is stored by the triggerer within a second or two; the state written at the next poll only
covers events fired a poll interval earlier). A trigger rebuilt from its kwargs, after a triggerer
restart or on another triggerer, resumes from that state: jobs that finished while no triggerer
watched are reported (the floor did not move), jobs reported before are not, except those of the
last poll before the stop, which may come again. Without a state store (Airflow 3.1/3.2) a rebuilt
trigger starts over from ``now - look_back``: jobs that ended within ``look_back`` before the
restart are reported again, and jobs that ended during a stop longer than ``look_back`` are missed;
set ``look_back`` above the longest expected triggerer outage. During a hand-over between two
triggerers both may briefly run the trigger. Either way the downstream teardown must be idempotent
(``ModelArtsTeardownJobOperator`` is: a job already gone counts as torn down).

Sharing: on Airflow 3.3+ triggers of the same connection, region, project, family, workspace, RES
job type and poll interval share one poll loop through the triggerer's shared streams
(``shared_stream_key``); each filters the shared list snapshots with its own names, states and
floor. On Airflow 3.1/3.2 each trigger polls on its own (``run``), at its ``poll_interval`` (at
least :data:`MIN_POLL_INTERVAL`).
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import time
import weakref
from collections.abc import AsyncIterator, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.shared_watch import list_scope
from airflow_provider_modelarts.api.statuses import Category, JobFamily, category, status_name
from airflow_provider_modelarts.api.watch import Gone
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

try:  # Airflow 3.0+
    from airflow.triggers.base import BaseEventTrigger
except ImportError:  # pragma: no cover - older Airflow: usable as a plain trigger, not as a watcher
    BaseEventTrigger = BaseTrigger  # type: ignore[misc,assignment]

SHARED_STREAMS = hasattr(BaseEventTrigger, "shared_stream_key")
"""Whether this Airflow shares one poll between sibling event triggers (3.3+)."""

MIN_POLL_INTERVAL = 5.0  # seconds; one list walk per interval and per shared group
DEFAULT_POLL_INTERVAL = 60.0
MIN_HORIZON = 900.0  # seconds: how far behind the last poll the floor stays, at least
HORIZON_POLLS = 10
MAX_BACKOFF = 600.0
MAX_REMEMBERED = 10_000  # reported jobs kept in the stored state, newest first
V1_WALK_PAGE = 1000
STATE_KEY_PREFIX = "modelarts-job-events"

REPORTABLE: dict[str, frozenset[Category]] = {
    "terminal": frozenset({Category.SUCCEEDED, Category.FAILED, Category.STOPPED}),
    "finished": frozenset({Category.SUCCEEDED}),
    "succeeded": frozenset({Category.SUCCEEDED}),
    "failed": frozenset({Category.FAILED}),
    "stopped": frozenset({Category.STOPPED}),
}
"""The states a trigger can report (``report``): ``finished`` is ``succeeded``."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def _positive_ms(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


# ---- one poll: the listed jobs as plain data ---------------------------------------------------


def _listed(family: JobFamily, job: Any) -> dict[str, Any]:
    """One listed job as plain data: id, name, raw status, create and end times (ms)."""
    snap = job.snapshot()
    create = _positive_ms(snap.create_time)
    end: int | None = None
    estimated = False
    if family is JobFamily.TRAINING:
        start, duration = _positive_ms(job.status.start_time), _positive_ms(job.status.duration)
        end = start + duration if start and duration else None
    elif family in (JobFamily.TRAINING_V1, JobFamily.VISUALIZATION):
        duration = _positive_ms(job.duration)
        end, estimated = (create + duration, True) if create and duration else (None, False)
    return {
        "job_id": snap.job_id,
        "name": snap.name,
        "status": snap.status,
        "create_time": create,
        "end_time": end,
        "end_estimated": estimated,
    }


async def _walk(hook: ModelArtsHook, family: JobFamily, project: str, kwargs: Mapping[str, Any]) -> Any:
    workspace = kwargs.get("workspace_id")
    if family is JobFamily.TRAINING:
        return await hook.awalk_training_jobs(project_id=project, workspace_id=workspace, order="desc")
    if family is JobFamily.RES:
        jobs = await hook.alist_res_jobs(kwargs["job_type"], project_id=project, workspace_id=workspace)
        return ops.Walk(jobs, False, 0)  # the RES walk does not say whether it was complete
    walk = ops.walk_training_jobs_v1 if family is JobFamily.TRAINING_V1 else ops.walk_visualization_jobs
    return await hook._arun(
        walk, project, per_page=V1_WALK_PAGE, sort_by="create_time", order="desc", workspace_id=workspace
    )


def _scope(hook_session: Any, project: str, family: JobFamily, kwargs: Mapping[str, Any]) -> str:
    scope = list_scope(hook_session, project, family, kwargs.get("workspace_id"))
    if family is JobFamily.RES:
        scope = hashlib.sha256(f"{scope}\0{kwargs['job_type']}".encode()).hexdigest()[:24]
    return scope


async def poll_once(hook: ModelArtsHook, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """One list walk of the trigger's scope, as the plain raw event a shared stream broadcasts:
    ``{project_id, scope, polled_at, complete, jobs: [...]}``."""
    family = ids.job_family(kwargs["job_family"])
    project = await hook.aresolve_project_id()
    polled_at = _now_ms()
    walk = await _walk(hook, family, project, kwargs)
    return {
        "project_id": project,
        "scope": _scope(await hook.asession(), project, family, kwargs),
        "polled_at": polled_at,
        "complete": bool(walk.complete),
        "jobs": [_listed(family, job) for job in walk.items],
    }


async def poll_forever(
    kwargs: Mapping[str, Any], *, log: Any, sleep: Any = asyncio.sleep
) -> AsyncIterator[dict[str, Any]]:
    """Poll the scope every ``poll_interval`` seconds and yield each answer, forever.

    A failed poll (after the client's own retries) is logged and retried later, with a growing
    pause (at most :data:`MAX_BACKOFF`): a watcher does not end because the service was away.
    """
    hook = ModelArtsHook(
        kwargs["modelarts_conn_id"], region=kwargs.get("region"), project_id=kwargs.get("project_id")
    )
    interval = float(kwargs["poll_interval"])
    failures = 0
    # The HTTP client stays open: the triggerer's other triggers of this connection share it.
    while True:
        try:
            snapshot = await poll_once(hook, kwargs)
        except Exception as exc:  # logged, retried: the watch goes on
            failures += 1
            pause = min(interval * 2 ** min(failures, 10), MAX_BACKOFF)
            log.warning(
                "Listing %s jobs failed (%s: %s); next try in %.0f s",
                kwargs["job_family"],
                type(exc).__name__,
                exc,
                pause,
            )
            await sleep(pause)
            continue
        failures = 0
        yield snapshot
        await sleep(interval)


# ---- v1 training: the whole job's state comes from its versions -------------------------------

_CONFIRMING: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str, str], asyncio.Task[Any]]
] = weakref.WeakKeyDictionary()


async def _confirm(
    hook: ModelArtsHook, family: JobFamily, project: str, scope: str, job: Mapping[str, Any]
) -> JobSnapshot | Gone:
    """The job's detail answer; watchers confirming the same job at the same time share one."""
    loop = asyncio.get_running_loop()
    running = _CONFIRMING.setdefault(loop, {})
    key = (scope, job["job_id"], str(job["status"]))
    task = running.get(key)
    if task is None:
        task = running[key] = loop.create_task(hook.aobserve(family, job["job_id"], project_id=project))
        task.add_done_callback(lambda _t: running.pop(key, None))
    return await asyncio.shield(task)


# ---- what one watcher reports ------------------------------------------------------------------


@dataclass
class WatchState:
    """What a watcher remembers: its floor (ms), the jobs it reported (id -> stamp) and the jobs it
    saw running. Plain JSON when stored."""

    floor: int
    reported: dict[str, int | None] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        newest = sorted(self.reported.items(), key=lambda item: item[1] or 0, reverse=True)
        return {"floor": self.floor, "reported": dict(newest[:MAX_REMEMBERED]), "active": sorted(self.active)}

    @classmethod
    def from_json(cls, value: Any) -> WatchState | None:
        if not isinstance(value, Mapping) or not isinstance(value.get("floor"), int):
            return None
        reported = value.get("reported") or {}
        active = value.get("active") or []
        if not isinstance(reported, Mapping) or not isinstance(active, list):
            return None
        return cls(
            floor=value["floor"],
            reported={str(k): v if isinstance(v, int) else None for k, v in reported.items()},
            active={str(job) for job in active},
        )


class ModelArtsJobEventTrigger(BaseEventTrigger):
    """Fires one event per job of one project and family that reaches a reported state.

    Use it in an asset watcher: ``Asset("modelarts-finished", watchers=[AssetWatcher(name=...,
    trigger=ModelArtsJobEventTrigger(job_family="training", report=["terminal"]))])``. The kwargs
    are plain values (no secret); the connection is read inside the triggerer. They must not
    change between DAG parses (Airflow identifies a watcher by its kwargs): give ``look_back`` as a
    fixed duration, never a time computed at parse time.

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res``.
    :param report: The states to report: ``terminal`` (default: any of the following),
        ``finished``/``succeeded``, ``failed``, ``stopped``.
    :param name_patterns: Shell-style patterns (``fnmatch``, case-sensitive); a job is reported
        only if its name matches one (default: every job; a job without a name never matches a
        pattern).
    :param workspace_id: The list scope to watch (default: the list's default).
    :param job_type: RES only, required: the RES list answers one job type at a time.
    :param look_back: Also report jobs that reached the state this long before the trigger first
        started (a ``timedelta`` or seconds; default 0: only from now on).
    :param poll_interval: Seconds between list walks (at least :data:`MIN_POLL_INTERVAL`).
    :param batch: Fire one event per poll listing every job it reports (``{"jobs": [...]}``, each
        entry the payload a single event would carry) instead of one event per job. Airflow queues
        one DAG run per asset, not per event: events that arrive while a run is queued for the
        asset are left for the next run, which only comes with the next event. One event per poll
        keeps the jobs that finish together in one run.
    """

    def __init__(
        self,
        *,
        job_family: str,
        report: Sequence[str] | str = ("terminal",),
        name_patterns: Sequence[str] | str = (),
        workspace_id: str | None = None,
        job_type: str | None = None,
        look_back: timedelta | float = 0.0,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        batch: bool = False,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
    ) -> None:
        super().__init__()
        family = ids.job_family(job_family)
        self.job_family = family.value
        words = [report] if isinstance(report, str) else list(report)
        unknown = [word for word in words if word not in REPORTABLE]
        if not words or unknown:
            raise ValueError(f"report: one or more of {', '.join(REPORTABLE)} (got {unknown or words})")
        self.report = sorted(set(words))
        patterns = [name_patterns] if isinstance(name_patterns, str) else list(name_patterns)
        if not all(isinstance(pattern, str) and pattern for pattern in patterns):
            raise ValueError("name_patterns: non-empty strings")
        self.name_patterns = patterns
        if workspace_id is not None and (not isinstance(workspace_id, str) or not workspace_id):
            raise ValueError("workspace_id: a non-empty string")
        self.workspace_id = workspace_id
        if family is JobFamily.RES:
            if job_type is None:
                raise ValueError("job_type: required for RES jobs (the RES list answers one type at a time)")
            self.job_type: str | None = ids.res_job_type(job_type)
        elif job_type is not None:
            raise ValueError("job_type: only for RES jobs")
        else:
            self.job_type = None
        seconds = look_back.total_seconds() if isinstance(look_back, timedelta) else look_back
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("look_back: a non-negative timedelta or number of seconds")
        self.look_back = float(seconds)
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float):
            raise ValueError("poll_interval: a number of seconds")
        if poll_interval < MIN_POLL_INTERVAL:
            raise ValueError(f"poll_interval: at least {MIN_POLL_INTERVAL:g} seconds (one list walk each)")
        self.poll_interval = float(poll_interval)
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        if not isinstance(batch, bool):
            raise ValueError("batch: true or false")
        self.batch = batch
        self._states = frozenset().union(*(REPORTABLE[word] for word in self.report))

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_family": self.job_family,
                "report": list(self.report),
                "name_patterns": list(self.name_patterns),
                "workspace_id": self.workspace_id,
                "job_type": self.job_type,
                "look_back": self.look_back,
                "poll_interval": self.poll_interval,
                "modelarts_conn_id": self.modelarts_conn_id,
                "region": self.region,
                "project_id": self.project_id,
                "batch": self.batch,
            },
        )

    @property
    def watch_id(self) -> str:
        """A digest of the kwargs: names this watcher's state (two watchers never share one)."""
        text = json.dumps(self.serialize()[1], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @property
    def horizon(self) -> float:
        """Seconds the floor stays behind the last poll."""
        return max(self.look_back, MIN_HORIZON, HORIZON_POLLS * self.poll_interval)

    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    # ---- shared streams (Airflow 3.3+) --------------------------------------------------------

    def shared_stream_key(self) -> Hashable | None:
        """Siblings listing the same scope at the same pace share one poll loop."""
        return (
            STATE_KEY_PREFIX,
            self.modelarts_conn_id,
            self.region,
            self.project_id,
            self.job_family,
            self.workspace_id,
            self.job_type,
            self.poll_interval,
        )

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """The group's one poll loop: a list snapshot per interval, forever (reads only key fields)."""
        from airflow.utils.log.logging_mixin import LoggingMixin

        async for snapshot in poll_forever(kwargs, log=LoggingMixin().log):
            yield snapshot

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """This watcher's events from the shared snapshots: its names, states and floor."""
        hook = self.hook()
        state = await self._load_state()
        to_store: dict[str, Any] | None = None
        async for snapshot in shared_stream:
            if to_store is not None:  # the previous poll's events have been handed over since
                await self._store_state(to_store)
            reported = [payload async for payload in self._report(hook, state, snapshot)]
            if self.batch and reported:
                yield TriggerEvent(self.batch_payload(reported, snapshot))
            else:
                for payload in reported:
                    yield TriggerEvent(payload)
            to_store = state.to_json()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """The standalone path (Airflow 3.1/3.2, or no triggerer): this trigger's own poll loop."""
        kwargs = self.serialize()[1]
        async for event in self.filter_shared_stream(poll_forever(kwargs, log=self.log)):
            yield event

    # ---- state ------------------------------------------------------------------------------

    def _store(self) -> Any:
        """The watched asset's state store (Airflow 3.3+, inside a triggerer), or ``None``."""
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return None
        accessors = getattr(store, "_by_name", None)
        if isinstance(accessors, Mapping) and len(accessors) > 1:
            # one trigger watching several assets (identical watchers): keep the state in the first
            return accessors[sorted(accessors)[0]]
        return store

    def _state_key(self) -> str:
        return f"{STATE_KEY_PREFIX}:{self.watch_id}"

    async def _load_state(self) -> WatchState:
        fresh = WatchState(floor=int((time.time() - self.look_back) * 1000))
        store = self._store()
        if store is None:
            return fresh
        try:
            stored = WatchState.from_json(await store.aget(self._state_key()))
        except Exception as exc:
            self.log.warning("Could not read the watcher's stored state (%s); starting from now", exc)
            return fresh
        if stored is None:
            return fresh
        self.log.info(
            "Resuming the watch from %s (%d job(s) already reported)",
            _iso(stored.floor),
            len(stored.reported),
        )
        return stored

    async def _store_state(self, value: dict[str, Any]) -> None:
        store = self._store()
        if store is None:
            return
        try:
            await store.aset(self._state_key(), value)
        except Exception as exc:
            self.log.warning("Could not store the watcher's state (%s); a restart may report again", exc)

    # ---- filtering --------------------------------------------------------------------------

    def matches(self, name: str | None) -> bool:
        if not self.name_patterns:
            return True
        return name is not None and any(fnmatch.fnmatchcase(name, pattern) for pattern in self.name_patterns)

    async def _report(
        self, hook: ModelArtsHook, state: WatchState, snapshot: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        family = JobFamily(self.job_family)
        listed_ids: set[str] = set()
        for job in snapshot["jobs"]:
            job_id = job["job_id"]
            listed_ids.add(job_id)
            if not self.matches(job["name"]):
                continue
            found = category(family, job["status"])
            if not found.terminal:
                if found in (Category.ACTIVE, Category.STOPPING):
                    state.active.add(job_id)
                continue
            if found not in self._states:
                state.active.discard(job_id)  # ended in a state this watcher does not report
                continue
            if job_id in state.reported:
                continue
            stamp = job["end_time"] if job["end_time"] is not None else job["create_time"]
            if job_id not in state.active and (stamp is None or stamp < state.floor):
                continue  # not known to have reached the state after the floor
            status = job["status"]
            if family is JobFamily.TRAINING_V1:  # the listed status is the latest version's
                confirmed = await _confirm(hook, family, snapshot["project_id"], snapshot["scope"], job)
                if isinstance(confirmed, Gone):
                    state.active.discard(job_id)
                    continue  # the detail says it is gone: nothing to report from
                if confirmed.category not in self._states:
                    if not confirmed.category.terminal:
                        state.active.add(job_id)  # another version still runs
                    continue
                status = confirmed.status
            state.reported[job_id] = stamp
            state.active.discard(job_id)
            yield self.payload(job, status, snapshot)
        self._advance(state, snapshot, listed_ids)

    def _advance(self, state: WatchState, snapshot: Mapping[str, Any], listed: set[str]) -> None:
        """Move the floor behind this poll and forget what can no longer be reported again."""
        state.floor = max(state.floor, int(snapshot["polled_at"] - self.horizon * 1000))
        state.reported = {
            job: stamp for job, stamp in state.reported.items() if stamp is not None and stamp >= state.floor
        }
        if snapshot["complete"]:
            state.active &= listed  # a job gone from a complete walk no longer runs in this scope

    def payload(self, job: Mapping[str, Any], status: Any, snapshot: Mapping[str, Any]) -> dict[str, Any]:
        family = JobFamily(self.job_family)
        return {
            "job_family": self.job_family,
            "job_id": job["job_id"],
            "name": job["name"],
            "status": status,
            "status_name": status_name(family, status),
            "category": category(family, status).value,
            "end_time": _iso(job["end_time"]),
            "end_time_estimated": job["end_estimated"],
            "create_time": _iso(job["create_time"]),
            "project_id": snapshot["project_id"],
            "workspace_id": self.workspace_id,
            "job_type": self.job_type,
            "scope": snapshot["scope"],
            "watcher": self.watch_id,
        }

    def batch_payload(self, jobs: list[dict[str, Any]], snapshot: Mapping[str, Any]) -> dict[str, Any]:
        """The event of one poll (``batch=True``): every job it reports, and the scope."""
        return {
            "job_family": self.job_family,
            "count": len(jobs),
            "jobs": jobs,
            "project_id": snapshot["project_id"],
            "workspace_id": self.workspace_id,
            "job_type": self.job_type,
            "scope": snapshot["scope"],
            "watcher": self.watch_id,
        }


def _payloads(extra: Any) -> list[Mapping[str, Any]]:
    payload = extra.get("payload") if isinstance(extra, Mapping) else None
    if not isinstance(payload, Mapping):
        return []
    jobs = payload.get("jobs")
    if isinstance(jobs, list):  # one event per poll (``batch=True``)
        return [job for job in jobs if isinstance(job, Mapping)]
    return [payload]


def job_ids_from_events(
    events: Iterable[Any], *, job_family: str | None = None, protected_names: Sequence[str] = ()
) -> dict[str, list[dict[str, Any]]]:
    """The jobs named by asset events of :class:`ModelArtsJobEventTrigger`, grouped by family.

    ``events``: asset events (with ``.extra``) or their ``extra`` dicts, as a DAG run's
    ``triggering_asset_events`` holds them, of one job each or of a poll (``batch``). Each job
    appears once; jobs whose name matches a
    protected pattern (or has no name while names are protected) are left out.
    """
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for event in events:
        extra = event if isinstance(event, Mapping) else getattr(event, "extra", None)
        for payload in _payloads(extra):
            if not payload.get("job_id") or not payload.get("job_family"):
                continue
            if job_family is not None and payload["job_family"] != job_family:
                continue
            name = payload.get("name")
            if protected_names and (
                name is None or any(fnmatch.fnmatchcase(name, p) for p in protected_names)
            ):
                continue
            found.setdefault(payload["job_family"], {})[str(payload["job_id"])] = dict(payload)
    return {family: list(jobs.values()) for family, jobs in found.items()}


__all__ = [
    "MIN_POLL_INTERVAL",
    "REPORTABLE",
    "SHARED_STREAMS",
    "ModelArtsJobEventTrigger",
    "WatchState",
    "job_ids_from_events",
    "poll_once",
]
