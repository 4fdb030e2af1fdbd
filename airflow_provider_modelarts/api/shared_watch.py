"""Many waits, one list walk: shared polling for jobs of one connection, project, family and list scope.

A triggerer may hold a thousand waits on jobs of the same project. Instead of one detail request
per job per interval, :class:`SharedWatch` gathers the observations requested at about the same
time into a round, walks the family's list once, and asks the detail endpoint only where the walk
cannot prove the answer. Callers that arrive while a round's walk is under way are answered by
that walk too, so that waits woken by one tick share one walk even when they wake over a second.
When asking each job directly is cheaper than a walk (few waiters, a large project), it does that
instead.

A list is a query with a scope (workspace, the calling IAM user, filters), not the project's
inventory, so what a walk may prove is narrow:

* **gone**: only for a job that this watch's walks (same query, same credentials) have shown
  before and that a complete walk no longer shows. A job a walk never showed is asked on its
  detail endpoint, and only its documented not-found answer means gone; if the detail knows it, it
  lies outside the list's scope and is watched through its detail endpoint from then on.
* **stopped**: a listed status that would end a wait is confirmed on the detail endpoint once
  (unless the detail already said so); a v1 training job's listed status is its latest version's,
  so whether the whole job has stopped always comes from its versions.
* anything else (still there, still running) is answered from the walk.

Absence from a walk that is not complete (a page shifted under a concurrent create or delete)
proves nothing either: the job is asked directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api import watch
from airflow_provider_modelarts.api.exchange import Plan
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Gone

BATCH_WINDOW = 0.05  # seconds: callers that poll within this window share a round
DETAIL_CONCURRENCY = 16
LONE_HORIZON = 3600.0  # seconds a job counts as watched after it was last asked about
ANSWER_CHUNK = 100  # waiters woken per event-loop step when a round hands out its answers
SHAREABLE = frozenset({JobFamily.TRAINING, JobFamily.TRAINING_V1, JobFamily.VISUALIZATION})
V1_WALK_PAGE = 1000


def _walk_plan(
    project_id: str, family: JobFamily, known: dict[str, JobSnapshot], workspace_id: str | None
) -> Plan[ops.Walk[JobSnapshot]]:
    # Newest first, so a job created during the walk lands on the pages already read: a page can
    # then only shift towards unread pages, and absence from a complete walk means "no longer
    # listed". (In the v1 default orders, by name or by id, a create on a later page and a delete on
    # an earlier one keep the count while a job slides onto a page already read.) The v2 search is
    # newest first by default.
    if family is JobFamily.TRAINING:
        return ops.walk_training_job_snapshots(project_id, known=known, workspace_id=workspace_id)
    walk = ops.walk_training_jobs_v1 if family is JobFamily.TRAINING_V1 else ops.walk_visualization_jobs
    return _snapshots(
        walk(
            project_id,
            per_page=V1_WALK_PAGE,
            sort_by="create_time",
            order="desc",
            workspace_id=workspace_id,
        )
    )


def _snapshots(walk: Plan[ops.Walk[Any]]) -> Plan[ops.Walk[JobSnapshot]]:
    done = yield from walk
    return ops.Walk([item.snapshot() for item in done.items], done.complete, done.pages)


@dataclass
class WatchStats:
    rounds: int = 0
    walks: int = 0
    walk_pages: int = 0
    details: int = 0
    observations: int = 0
    incomplete_walks: int = 0


# The futures of one job's callers in a round: one future, or a list when several callers wait on
# the same job (rare). Nothing else is allocated per call, so that little outlives a round.
_Waiters = asyncio.Future[JobSnapshot | Gone] | list[asyncio.Future[JobSnapshot | Gone]]


class SharedWatch:
    """Answers ``observe`` calls for one (session, project, family, list scope) in shared rounds."""

    def __init__(
        self,
        session: ModelArtsSession,
        project_id: str,
        family: JobFamily,
        workspace_id: str | None = None,
    ) -> None:
        if family not in SHAREABLE:
            raise ValueError(f"job_family: {family.value} jobs are watched one by one")
        self.session = session
        self.project_id = project_id
        self.family = family
        self.workspace_id = workspace_id
        self.stats = WatchStats()
        self._pending: dict[str, _Waiters] = {}
        self._stopping: set[str] = set()  # jobs of the pending round waited on to stop
        self._round: asyncio.Task[None] | None = None
        self._last_seen: dict[str, JobSnapshot] = {}  # job id -> the answer of its last round
        self._confirmed: dict[str, JobSnapshot] = {}  # job id -> its last answer from the detail
        self._shown: set[str] = set()  # jobs this watch's walks have listed
        self._outside: set[str] = set()  # jobs the detail knows but a complete walk did not list
        self._walk_pages = 1
        self._asked: dict[str, float] = {}  # job id -> loop time it was last asked about
        self._pruned_at = 0.0

    @property
    def scope(self) -> str:
        """A secret-free digest of this watch's list query: credentials, project, family, workspace."""
        return list_scope(self.session, self.project_id, self.family, self.workspace_id)

    def vouch(self, job_ids: list[str], scope: str | None) -> bool:
        """Take ``job_ids`` as shown by this watch's query if ``scope`` (from :func:`list_scope`)
        names it: a task that listed them with the same credentials and scope says so. A listing
        with filters shows a subset of the unfiltered list, so its jobs count as shown."""
        if scope is None or scope != self.scope:
            return False
        now = asyncio.get_running_loop().time()
        for job_id in job_ids:
            self._shown.add(job_id)
            self._asked.setdefault(job_id, now)
        return True

    def observe(self, job_id: str, goal: watch.Goal) -> asyncio.Future[JobSnapshot | Gone]:
        """The job's state as of the next round (:class:`..watch.Gone`: the service says it does not
        exist).

        Returns the caller's own future: awaiting it needs no coroutine per call, and cancelling
        it before its round takes the call out of the round (it costs nothing any more).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[JobSnapshot | Gone] = loop.create_future()
        self._asked[job_id] = loop.time()
        waiting = self._pending.get(job_id)
        if waiting is None:
            self._pending[job_id] = future
        elif isinstance(waiting, list):
            waiting.append(future)
        else:
            self._pending[job_id] = [waiting, future]
        if goal is watch.Goal.STOPPED:
            self._stopping.add(job_id)
        if self._round is None or self._round.done():
            self._round = loop.create_task(self._run_round())
        return future

    def _window(self) -> float:
        """How long a round gathers callers: the batch window, or nothing once this watch has
        answered rounds about one job only (within the last hour): a lone wait then costs what
        asking the job directly costs, with no extra wake-up of the event loop. A watch's first
        round always gathers, so waits that start together share it."""
        now = asyncio.get_running_loop().time()
        if now - self._pruned_at > 60:
            self._pruned_at = now
            self._asked = {job: at for job, at in self._asked.items() if now - at < LONE_HORIZON}
            asked = self._asked
            self._last_seen = {job: seen for job, seen in self._last_seen.items() if job in asked}
            self._confirmed = {job: seen for job, seen in self._confirmed.items() if job in asked}
            self._shown &= asked.keys()
            self._outside &= asked.keys()
        lone = len(self._asked) <= 1 and self.stats.rounds > 0
        return 0.0 if lone else BATCH_WINDOW

    def _take(self) -> tuple[dict[str, _Waiters], set[str]]:
        """The callers waiting for a round (those all cancelled left out), and the jobs of them
        waited on to stop; the next caller starts a new batch."""
        batch, self._pending = self._pending, {}
        stopping, self._stopping = self._stopping, set()
        for job_id in [job for job, waiting in batch.items() if not _live(waiting)]:
            del batch[job_id]  # every caller of this job was cancelled before the round
        return batch, stopping

    async def _run_round(self) -> None:
        await asyncio.sleep(self._window())
        batch, stopping = self._take()
        if not batch:
            return
        self.stats.rounds += 1
        try:
            results = await self._answer(batch, stopping)
        except Exception as exc:
            results = dict.fromkeys(batch, exc)
        answered = 0
        for job_id, waiting in batch.items():
            answered += 1
            if answered % ANSWER_CHUNK == 0:
                await asyncio.sleep(0)  # let the waiters answered so far run: no long loop stall
            snapshot = results[job_id]
            if isinstance(snapshot, BaseException):
                for future in waiting if isinstance(waiting, list) else (waiting,):
                    if not future.done():
                        future.set_exception(snapshot)
                continue
            self._remember(job_id, snapshot)
            for future in waiting if isinstance(waiting, list) else (waiting,):
                if not future.done():
                    self.stats.observations += 1
                    future.set_result(snapshot)
        if self._pending:  # callers that arrived while this round was answering
            self._round = asyncio.get_running_loop().create_task(self._run_round())

    def _remember(self, job_id: str, snapshot: JobSnapshot | Gone) -> None:
        if isinstance(snapshot, Gone):
            self._last_seen.pop(job_id, None)
            self._confirmed.pop(job_id, None)
            self._shown.discard(job_id)
            self._outside.discard(job_id)
        else:
            self._last_seen[job_id] = snapshot

    def _needs_detail(self, job_id: str, listed: JobSnapshot, stopping: set[str]) -> bool:
        """Whether a listed job's answer must come from its detail: when it would end a wait."""
        stops = job_id in stopping and listed.is_terminal
        if not stops and not watch.judge(watch.Goal.DELETED, listed).done:
            return False  # ends no wait: still there, and not stopped (or nobody waits on a stop)
        if stops and self.family is JobFamily.TRAINING_V1:
            return True  # the listed status is the latest version's, not the whole job's
        confirmed = self._confirmed.get(job_id)
        return confirmed is None or confirmed.status != listed.status

    async def _answer(
        self, batch: dict[str, _Waiters], stopping: set[str]
    ) -> dict[str, JobSnapshot | Gone | BaseException]:
        """One answer per job: from the walk, from the detail endpoint, or the error that stopped it."""
        if sum(job not in self._outside for job in batch) <= self._walk_pages:
            return await self._details(list(batch))
        walk = await self.session.arun(
            _walk_plan(self.project_id, self.family, self._last_seen, self.workspace_id)
        )
        self.stats.walks += 1
        self.stats.walk_pages += walk.pages
        self.stats.incomplete_walks += not walk.complete
        self._walk_pages = walk.pages
        # Callers that arrived while the walk ran join this round (the waits of one tick do not all
        # wake at once on a busy event loop): a page read before such a call is at most one walk
        # old, and what would end a wait is proven as for any caller (gone: unlisted by a complete
        # walk after being listed; stopped: confirmed on the detail).
        late, late_stopping = self._take()
        for job, waiting in late.items():
            batch[job] = _joined(batch[job], waiting) if job in batch else waiting
        stopping |= late_stopping
        direct = [job for job in batch if job in self._outside]
        walked = [job for job in batch if job not in self._outside]
        listed = {snapshot.job_id: snapshot for snapshot in walk.items}
        complete = walk.complete
        del walk  # the walk's own list of every job is not needed any more
        results: dict[str, JobSnapshot | Gone | BaseException] = {}
        unlisted: list[str] = []  # absent from the walk, and not known to be gone from it
        for job in walked:
            seen = listed.get(job)
            if seen is None:
                if complete and job in self._shown:
                    results[job] = Gone(job, watch.UNLISTED)  # listed before by the same query
                else:
                    unlisted.append(job)
                continue
            self._shown.add(job)
            if self._needs_detail(job, seen, stopping):
                direct.append(job)
            else:
                results[job] = seen
        del listed  # only the snapshots of watched jobs stay alive while details are asked
        if unlisted or direct:
            asked = await self._details(unlisted + direct)
            for job, answer in asked.items():
                if isinstance(answer, JobSnapshot):
                    self._confirmed[job] = answer
                    if complete and job in unlisted:
                        self._outside.add(job)  # known to its detail, not to this list: ask it directly
            results.update(asked)
        return results

    async def _details(self, job_ids: list[str]) -> dict[str, JobSnapshot | Gone | BaseException]:
        if len(job_ids) == 1:  # a lone wait: no task, semaphore or gather around its one request
            (job_id,) = job_ids
            self.stats.details += 1
            try:
                return {job_id: await self.session.arun(ops.observe(self.project_id, self.family, job_id))}
            except Exception as exc:
                return {job_id: exc}
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def one(job_id: str) -> JobSnapshot | Gone:
            async with limit:
                self.stats.details += 1
                return await self.session.arun(ops.observe(self.project_id, self.family, job_id))

        answers = await asyncio.gather(*(one(job) for job in job_ids), return_exceptions=True)
        return dict(zip(job_ids, answers, strict=True))


def list_scope(
    session: ModelArtsSession, project_id: str, family: JobFamily, workspace_id: str | None
) -> str:
    """A digest naming one list query: the credentials it runs with, the project, family and
    workspace (no filters: a filtered listing shows a subset of the unfiltered one)."""
    parts = (session.config.identity(), project_id, family.value, workspace_id or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def _joined(first: _Waiters, second: _Waiters) -> _Waiters:
    """The callers of one job in two batches, as one."""
    return [
        *(first if isinstance(first, list) else [first]),
        *(second if isinstance(second, list) else [second]),
    ]


def _live(waiting: _Waiters) -> bool:
    """Whether any caller still waits (a cancelled caller's future is done)."""
    if isinstance(waiting, list):
        return not all(future.done() for future in waiting)
    return not waiting.done()


_WATCHES: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[int, str, JobFamily, str | None], SharedWatch]
] = weakref.WeakKeyDictionary()


def shared_watch(
    session: ModelArtsSession, project_id: str, family: JobFamily, workspace_id: str | None = None
) -> SharedWatch:
    """The watch of this event loop for (session, project, family, list scope).

    A session is the credentials of a connection: after they are rotated, waits move to the watch
    of the new session. Watches of retired sessions are let go here once no round of theirs is
    under way (a wait that still holds one can go on using it)."""
    loop = asyncio.get_running_loop()
    watches = _WATCHES.setdefault(loop, {})
    key = (id(session), project_id, family, workspace_id)
    found = watches.get(key)
    if found is None or found.session is not session:
        for old_key, old in list(watches.items()):
            if old.session.retired and not old._pending and (old._round is None or old._round.done()):
                del watches[old_key]
        found = watches[key] = SharedWatch(session, project_id, family, workspace_id)
    return found


def all_watches() -> list[SharedWatch]:
    """Every watch of the running loop (for tests and benchmarks)."""
    return list(_WATCHES.get(asyncio.get_running_loop(), {}).values())


__all__: list[str] = [
    "SHAREABLE",
    "SharedWatch",
    "WatchStats",
    "all_watches",
    "list_scope",
    "shared_watch",
]
