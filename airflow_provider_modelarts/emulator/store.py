"""In-memory jobs of the four families, whose states are derived lazily from timestamps.

Nothing runs in the background: a job remembers when it was created, stopped and deleted, and
every read computes its status from those moments, the clock and the configured durations (so a
changed duration applies to existing jobs too). Timeline of a job::

    created ── create_seconds ── pending_seconds ── run_seconds ──> outcome
       Creating / INIT(1)     Pending / WAITING(7)   Running / RUNNING(8)   Completed / COMPLETED(10) ...

A stop moves it to Terminating / KILLING(9) for ``stop_seconds``, then Terminated / KILLED(12). A
delete leaves it visible and unchanged for ``delete_visible_seconds``; afterwards it is gone, or,
when created with the ``delete_fails`` hint, stays visible (v1 families: in DELETE_FAILED (6)).

Every job belongs to a workspace (``workspace_id``, default ``"0"``) and has an owner (a
:class:`~.users.User`); ids are project-wide. A workspace exists when it is ``"0"``, holds (or held)
a job, or is declared in the config's ``workspaces``.

All access goes through :attr:`JobStore.lock` (an ``RLock``); the routes hold it while they read
and change jobs, and the public methods take it themselves.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from airflow_provider_modelarts.emulator.clock import Clock
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.defaults import DEFAULT_WORKSPACE
from airflow_provider_modelarts.emulator.documented import (
    RES_JOB_TYPES,
    V2_MEANINGS,
    Meaning,
    ResStatus,
    V1Status,
    V2Phase,
)
from airflow_provider_modelarts.emulator.users import Directory, User
from airflow_provider_modelarts.emulator.v1_jobs import DEFAULT_CONFIG, V1Config
from airflow_provider_modelarts.emulator.v2_jobs import DEFAULT_BODY, Moment, V2Body

OUTCOMES = ("completed", "failed", "abnormal")
SEED_LIMIT = 100_000
SEED_KEYS = frozenset(
    {"family", "count", "name", "description", "status", "age_seconds", "emulator", "workspace_id", "owner"}
    | {"type", "job_id", "versions"}
)


class Family(StrEnum):
    """The job families a seed entry names (``family``)."""

    TRAINING = "training"  # v2 training jobs
    TRAINING_V1 = "training_v1"
    VISUALIZATION = "visualization"
    RES = "res"


class Stage(Enum):
    CREATING = "creating"
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FIXED = "fixed"  # a seeded status that stays until the job is stopped


@dataclass(slots=True)
class Hints:
    """The ``emulator`` object of a create body (a real service ignores unknown fields)."""

    outcome: str = "completed"
    run_seconds: float | None = None
    run_override: bool = False
    delete_fails: bool = False

    @classmethod
    def parse(cls, value: object) -> Hints:
        """Read a hint object; raises ``ValueError`` on a malformed one."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ValueError("emulator: must be an object")
        unknown = set(value) - {"outcome", "run_seconds", "delete_fails"}
        if unknown:
            raise ValueError(f"emulator: unknown keys {sorted(unknown)}")
        outcome = value.get("outcome", "completed")
        if outcome not in OUTCOMES:
            raise ValueError(f"emulator.outcome: one of {', '.join(OUTCOMES)}")
        hints = cls(outcome=outcome)
        if "run_seconds" in value:
            run = value["run_seconds"]
            if run is not None and (isinstance(run, bool) or not isinstance(run, int | float) or run < 0):
                raise ValueError("emulator.run_seconds: a non-negative number or null")
            hints.run_seconds = None if run is None else float(run)
            hints.run_override = True
        delete_fails = value.get("delete_fails", False)
        if not isinstance(delete_fails, bool):
            raise ValueError("emulator.delete_fails: true or false")
        hints.delete_fails = delete_fails
        return hints


@dataclass(slots=True)
class Life:
    """The moments that decide a job's (or v1 version's) state."""

    created_at: float
    hints: Hints = field(default_factory=Hints)
    fixed: Any = None
    stop_at: float | None = None
    deleted_at: float | None = None
    restarted_at: float | None = None  # a restarted visualization job runs its time line again

    @property
    def origin(self) -> float:
        """Where the time line starts: the creation, or the latest restart."""
        return self.created_at if self.restarted_at is None else self.restarted_at


@dataclass(slots=True)
class V2Job:
    id: str
    name: str
    description: str
    life: Life
    owner: User
    workspace_id: str = DEFAULT_WORKSPACE
    body: V2Body = DEFAULT_BODY  # what the create request set (never changed afterwards)


@dataclass(slots=True)
class V1Version:
    id: int
    name: str
    pre_version_id: int | None
    description: str
    life: Life
    config: V1Config = DEFAULT_CONFIG  # what the create request set (never changed afterwards)
    resource_id: str = ""


@dataclass(slots=True)
class V1Job:
    id: int
    name: str
    description: str
    created_at: float
    hints: Hints
    owner: User
    workspace_id: str = DEFAULT_WORKSPACE
    versions: list[V1Version] = field(default_factory=list)
    deleted_at: float | None = None


@dataclass(slots=True)
class VisJob:
    id: int
    name: str
    description: str
    train_url: str
    life: Life
    owner: User
    workspace_id: str = DEFAULT_WORKSPACE


@dataclass(slots=True)
class ResJob:
    id: str
    name: str
    description: str
    type: str
    life: Life
    owner: User
    workspace_id: str = DEFAULT_WORKSPACE


class Visibility(Enum):
    VISIBLE = "visible"
    DELETE_FAILED = "delete_failed"
    GONE = "gone"


class JobStore:
    """The jobs of one emulator; statuses are computed on read from ``clock`` and ``config``."""

    def __init__(self, config: EmulatorConfig, clock: Clock, users: Directory | None = None) -> None:
        self.config = config
        self.clock = clock
        self.users = users or Directory(config)
        self.lock = threading.RLock()
        self._workspaces: set[str] = set()
        # v2 jobs by owner id and workspace: what one v2 search can show, found without a scan
        self._v2_scopes: dict[str, dict[str, dict[str, V2Job]]] = {}
        self.v2: dict[str, V2Job] = {}
        self.v1: dict[int, V1Job] = {}
        self.vis: dict[int, VisJob] = {}
        self.res: dict[str, ResJob] = {}
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._v1_ids = itertools.count(100_001)
        self._version_ids = itertools.count(200_001)
        self._vis_ids = itertools.count(300_001)

    def reset(self) -> None:
        with self.lock:
            self.v2.clear()
            self.v1.clear()
            self.vis.clear()
            self.res.clear()
            self._workspaces.clear()
            self._v2_scopes.clear()
            self._reset_counters()

    def workspace_exists(self, workspace_id: str) -> bool:
        return (
            workspace_id == DEFAULT_WORKSPACE
            or workspace_id in self._workspaces
            or workspace_id in self.config.workspaces
        )

    def _place(self, workspace_id: str, owner: User | None) -> tuple[str, User]:
        """Record that ``workspace_id`` holds a job; the owner (default: the default user)."""
        self._workspaces.add(workspace_id)
        return workspace_id, owner or self.users.default

    def now(self) -> float:
        return self.clock.now()

    @contextmanager
    def locked(self) -> Iterator[float]:
        """Hold the store lock; yields the current time so one request sees one instant."""
        with self.lock:
            yield self.clock.now()

    def advance(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    # ---- the time model ----------------------------------------------------------------------

    def _run_seconds(self, life: Life, default: float | None) -> float | None:
        return life.hints.run_seconds if life.hints.run_override else default

    def stage(self, life: Life, now: float, run_default: float | None) -> Stage:
        if life.stop_at is not None:
            return Stage.STOPPED if now >= life.stop_at + self.config.stop_seconds else Stage.STOPPING
        if life.fixed is not None:
            return Stage.FIXED
        age = now - life.origin
        create, pending = self.config.create_seconds, self.config.pending_seconds
        if age < create:
            return Stage.CREATING
        if age < create + pending:
            return Stage.PENDING
        run = self._run_seconds(life, run_default)
        if run is None or age < create + pending + run:
            return Stage.RUNNING
        return Stage.DONE

    def run_window(self, life: Life, now: float, run_default: float | None) -> tuple[float | None, float]:
        """``(start, end)`` of the running time (epoch seconds); ``start`` is None if never started."""
        start = life.origin + self.config.create_seconds + self.config.pending_seconds
        if life.fixed is not None:
            start = life.origin
        end = now
        if life.stop_at is not None:
            end = min(end, life.stop_at + self.config.stop_seconds)
        run = self._run_seconds(life, run_default)
        if life.fixed is None and run is not None:
            end = min(end, start + run)
        if end < start:
            return None, start
        return start, end

    def visibility(self, deleted_at: float | None, delete_fails: bool, now: float) -> Visibility:
        if deleted_at is None or now < deleted_at + self.config.delete_visible_seconds:
            return Visibility.VISIBLE
        return Visibility.DELETE_FAILED if delete_fails else Visibility.GONE

    def v2_phase(self, job: V2Job, now: float) -> V2Phase:
        stage = self.stage(job.life, now, self.config.run_seconds)
        if stage is Stage.FIXED:
            return V2Phase(job.life.fixed)
        if stage is Stage.DONE:
            return {"completed": V2Phase.COMPLETED, "failed": V2Phase.FAILED}.get(
                job.life.hints.outcome, V2Phase.ABNORMAL
            )
        return _V2_STAGES[stage]

    def v2_moment(self, job: V2Job, now: float) -> Moment:
        """The job's phase and running time at ``now`` (what its answer shows)."""
        phase = self.v2_phase(job, now)
        start, end = self.run_window(job.life, now, self.config.run_seconds)
        return Moment(phase, job.life.created_at, start, end, phase in V2_ENDED)

    def v1_status(self, life: Life, now: float, run_default: float | None, deleted: Visibility) -> V1Status:
        if deleted is Visibility.DELETE_FAILED:
            return V1Status.DELETE_FAILED
        stage = self.stage(life, now, run_default)
        if stage is Stage.FIXED:
            return V1Status(life.fixed)
        if stage is Stage.DONE:
            return V1Status.COMPLETED if life.hints.outcome == "completed" else V1Status.FAILED
        return _V1_STAGES[stage]

    def res_status(self, job: ResJob, now: float) -> ResStatus:
        stage = self.stage(job.life, now, self.config.run_seconds)
        if stage is Stage.FIXED:
            return ResStatus(job.life.fixed)
        if stage is Stage.DONE:
            return ResStatus.SUCCEEDED if job.life.hints.outcome == "completed" else ResStatus.FAILED
        if stage in (Stage.STOPPING, Stage.STOPPED):
            return ResStatus.KILLED
        return ResStatus.RUNNING

    # ---- lookups (callers hold the lock) ----------------------------------------------------

    def v2_visible(self, job_id: str, now: float) -> V2Job | None:
        job = self.v2.get(job_id)
        if job is None:
            return None
        if self.visibility(job.life.deleted_at, job.life.hints.delete_fails, now) is Visibility.GONE:
            self._forget_v2(job)
            return None
        return job

    def v2_all(self, now: float) -> list[V2Job]:
        self._purge_v2(now)
        return list(self.v2.values())

    def v2_of(self, now: float, owner_id: str, workspace_id: str | None) -> list[V2Job]:
        """The visible v2 jobs of one owner in one workspace (``None``: in every workspace)."""
        self._purge_v2(now)
        by_workspace = self._v2_scopes.get(owner_id, {})
        if workspace_id is not None:
            return list(by_workspace.get(workspace_id, {}).values())
        return [job for jobs in by_workspace.values() for job in jobs.values()]

    def _purge_v2(self, now: float) -> None:
        gone = [
            job
            for job in self.v2.values()
            if job.life.deleted_at is not None
            and self.visibility(job.life.deleted_at, job.life.hints.delete_fails, now) is Visibility.GONE
        ]
        for job in gone:
            self._forget_v2(job)

    def _forget_v2(self, job: V2Job) -> None:
        del self.v2[job.id]
        self._v2_scopes[job.owner.id][job.workspace_id].pop(job.id, None)

    def v1_job_visibility(self, job: V1Job, now: float) -> Visibility:
        state = self.visibility(job.deleted_at, job.hints.delete_fails, now)
        if state is Visibility.VISIBLE and not self.v1_versions(job, now):
            return Visibility.GONE
        return state

    def v1_versions(self, job: V1Job, now: float) -> list[V1Version]:
        """The versions still visible, newest first."""
        return [
            version
            for version in reversed(job.versions)
            if self.visibility(version.life.deleted_at, job.hints.delete_fails, now) is not Visibility.GONE
        ]

    def v1_version_state(self, job: V1Job, version: V1Version, now: float) -> Visibility:
        job_state = self.visibility(job.deleted_at, job.hints.delete_fails, now)
        if job_state is not Visibility.VISIBLE:
            return job_state
        return self.visibility(version.life.deleted_at, job.hints.delete_fails, now)

    def v1_visible(self, job_id: int, now: float) -> V1Job | None:
        job = self.v1.get(job_id)
        if job is None:
            return None
        if self.v1_job_visibility(job, now) is Visibility.GONE:
            del self.v1[job_id]
            return None
        return job

    def v1_all(self, now: float) -> list[V1Job]:
        return [job for job_id in list(self.v1) if (job := self.v1_visible(job_id, now)) is not None]

    def vis_visible(self, job_id: int, now: float) -> VisJob | None:
        job = self.vis.get(job_id)
        if job is None:
            return None
        if self.visibility(job.life.deleted_at, job.life.hints.delete_fails, now) is Visibility.GONE:
            del self.vis[job_id]
            return None
        return job

    def vis_all(self, now: float) -> list[VisJob]:
        return [job for job_id in list(self.vis) if (job := self.vis_visible(job_id, now)) is not None]

    def res_visible(self, job_id: str, now: float) -> ResJob | None:
        job = self.res.get(job_id)
        if job is None:
            return None
        if self.visibility(job.life.deleted_at, job.life.hints.delete_fails, now) is Visibility.GONE:
            del self.res[job_id]
            return None
        return job

    def res_all(self, now: float) -> list[ResJob]:
        return [job for job_id in list(self.res) if (job := self.res_visible(job_id, now)) is not None]

    # ---- creation ---------------------------------------------------------------------------

    def create_v2(
        self,
        name: str,
        *,
        description: str = "",
        hints: Hints | None = None,
        created_at: float | None = None,
        fixed: V2Phase | None = None,
        body: V2Body | None = None,
        workspace_id: str = DEFAULT_WORKSPACE,
        owner: User | None = None,
    ) -> V2Job:
        with self.lock:
            life = Life(created_at if created_at is not None else self.now(), hints or Hints(), fixed)
            workspace_id, user = self._place(workspace_id, owner)
            job = V2Job(str(uuid.uuid4()), name, description, life, user, workspace_id, body or DEFAULT_BODY)
            self.v2[job.id] = job
            self._v2_scopes.setdefault(user.id, {}).setdefault(workspace_id, {})[job.id] = job
            return job

    def create_v1(
        self,
        name: str,
        *,
        description: str = "",
        hints: Hints | None = None,
        created_at: float | None = None,
        fixed: V1Status | None = None,
        config: V1Config | None = None,
        workspace_id: str = DEFAULT_WORKSPACE,
        owner: User | None = None,
    ) -> V1Job:
        with self.lock:
            moment = created_at if created_at is not None else self.now()
            workspace_id, user = self._place(workspace_id, owner)
            job = V1Job(next(self._v1_ids), name, description, moment, hints or Hints(), user, workspace_id)
            self.v1[job.id] = job
            self.add_version(job, description=description, created_at=moment, fixed=fixed, config=config)
            return job

    def add_version(
        self,
        job: V1Job,
        *,
        description: str = "",
        created_at: float | None = None,
        fixed: V1Status | None = None,
        config: V1Config | None = None,
        hints: Hints | None = None,
    ) -> V1Version:
        with self.lock:
            moment = created_at if created_at is not None else self.now()
            previous = job.versions[-1].id if job.versions else None
            version = V1Version(
                next(self._version_ids),
                f"V{len(job.versions) + 1:04d}",
                previous,
                description,
                Life(moment, hints or job.hints, int(fixed) if fixed is not None else None),
                config or DEFAULT_CONFIG,
                f"job{uuid.uuid4().hex[:8]}",
            )
            job.versions.append(version)
            return version

    def create_vis(
        self,
        name: str,
        *,
        description: str = "",
        train_url: str = "",
        hints: Hints | None = None,
        created_at: float | None = None,
        fixed: V1Status | None = None,
        workspace_id: str = DEFAULT_WORKSPACE,
        owner: User | None = None,
    ) -> VisJob:
        with self.lock:
            life = Life(
                created_at if created_at is not None else self.now(),
                hints or Hints(),
                int(fixed) if fixed is not None else None,
            )
            workspace_id, user = self._place(workspace_id, owner)
            job = VisJob(next(self._vis_ids), name, description, train_url, life, user, workspace_id)
            self.vis[job.id] = job
            return job

    def create_res(
        self,
        name: str,
        *,
        job_type: str = "etl",
        job_id: str | None = None,
        description: str = "",
        hints: Hints | None = None,
        created_at: float | None = None,
        fixed: ResStatus | None = None,
        workspace_id: str = DEFAULT_WORKSPACE,
        owner: User | None = None,
    ) -> ResJob:
        if job_type not in RES_JOB_TYPES:
            raise ValueError(f"type: one of {', '.join(sorted(RES_JOB_TYPES))}")
        with self.lock:
            new_id = job_id or uuid.uuid4().hex[:20]
            if new_id in self.res:
                raise ValueError(f"job_id: {new_id!r} already exists")
            life = Life(created_at if created_at is not None else self.now(), hints or Hints(), fixed)
            workspace_id, user = self._place(workspace_id, owner)
            job = ResJob(new_id, name, description, job_type, life, user, workspace_id)
            self.res[job.id] = job
            return job

    # ---- seeding ----------------------------------------------------------------------------

    def seed(self, spec: Mapping[str, Any]) -> list[str]:
        """Create jobs from one seed entry (see :meth:`seed_jobs`); returns their ids."""
        return [job.job_id for job in self.seed_jobs(spec)]

    def seed_jobs(self, spec: Mapping[str, Any]) -> list[SeededJob]:
        """Create jobs from one seed entry; returns each one's family, name, id (and a v1 job's
        version ids). Raises ``ValueError`` when malformed.

        Keys: ``family`` (training, training_v1, visualization, res), ``count`` (default 1),
        ``name`` (a suffix ``-00001``... is added when count > 1), ``description``, ``status``
        (an initial status that stays until the job is stopped: a v2 phase, a v1 code or name, a RES
        status), ``age_seconds`` (how long ago it was created), ``emulator`` (the create hints),
        ``workspace_id`` (default ``"0"``), ``owner`` (an IAM user name, default the default user;
        any other name is a user of its own), ``type`` and ``job_id`` (RES), ``versions`` (v1: how
        many versions, default 1).
        """
        unknown = set(spec) - SEED_KEYS
        if unknown:
            raise ValueError(f"seed: unknown keys {sorted(unknown)}")
        try:
            family = Family(str(spec.get("family")))
        except ValueError:
            raise ValueError(f"family: one of {', '.join(f.value for f in Family)}") from None
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= SEED_LIMIT:
            raise ValueError(f"count: an integer from 1 to {SEED_LIMIT}")
        age = spec.get("age_seconds", 0)
        if isinstance(age, bool) or not isinstance(age, int | float) or age < 0:
            raise ValueError("age_seconds: a non-negative number")
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise ValueError("description: a string")
        name = spec.get("name", f"{family.value.replace('_', '-')}-job")
        # An empty name (count 1 only) stands for a job whose name reads empty in the service's answers.
        if not isinstance(name, str) or (not name and count != 1):
            raise ValueError('name: a non-empty string (or "" for one job without a name)')
        workspace_id = spec.get("workspace_id", DEFAULT_WORKSPACE)
        if not isinstance(workspace_id, str) or not workspace_id:
            raise ValueError("workspace_id: a non-empty string")
        owner_name = spec.get("owner")
        if owner_name is not None and (not isinstance(owner_name, str) or not owner_name):
            raise ValueError("owner: an IAM user name")
        owner = self.users.by_name(owner_name) if owner_name else self.users.default
        hints = Hints.parse(spec.get("emulator"))
        status = _parse_status(family, spec.get("status"))
        versions = spec.get("versions", 1)
        if isinstance(versions, bool) or not isinstance(versions, int) or not 1 <= versions <= 100:
            raise ValueError("versions: an integer from 1 to 100")
        job_type = spec.get("type", "etl")
        if job_type not in RES_JOB_TYPES:
            raise ValueError(f"type: one of {', '.join(sorted(RES_JOB_TYPES))}")
        job_id = spec.get("job_id")
        if job_id is not None and (family is not Family.RES or count != 1 or not isinstance(job_id, str)):
            raise ValueError("job_id: only for one RES job, as a string")
        seeded: list[SeededJob] = []
        with self.lock:
            created = self.now() - float(age)
            common: dict[str, Any] = {
                "description": description,
                "hints": hints,
                "created_at": created,
                "fixed": status,
                "workspace_id": workspace_id,
                "owner": owner,
            }
            for index in range(count):
                job_name = name if count == 1 else f"{name}-{index + 1:05d}"
                if family is Family.TRAINING:
                    seeded.append(SeededJob(family.value, job_name, self.create_v2(job_name, **common).id))
                elif family is Family.TRAINING_V1:
                    job = self.create_v1(job_name, **common)
                    for _ in range(versions - 1):
                        self.add_version(job, description=description, created_at=created, fixed=status)
                    version_ids = tuple(str(version.id) for version in job.versions)
                    seeded.append(SeededJob(family.value, job_name, str(job.id), version_ids))
                elif family is Family.VISUALIZATION:
                    vis = self.create_vis(job_name, **common)
                    seeded.append(SeededJob(family.value, job_name, str(vis.id)))
                else:
                    res = self.create_res(job_name[:20], job_type=job_type, job_id=job_id, **common)
                    seeded.append(SeededJob(family.value, job_name[:20], res.id))
        return seeded

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"training": len(self.v2), "training_v1": len(self.v1), "visualization": len(self.vis),
                    "res": len(self.res)}  # fmt: skip


@dataclass(frozen=True)
class SeededJob:
    """A job a seed entry created: what a test or a person needs to find it again."""

    family: str
    name: str
    job_id: str
    version_ids: tuple[str, ...] = ()  # training_v1: its versions, oldest first

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"family": self.family, "name": self.name, "job_id": self.job_id}
        if self.version_ids:
            found["version_ids"] = list(self.version_ids)
        return found

    def describe(self) -> str:
        versions = f" versions {', '.join(self.version_ids)}" if self.version_ids else ""
        return f"{self.family} {self.name!r} id {self.job_id}{versions}"


_V2_STAGES = {
    Stage.CREATING: V2Phase.CREATING,
    Stage.PENDING: V2Phase.PENDING,
    Stage.RUNNING: V2Phase.RUNNING,
    Stage.STOPPING: V2Phase.TERMINATING,
    Stage.STOPPED: V2Phase.TERMINATED,
}
_LIVE = (Meaning.ACTIVE, Meaning.STOPPING, Meaning.UNKNOWN)
V2_ENDED = frozenset(phase for phase, meaning in V2_MEANINGS.items() if meaning not in _LIVE)
_V1_STAGES = {
    Stage.CREATING: V1Status.INIT,
    Stage.PENDING: V1Status.WAITING,
    Stage.RUNNING: V1Status.RUNNING,
    Stage.STOPPING: V1Status.KILLING,
    Stage.STOPPED: V1Status.KILLED,
}


def _parse_status(family: Family, value: object) -> Any:
    if value is None:
        return None
    try:
        if family is Family.TRAINING:
            return V2Phase(str(value))
        if family is Family.RES:
            return ResStatus(str(value))
        if isinstance(value, str) and not value.isdigit():
            return V1Status[value.upper()]
        return V1Status(int(value))  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"status: {value!r} is not a {family.value} status") from None
