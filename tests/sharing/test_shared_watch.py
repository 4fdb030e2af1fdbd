"""SharedWatch: what a round costs, and that its answers are right.

Most cases run against the emulator and count its requests per route exactly. Deletes and stops
take a minute of emulator time here (``stop_seconds`` and ``delete_visible_seconds`` are 60), so
a test decides when they complete by moving the emulator clock. The shifting-page cases use the
scripted fake of ``fake_service`` (an ``httpx.MockTransport`` standing in for the network).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.errors import ModelArtsApiError
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.retry import NO_RETRY
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.api.shared_watch import SharedWatch, list_scope
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Goal, Gone, judge
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from tests.sharing.fake_service import PROJECT, FakeService, v2_ids

T = TypeVar("T")
SLOW = 60.0  # emulator seconds a stop or a delete takes in this module
N = 120  # three v2 list pages
PAGES = math.ceil(N / 50)


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    return EmulatorConfig.for_tests(stop_seconds=SLOW, delete_visible_seconds=SLOW)


class Requests:
    """Requests the emulator received per route since the last call of :meth:`delta`."""

    def __init__(self, emu: EmulatorServer) -> None:
        self.emu = emu
        self.last = dict(emu.stats()["requests"])

    def delta(self) -> dict[str, int]:
        now = dict(self.emu.stats()["requests"])
        changed = {k: v - self.last.get(k, 0) for k, v in now.items() if v != self.last.get(k, 0)}
        self.last = now
        return changed


def session_for(emu: EmulatorServer) -> ModelArtsSession:
    conn = emu.airflow_connection()
    config = ConnectionConfig.from_connection_fields(
        login=conn["login"], password=conn["password"], host=conn["host"], extra=conn["extra"], environ={}
    )
    return ModelArtsSession(config, policy=NO_RETRY)


async def bounded(awaitable: Awaitable[T], seconds: float = 20.0) -> T:
    return await asyncio.wait_for(awaitable, seconds)


async def observe_all(watch: SharedWatch, job_ids: list[str], goal: Goal = Goal.DELETED) -> list[Any]:
    """One round: every job observed concurrently (errors returned, not raised)."""
    return await bounded(
        asyncio.gather(*(watch.observe(job, goal) for job in job_ids), return_exceptions=True)
    )


async def until(condition: Any, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


# ---- cost ---------------------------------------------------------------------------------------


async def test_one_waiter_costs_one_detail_per_round_and_no_walk(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", N, status="Running")
    watch = SharedWatch(session_for(emu), emu.credentials.project_id, JobFamily.TRAINING)
    counter = Requests(emu)
    for _ in range(3):
        snapshot = await bounded(watch.observe(jobs[7], Goal.DELETED))
        assert not isinstance(snapshot, Gone) and (snapshot.job_id, snapshot.status) == (jobs[7], "Running")
        assert counter.delta() == {"v2.detail": 1}
    assert (watch.stats.rounds, watch.stats.walks, watch.stats.details) == (3, 0, 3)


async def test_many_waiters_share_one_walk_and_ask_details_only_where_it_proves_nothing(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", N, status="Running")
    session = session_for(emu)
    project = emu.credentials.project_id
    watch = SharedWatch(session, project, JobFamily.TRAINING)
    watched = jobs[::12]  # 10 jobs spread over the three pages
    counter = Requests(emu)

    for _ in range(2):  # nothing changes: one walk per round, no detail
        answers = await observe_all(watch, watched)
        assert [(a.job_id, a.status) for a in answers] == [(job, "Running") for job in watched]
        assert counter.delta() == {"v2.search": PAGES}

    deleted, stopped = watched[1:3], watched[5]
    for job in deleted:
        await session.arun(ops.delete_training_job(project, job))
    emu.advance(SLOW + 1)  # the deleted jobs are gone now
    await session.arun(ops.terminate_training_job(project, stopped))
    counter.delta()

    answers = dict(zip(watched, await observe_all(watch, watched), strict=True))
    assert [job for job, answer in answers.items() if isinstance(answer, Gone)] == deleted
    assert answers[stopped].status == "Terminating"
    assert all(answers[job].status == "Running" for job in watched if job not in (*deleted, stopped))
    # The walk listed the two before and no longer does (it was complete): gone. "Terminating" ends
    # no wait for deletion, so the walk's word is enough there too.
    assert counter.delta() == {"v2.search": PAGES}
    assert watch.stats.incomplete_walks == 0
    assert (watch.stats.rounds, watch.stats.walks, watch.stats.walk_pages) == (3, 3, 3 * PAGES)


async def test_callers_that_arrive_while_a_walk_runs_are_answered_by_it(
    modelarts_emulator: EmulatorServer,
) -> None:
    """Waits woken by one tick do not all call at once on a busy event loop: those that arrive
    while the round's walk is under way are answered by that walk (a job it no longer lists, or
    one it lists stopped, as for any caller), not by a second walk right after it."""
    emu = modelarts_emulator
    jobs = emu.seed("training", N, status="Running")
    session = session_for(emu)
    project = emu.credentials.project_id
    watch = SharedWatch(session, project, JobFamily.TRAINING)
    early, late = jobs[:10], jobs[10:20]
    await observe_all(watch, early + late)  # every job shown once by the watch's walks
    await session.arun(ops.delete_training_job(project, late[0]))
    await session.arun(ops.terminate_training_job(project, late[1]))
    emu.advance(SLOW + 1)  # late[0] is gone, late[1] has stopped
    counter = Requests(emu)
    emu.faults.set("v2.search", {"latency_ms": 100})
    first = [asyncio.ensure_future(watch.observe(job, Goal.DELETED)) for job in early]
    await until(
        lambda: emu.stats()["requests"].get("v2.search", 0) > counter.last.get("v2.search", 0), "the walk"
    )
    second = [watch.observe(job, Goal.STOPPED if job == late[1] else Goal.DELETED) for job in late]
    again = watch.observe(early[0], Goal.DELETED)  # a job of the first group, asked once more
    answers = await bounded(asyncio.gather(*first, *second, again))
    emu.faults.clear()
    assert [a.status for a in answers[:10]] == ["Running"] * 10
    assert answers[20] is answers[0]
    assert isinstance(answers[10], Gone) and answers[10].job_id == late[0]
    assert answers[11].status == "Terminated" and [a.status for a in answers[12:20]] == ["Running"] * 8
    # One walk for both groups; the stop it lists is confirmed on the job's detail.
    assert counter.delta() == {"v2.search": PAGES, "v2.detail": 1}
    assert watch.stats.rounds == 2 and watch.stats.walks == 2


async def test_two_waiters_on_one_job_share_its_answer(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", 3, status="Running")
    watch = SharedWatch(session_for(emu), emu.credentials.project_id, JobFamily.TRAINING)
    counter = Requests(emu)
    first, second = await observe_all(watch, [jobs[0], jobs[0]])
    assert first == second and first.job_id == jobs[0]
    assert counter.delta() == {"v2.detail": 1}
    assert watch.stats.observations == 2


async def test_first_sight_of_a_finished_job_is_confirmed_only_for_stop_waits(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    finished = emu.seed("training", 30, status="Completed")
    running = emu.seed("training", 30, status="Running")
    watched = finished[:3] + running[:3]
    project = emu.credentials.project_id

    stop_watch = SharedWatch(session_for(emu), project, JobFamily.TRAINING)
    counter = Requests(emu)
    answers = await observe_all(stop_watch, watched, Goal.STOPPED)
    assert [a.status for a in answers] == ["Completed"] * 3 + ["Running"] * 3
    assert counter.delta() == {"v2.search": 2, "v2.detail": 3}

    delete_watch = SharedWatch(session_for(emu), project, JobFamily.TRAINING)
    answers = await observe_all(delete_watch, watched, Goal.DELETED)
    assert [a.status for a in answers] == ["Completed"] * 3 + ["Running"] * 3
    assert counter.delta() == {"v2.search": 2}


# ---- correctness under change ------------------------------------------------------------------


async def test_shifting_pages_never_make_an_existing_job_look_gone() -> None:
    """Scripted fake: three jobs of page 0 are deleted after page 0 was served, so the first three
    jobs of page 1 slide onto page 0 and are missing from the walk. They must be asked directly;
    the deleted ones (seen before their deletion) are only reported gone by a later, complete walk.
    """
    service = FakeService()
    for job_id in v2_ids(N):
        service.add(job_id)
    ordered = [job.job_id for job in service.ordered_v2()]
    deleted, slid = ordered[10:13], ordered[50:53]
    watched = [*deleted, *ordered[50:56], ordered[100]]

    def delete_after_first_page(svc: FakeService, page: int) -> None:
        if page == 1:
            for job in deleted:
                svc.delete(job)

    service.before_page = delete_after_first_page
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING)
    answers = dict(zip(watched, await observe_all(watch, watched), strict=True))
    assert all(isinstance(answers[job], JobSnapshot) for job in watched), answers
    assert service.requests("search") == [0, 1, 2]
    assert sorted(service.requests("detail")) == sorted(slid)
    assert watch.stats.incomplete_walks == 1

    service.before_page = None
    service.log.clear()
    answers = dict(zip(watched, await observe_all(watch, watched), strict=True))
    assert [job for job in watched if isinstance(answers[job], Gone)] == deleted
    assert all(answers[job].status == "Running" for job in watched if job not in deleted)
    assert service.requests("search") == [0, 1, 2]
    assert service.requests("detail") == []  # complete walk; the slid jobs are listed unchanged
    assert watch.stats.incomplete_walks == 1


async def test_v1_shared_walks_survive_a_create_and_a_delete_between_pages() -> None:
    """Scripted fake of the v1 list (default order: job name, ascending). Between two pages one job
    of the first page is deleted and one job is created whose name sorts last: the count does not
    change, yet a job slides from the second page onto the first. The shared watch must never
    report that job gone."""
    service = FakeService()
    for index in range(1500):
        service.add(str(100_001 + index), name=f"b-{index:05d}", status=8)
    by_name = sorted(service.jobs.values(), key=lambda j: j.name)
    slid = by_name[1000].job_id
    watched = [slid, by_name[5].job_id, by_name[1200].job_id]

    def swap(svc: FakeService, page: int) -> None:
        if page == 2:
            svc.delete(by_name[0].job_id)
            svc.add("200001", name="z-new", status=8)

    service.before_page = swap
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING_V1)
    answers = await observe_all(watch, watched)
    assert [a.job_id if a else None for a in answers] == watched
    assert [page for page, _, _ in service.requests("v1.list")] == [1, 2]


async def test_a_deleted_job_is_reported_gone_only_once_it_is_gone(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", 20, status="Running")
    session = session_for(emu)
    project = emu.credentials.project_id
    one = SharedWatch(session, project, JobFamily.TRAINING)  # detail path
    many = SharedWatch(session, project, JobFamily.TRAINING)  # walk path
    await session.arun(ops.delete_training_job(project, jobs[0]))
    counter = Requests(emu)

    assert not isinstance(await bounded(one.observe(jobs[0], Goal.DELETED)), Gone)  # deleted, still visible
    assert not isinstance((await observe_all(many, jobs[:5]))[0], Gone)
    assert counter.delta() == {"v2.detail": 1, "v2.search": 1}

    emu.advance(SLOW + 1)
    assert isinstance(await bounded(one.observe(jobs[0], Goal.DELETED)), Gone)  # the detail says not found
    answers = await observe_all(many, jobs[:5])
    assert isinstance(answers[0], Gone) and all(not isinstance(a, Gone) for a in answers[1:])
    assert counter.delta() == {"v2.detail": 1, "v2.search": 1}


# ---- what a scoped list can and cannot prove --------------------------------------------------------


async def test_a_job_the_list_never_showed_is_asked_on_its_detail_and_then_watched_there() -> None:
    """Two jobs the list never shows (another workspace, another IAM user) answer on their detail
    endpoint. Absence from even a complete walk must not make them gone or stopped: each is asked
    directly, then watched through its detail endpoint, and only its not-found answer means gone."""
    service = FakeService()
    for job_id in v2_ids(N):
        service.add(job_id)
    outside = v2_ids(N + 2)[N:]
    for job_id in outside:
        service.add(job_id, status="Running")
    service.unlisted.update(outside)
    listed = v2_ids(N)[:4]
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING)

    for goal in (Goal.DELETED, Goal.STOPPED):
        answers = dict(
            zip([*listed, *outside], await observe_all(watch, [*listed, *outside], goal), strict=True)
        )
        assert all(not isinstance(answers[job], Gone) and answers[job].status == "Running" for job in answers)
    assert sorted(service.requests("detail")) == sorted(outside * 2)  # asked directly, every round
    assert watch.stats.incomplete_walks == 0

    service.delete(outside[0])
    service.log.clear()
    answers = dict(zip([*listed, *outside], await observe_all(watch, [*listed, *outside]), strict=True))
    assert isinstance(answers[outside[0]], Gone)  # its detail says not found: now it is gone
    assert not isinstance(answers[outside[1]], Gone) and answers[outside[1]].status == "Running"
    assert sorted(service.requests("detail")) == sorted(outside)


async def test_absence_from_an_incomplete_walk_or_a_first_walk_proves_nothing() -> None:
    """A job deleted before the watch's first walk was never shown by it: one detail says gone."""
    service = FakeService()
    for job_id in v2_ids(N):
        service.add(job_id)
    watched = v2_ids(N)[:5]
    service.delete(watched[0])
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING)
    answers = await observe_all(watch, watched)
    assert isinstance(answers[0], Gone) and all(not isinstance(a, Gone) for a in answers[1:])
    assert service.requests("detail") == [watched[0]]


async def test_vouched_jobs_count_as_shown_only_for_the_same_query() -> None:
    """A task that listed jobs with the same credentials and scope may say so (``list_scope``);
    a walk that no longer lists them proves them gone without a detail. Another scope's word (a
    workspace, other credentials) is not taken."""
    service = FakeService()
    for job_id in v2_ids(N):
        service.add(job_id)
    watched = v2_ids(N)[:5]
    for job in watched[:2]:
        service.delete(job)
    session = service.session()
    watch = SharedWatch(session, PROJECT, JobFamily.TRAINING)
    assert not watch.vouch(watched, list_scope(session, PROJECT, JobFamily.TRAINING, "w1"))
    assert not watch.vouch(watched, list_scope(FakeService().session(), PROJECT, JobFamily.TRAINING_V1, None))
    answers = await observe_all(watch, watched)
    assert all(isinstance(a, Gone) for a in answers[:2]) and sorted(service.requests("detail")) == sorted(
        watched[:2]
    )

    service.log.clear()
    vouched = SharedWatch(session, PROJECT, JobFamily.TRAINING)
    assert vouched.vouch(watched, list_scope(session, PROJECT, JobFamily.TRAINING, None))
    answers = await observe_all(vouched, watched)
    assert all(isinstance(a, Gone) for a in answers[:2]) and service.requests("detail") == []


async def test_a_v1_job_with_a_running_older_version_is_not_stopped() -> None:
    """The v1 list shows a job's latest version: finished here, while an older version still runs.
    A stop wait must not end; once every version has stopped, it does (from the versions)."""
    service = FakeService()
    for index in range(30):
        service.add(str(100_001 + index), status=8)
    job = "100001"
    service.jobs[job].status = 10  # the latest version completed...
    service.versions[job] = [(200_002, 10), (200_001, 8)]  # ...the older one still runs
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING_V1)
    watched = [job, "100002", "100003"]
    for _ in range(2):
        answers = await observe_all(watch, watched, Goal.STOPPED)
        assert not judge(Goal.STOPPED, answers[0]).done
        assert answers[0].version_id == "200001" and answers[0].status == 8
    assert service.requests("versions") == [job, job]  # the list cannot prove it: its versions, each round
    service.versions[job] = [(200_002, 10), (200_001, 12)]
    answers = await observe_all(watch, watched, Goal.STOPPED)
    assert judge(Goal.STOPPED, answers[0]).done and answers[0].status == 10


# ---- cancellation and errors -------------------------------------------------------------------


async def test_a_request_cancelled_before_its_round_costs_nothing(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", N, status="Running")
    watch = SharedWatch(session_for(emu), emu.credentials.project_id, JobFamily.TRAINING)
    counter = Requests(emu)
    cancelled = asyncio.ensure_future(watch.observe(jobs[0], Goal.DELETED))
    kept = asyncio.ensure_future(watch.observe(jobs[1], Goal.DELETED))
    await asyncio.sleep(0)
    cancelled.cancel()
    answer = await bounded(kept)
    assert not isinstance(answer, Gone) and answer.job_id == jobs[1]
    assert cancelled.cancelled()
    assert counter.delta() == {"v2.detail": 1}  # one job left in the round: asked directly
    assert (watch.stats.rounds, watch.stats.observations) == (1, 1)


async def test_a_waiter_cancelled_mid_walk_leaves_the_round_intact(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", N, status="Running")
    watch = SharedWatch(session_for(emu), emu.credentials.project_id, JobFamily.TRAINING)
    watched = jobs[:4]
    counter = Requests(emu)
    emu.faults.set("v2.search", {"latency_ms": 100})
    tasks = [asyncio.ensure_future(watch.observe(job, Goal.DELETED)) for job in watched]
    await until(lambda: emu.stats()["requests"].get("v2.search", 0) >= 1, "the walk to start")
    tasks[3].cancel()
    answers = await bounded(asyncio.gather(*tasks[:3]))
    assert [a.job_id for a in answers] == watched[:3]
    assert tasks[3].cancelled()
    assert counter.delta() == {"v2.search": PAGES}
    emu.faults.clear()

    # Next round: three waiters for three walk pages, so each is asked directly; the cancelled
    # one is not part of it (four jobs would have cost a walk).
    answers = await observe_all(watch, watched[:3])
    assert [a.job_id for a in answers] == watched[:3]
    assert counter.delta() == {"v2.detail": 3}


async def test_a_failed_walk_reaches_every_waiter_of_its_round(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", 10, status="Running")
    watch = SharedWatch(session_for(emu), emu.credentials.project_id, JobFamily.TRAINING)
    emu.faults.set("v2.search", {"next_count": 1, "next_status": 400})
    answers = await observe_all(watch, jobs[:5])
    assert all(isinstance(a, ModelArtsApiError) and a.status_code == 400 for a in answers), answers
    assert watch.stats.rounds == 1 and watch.stats.observations == 0

    answers = await observe_all(watch, jobs[:5])  # the fault is used up: the next round answers
    assert [a.job_id for a in answers] == jobs[:5]


async def test_a_failed_detail_reaches_only_the_waiters_of_that_job(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", 10, status="Running")
    session = session_for(emu)
    project = emu.credentials.project_id
    watch = SharedWatch(session, project, JobFamily.TRAINING)
    await observe_all(watch, jobs[:4])
    await session.arun(ops.terminate_training_job(project, jobs[0]))
    emu.advance(SLOW + 1)  # Terminated: that would end a stop wait, so it needs its detail
    emu.faults.set("v2.detail", {"next_count": 1, "next_status": 400})
    counter = Requests(emu)
    stops = [watch.observe(jobs[0], Goal.STOPPED) for _ in range(2)]
    others = [watch.observe(job, Goal.DELETED) for job in jobs[1:4]]
    answers = await bounded(asyncio.gather(*stops, *others, return_exceptions=True))
    assert all(isinstance(a, ModelArtsApiError) for a in answers[:2])
    assert [a.status for a in answers[2:]] == ["Running"] * 3
    assert counter.delta() == {"v2.search": 1, "v2.detail": 1}


async def test_two_callers_of_one_job_share_its_answer_and_either_may_cancel(
    modelarts_emulator: EmulatorServer,
) -> None:
    emu = modelarts_emulator
    jobs = emu.seed("training", N, status="Running")
    watch = SharedWatch(session_for(emu), emu.credentials.project_id, JobFamily.TRAINING)
    counter = Requests(emu)
    first = watch.observe(jobs[0], Goal.DELETED)
    cancelled = watch.observe(jobs[0], Goal.STOPPED)
    second = watch.observe(jobs[0], Goal.DELETED)
    cancelled.cancel()
    a, b = await bounded(asyncio.gather(first, second))
    assert a is b and not isinstance(a, Gone) and a.job_id == jobs[0]
    assert counter.delta() == {"v2.detail": 1}
    assert (watch.stats.rounds, watch.stats.observations) == (1, 2)
