"""Bad ids and arguments fail with a ValueError naming the field, before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_modelarts.api.errors import ModelArtsNotFoundError
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import Api, requests_to

Connect = Callable[..., ModelArtsHook]
V2 = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
DLI = {"platform": "DLI", "platform_parameter": {"cluster_name": "dli-cluster"}}

PATHS = ["../x", "a/b", "", "..", "a b", "a%2Fb", "a?b", "a#b"]
BAD_V2 = [*PATHS, "x" * 65, "-leading-hyphen", "ü"]
BAD_NUMERIC = [*PATHS, "1" * 20, "9223372036854775808", "12a", "-1", "1.5", "0x10", True, 1.5, None]
BAD_RES = [*PATHS, "x" * 21, "a.b"]
VERSION_METHODS = ("get_training_job_version", "stop_training_job_version", "delete_training_job_version")


def _cases() -> list[tuple[str, tuple[Any, ...], dict[str, Any], str]]:
    """(method, args, kwargs, field named in the error)."""
    cases: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = []
    for bad in BAD_V2:
        for method in ("get_training_job", "delete_training_job", "terminate_training_job"):
            cases.append((method, (bad,), {}, "training_job_id"))
        cases.append(("batch_delete_training_jobs", ([V2, bad],), {}, "training_job_ids[1]"))
        cases.append(("observe", ("training", bad), {}, "job_id"))
    for bad in BAD_NUMERIC:
        for method in ("delete_training_job_v1", "list_training_job_versions"):
            cases.append((method, (bad,), {}, "job_id"))
        for method in VERSION_METHODS:
            cases.append((method, (bad, 1), {}, "job_id"))
            cases.append((method, (1, bad), {}, "version_id"))
        for method in ("get_visualization_job", "stop_visualization_job", "delete_visualization_job"):
            cases.append((method, (bad,), {}, "job_id"))
        cases.append(("observe", ("visualization", bad), {}, "job_id"))
        if bad is not None:
            cases.append(("observe", ("training_v1", 1, bad), {}, "version_id"))
    for bad in BAD_RES:
        cases.append(("get_res_job", (bad,), {}, "job_id"))
        cases.append(("delete_res_job", (bad, "etl", DLI), {}, "job_id"))
        cases.append(("observe", ("res", bad), {}, "job_id"))
    cases += [
        ("batch_delete_training_jobs", ([],), {}, "training_job_ids"),
        ("batch_delete_training_jobs", ([V2] * 101,), {}, "training_job_ids"),
        ("delete_res_job", ("job-1", "nope"), {}, "job_type"),
        ("delete_res_job", ("job-1", "ETL", DLI), {}, "job_type"),
        ("delete_res_job", ("job-1", "etl"), {}, "offline_platform"),
        ("delete_res_job", ("job-1", "etl", {"platform": "MRS"}), {}, "offline_platform.platform"),
        ("delete_res_job", ("job-1", "etl", {**DLI, "bogus": 1}), {}, "offline_platform"),
        ("delete_res_job", ("job-1", "etl", "DLI"), {}, "offline_platform"),
        (
            "delete_res_job",
            ("job-1", "etl", {"platform": "DLI", "platform_parameter": {"cluster_name": ""}}),
            {},
            "offline_platform.platform_parameter.cluster_name",
        ),
        ("list_res_jobs", ("nope",), {}, "job_type"),
        ("list_res_jobs", ("etl",), {"max_pages": 0}, "max_pages"),
        ("list_training_jobs", (), {"order": "sideways"}, "order"),
        ("list_training_jobs_v1", (), {"per_page": 0}, "per_page"),
        ("list_training_jobs_v1", (), {"per_page": 1001}, "per_page"),
        ("list_training_jobs_v1", (), {"search_content": "x" * 65}, "search_content"),
        ("list_visualization_jobs", (), {"order": "up"}, "order"),
        ("observe", ("nope", V2), {}, "job_family"),
        ("observe", ("training", V2, 1), {}, "version_id"),
        ("observe", ("res", "job-1", 1), {}, "version_id"),
        ("get_training_job", (V2,), {"project_id": "../x"}, "project_id"),
        ("list_res_jobs", ("etl",), {"project_id": "a/b"}, "project_id"),
        ("get_visualization_job", (1,), {"project_id": "x" * 65}, "project_id"),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize(
    ("auth", "extra"),
    [("aksk", {}), ("aksk", {"project_id": None}), ("token", {}), ("token", {"project_id": None})],
    ids=["aksk", "aksk-no-project", "token", "token-no-project"],
)
async def test_bad_arguments_fail_before_any_request(
    connect: Connect, emu: EmulatorServer, mode: str, auth: str, extra: dict[str, Any]
) -> None:
    api = Api(connect(auth, extra=extra), mode)
    assert len(CASES) > 150
    for method, args, kwargs, field in CASES:
        with pytest.raises(ValueError, match=rf"^{re.escape(field)}:"):
            await api(method, *args, **kwargs)
    assert requests_to(emu) == {}  # not even the token or project look-up


async def test_bad_connection_values_fail_before_any_request(
    connect: Connect, emu: EmulatorServer, mode: str
) -> None:
    for extra, field in [
        ({"project_id": "../x"}, "project_id"),
        ({"region": "Not A Region"}, "region"),
        ({"cloud": "otc"}, "cloud"),
        ({"verify": "maybe"}, "verify"),
        ({"timeout": 0}, "timeout"),
        ({"region": None}, "region"),
    ]:
        api = Api(connect(extra=extra), mode)
        with pytest.raises(ValueError, match=field):
            await api("get_training_job", V2)
    assert requests_to(emu) == {}


async def test_valid_edge_values_are_sent(api: Api, emu: EmulatorServer) -> None:
    """The validators accept the full documented ranges: the service answers, not the client."""
    for method, args in [
        ("get_training_job", ("x" * 64,)),
        ("get_visualization_job", ("9223372036854775807",)),
        ("get_visualization_job", (0,)),
        ("get_res_job", ("a_b-C" + "1" * 15,)),
        ("get_training_job_version", (1, "007")),
    ]:
        with pytest.raises(ModelArtsNotFoundError):
            await api(method, *args)
    assert requests_to(emu) == {
        "v2.detail": 1,
        "vis.detail": 2,
        "res.detail": 1,
        "v1.version_detail": 1,
    }
