"""Deferrable waits: until a job is gone, or until it has stopped, without blocking the triggerer.

The trigger holds only plain values (ids, connection id, intervals, an absolute deadline), never
a credential: the connection is resolved inside :meth:`run` through Airflow's async connection
access. A trigger rebuilt from its kwargs (after a triggerer restart, or running twice in two
triggerers) makes the same read-only calls and reaches the same verdict; it never acts on the job.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.errors import ModelArtsError, is_transient
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.shared_watch import BATCH_WINDOW, SHAREABLE, SharedWatch, shared_watch
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Goal, Verdict, judge
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_POLL_FAILURES = 5


def event_payload(
    status: str,
    message: str,
    *,
    job_family: str,
    job_id: str,
    version_id: str | None,
    goal: str,
    final_status: str | None,
    polls: int,
) -> dict[str, Any]:
    """The one event shape: ``status`` is ``success``, ``error`` or ``timeout``."""
    return {
        "status": status,
        "message": message,
        "job_family": job_family,
        "job_id": job_id,
        "version_id": version_id,
        "goal": goal,
        "final_status": final_status,
        "polls": polls,
    }


async def _shared_watch(hook: ModelArtsHook, family: JobFamily) -> SharedWatch:
    """The watch answering shared waits of ``hook``'s connection and project on ``family`` jobs."""
    return shared_watch(await hook.asession(), await hook.aresolve_project_id(), family)


class _WaitTrigger(BaseTrigger):
    """What every wait shares: the goal, the connection to read, the pace and the deadline.

    Subclasses add what they wait for and implement :meth:`wait`; :meth:`run` resolves the
    connection inside the triggerer and fires the one event ``wait`` returns.
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
    ) -> None:
        super().__init__()
        if poll_interval <= 0:
            raise ValueError("poll_interval: must be > 0")
        if max_poll_failures < 1:
            raise ValueError("max_poll_failures: must be at least 1")
        self.goal = Goal(goal).value
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.max_poll_failures = max_poll_failures

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
            },
        )

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)
        yield TriggerEvent(await self.wait(hook))


class ModelArtsJobTrigger(_WaitTrigger):
    """Polls a job until ``goal`` (``deleted`` or ``stopped``) is reached, the deadline passes, or
    a non-transient error occurs, then fires exactly one event (see :func:`event_payload`).

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
    ) -> None:
        super().__init__(
            goal=goal,
            modelarts_conn_id=modelarts_conn_id,
            region=region,
            project_id=project_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_poll_failures=max_poll_failures,
        )
        family, job, version = ids.job_target(job_family, job_id, version_id)
        self.job_family = family.value
        self.job_id = job
        self.version_id = version

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self._serialize(job_family=self.job_family, job_id=self.job_id, version_id=self.version_id)

    def describe(self) -> str:
        version = f" version {self.version_id}" if self.version_id else ""
        return f"{self.job_family} job {self.job_id}{version}"

    def _event(self, status: str, message: str, final_status: str | None, polls: int) -> dict[str, Any]:
        return event_payload(
            status,
            message,
            job_family=self.job_family,
            job_id=self.job_id,
            version_id=self.version_id,
            goal=self.goal,
            final_status=final_status,
            polls=polls,
        )

    def verdict_payload(self, verdict: Verdict, polls: int) -> dict[str, Any]:
        """The event for a reached verdict (also used by operators that saw it without waiting)."""
        if verdict.error:
            return self._event("error", f"{self.describe()}: {verdict.error}", verdict.final_status, polls)
        state = "is gone" if verdict.absent else f"has stopped ({verdict.final_status})"
        return self._event("success", f"{self.describe()} {state}", verdict.final_status, polls)

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        """Poll until the verdict, the deadline or a lasting error; return the event payload.

        The one waiting loop of the provider: triggers run it in the triggerer, operators and
        sensors that do not defer run it in a local event loop. A shared wait resolves its session,
        project and watch once, then each poll only awaits the watch's answer: a triggerer with
        a thousand waits allocates little per poll, so little survives into the oldest GC generation.
        """
        family, goal = JobFamily(self.job_family), Goal(self.goal)
        shared = self.version_id is None and family in SHAREABLE
        watch: SharedWatch | None = None
        polls = failures = 0
        last_status: str | None = None
        while True:
            polls += 1
            try:
                if not shared:
                    verdict = judge(goal, await hook.aobserve(family, self.job_id, self.version_id))
                else:
                    if watch is None:
                        watch = await _shared_watch(hook, family)
                    verdict = judge(goal, await watch.observe(self.job_id, goal))
            except (ModelArtsError, ValueError) as exc:
                failures += 1
                if not is_transient(exc) or failures >= self.max_poll_failures:
                    reason = f" ({failures} polls in a row failed)" if is_transient(exc) else ""
                    return self._event("error", f"{self.describe()}: {exc}{reason}", last_status, polls)
                self.log.warning("Polling %s failed, will try again: %s", self.describe(), exc)
            else:
                failures = 0
                if verdict.done:
                    return self.verdict_payload(verdict, polls)
                if verdict.final_status != last_status:  # a line per change, not per poll
                    self.log.info(
                        "%s is %s; waiting for it to be %s", self.describe(), verdict.final_status, self.goal
                    )
                last_status = verdict.final_status
            delay = self._delay()
            if self.deadline is not None and time.time() + delay > self.deadline:
                message = (
                    f"{self.describe()} was not {self.goal} before the deadline (last status {last_status})"
                )
                return self._event("timeout", message, last_status, polls)
            await asyncio.sleep(delay)

    def _delay(self) -> float:
        """Seconds to the next poll: the poll interval, or, for waits answered by shared rounds, the
        time to the next tick of the interval on the event loop's clock (at least half an interval).

        Shared waits with one interval then wake together and share one list walk per round, even
        after something (a long garbage collection, a slow round) spread their wake-ups apart.
        """
        interval = self.poll_interval
        if self.version_id is not None or JobFamily(self.job_family) not in SHAREABLE:
            return interval
        # Each job wakes a fixed fraction of half a round window after the tick, so a thousand
        # waits wake over a few milliseconds instead of in one event-loop step, yet share a round.
        # The tick itself is chosen without that shift: waits answered by one round all pick the
        # same tick (with the shift in the choice, the half-interval rule could split them).
        spread = min(BATCH_WINDOW / 2, interval / 10)
        offset = zlib.crc32(self.job_id.encode()) % 1024 / 1024 * spread
        delay = interval - asyncio.get_running_loop().time() % interval
        return (delay + interval if delay < interval / 2 else delay) + offset

    async def on_kill(self) -> None:
        """Deliberately nothing: this trigger only watches a teardown the task already requested.

        Killing the wait must not undo or repeat the teardown, and there is nothing remote to
        cancel; the stop or delete request, once accepted, completes on the service side.
        """
        self.log.info("Wait for %s cancelled by the user; the job itself is left as it is", self.describe())


class ModelArtsJobsTrigger(_WaitTrigger):
    """Waits until every job in ``job_ids`` (one family) reaches ``goal``; one event at the end.

    All jobs are observed in shared rounds (one list walk answers them all, see ``SharedWatch``).
    The event lists the jobs still waiting at the deadline and the jobs that ended in error.

    :param first_check_delay: Seconds before the first check: right after a mass delete every job
        is still listed, so checking at once would only cost a full list walk.
    :param echo: Plain, secret-free values returned unchanged in the event (``echo``), so the task
        that deferred gets its state back whatever way its resume kwargs travel.
    """

    def __init__(
        self,
        *,
        job_family: str,
        job_ids: list[str],
        goal: str,
        modelarts_conn_id: str = ModelArtsHook.default_conn_name,
        region: str | None = None,
        project_id: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        deadline: float | None = None,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        first_check_delay: float = 0.0,
        echo: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            goal=goal,
            modelarts_conn_id=modelarts_conn_id,
            region=region,
            project_id=project_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_poll_failures=max_poll_failures,
        )
        if first_check_delay < 0:
            raise ValueError("first_check_delay: must be >= 0")
        self.job_family = ids.job_family(job_family).value
        self.job_ids = [ids.job_target(self.job_family, job)[1] for job in job_ids]
        self.first_check_delay = float(first_check_delay)
        self.echo = echo

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self._serialize(
            job_family=self.job_family,
            job_ids=list(self.job_ids),
            first_check_delay=self.first_check_delay,
            echo=self.echo,
        )

    async def wait(self, hook: ModelArtsHook) -> dict[str, Any]:
        """Poll all jobs until each is settled or the deadline passes; return the event payload."""
        family, goal = JobFamily(self.job_family), Goal(self.goal)
        remaining = dict.fromkeys(self.job_ids, 0)  # job id -> consecutive failed polls
        errors: dict[str, str] = {}
        total, polls = len(remaining), 0
        watch: SharedWatch | None = None  # resolved once, at the first poll that succeeds in it
        if self.first_check_delay:
            await asyncio.sleep(self.first_check_delay)
        while remaining:
            polls += 1
            jobs = list(remaining)
            answers: list[JobSnapshot | BaseException | None]
            if family not in SHAREABLE:
                answers = await asyncio.gather(
                    *(hook.aobserve(family, job) for job in jobs), return_exceptions=True
                )
            else:
                try:
                    watch = watch or await _shared_watch(hook, family)
                except (ModelArtsError, ValueError) as exc:
                    answers = [exc] * len(jobs)
                else:
                    answers = await asyncio.gather(
                        *(watch.observe(job, goal) for job in jobs), return_exceptions=True
                    )
            for job, answer in zip(jobs, answers, strict=True):
                if isinstance(answer, BaseException):
                    if not isinstance(answer, ModelArtsError | ValueError):
                        raise answer
                    remaining[job] += 1
                    if not is_transient(answer) or remaining[job] >= self.max_poll_failures:
                        errors[job] = str(answer)
                        del remaining[job]
                    continue
                remaining[job] = 0
                verdict = judge(goal, answer)
                if verdict.done:
                    del remaining[job]
                    if verdict.error:
                        errors[job] = verdict.error
            settled = total - len(remaining)
            self.log.info(
                "%s of %s %s job(s) %s (%s left)", settled, total, self.job_family, self.goal, len(remaining)
            )
            if remaining and self.deadline is not None and time.time() + self.poll_interval > self.deadline:
                break
            if remaining:
                await asyncio.sleep(self.poll_interval)
        status = "timeout" if remaining else ("error" if errors else "success")
        reached = total - len(remaining) - len(errors)
        return {
            "status": status,
            "message": f"{reached} of {total} {self.job_family} job(s) {self.goal}; "
            f"{len(remaining)} still waiting, {len(errors)} in error",
            "job_family": self.job_family,
            "goal": self.goal,
            "total": total,
            "remaining": sorted(remaining),
            "errors": [{"job_id": job, "reason": reason} for job, reason in sorted(errors.items())],
            "polls": polls,
            "echo": self.echo,
        }

    async def on_kill(self) -> None:
        """Nothing to undo: the deletions were requested by the task; this only watches them."""
        self.log.info("Wait for %s %s job(s) cancelled by the user", len(self.job_ids), self.job_family)


def wait_here(trigger: ModelArtsJobTrigger | ModelArtsJobsTrigger, hook: ModelArtsHook) -> dict[str, Any]:
    """Run a trigger's wait loop in a local event loop, for tasks that wait without deferring.

    The loop's HTTP client is closed afterwards: the event loop it belongs to ends here.
    """

    async def wait() -> dict[str, Any]:
        try:
            return await trigger.wait(hook)
        finally:
            await (await hook.asession()).aclose()

    return asyncio.run(wait())
