"""A misspelt region or a host that does not resolve: refused early, naming where the request went."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.endpoints import Cloud, EndpointError, Service, default_endpoint
from airflow_provider_modelarts.api.errors import ModelArtsHostNotFoundError
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"


def test_a_misspelt_huawei_cloud_region_is_refused_naming_the_listed_ones(use_connection: Any) -> None:
    use_connection({"conn_type": "modelarts", "login": "ak-12345", "password": "sk-12345",
                    "extra": {"region": "cn-nort-4", "project_id": "0123456789abcdef"}})  # fmt: skip
    with pytest.raises(ValueError, match=r"region 'cn-nort-4' is not a Huawei Cloud region") as refused:
        ModelArtsHook().get_training_job(JOB)
    assert "cn-north-4" in str(refused.value) and "host" in str(refused.value)


def test_an_unlisted_region_is_refused_without_a_host_and_works_with_one(
    modelarts_emulator: EmulatorServer, use_connection: Any
) -> None:
    conn = modelarts_emulator.airflow_connection()
    [job] = modelarts_emulator.seed("training", status="Completed")
    use_connection({**conn, "host": None, "extra": {**conn["extra"], "region": "xx-nowhere-1"}})
    with pytest.raises(ValueError, match="'xx-nowhere-1' is not a Huawei Cloud region"):
        ModelArtsHook().get_training_job(job)
    use_connection({**conn, "extra": {**conn["extra"], "region": "xx-nowhere-1"}})
    assert ModelArtsHook().get_training_job(job).phase == "Completed"


def test_no_host_name_is_made_up_for_an_unlisted_huawei_cloud_region() -> None:
    with pytest.raises(EndpointError):
        default_endpoint(Service.MODELARTS, Cloud.HUAWEICLOUD, "xx-nowhere-1")
    with pytest.raises(EndpointError, match="iam_endpoint"):
        default_endpoint(Service.IAM, Cloud.HUAWEICLOUD, "cn-north-11")  # ModelArts listed, IAM not
    assert default_endpoint(Service.MODELARTS, Cloud.HUAWEICLOUD, "cn-north-11").endswith("myhuaweicloud.com")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_host_that_does_not_resolve_fails_at_once_naming_host_region_and_origin(
    use_connection: Any, mode: str
) -> None:
    use_connection({"conn_type": "modelarts", "login": "ak-12345", "password": "sk-12345",
                    "host": "https://modelarts.cn-nort-4.invalid",
                    "extra": {"region": "cn-north-4", "project_id": "0123456789abcdef"}})  # fmt: skip
    hook = ModelArtsHook()
    started = time.monotonic()

    def call() -> object:
        return hook.get_training_job(JOB) if mode == "sync" else asyncio.run(hook.aget_training_job(JOB))

    with pytest.raises(ModelArtsHostNotFoundError) as failed:
        call()
    assert time.monotonic() - started < 5  # not retried for ~10 s
    text = str(failed.value)
    assert "modelarts.cn-nort-4.invalid" in text and "'cn-north-4'" in text
    assert "the connection's host" in text and "not retried" in text


def test_the_origin_of_a_derived_endpoint_is_named() -> None:
    config = ConnectionConfig.from_connection_fields(
        login="ak-12345", password="sk-12345", host=None, extra={"region": "cn-north-4"}
    )
    assert config.describe_endpoint(Service.MODELARTS) == (
        "host modelarts.cn-north-4.myhuaweicloud.com (region 'cn-north-4', endpoint derived from the "
        "region (huaweicloud))"
    )


def test_a_transport_error_names_the_host_it_could_not_reach() -> None:
    import socket

    from airflow_provider_modelarts.api import operations as ops
    from airflow_provider_modelarts.api.errors import ModelArtsTransportError
    from airflow_provider_modelarts.api.retry import RetryPolicy
    from airflow_provider_modelarts.api.session import ModelArtsSession

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ConnectionConfig.from_connection_fields(
        login="ak-12345", password="sk-12345", host=f"http://127.0.0.1:{port}",
        extra={"region": "cn-north-4", "project_id": "0123456789abcdef"},
    )  # fmt: skip
    session = ModelArtsSession(config, policy=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01))
    with pytest.raises(ModelArtsTransportError) as failed:
        session.run(ops.find_project_id("cn-north-4"))
    assert f"host 127.0.0.1:{port} (region 'cn-north-4', endpoint the connection's host" in str(failed.value)
