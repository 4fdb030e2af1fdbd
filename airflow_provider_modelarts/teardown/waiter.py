"""The one wait loop: poll jobs of one family until each reaches the goal, the deadline passes, or
polling fails for good.

Triggers declare what they wait for (a :class:`WaitSpec`) and run :func:`wait` in the triggerer;
operators and sensors run the very same function on the worker (see ``operators.waiting``). A
single job is a list of one. Every answer is judged by :class:`..api.waiting.JobWait`; what the
loop returns is a :class:`WaitOutcome` that each trigger shapes into its own event.

Jobs of the shareable families are observed through the process's shared watch (one list walk
answers every wait of a connection, project, family and scope); v1 versions and RES jobs are asked
on their detail endpoint.

Credentials refused (:class:`..api.errors.ModelArtsAuthError`) make the wait read its connection
again (temporary credentials expire and are rotated): if it now holds other credentials, the wait
goes on with them (and with the shared watch of their session), and the refused poll counts for
nothing; if it holds the same ones, or the fresh ones are refused in their turn, the refusal ends
that job's wait. Apart from refusals, the hook reads the connection again every
``CONFIG_CACHE_SECONDS``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, TypeVar

from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.errors import ModelArtsAuthError, ModelArtsError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.shared_watch import BATCH_WINDOW, SHAREABLE, SharedWatch, shared_watch
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import JobWait, WaitFailed
from airflow_provider_modelarts.api.watch import Goal, Gone, Verdict
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

PROGRESS_LOG_MIN_GAP = 30.0  # seconds: a many-job wait logs a change at most this often...
PROGRESS_LOG_HEARTBEAT = 600.0  # ...and a line at least this often while nothing changes
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WaitSpec:
    """What a wait waits for: jobs of one family (a v1 version: one job), a goal, a pace, a deadline.

    ``workspace_id`` and ``listed_by``: the list scope the jobs were selected from, and the digest
    of the listing that showed them (see ``SharedWatch.vouch``).
    """

    family: JobFamily
    job_ids: tuple[str, ...]
    goal: Goal
    poll_interval: float
    deadline: float | None
    max_poll_failures: int
    first_poll_delay: float = 0.0
    version_id: str | None = None
    workspace_id: str | None = None
    listed_by: str | None = None

    def replace(self, **changes: Any) -> WaitSpec:
        return dataclasses.replace(self, **changes)

    @property
    def shared(self) -> bool:
        """Whether the jobs are answered by shared list walks (else by their detail endpoint)."""
        return self.version_id is None and self.family in SHAREABLE

    def describe(self) -> str:
        if len(self.job_ids) == 1:
            return JobRef(self.family, self.job_ids[0], self.version_id).describe()
        return f"{len(self.job_ids)} {self.family.value} job(s)"

    def past_deadline(self, delay: float = 0.0) -> bool:
        return self.deadline is not None and time.time() + delay > self.deadline


@dataclass(slots=True)
class WaitOutcome:
    """How a wait ended: each job reached the goal (``reached``: its verdict), ended in error
    (``errors``: why; ``refused``: those the service itself reports cannot reach the goal, as a
    deletion that failed), or is still waiting (``waiting``); ``last_status``: every job's last
    status seen. ``ended`` says why the loop returned: ``settled`` (no job left), ``deadline``,
    ``stop_at`` or ``answered``."""

    reached: dict[str, Verdict] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    waiting: list[str] = field(default_factory=list)
    last_status: dict[str, str | None] = field(default_factory=dict)
    polls: int = 0
    ended: str = "settled"


class _Progress:
    """The wait's log: each change of a single job's status; for many jobs, counts when they change
    (at most every ``PROGRESS_LOG_MIN_GAP`` seconds, at least every ``PROGRESS_LOG_HEARTBEAT``)."""

    def __init__(self, log: Any, spec: WaitSpec) -> None:
        self.log, self.spec = log, spec
        self.last: object = None
        self.logged_at = time.monotonic()

    def failed_poll(self, error: BaseException) -> None:
        if len(self.spec.job_ids) == 1:
            self.log.warning("Polling %s failed, will try again: %s", self.spec.describe(), error)

    def update(self, outcome: WaitOutcome, waits: dict[str, JobWait]) -> None:
        goal = self.spec.goal.value
        if len(self.spec.job_ids) == 1:
            status = next(iter(waits.values())).tally.last_status if waits else None
            if waits and status is not None and status != self.last:
                self.log.info("%s is %s; waiting for it to be %s", self.spec.describe(), status, goal)
                self.last = status
            return
        now = time.monotonic()
        state = (len(outcome.reached), len(waits), len(outcome.errors))
        changed = state != self.last and now - self.logged_at >= PROGRESS_LOG_MIN_GAP
        if self.last is None or changed or now - self.logged_at >= PROGRESS_LOG_HEARTBEAT:
            self.log.info(
                "%s: %s settled (%s in error), %s still waiting to be %s",
                self.spec.describe(),
                state[0] + state[2],
                state[2],
                state[1],
                goal,
            )
            self.last, self.logged_at = state, now


def _tick_delay(spec: WaitSpec) -> float:
    """Seconds to the next poll: the poll interval, or, for shared waits, the time to the next tick
    of the interval on the event loop's clock (at least half an interval).

    Shared waits with one interval then wake together and share one list walk per round, even
    after something (a long garbage collection, a slow round) spread their wake-ups apart. Each wait
    wakes a fixed fraction of half a round window after the tick, so a thousand waits wake over a
    few milliseconds instead of in one event-loop step, yet share a round; the tick itself is chosen
    without that shift, so waits answered by one round all pick the same tick.
    """
    interval = spec.poll_interval
    if not spec.shared:
        return interval
    spread = min(BATCH_WINDOW / 2, interval / 10)
    offset = zlib.crc32(spec.job_ids[0].encode()) % 1024 / 1024 * spread
    delay = interval - asyncio.get_running_loop().time() % interval
    return (delay + interval if delay < interval / 2 else delay) + offset


def _first_delay(spec: WaitSpec) -> float:
    if not spec.first_poll_delay:
        return 0.0
    delay = _tick_delay(spec)  # on the tick shared waits use, and not before first_poll_delay
    while delay < spec.first_poll_delay:
        delay += spec.poll_interval
    return delay


async def _answers(
    hook: ModelArtsHook, spec: WaitSpec, jobs: list[str], watch: SharedWatch | None
) -> list[JobSnapshot | Gone | BaseException]:
    """One answer per job: from the shared watch, or from each job's detail endpoint. A lone job
    (most waits: a single job is a list of one) awaits its answer without a gather around it."""
    if len(jobs) == 1:
        try:
            if watch is not None:
                return [await watch.observe(jobs[0], spec.goal)]
            return [await hook.aobserve(spec.family, jobs[0], spec.version_id)]
        except Exception as exc:
            return [exc]
    if watch is not None:
        futures = [watch.observe(job, spec.goal) for job in jobs]
        return await asyncio.gather(*futures, return_exceptions=True)
    calls = (hook.aobserve(spec.family, job, spec.version_id) for job in jobs)
    return await asyncio.gather(*calls, return_exceptions=True)


async def wait(
    hook: ModelArtsHook,
    spec: WaitSpec,
    *,
    log: Any,
    stop_at: float | None = None,
    until_answer: bool = False,
) -> WaitOutcome:
    """Poll ``spec``'s jobs until every one reached the goal or ended in error, the deadline passed
    (``ended="deadline"``), ``stop_at`` (an absolute time; the last poll happens then) came
    (``"stop_at"``), or, with ``until_answer``, a poll was answered without settling every job
    (``"answered"``). The first poll happens whatever the deadline: at the latest, at the deadline.

    A transient failure counts towards ``max_poll_failures`` polls in a row for that job; any other
    failure, or too many in a row, ends that job's wait in error while the others go on. A refusal
    of the credentials is judged only after the connection was read again (see the module's
    docstring).
    """
    outcome = WaitOutcome()
    every = {job: JobWait(waits_ref(spec, job), spec.goal, spec.max_poll_failures) for job in spec.job_ids}
    waits = dict(every)
    progress = _Progress(log, spec)
    watch: SharedWatch | None = None  # the watch of the hook's session, resolved at a poll that reaches it
    reread: set[str] = set()  # jobs refused since the connection was read again because of a refusal
    delay = _first_delay(spec)
    while waits:
        if delay:
            if spec.past_deadline(delay):
                if outcome.polls:
                    outcome.ended = "deadline"
                    break
                delay = max(0.0, (spec.deadline or 0.0) - time.time())
            if stop_at is not None:
                left = stop_at - time.time()
                if left <= 0:
                    outcome.ended = "stop_at"
                    break
                delay = min(delay, left)
            await asyncio.sleep(delay)
        outcome.polls += 1
        jobs = list(waits)
        answers: list[JobSnapshot | Gone | BaseException]
        used: ConnectionConfig | None = None
        try:
            session = await hook.asession()
            used = session.config
            if spec.shared and (watch is None or watch.session is not session):
                project = await hook.aresolve_project_id()
                watch = shared_watch(session, project, spec.family, spec.workspace_id)
                watch.vouch(jobs, spec.listed_by)  # a listing by the same credentials and scope only
        except (ModelArtsError, ValueError) as exc:
            answers = [exc] * len(jobs)
        else:
            answers = await _answers(hook, spec, jobs, watch)
        retry: set[str] = set()
        read_again = False
        if any(isinstance(answer, ModelArtsAuthError) for answer in answers):
            retry, read_again = await _reread_if_refused(hook, used, jobs, answers, reread, log)
        answered = False
        for job, answer in zip(jobs, answers, strict=True):
            if job in retry:
                continue  # refused credentials, replaced by the connection's new ones: poll again
            if not isinstance(answer, ModelArtsAuthError):
                reread.discard(job)
            try:
                verdict = waits[job].record(answer)
            except WaitFailed as exc:
                refused_again = isinstance(answer, ModelArtsAuthError) and (read_again or job in reread)
                outcome.errors[job] = str(exc) + (REFUSED_AFTER_REREAD if refused_again else "")
                del waits[job]
                continue
            if isinstance(answer, BaseException):
                progress.failed_poll(answer)
            else:
                answered = True
            if verdict.done:
                del waits[job]
                if verdict.error:
                    outcome.errors[job] = f"{waits_ref(spec, job).describe()}: {verdict.error}"
                    outcome.refused.add(job)
                else:
                    outcome.reached[job] = verdict
        progress.update(outcome, waits)
        if until_answer and answered and waits:
            outcome.ended = "answered"
            break
        delay = _tick_delay(spec)
    outcome.waiting = list(waits)
    outcome.last_status = {job: job_wait.tally.last_status for job, job_wait in every.items()}
    return outcome


REFUSED_AFTER_REREAD = " (the connection was read again after the refusal: its credentials are refused)"


async def _reread_if_refused(
    hook: ModelArtsHook,
    used: ConnectionConfig | None,
    jobs: list[str],
    answers: list[JobSnapshot | Gone | BaseException],
    reread: set[str],
    log: Any,
) -> tuple[set[str], bool]:
    """The jobs to poll again with new credentials, and whether the connection was read again.

    The connection is read again when a job's poll was refused (``used``: the credentials it was
    made with) and that job was not refused already since the last such read. Only if the read
    found other credentials are those jobs returned (and remembered in ``reread``: a refusal of
    the fresh credentials ends their wait)."""
    refused = [
        job
        for job, answer in zip(jobs, answers, strict=True)
        if isinstance(answer, ModelArtsAuthError) and job not in reread
    ]
    if not refused or used is None:
        return set(), False
    refused_at = time.monotonic()
    try:
        fresh = await hook.areread_config(refused_at)
    except Exception as exc:  # the connection is unreadable now: the refusal stands
        log.warning("Credentials refused; reading the connection again failed (%s)", type(exc).__name__)
        return set(), False
    if fresh.identity() == used.identity():
        return set(), True
    log.warning(
        "Credentials refused for %s job(s); the connection holds new ones (%s): polling with them",
        len(refused),
        fresh.auth_description(),
    )
    reread.update(refused)
    return set(refused), True


def waits_ref(spec: WaitSpec, job: str) -> JobRef:
    return JobRef(spec.family, job, spec.version_id)
