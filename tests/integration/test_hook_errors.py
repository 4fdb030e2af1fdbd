"""Every documented not-found form, and v1 failures answered with HTTP 200 or 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_modelarts.api.errors import (
    ModelArtsApiError,
    ModelArtsAuthError,
    ModelArtsNotFoundError,
)
from airflow_provider_modelarts.api.watch import Gone
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import Api, requests_to

MISSING_V2 = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
DLI = {"platform": "DLI", "platform_parameter": {"cluster_name": "dli-cluster"}}
NOT_FOUND_V1 = "The resource you requested does not exist."


async def test_v2_not_found_is_400_2775(api: Api, emu: EmulatorServer) -> None:
    [existing] = emu.seed("training", status="Running")
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("get_training_job", (MISSING_V2,)),
        ("delete_training_job", (MISSING_V2,)),
        ("terminate_training_job", (MISSING_V2,)),
    ]
    for method, args in calls:
        with pytest.raises(ModelArtsNotFoundError) as missing:
            await api(method, *args)
        error = missing.value
        assert (error.status_code, error.error_code) == (400, "ModelArts.2775"), method
        assert error.error_msg == f"Training job (ID: {MISSING_V2}) not found."
        assert error.is_not_found and error.request_id
    # A batch is about many jobs: its 2775 names one of them and says nothing about "the" job.
    with pytest.raises(ModelArtsApiError) as batch:
        await api("batch_delete_training_jobs", [existing, MISSING_V2])
    assert (batch.value.status_code, batch.value.error_code) == (400, "ModelArts.2775")
    assert not batch.value.is_not_found
    assert isinstance(await api("observe", "training", MISSING_V2), Gone)
    assert (await api("get_training_job", existing)).phase == "Running"  # the batch deleted nothing
    assert requests_to(emu) == {
        "v2.detail": 3,
        "v2.delete": 1,
        "v2.terminate": 1,
        "v2.batch_delete": 1,
    }


async def test_v1_not_found_is_404_0015(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training_v1", status="RUNNING")
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("delete_training_job_v1", (999,)),
        ("list_training_job_versions", (999,)),
        ("get_training_job_version", (999, 1)),
        ("get_training_job_version", (job_id, 1)),  # the job exists, the version does not
        ("stop_training_job_version", (job_id, 1)),
        ("delete_training_job_version", (999, 1)),
    ]
    for method, args in calls:
        with pytest.raises(ModelArtsNotFoundError) as missing:
            await api(method, *args)
        error = missing.value
        assert (error.status_code, error.error_code, error.error_msg) == (404, "ModelArts.0015", NOT_FOUND_V1)
    assert isinstance(await api("observe", "training_v1", 999), Gone)
    assert isinstance(await api("observe", "training_v1", job_id, 1), Gone)
    assert requests_to(emu) == {
        "v1.delete": 1,
        "v1.versions": 2,
        "v1.version_detail": 3,
        "v1.version_stop": 1,
        "v1.version_delete": 1,
    }


async def test_visualization_not_found_is_404_0015(api: Api, emu: EmulatorServer) -> None:
    for method in ("get_visualization_job", "stop_visualization_job", "delete_visualization_job"):
        with pytest.raises(ModelArtsNotFoundError) as missing:
            await api(method, 300_999)
        error = missing.value
        assert (error.status_code, error.error_code, error.error_msg) == (404, "ModelArts.0015", NOT_FOUND_V1)
    assert isinstance(await api("observe", "visualization", 300_999), Gone)
    assert requests_to(emu) == {"vis.detail": 2, "vis.stop": 1, "vis.delete": 1}


async def test_res_not_found_is_404(api: Api, emu: EmulatorServer) -> None:
    [ranking] = emu.seed("res", type="ranking", status="RUNNING")
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("get_res_job", ("missing-job",)),
        ("delete_res_job", ("missing-job", "etl", DLI)),
        ("delete_res_job", (ranking, "etl", DLI)),  # exists, but not as an etl job
    ]
    for method, args in calls:
        with pytest.raises(ModelArtsNotFoundError) as missing:
            await api(method, *args)
        error = missing.value
        assert (error.status_code, error.error_code) == (404, "RES.1002")
        assert error.error_msg == "The job does not exist."
    assert isinstance(await api("observe", "res", "missing-job"), Gone)
    assert (await api("get_res_job", ranking)).job_status == "RUNNING"
    assert requests_to(emu) == {"res.detail": 3, "res.delete": 2}


async def test_route_and_auth_errors_never_read_as_not_found(
    connect: Callable[..., ModelArtsHook], emu: EmulatorServer, mode: str
) -> None:
    """A refused token in RES shape, or a wrong project, must not look like a deleted job."""
    [job_id] = emu.seed("res", type="ranking", status="RUNNING")
    api = Api(connect("token"), mode)
    await api("get_res_job", job_id)
    emu.advance(emu.config.token_ttl_seconds + 1)
    await api("get_res_job", job_id)  # RES refuses the expired token in its own shape: refreshed once
    assert requests_to(emu, "iam.tokens") == 2 and emu.stats()["responses"]["res.detail"]["401"] == 1
    other_project = "fedcba9876543210fedcba9876543210"
    with pytest.raises(ModelArtsAuthError) as refused:
        await api("get_res_job", job_id, project_id=other_project)
    assert refused.value.status_code == 403 and not refused.value.is_not_found
    with pytest.raises(ModelArtsAuthError) as refused_v2:
        await api("get_training_job", MISSING_V2, project_id=other_project)
    assert (refused_v2.value.status_code, refused_v2.value.error_code) == (403, "ModelArts.0210")
    assert isinstance(await api("observe", "training", MISSING_V2), Gone)


@pytest.fixture(params=[200, 400], ids=["v1-failure-200", "v1-failure-400"])
def modelarts_emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    return EmulatorConfig.for_tests(v1_failure_status=request.param, stop_seconds=60.0)


async def test_v1_failures_raise_with_the_service_message(api: Api, emu: EmulatorServer) -> None:
    status = emu.config.v1_failure_status
    [done] = emu.seed("training_v1", status="COMPLETED")
    [version] = await api("list_training_job_versions", done)
    [board] = emu.seed("visualization", status="RUNNING")
    await api("stop_visualization_job", board)
    expected: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str]] = [
        (
            "stop_training_job_version",
            (done, version.version_id),
            {},
            "ModelArts.0105",
            "This job can't be stop. job status: 10",
        ),
        ("stop_visualization_job", (board,), {}, "ModelArts.0105", "This job can't be stop. job status: 9"),
        (
            "delete_visualization_job",
            (board,),
            {},
            "ModelArts.0105",
            "This job can't be delete. job status: 9",
        ),
        (
            "list_training_jobs_v1",
            (),
            {"sort_by": "bogus"},
            "ModelArts.0104",
            "sortBy: one of job_name, job_desc, status, duration, version_count, create_time",
        ),
    ]
    for method, args, kwargs, code, message in expected:
        with pytest.raises(ModelArtsApiError) as failed:
            await api(method, *args, **kwargs)
        error = failed.value
        assert type(error) is ModelArtsApiError, (method, type(error))
        assert (error.status_code, error.error_code, error.error_msg) == (status, code, message)
        assert message in str(error) and not error.is_not_found
    assert requests_to(emu) == {
        "v1.versions": 1,
        "v1.version_stop": 1,
        "vis.stop": 2,
        "vis.delete": 1,
        "v1.list": 1,
    }
