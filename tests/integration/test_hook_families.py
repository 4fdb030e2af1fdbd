"""Every hook method of every family, sync and async: parsed results, side effects, paging."""

from __future__ import annotations

import inspect

import pytest

from airflow_provider_modelarts.api.errors import (
    ModelArtsApiError,
    ModelArtsConflictError,
    ModelArtsNotFoundError,
)
from airflow_provider_modelarts.api.models import (
    JobSnapshot,
    ResJob,
    TrainingJob,
    TrainingJobV1,
    TrainingJobVersion,
    VisualizationJob,
)
from airflow_provider_modelarts.api.statuses import Category, JobFamily
from airflow_provider_modelarts.api.watch import Gone
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import Api, requests_to

LONG = 60.0  # stopping and deleted-but-visible windows: tests move the emulator clock past them
PAST = LONG + 1

DLI = {"platform": "DLI", "platform_parameter": {"cluster_name": "dli-cluster"}}


@pytest.fixture
def modelarts_emulator_config() -> EmulatorConfig:
    return EmulatorConfig.for_tests(stop_seconds=LONG, delete_visible_seconds=LONG)


def test_every_sync_method_has_an_async_twin() -> None:
    names = [
        "delete_training_job", "get_training_job", "terminate_training_job",
        "batch_delete_training_jobs", "list_training_jobs", "delete_training_job_v1",
        "list_training_jobs_v1", "list_training_job_versions", "get_training_job_version",
        "stop_training_job_version", "delete_training_job_version", "delete_visualization_job",
        "get_visualization_job", "list_visualization_jobs", "stop_visualization_job",
        "delete_res_job", "get_res_job", "list_res_jobs", "observe",
    ]  # fmt: skip
    for name in names:
        sync, twin = getattr(ModelArtsHook, name), getattr(ModelArtsHook, "a" + name)
        assert not inspect.iscoroutinefunction(sync), name
        assert inspect.iscoroutinefunction(twin), name
        assert list(inspect.signature(sync).parameters) == list(inspect.signature(twin).parameters), name


# ---- v2 training jobs ---------------------------------------------------------------------------


async def test_v2_get_parses_the_job(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training", name="alpha", description="first", status="Running")
    job = await api("get_training_job", job_id)
    assert isinstance(job, TrainingJob)
    assert (job.id, job.metadata.name, job.metadata.description) == (job_id, "alpha", "first")
    assert job.kind == "job" and job.phase == "Running" and job.status.secondary_phase == "Running"
    assert isinstance(job.metadata.create_time, int) and job.metadata.create_time > 0
    assert job.family is JobFamily.TRAINING and job.category is Category.ACTIVE and not job.is_stopped
    assert requests_to(emu) == {"v2.detail": 1}


async def test_v2_terminate_stops_the_job(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training", status="Running")
    answer = await api("terminate_training_job", job_id)
    assert isinstance(answer, TrainingJob) and answer.id == job_id and answer.phase == "Terminating"
    assert (await api("get_training_job", job_id)).phase == "Terminating"
    emu.advance(PAST)
    stopped = await api("get_training_job", job_id)
    assert stopped.phase == "Terminated" and stopped.is_stopped and not stopped.is_failed
    with pytest.raises(ModelArtsConflictError) as refused:
        await api("terminate_training_job", job_id)
    assert refused.value.status_code == 409 and refused.value.error_code == "ModelArts.2796"
    assert requests_to(emu) == {"v2.terminate": 2, "v2.detail": 2}


async def test_v2_delete_makes_the_job_disappear(api: Api, emu: EmulatorServer) -> None:
    doomed, kept = emu.seed("training", 2, status="Running")
    assert await api("delete_training_job", doomed) is None
    assert (await api("get_training_job", doomed)).id == doomed  # still visible for a while
    emu.advance(PAST)
    with pytest.raises(ModelArtsNotFoundError) as gone:
        await api("get_training_job", doomed)
    assert gone.value.status_code == 400 and gone.value.error_code == "ModelArts.2775"
    assert isinstance(await api("observe", "training", doomed), Gone)
    with pytest.raises(ModelArtsNotFoundError):
        await api("delete_training_job", doomed)
    assert [job.id for job in await api("list_training_jobs")] == [kept]
    assert requests_to(emu) == {"v2.delete": 2, "v2.detail": 3, "v2.search": 1}


async def test_v2_batch_delete(api: Api, emu: EmulatorServer) -> None:
    ids = emu.seed("training", 4, status="Pending")
    assert await api("batch_delete_training_jobs", ids[:3]) is None
    emu.advance(PAST)
    assert [job.id for job in await api("list_training_jobs")] == [ids[3]]
    for job_id in ids[:3]:
        with pytest.raises(ModelArtsNotFoundError):
            await api("get_training_job", job_id)
    assert requests_to(emu) == {"v2.batch_delete": 1, "v2.search": 1, "v2.detail": 3}


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (50, 1), (51, 2), (100, 2), (120, 3)])
async def test_v2_list_walks_every_page(api: Api, emu: EmulatorServer, count: int, pages: int) -> None:
    ids = emu.seed("training", count, status="Running")
    jobs = await api("list_training_jobs")
    assert all(isinstance(job, TrainingJob) for job in jobs)
    assert sorted(job.id for job in jobs) == sorted(ids)
    assert requests_to(emu) == {"v2.search": pages}


async def test_v2_list_filters_and_order(api: Api, emu: EmulatorServer) -> None:
    old = emu.seed("training", 2, name="alpha", status="Completed", age_seconds=600)
    new = emu.seed("training", 3, name="alpha", status="Running", age_seconds=10)
    emu.seed("training", 4, name="beta", status="Running")
    newest_first = [job.id for job in await api("list_training_jobs", name="alpha")]
    assert set(newest_first[:3]) == set(new) and set(newest_first[3:]) == set(old)
    oldest_first = [job.id for job in await api("list_training_jobs", name="alpha", order="asc")]
    assert set(oldest_first[:2]) == set(old) and set(oldest_first[2:]) == set(new)
    done = await api("list_training_jobs", phases=["Completed"])
    assert sorted(job.id for job in done) == sorted(old) and {job.phase for job in done} == {"Completed"}
    now_ms = int(emu.clock.now() * 1000)
    recent = await api("list_training_jobs", name="alpha", created_after_ms=now_ms - 60_000)
    assert sorted(job.id for job in recent) == sorted(new)
    older = await api("list_training_jobs", created_before_ms=now_ms - 60_000)
    assert sorted(job.id for job in older) == sorted(old)
    assert requests_to(emu) == {"v2.search": 5}


# ---- v1 training jobs and versions --------------------------------------------------------------


@pytest.mark.parametrize(("count", "per_page", "pages"), [(7, 3, 3), (6, 3, 2), (2, 3, 1)])
async def test_v1_list_walks_every_page(
    api: Api, emu: EmulatorServer, count: int, per_page: int, pages: int
) -> None:
    ids = emu.seed("training_v1", count, status="RUNNING", versions=2)
    jobs = await api("list_training_jobs_v1", per_page=per_page)
    assert all(isinstance(job, TrainingJobV1) for job in jobs)
    assert sorted(job.job_id for job in jobs) == sorted(ids)
    assert {(job.status, job.version_count) for job in jobs} == {(8, 2)}
    assert all(job.version_id and job.version_id.isdigit() for job in jobs)
    assert requests_to(emu) == {"v1.list": pages}


async def test_v1_list_filters(api: Api, emu: EmulatorServer) -> None:
    wanted = emu.seed("training_v1", 2, name="keep", status="RUNNING")
    emu.seed("training_v1", 3, name="other", status="COMPLETED")
    found = await api("list_training_jobs_v1", search_content="keep", per_page=1)
    assert sorted(job.job_id for job in found) == sorted(wanted)
    completed = await api("list_training_jobs_v1", status=10, sort_by="create_time", order="desc")
    assert len(completed) == 3 and {job.job_name for job in completed} == {
        f"other-{i:05d}" for i in (1, 2, 3)
    }
    assert requests_to(emu) == {"v1.list": 3}


async def test_v1_versions_and_version_detail(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training_v1", name="versioned", status="RUNNING", versions=3)
    versions = await api("list_training_job_versions", job_id)
    assert all(isinstance(v, TrainingJobVersion) for v in versions)
    assert [v.job_id for v in versions] == [job_id] * 3
    numbers = [int(v.version_id) for v in versions]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == 3  # newest first
    assert [v.version_name for v in versions] == ["V0003", "V0002", "V0001"]
    assert versions[0].pre_version_id == versions[1].version_id and versions[2].pre_version_id is None
    detail = await api("get_training_job_version", int(job_id), versions[1].version_id)
    assert isinstance(detail, TrainingJobVersion)
    wanted = (job_id, "versioned", versions[1].version_id)
    assert (detail.job_id, detail.job_name, detail.version_id) == wanted
    assert detail.status == 8 and detail.category is Category.ACTIVE
    assert requests_to(emu) == {"v1.versions": 1, "v1.version_detail": 1}


async def test_v1_stop_version(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training_v1", status="RUNNING")
    [version] = await api("list_training_job_versions", job_id)
    assert await api("stop_training_job_version", job_id, version.version_id) is None
    assert (await api("get_training_job_version", job_id, version.version_id)).status == 9  # KILLING
    emu.advance(PAST)
    stopped = await api("get_training_job_version", job_id, version.version_id)
    assert stopped.status == 12 and stopped.is_stopped  # KILLED
    snapshot = await api("observe", "training_v1", job_id)
    assert isinstance(snapshot, JobSnapshot) and snapshot.status == 12 and snapshot.is_stopped
    assert requests_to(emu) == {"v1.versions": 2, "v1.version_stop": 1, "v1.version_detail": 2}


async def test_v1_delete_version_then_job(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training_v1", status="COMPLETED", versions=2)
    newest, oldest = await api("list_training_job_versions", job_id)
    assert await api("delete_training_job_version", job_id, oldest.version_id) is None
    emu.advance(PAST)
    assert [v.version_id for v in await api("list_training_job_versions", job_id)] == [newest.version_id]
    with pytest.raises(ModelArtsNotFoundError) as gone:
        await api("get_training_job_version", job_id, oldest.version_id)
    assert gone.value.status_code == 404 and gone.value.error_code == "ModelArts.0015"
    assert await api("delete_training_job_v1", job_id) is None
    assert [job.job_id for job in await api("list_training_jobs_v1")] == [job_id]  # still visible
    emu.advance(PAST)
    assert await api("list_training_jobs_v1") == []
    with pytest.raises(ModelArtsNotFoundError):
        await api("list_training_job_versions", job_id)
    assert isinstance(await api("observe", "training_v1", job_id), Gone)
    assert requests_to(emu) == {
        "v1.versions": 4,
        "v1.version_delete": 1,
        "v1.version_detail": 1,
        "v1.delete": 1,
        "v1.list": 2,
    }


# ---- v1 visualization jobs ----------------------------------------------------------------------


@pytest.mark.parametrize(("count", "per_page", "pages"), [(5, 2, 3), (4, 2, 2)])
async def test_visualization_list_walks_every_page(
    api: Api, emu: EmulatorServer, count: int, per_page: int, pages: int
) -> None:
    ids = emu.seed("visualization", count, status="RUNNING")
    jobs = await api("list_visualization_jobs", per_page=per_page)
    assert all(isinstance(job, VisualizationJob) for job in jobs)
    assert sorted(job.job_id for job in jobs) == sorted(ids)
    assert {job.status for job in jobs} == {8}
    assert requests_to(emu) == {"vis.list": pages}


async def test_visualization_get_stop_delete(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("visualization", name="board", description="tb", status="RUNNING")
    job = await api("get_visualization_job", job_id)
    assert isinstance(job, VisualizationJob)
    assert (job.job_id, job.job_name, job.job_desc, job.status) == (job_id, "board", "tb", 8)
    assert job.service_url and job.resource_id and job.family is JobFamily.VISUALIZATION
    assert await api("stop_visualization_job", int(job_id)) is None
    assert (await api("get_visualization_job", job_id)).status == 9
    with pytest.raises(ModelArtsApiError) as refused:  # no delete while KILLING
        await api("delete_visualization_job", job_id)
    assert refused.value.error_code == "ModelArts.0105" and "can't be delete" in refused.value.error_msg
    assert not isinstance(refused.value, ModelArtsNotFoundError)
    emu.advance(PAST)
    assert (await api("get_visualization_job", job_id)).status == 12
    assert await api("delete_visualization_job", job_id) is None
    emu.advance(PAST)
    with pytest.raises(ModelArtsNotFoundError) as gone:
        await api("get_visualization_job", job_id)
    assert gone.value.status_code == 404 and gone.value.error_code == "ModelArts.0015"
    assert isinstance(await api("observe", "visualization", job_id), Gone)
    assert await api("list_visualization_jobs") == []
    assert requests_to(emu) == {
        "vis.detail": 5,
        "vis.stop": 1,
        "vis.delete": 2,
        "vis.list": 1,
    }


# ---- RES ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "page_size", "pages"), [(10, 4, 3), (8, 4, 2), (3, 100, 1)])
async def test_res_list_walks_every_page(
    api: Api, emu: EmulatorServer, count: int, page_size: int, pages: int
) -> None:
    ids = emu.seed("res", count, type="etl", status="RUNNING")
    others = emu.seed("res", 3, type="ranking")
    jobs = await api("list_res_jobs", "etl", page_size=page_size)
    assert all(isinstance(job, ResJob) for job in jobs)
    assert sorted(job.job_id for job in jobs) == sorted(ids) and {job.type for job in jobs} == {"etl"}
    assert requests_to(emu) == {"res.list": pages}
    assert sorted(job.job_id for job in await api("list_res_jobs", "ranking")) == sorted(others)


async def test_res_get_and_delete(api: Api, emu: EmulatorServer) -> None:
    [etl] = emu.seed("res", name="features", description="nightly", type="etl", status="RUNNING")
    [ranking] = emu.seed("res", type="ranking", status="SUCCEEDED")
    job = await api("get_res_job", etl)
    assert isinstance(job, ResJob)
    assert (job.job_id, job.job_name, job.job_description, job.type) == (etl, "features", "nightly", "etl")
    assert job.job_status == "RUNNING" and job.project_id == emu.credentials.project_id
    assert job.resource == "DLI" and isinstance(job.operating_time, int)
    message = await api("delete_res_job", etl, "etl", DLI)
    assert message == "Succeed to delete train log."
    assert await api("delete_res_job", ranking, "ranking") == "Succeed to delete train log."
    emu.advance(PAST)
    for job_id in (etl, ranking):
        with pytest.raises(ModelArtsNotFoundError) as gone:
            await api("get_res_job", job_id)
        assert gone.value.status_code == 404
        assert isinstance(await api("observe", "res", job_id), Gone)
    assert await api("list_res_jobs", "etl") == []
    assert requests_to(emu) == {"res.detail": 5, "res.delete": 2, "res.list": 1}


# ---- observe ------------------------------------------------------------------------------------


async def test_observe_every_family(api: Api, emu: EmulatorServer) -> None:
    [v2] = emu.seed("training", status="Failed")
    [v1] = emu.seed("training_v1", status="RUNNING", versions=2)
    [vis] = emu.seed("visualization", status="KILLED")
    [res] = emu.seed("res", type="filter", status="SUCCEEDED")
    seen = {
        "training": await api("observe", "training", v2),
        "training_v1": await api("observe", "training_v1", v1),
        "visualization": await api("observe", "visualization", vis),
        "res": await api("observe", "res", res),
    }
    assert {family: snap.family.value for family, snap in seen.items()} == {f: f for f in seen}
    assert {family: snap.category for family, snap in seen.items()} == {
        "training": Category.FAILED,
        "training_v1": Category.ACTIVE,
        "visualization": Category.STOPPED,
        "res": Category.SUCCEEDED,
    }
    assert seen["training"].job_id == v2 and seen["res"].job_id == res
    newest = (await api("list_training_job_versions", v1))[0]
    assert seen["training_v1"].version_id == newest.version_id
    one = await api("observe", "training_v1", v1, newest.version_id)
    assert one.version_id == newest.version_id and one.status == 8
    assert requests_to(emu) == {
        "v2.detail": 1,
        "v1.versions": 2,
        "v1.version_detail": 1,
        "vis.detail": 1,
        "res.detail": 1,
    }
