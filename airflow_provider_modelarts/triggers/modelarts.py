"""Deferrable waits: until a job is gone, or until it has stopped, without blocking the triggerer.

A trigger holds only plain values (ids, connection id, intervals, an absolute deadline), never a
credential: the connection is resolved inside :meth:`run` through Airflow's async connection
access. A trigger rebuilt from its kwargs (after a triggerer restart, or running twice in two
triggerers) makes the same read-only calls and reaches the same verdict; it never acts on a job.

Each trigger only declares what it waits for; the loop is :meth:`_WaitTrigger.poll` (one job) and
:meth:`ModelArtsJobsTrigger.wait` (many), and every answer is judged by the waiting core
(:mod:`..api.waiting`). Tasks that wait on the worker run the same loops there (:func:`run_here`).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import zlib
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, Self, TypeVar

from airflow.providers.common.compat.sdk import conf
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsError
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.shared_watch import BATCH_WINDOW, SHAREABLE, SharedWatch, shared_watch
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.waiting import (
    EVENT_STATUSES,
    JobWait,
    UnexpectedEvent,
    WaitFailed,
    job_event,
    poll_failures,
    seconds,
    verdict_event,
)
from airflow_provider_modelarts.api.watch import Goal, Verdict
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_POLL_FAILURES = 5
DEFAULT_DEFERRAL_GRACE = 5.0
STREAK_PAUSE_MAX = 30.0  # seconds between the polls of a failure streak on the worker
PROGRESS_LOG_MIN_GAP = 30.0  # seconds: a many-job wait logs a change at most this often...
PROGRESS_LOG_HEARTBEAT = 600.0  # ...and a line at least this often while nothing changes
T = TypeVar("T")


async def _shared_watch(hook: ModelArtsHook, family: JobFamily, workspace_id: str | None) -> SharedWatch:
    """The watch answering shared waits of ``hook``'s connection and project on ``family`` jobs."""
    return shared_watch(await hook.asession(), await hook.aresolve_project_id(), family, workspace_id)


class _WaitTrigger(BaseTrigger):
    """What every wait shares: the goal, the connection to read, the pace and the deadline.

    Subclasses declare what they wait for (:meth:`_serialize` with their own kwargs) and implement
    :meth:`wait`; :meth:`run` resolves the connection inside the triggerer and fires the one event
    ``wait`` returns.

    :param first_poll_delay: Seconds before the first poll. A task that defers has just looked at
        the job itself, so its trigger waits (at least) one interval before looking again.
    """

    def __init__(
        self,
        *,
        goal: str,
        modelarts_conn_id: str,
        region: str | None,
        project_id: str | None,
        poll_interval: float,
        deadline: float | None,
        max_poll_failures: int,
        first_poll_delay: float,
    ) -> None:
        super().__init__()
        self.goal = Goal.of(goal).value
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.poll_interval = seconds(poll_interval, "poll_interval")
        self.deadline = None if deadline is None else seconds(deadline, "deadline", allow_zero=True)
        self.max_poll_failures = poll_failures(max_poll_failures)
        self.first_poll_delay = seconds(first_poll_delay, "first_poll_delay", allow_zero=True)

    def _serialize(self, **own: Any) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                **own,
                "goal": self.goal,
                "modelarts_conn_id": self.modelarts_conn_id,
                "region": self.region,
                "project_id": self.project_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "max_poll_failures": self.max_poll_failures,
                "first_poll_delay": self.first_poll_delay,
            },
        )

    def replace(self, **changes: Any) -> Self:
        """The same wait with some kwargs changed (its pace, say)."""
        return type(self)(**{**self.serialize()[1], **changes})

    def hook(self) -> ModelArtsHook:
        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)

    def describe(self) -> str:
        raise NotImplementedError

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent(await self.wait(self.hook()))

    def _past_deadline(self, delay: float) -> bool:
        return self.deadline is not None and time.time() + delay > self.deadline

    def _until_deadline(self) -> float:
        """Seconds left to the deadline (none: at once); only called when there is a deadline."""
        return max(0.0, (self.deadline or 0.0) - time.time())

    async def on_kill(self) -> None:
        """Deliberately nothing: the trigger only watches a teardown that the task already requested.

        Airflow calls this when the wait is stopped in this triggerer (the task was cleared or
        marked, or the trigger is taken over elsewhere). The stop or delete, once accepted,
        completes on the service side; undoing it is impossible and repeating it is the task's job.
        """
        self.log.info(
            "The wait for %s stopped in this triggerer (the task was cleared or marked, or the wait "
            "moved elsewhere); the job itself is left as it is",
            self.describe(),
        )


class ModelArtsJobTrigger(_WaitTrigger):
    """Polls a job until ``goal`` (``deleted`` or ``stopped``) is reached, the deadline passes, or
    polling fails for good, then fires exactly one event (see :func:`..api.waiting.job_event`).

    :param job_family: ``training`` (v2), ``training_v1``, ``visualization`` or ``res``.
    :param deadline: Absolute UNIX time after which a ``timeout`` event fires (``None``: never).
    :param max_poll_failures: Consecutive polls that may fail transiently (after the client's own
        retries) before the trigger gives up with an ``error`` event.
    """

    def __init__(
        self,
        *,
        job_family: str,
        job_id: str,
        goal: str,
        version_id: str | None = None,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: float | None = None,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        first_poll_delay: float = 0.0,
    ) -> None:
        super().__init__(
            goal=goal,
            modelarts_conn_id=modelarts_conn_id,
            region=region,
            project_id=project_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_poll_failures=max_poll_failures,
            first_poll_delay=first_poll_delay,
        )
        self.target = ids.job_target(job_family, job_id, version_id)
        self.job_family = self.target.family.value
        self.job_id = self.target.job_id
        self.version_id = self.target.version_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self._serialize(job_family=self.job_family, job_id=self.job_id, version_id=self.version_id)

    def describe(self) -> str:
        return self.target.describe()

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        """Poll until the verdict, the deadline or a lasting error; return the event payload."""
        goal = Goal(self.goal)
        job_wait = JobWait(self.target, goal, self.max_poll_failures)
        try:
            verdict = await self.poll(hook, job_wait)
        except WaitFailed as exc:
            return job_event(self.target, goal, "error", str(exc), exc.last_status, job_wait.tally.polls)
        if verdict is None:
            status = job_wait.tally.last_status
            message = f"{self.describe()} was not {self.goal} before the deadline (last status {status})"
            return job_event(self.target, goal, "timeout", message, status, job_wait.tally.polls)
        return verdict_event(self.target, goal, verdict, job_wait.tally.polls)

    async def poll(
        self,
        hook: ModelArtsHook,
        job_wait: JobWait,
        *,
        stop_at: float | None = None,
        until_answer: bool = False,
    ) -> Verdict | None:
        """The one waiting loop: poll until a verdict is done (returned) or polling fails for good
        (:class:`WaitFailed`). ``None`` when the deadline or ``stop_at`` (an absolute time; the last
        poll happens then) comes first, or, with ``until_answer``, after the first poll that was
        answered without a verdict.

        Triggers run it in the triggerer; operators and sensors run it on the worker
        (:func:`run_here`). A shared wait resolves its session, project and watch once, then each
        poll only awaits the watch's answer: a triggerer with a thousand waits allocates little per
        poll, so little survives into the oldest GC generation.
        """
        target, goal = self.target, job_wait.goal
        shared = target.version_id is None and target.family in SHAREABLE
        watch: SharedWatch | None = None
        delay = self._first_delay()
        while True:
            if delay:  # the first poll happens whatever the deadline: at the latest, at the deadline
                if self._past_deadline(delay):
                    if job_wait.tally.polls:
                        return None
                    delay = self._until_deadline()
                if stop_at is not None:  # the last poll comes at stop_at, not after it
                    left = stop_at - time.time()
                    if left <= 0:
                        return None
                    delay = min(delay, left)
                await asyncio.sleep(delay)
            answer: JobSnapshot | BaseException | None
            try:
                if not shared:
                    answer = await hook.aobserve(target.family, target.job_id, target.version_id)
                else:
                    if watch is None:
                        watch = await _shared_watch(hook, target.family, None)
                    answer = await watch.observe(target.job_id, goal)
            except (ModelArtsError, ValueError) as exc:
                answer = exc
            before = job_wait.tally.last_status
            verdict = job_wait.record(answer)  # raises WaitFailed when polling failed for good
            if verdict.done:
                return verdict
            if isinstance(answer, BaseException):
                self.log.warning("Polling %s failed, will try again: %s", self.describe(), answer)
            else:
                if verdict.final_status != before:  # a line per change, not per poll
                    self.log.info(
                        "%s is %s; waiting for it to be %s", self.describe(), verdict.final_status, goal.value
                    )
                if until_answer:
                    return None
            delay = self._delay()

    def _first_delay(self) -> float:
        if not self.first_poll_delay:
            return 0.0
        delay = self._delay()  # on the tick shared waits use, and not before first_poll_delay
        while delay < self.first_poll_delay:
            delay += self.poll_interval
        return delay

    def _delay(self) -> float:
        """Seconds to the next poll: the poll interval, or, for waits answered by shared rounds, the
        time to the next tick of the interval on the event loop's clock (at least half an interval).

        Shared waits with one interval then wake together and share one list walk per round, even
        after something (a long garbage collection, a slow round) spread their wake-ups apart.
        """
        interval = self.poll_interval
        if self.version_id is not None or self.target.family not in SHAREABLE:
            return interval
        # Each job wakes a fixed fraction of half a round window after the tick, so a thousand
        # waits wake over a few milliseconds instead of in one event-loop step, yet share a round.
        # The tick itself is chosen without that shift: waits answered by one round all pick the
        # same tick (with the shift in the choice, the half-interval rule could split them).
        spread = min(BATCH_WINDOW / 2, interval / 10)
        offset = zlib.crc32(self.job_id.encode()) % 1024 / 1024 * spread
        delay = interval - asyncio.get_running_loop().time() % interval
        return (delay + interval if delay < interval / 2 else delay) + offset


def job_ids_digest(job_ids: Sequence[str]) -> str:
    """A short, order-free fingerprint of a set of job ids: events carry it instead of the ids."""
    return hashlib.sha256("\n".join(sorted(set(job_ids))).encode()).hexdigest()[:24]


class ModelArtsJobsTrigger(_WaitTrigger):
    """Waits until every job in ``job_ids`` (one family) reaches ``goal``; one event at the end.

    Jobs are observed in shared rounds (one list walk of ``workspace_id``'s list answers them all,
    see ``SharedWatch``). The event lists the jobs still waiting at the deadline and the jobs that
    ended in error, and carries a digest of ``job_ids`` so the task can tell that it is about its
    own jobs. The kwargs hold ids only, whatever the number of jobs.

    :param workspace_id: The list scope the jobs were selected from (default: the list's default).
    :param listed_by: The scope digest (``shared_watch.list_scope``) of the listing that showed all
        of ``job_ids``: if the watch runs the same query with the same credentials, a complete walk
        that no longer lists one of them proves it gone without asking its detail.
    """

    def __init__(
        self,
        *,
        job_family: str,
        job_ids: Sequence[str],
        goal: str,
        workspace_id: str | None = None,
        listed_by: str | None = None,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: float | None = None,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        first_poll_delay: float = 0.0,
    ) -> None:
        super().__init__(
            goal=goal,
            modelarts_conn_id=modelarts_conn_id,
            region=region,
            project_id=project_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_poll_failures=max_poll_failures,
            first_poll_delay=first_poll_delay,
        )
        self.job_family = ids.job_family(job_family).value
        self.job_ids = list(dict.fromkeys(ids.job_target(self.job_family, job)[1] for job in job_ids))
        self.workspace_id = workspace_id
        self.listed_by = listed_by

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self._serialize(
            job_family=self.job_family,
            job_ids=list(self.job_ids),
            workspace_id=self.workspace_id,
            listed_by=self.listed_by,
        )

    def describe(self) -> str:
        return f"{len(self.job_ids)} {self.job_family} job(s)"

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        """Poll all jobs until each is settled or the deadline passes; return the event payload."""
        event = await self.poll(hook)
        assert event is not None  # without stop_at, the loop ends with an event
        return event

    async def poll(self, hook: ModelArtsHook, *, stop_at: float | None = None) -> dict[str, Any] | None:
        """The many-job waiting loop: the event payload once every job is settled or the deadline
        passed; ``None`` if ``stop_at`` (an absolute time) comes first."""
        family, goal = JobFamily(self.job_family), Goal(self.goal)
        waits = {job: JobWait(JobRef(family, job), goal, self.max_poll_failures) for job in self.job_ids}
        errors: dict[str, str] = {}
        total, polls = len(waits), 0
        progress = _Progress(self.log, self.describe(), goal)
        watch: SharedWatch | None = None  # resolved once, at the first poll that succeeds in it
        delay = self.first_poll_delay
        while waits:
            if delay:  # the first poll happens whatever the deadline: at the latest, at the deadline
                if self._past_deadline(delay):
                    if polls:
                        break
                    delay = self._until_deadline()
                if stop_at is not None and time.time() + delay > stop_at:
                    return None
                await asyncio.sleep(delay)
            polls += 1
            jobs = list(waits)
            answers: list[JobSnapshot | BaseException | None]
            if family not in SHAREABLE:
                answers = await asyncio.gather(
                    *(hook.aobserve(family, job) for job in jobs), return_exceptions=True
                )
            else:
                try:
                    if watch is None:
                        watch = await _shared_watch(hook, family, self.workspace_id)
                        watch.vouch(jobs, self.listed_by)
                except (ModelArtsError, ValueError) as exc:
                    answers = [exc] * len(jobs)
                else:
                    answers = await asyncio.gather(
                        *(watch.observe(job, goal) for job in jobs), return_exceptions=True
                    )
            for job, answer in zip(jobs, answers, strict=True):
                try:
                    verdict = waits[job].record(answer)
                except WaitFailed as exc:
                    errors[job] = str(exc)
                    del waits[job]
                    continue
                if verdict.done:
                    del waits[job]
                    if verdict.error:
                        errors[job] = verdict.error
            progress.update(total - len(waits), len(waits), len(errors))
            delay = self.poll_interval
        status = "timeout" if waits else ("error" if errors else "success")
        reached = total - len(waits) - len(errors)
        message = (
            f"{reached} of {total} {self.job_family} job(s) {self.goal}; "
            f"{len(waits)} still waiting, {len(errors)} in error"
        )
        progress.done(message)
        return {
            "status": status,
            "message": message,
            "job_family": self.job_family,
            "goal": self.goal,
            "workspace_id": self.workspace_id,
            "total": total,
            "job_ids_digest": job_ids_digest(self.job_ids),
            "remaining": sorted(waits),
            "errors": [{"job_id": job, "reason": reason} for job, reason in sorted(errors.items())],
            "polls": polls,
        }


class _Progress:
    """Progress lines of a many-job wait: on change, but at most every ``PROGRESS_LOG_MIN_GAP``
    seconds, and at least every ``PROGRESS_LOG_HEARTBEAT`` seconds while nothing changes."""

    def __init__(self, log: Any, what: str, goal: Goal) -> None:
        self.log, self.what, self.goal = log, what, goal
        self.last: tuple[int, int, int] | None = None
        self.logged_at = time.monotonic()

    def update(self, settled: int, waiting: int, errors: int) -> None:
        now = time.monotonic()
        state = (settled, waiting, errors)
        changed = state != self.last and now - self.logged_at >= PROGRESS_LOG_MIN_GAP
        if self.last is None or changed or now - self.logged_at >= PROGRESS_LOG_HEARTBEAT:
            self.log.info(
                "%s: %s settled (%s in error), %s still waiting to be %s",
                self.what,
                settled,
                errors,
                waiting,
                self.goal.value,
            )
            self.last, self.logged_at = state, now

    def done(self, message: str) -> None:
        self.log.info("%s", message)


def check_jobs_event(event: object, family: JobFamily, goal: Goal, job_ids: Sequence[str]) -> dict[str, Any]:
    """``event`` if it is a many-job event about exactly these jobs, family and goal (any status:
    the task decides what remaining and failed jobs mean); else :class:`UnexpectedEvent`."""
    what = f"the wait for {len(set(job_ids))} {family.value} job(s) to be {goal.value}"
    if not isinstance(event, dict) or event.get("status") not in EVENT_STATUSES:
        raise UnexpectedEvent(f"{what}: the trigger returned an unexpected event: {event!r}")
    about = (event.get("job_family"), event.get("goal"), event.get("job_ids_digest"))
    if about != (family.value, goal.value, job_ids_digest(job_ids)):
        raise UnexpectedEvent(f"{what}: the event is about other jobs ({about[0]}, {about[1]})")
    remaining, errors = event.get("remaining"), event.get("errors")
    if (
        not isinstance(remaining, list)
        or not isinstance(errors, list)
        or not all(isinstance(e, dict) and {"job_id", "reason"} <= set(e) for e in errors)
    ):
        raise UnexpectedEvent(f"{what}: the event has no readable list of unsettled jobs: {event!r}")
    known = set(job_ids)
    unsettled = set(remaining) | {e["job_id"] for e in errors}
    if not unsettled <= known or (event["status"] == "success") != (not unsettled):
        raise UnexpectedEvent(f"{what}: the event's lists do not fit its jobs or its status")
    return event


def deferral_grace() -> float:
    """``[modelarts] deferral_grace_seconds``: how long a task keeps checking on the worker before it
    defers, and the least time between a deferral and its trigger's first poll.

    A trigger that fires within seconds of its deferral can lose a race in Airflow's scheduler (the
    worker's exit after ``defer()`` is reported late, and the task is then marked failed), so a
    goal reached that quickly is taken on the worker, and a trigger never looks right away.
    """
    value = conf.getfloat("modelarts", "deferral_grace_seconds", fallback=DEFAULT_DEFERRAL_GRACE)
    return seconds(value, "[modelarts] deferral_grace_seconds", allow_zero=True)


def run_here(coroutine: Coroutine[Any, Any, T], hook: ModelArtsHook) -> T:
    """Run a wait in a local event loop, for tasks that wait on the worker; the loop's HTTP client
    is closed afterwards (the event loop it belongs to ends here)."""

    async def run() -> T:
        try:
            return await coroutine
        finally:
            await hook.aclose_session()

    return asyncio.run(run())
