"""SharedWatch rounds, against the scripted fake service: rounds whose callers all cancelled, the
families that are never watched together, and listed statuses the detail contradicts. (A caller
that asks while a walk is under way: ``tests/sharing/test_shared_watch.py``.)"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from airflow_provider_modelarts.api.shared_watch import SharedWatch
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Goal
from tests.sharing.fake_service import PROJECT, FakeService, v2_ids


async def test_a_round_whose_callers_all_cancelled_asks_nothing_and_does_not_count() -> None:
    service = FakeService()
    [job] = v2_ids(1)
    service.add(job)
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING)
    watch.observe(job, Goal.DELETED).cancel()
    await asyncio.sleep(0.2)  # past the round's gathering window
    assert (service.log, watch.stats.rounds) == ([], 0)


def test_res_jobs_have_no_list_to_walk_and_are_never_watched_together() -> None:
    with pytest.raises(ValueError, match="watched one by one"):
        SharedWatch(FakeService().session(), PROJECT, JobFamily.RES)


async def test_a_listed_status_that_would_end_a_wait_is_believed_only_while_the_detail_agrees() -> None:
    """The list says the jobs have completed; their detail says they still run (a stale list).
    Every round asks the detail again while the two disagree: the wait for a stop never ends."""
    service = FakeService()
    jobs = v2_ids(3)
    for job in jobs:
        service.add(job, status="Running")
    service.page_override = lambda index, page: [replace(job, status="Completed") for job in page]
    watch = SharedWatch(service.session(), PROJECT, JobFamily.TRAINING)
    for _ in range(3):
        answers = await asyncio.wait_for(asyncio.gather(*(watch.observe(j, Goal.STOPPED) for j in jobs)), 10)
        assert [a.status if a is not None else None for a in answers] == ["Running"] * 3
    assert sorted(service.requests("detail")) == sorted(jobs * 3)
