"""``Walk`` completeness: when may absence from a walked list be read as "not in the list"?

The shifting-page cases use the scripted fake of ``fake_service`` (an ``httpx.MockTransport``
standing in for the network), because only it can change the list between two page requests;
stable walks of the three list families run against the emulator.
"""

from __future__ import annotations

import math

import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.emulator import EmulatorServer
from tests.sharing.fake_service import PROJECT, FakeJob, FakeService, v2_ids

N = 120  # three v2 pages of 50


def fake_with(count: int = N) -> FakeService:
    service = FakeService()
    for job_id in v2_ids(count):
        service.add(job_id)
    return service


def emulator_session(emu: EmulatorServer) -> ModelArtsSession:
    conn = emu.airflow_connection()
    config = ConnectionConfig.from_connection_fields(
        login=conn["login"], password=conn["password"], host=conn["host"], extra=conn["extra"], environ={}
    )
    return ModelArtsSession(config)


async def test_stable_v2_list_is_complete() -> None:
    service = fake_with()
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    assert walk.complete
    assert walk.pages == math.ceil(N / 50) == 3
    assert sorted(job.id for job in walk.items) == sorted(service.jobs)
    assert service.requests("search") == [0, 1, 2]


async def test_delete_between_pages_makes_the_walk_incomplete() -> None:
    """A job of page 0 deleted after page 0 was served: the first job of page 1 slides onto page 0
    and is never seen. The walk must not claim to be complete."""
    service = fake_with()
    ordered = [job.job_id for job in service.ordered_v2()]
    slid = ordered[50]

    def delete_after_first_page(svc: FakeService, page: int) -> None:
        if page == 1:
            svc.delete(ordered[10])

    service.before_page = delete_after_first_page
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    seen = {job.id for job in walk.items}
    assert slid in service.jobs and slid not in seen
    assert not walk.complete


async def test_create_between_pages_makes_the_walk_incomplete_and_drops_duplicates() -> None:
    """A new job (newest, so first) after page 0: the last job of page 0 is served again on page 1."""
    service = fake_with()
    ordered = [job.job_id for job in service.ordered_v2()]

    def create_after_first_page(svc: FakeService, page: int) -> None:
        if page == 1:
            svc.add("new-job")

    service.before_page = create_after_first_page
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    listed = [job.id for job in walk.items]
    assert len(listed) == len(set(listed))  # the repeated job is listed once
    assert ordered[49] in listed
    assert set(ordered) <= set(listed)
    assert not walk.complete  # the count changed between pages
    assert service.requests("search") == [0, 1, 2]


async def test_duplicates_across_pages_with_every_job_seen_are_complete() -> None:
    """A service repeating a job at a page boundary (unstable ordering of ties) but serving all."""
    service = fake_with(60)
    ordered = service.ordered_v2()

    def repeat_boundary(index: int, page: list[FakeJob]) -> list[FakeJob]:
        return [ordered[49], *page] if index == 1 else page

    service.page_override = repeat_boundary
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    assert [job.id for job in walk.items] == [job.job_id for job in ordered]
    assert walk.complete


async def test_duplicate_hiding_a_job_is_incomplete() -> None:
    """A page whose first slot repeats a seen job instead of serving an unseen one."""
    service = fake_with(60)
    ordered = service.ordered_v2()

    def replace_first(index: int, page: list[FakeJob]) -> list[FakeJob]:
        return [ordered[0], *page[1:]] if index == 1 else page

    service.page_override = replace_first
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    assert ordered[50].job_id not in {job.id for job in walk.items}
    assert len(walk.items) == 59
    assert not walk.complete


async def test_missing_counts_make_the_walk_incomplete() -> None:
    service = fake_with()
    service.report_count = False
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    assert len(walk.items) == N
    assert not walk.complete
    assert service.requests("search") == [0, 1, 2]  # stops on the short last page


async def test_exact_multiple_of_the_page_size_stops_on_the_count() -> None:
    service = fake_with(100)
    walk = await service.session().arun(ops.walk_training_jobs(PROJECT))
    assert walk.complete and len(walk.items) == 100
    assert service.requests("search") == [0, 1]  # no empty third page: the count said 100


async def test_v1_walk_over_a_shifting_name_ordered_list_is_not_complete() -> None:
    """v1 lists sort by job name by default: a job created between pages may land on a later page
    while a job deleted from an earlier one shifts the rest forward, leaving the count unchanged."""
    service = FakeService()
    for index in range(6):
        service.add(str(100_001 + index), name=f"b-{index}", status=8)
    ordered = sorted(service.jobs.values(), key=lambda j: j.name)
    slid = ordered[2].job_id

    def swap(svc: FakeService, page: int) -> None:
        if page == 2:
            svc.delete(ordered[0].job_id)
            svc.add("100100", name="z-new", status=8)

    service.before_page = swap
    walk = await service.session().arun(
        ops.walk_training_jobs_v1(PROJECT, per_page=2, sort_by="job_name", order="asc")
    )
    assert slid in service.jobs and slid not in {job.job_id for job in walk.items}
    # Count-based completeness cannot see this swap; any caller reading absence as "gone" must
    # walk in an order where new jobs come first (create_time desc), see the shared watch tests.
    assert walk.complete


@pytest.mark.parametrize(
    ("family", "walker", "route"),
    [
        ("training", ops.walk_training_jobs, "v2.search"),
        ("training_v1", ops.walk_training_jobs_v1, "v1.list"),
        ("visualization", ops.walk_visualization_jobs, "vis.list"),
    ],
)
async def test_stable_emulator_lists_are_complete(
    modelarts_emulator: EmulatorServer, family: str, walker, route: str
) -> None:
    emu = modelarts_emulator
    seeded = emu.seed(family, 7, status="COMPLETED" if family != "training" else "Completed")
    kwargs = {} if family == "training" else {"per_page": 3}
    before = emu.stats()["requests"].get(route, 0)
    walk = await emulator_session(emu).arun(walker(emu.credentials.project_id, **kwargs))
    assert walk.complete
    assert sorted(job.snapshot().job_id for job in walk.items) == sorted(seeded)
    expected_pages = 1 if family == "training" else math.ceil(7 / 3)
    assert walk.pages == expected_pages
    assert emu.stats()["requests"][route] - before == expected_pages
