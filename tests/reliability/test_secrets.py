"""No secret in any output: logs at DEBUG, stdout/stderr, errors, XCom, trigger kwargs, events, reprs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.api.watch import Goal
from airflow_provider_modelarts.auth.token import TOKENS
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from airflow_provider_modelarts.operators import modelarts as op
from airflow_provider_modelarts.sensors.modelarts import ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor
from airflow_provider_modelarts.triggers.modelarts import ModelArtsJobTrigger
from tests.reliability.conftest import FAST, first_version, seed_running, task_context

WRONG_SECRET = "Wrong-Secret-Value-7d1e"  # a test credential, scanned for like the others


def _operators(conn_id: str, v2: str, v1: str, version: str, vis: str, res: str) -> list[Any]:
    common = {"modelarts_conn_id": conn_id, "poll_interval": 0.05, "timeout": 3, "deferrable": False}
    return [
        op.ModelArtsDeleteTrainingJobOperator(task_id="a", job_id=v2, **common),
        op.ModelArtsTerminateTrainingJobOperator(task_id="b", job_id=v2, **common),
        op.ModelArtsDeleteTrainingJobV1Operator(task_id="c", job_id=v1, **common),
        op.ModelArtsStopTrainingJobVersionOperator(task_id="d", job_id=v1, version_id=version, **common),
        op.ModelArtsDeleteTrainingJobVersionOperator(task_id="e", job_id=v1, version_id=version, **common),
        op.ModelArtsStopVisualizationJobOperator(task_id="f", job_id=vis, **common),
        op.ModelArtsDeleteVisualizationJobOperator(task_id="g", job_id=vis, **common),
        op.ModelArtsDeleteResJobOperator(task_id="h", job_id=res, job_type="ranking", **common),
        op.ModelArtsDeleteResJobOperator(task_id="i", job_id="missing-job", job_type="ranking", **common),
        op.ModelArtsDeleteTrainingJobOperator(task_id="j", job_id="no-such-job", **common),
    ]


@pytest.mark.parametrize("auth", ["aksk", "temporary", "token"])
@pytest.mark.parametrize("credentials", ["right", "wrong"])
def test_no_secret_reaches_any_output(
    modelarts_emulator: EmulatorServer, use_connection, caplog, capfd, auth: str, credentials: str
):
    caplog.set_level(logging.DEBUG)
    emu = modelarts_emulator
    conn = emu.airflow_connection(auth)  # type: ignore[arg-type]
    if credentials == "wrong":
        conn["password"] = WRONG_SECRET
    use_connection(conn, "sec")
    c = emu.config
    secrets = [c.secret_key, c.temp_secret_key, c.iam_password, c.security_token, WRONG_SECRET]
    v2, v1, vis, res = (
        seed_running(emu, family)[0] for family in ("training", "training_v1", "visualization", "res")
    )
    version = first_version(emu, v1)
    emu.faults.set("*", {"error_rate": 0.3, "error_status": 503})  # 5xx throughout, retried
    outputs: list[Any] = []

    for operator in _operators("sec", v2, v1, version, vis, res):
        context = task_context()
        operator.hook.retry_policy = FAST
        try:
            outputs.append(operator.execute(context))
        except Exception as exc:  # every failure's text is scanned, whatever its type
            outputs += [str(exc), repr(exc), exc.__cause__, exc.__context__]
        outputs += [
            context["ti"].pushed,
            repr(operator),
            repr(operator.hook),
            operator._trigger([operator.job_id], Goal.DELETED, {"listed_by": None}).serialize(),
        ]
    for sensor_cls in (ModelArtsJobDeletedSensor, ModelArtsJobStoppedSensor):
        sensor = sensor_cls(
            task_id="s", job_family="res", job_id=res, modelarts_conn_id="sec", max_poll_failures=1
        )
        try:
            outputs.append(sensor.poke(task_context()))
        except Exception as exc:
            outputs += [str(exc), repr(exc)]
        outputs.append(repr(sensor))
    trigger = ModelArtsJobTrigger(
        job_family="training",
        job_id=v2,
        goal="deleted",
        modelarts_conn_id="sec",
        poll_interval=0.05,
        deadline=0,
    )
    hook = ModelArtsHook("sec", retry_policy=FAST)

    async def watch() -> list[Any]:
        event = await trigger.wait(hook)
        seen: list[Any] = [event, trigger.serialize(), repr(trigger)]
        if credentials == "right":
            session = await hook.asession()
            issued = TOKENS.peek(session.token_key())
            if issued is not None:
                secrets.append(issued.value)  # the issued IAM token is a secret too
            seen += [repr(session), repr(session._auth), repr(session.config), repr(issued)]
            await session.aclose()
        return seen

    outputs += asyncio.run(watch())
    config = ConnectionConfig.from_connection_fields(
        login=conn["login"], password=conn["password"], host=conn["host"], extra=conn["extra"], environ={}
    )
    outputs += [
        repr(config),
        str(config),
        config.model_dump(),
        config.identity(),
        repr(ModelArtsSession(config)),
    ]
    out, err = capfd.readouterr()
    haystack = "\n".join([caplog.text, out, err, *map(repr, outputs), *map(str, outputs)])
    assert "training" in haystack and "503" in caplog.text  # the scan looked at real, failing output
    if auth == "token" and credentials == "right":
        assert len(secrets) == 6, "the issued token was found and is scanned for"
    leaks = [s[:4] + "..." for s in secrets if s and s in haystack]
    assert not leaks, f"secrets found in output: {leaks}"


def test_tls_verification_is_on_by_default_and_off_warns(caplog):
    base: dict[str, Any] = {"login": "AK", "password": "SK-x", "host": "https://modelarts.example"}
    on = ConnectionConfig.from_connection_fields(extra={"region": "eu-de"}, environ={}, **base)
    assert on.verify is True
    with caplog.at_level(logging.WARNING):
        ModelArtsSession(on)
    assert "verification is OFF" not in caplog.text
    off = ConnectionConfig.from_connection_fields(
        extra={"region": "eu-de", "verify": "false"}, environ={}, **base
    )
    assert off.verify is False
    with caplog.at_level(logging.WARNING):
        ModelArtsSession(off)
    assert "TLS certificate verification is OFF" in caplog.text
