"""The ModelArts Console link: on sensors as on operators, and only where the public console applies."""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink
from airflow_provider_modelarts.operators.modelarts import ModelArtsDeleteTrainingJobOperator
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor
from tests.airflow_support import FAST, drive, make_context

HUAWEI = "https://console.huaweicloud.com/modelarts/?region=cn-north-4#/trainingJobs"
OTC = "https://console.otc.t-systems.com/modelarts/?region=eu-de#/trainingJobs"


def _url(host: str | None = None, **extra: str) -> str | None:
    extra.setdefault("region", "cn-north-4")
    config = ConnectionConfig.from_connection_fields(
        login="AK", password="SK", host=host, extra=extra, environ={}
    )
    return config.console_url()


@pytest.mark.parametrize(
    ("host", "extra", "url"),
    [
        (None, {}, HUAWEI),
        ("https://modelarts.cn-north-4.myhuaweicloud.com", {}, HUAWEI),  # the public endpoint, spelled out
        (None, {"region": "eu-de", "cloud": "opentelekomcloud"}, OTC),
        ("https://modelarts.eu-de.otc.t-systems.com/", {"region": "eu-de", "cloud": "opentelekomcloud"}, OTC),
        ("https://modelarts.example.internal", {}, None),  # a private deployment
        ("http://127.0.0.1:8089", {}, None),  # the emulator
        ("https://modelarts.cn-east-3.myhuaweicloud.com", {}, None),  # another region's endpoint
        ("https://modelarts.example.internal", {"region": "xx-nowhere-1"}, None),  # no public endpoint
    ],
)
def test_only_a_public_endpoint_gets_the_public_console(
    host: str | None, extra: dict, url: str | None
) -> None:
    assert _url(host, **extra) == url


@pytest.mark.parametrize("cls", [ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor])
def test_sensors_carry_the_link(cls: type) -> None:
    links = cls(task_id="s", job_family="training", job_id="3faf5c03").operator_extra_links
    assert [type(link) for link in links] == [ModelArtsConsoleLink]
    assert [link.name for link in links] == ["ModelArts Console"]
    assert ModelArtsDeleteTrainingJobOperator.operator_extra_links[0].name == "ModelArts Console"


@pytest.mark.parametrize("deferrable", [False, True])
def test_a_sensor_stores_no_public_link_for_the_emulator(emu: EmulatorServer, deferrable: bool) -> None:
    [job_id] = emu.seed("training", status="Completed")
    context = make_context()
    sensor = ModelArtsJobStoppedSensor(
        task_id="s", job_family="training", job_id=job_id, poke_interval=FAST, deferrable=deferrable
    )
    drive(sensor, context)
    assert context["ti"].pushed == {}  # no link: nothing stored, and no link asked for at the end
    assert sensor.operator_extra_links == ()
    assert ModelArtsHook().console_url() is None


def test_a_sensor_stores_nothing_when_the_connection_is_unreadable(use_connection) -> None:
    use_connection({"conn_type": "modelarts", "login": "AK", "password": "SK", "extra": {}})
    context = make_context()
    sensor = ModelArtsJobDeletedSensor(task_id="s", job_family="training", job_id="3faf5c03")
    with pytest.raises(ValueError, match="region"):
        sensor.execute(context)
    assert context["ti"].pushed == {}
    assert sensor.operator_extra_links == ()  # Airflow asks no link at the end: no "XCom not found"
