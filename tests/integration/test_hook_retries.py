"""Retries over real HTTP: injected 5xx, 429 with Retry-After, dropped connections, budgets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_modelarts.api.errors import (
    ModelArtsApiError,
    ModelArtsConflictError,
    ModelArtsNotFoundError,
    ModelArtsRateLimitError,
    ModelArtsServerError,
    ModelArtsTransportError,
    is_transient,
)
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

from .conftest import FAST, Api, requests_to, responses_of

Connect = Callable[..., ModelArtsHook]
DROP_SEED = 7  # with drop_rate 0.5 this seed drops the first two requests and serves the third
DLI = {"platform": "DLI", "platform_parameter": {"cluster_name": "dli-cluster"}}


def _is_request_id(value: str | None) -> bool:
    return value is not None and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


async def _call_for(route: str, api: Api, emu: EmulatorServer) -> Any:
    """One hook call that sends exactly one request to ``route`` when nothing fails."""
    if route.startswith("v2."):
        [job_id] = emu.seed("training", status="Running")
        if route == "v2.detail":
            return await api("get_training_job", job_id)
        if route == "v2.delete":
            return await api("delete_training_job", job_id)
        return await api("list_training_jobs")
    if route.startswith("v1."):
        [job_id] = emu.seed("training_v1", status="RUNNING")
        if route == "v1.versions":
            return await api("list_training_job_versions", job_id)
        return await api("list_training_jobs_v1")
    if route.startswith("vis."):
        [job_id] = emu.seed("visualization", status="RUNNING")
        if route == "vis.stop":
            return await api("stop_visualization_job", job_id)
        return await api("get_visualization_job", job_id)
    [job_id] = emu.seed("res", type="etl", status="RUNNING")
    if route == "res.delete":
        return await api("delete_res_job", job_id, "etl", DLI)
    return await api("list_res_jobs", "etl")


ROUTES = [
    "v2.detail",
    "v2.search",
    "v2.delete",
    "v1.list",
    "v1.versions",
    "vis.detail",
    "vis.stop",
    "res.list",
    "res.delete",
]


@pytest.mark.parametrize(
    ("route", "failures"), [("v2.detail", 1), ("v2.detail", 3), *((route, 2) for route in ROUTES[1:])]
)
async def test_5xx_then_success_after_n_plus_one_requests(
    api: Api, emu: EmulatorServer, route: str, failures: int
) -> None:
    emu.faults.set(route, {"next_count": failures, "next_status": 503})
    await _call_for(route, api, emu)
    assert requests_to(emu) == {route: failures + 1}
    assert responses_of(emu, route) == {"503": failures, route_success(route): 1}


def route_success(route: str) -> str:
    return "202" if route == "v2.delete" else "200"


async def test_5xx_on_iam_routes_is_retried(connect: Connect, emu: EmulatorServer, mode: str) -> None:
    [job_id] = emu.seed("training", status="Running")
    emu.faults.set("iam.tokens", {"next_count": 2, "next_status": 502})
    await Api(connect("token"), mode)("get_training_job", job_id)
    emu.faults.set("iam.projects", {"next_count": 1, "next_status": 500})
    await Api(connect(extra={"project_id": None}, conn_id="lookup"), mode)("get_training_job", job_id)
    assert requests_to(emu) == {"iam.tokens": 3, "iam.projects": 2, "v2.detail": 2}


async def test_budget_exhausted_raises_a_typed_error(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training", status="Running")
    emu.faults.set("v2.detail", {"next_count": 10, "next_status": 503})
    with pytest.raises(ModelArtsServerError) as failed:
        await api("get_training_job", job_id)
    error = failed.value
    assert (error.status_code, error.error_code, error.error_msg) == (503, "ModelArts.0010", "Internal error")
    assert _is_request_id(error.request_id) and error.request_id in str(error)
    assert (error.method, error.path) == ("GET", f"/v2/{emu.credentials.project_id}/training-jobs/{job_id}")
    assert is_transient(error) and not error.is_not_found
    assert requests_to(emu) == {"v2.detail": FAST.max_attempts}
    assert emu.faults.rules()["v2.detail"]["next_count"] == 10 - FAST.max_attempts


async def test_constant_500s_exhaust_the_budget(api: Api, emu: EmulatorServer) -> None:
    emu.faults.set("v1.list", {"error_rate": 1.0, "error_status": 500})
    with pytest.raises(ModelArtsServerError) as failed:
        await api("list_training_jobs_v1")
    assert failed.value.status_code == 500 and _is_request_id(failed.value.request_id)
    assert requests_to(emu) == {"v1.list": FAST.max_attempts}


async def test_throttling_exhausts_the_budget(api: Api, emu: EmulatorServer) -> None:
    emu.faults.set("res.list", {"throttle_rate": 1.0, "retry_after": 0})
    with pytest.raises(ModelArtsRateLimitError) as failed:
        await api("list_res_jobs", "ranking")
    error = failed.value
    assert (error.status_code, error.error_code) == (429, "ModelArts.2799")
    assert _is_request_id(error.request_id) and is_transient(error)
    assert requests_to(emu) == {"res.list": FAST.max_attempts}


async def test_retry_after_is_honoured(connect: Connect, emu: EmulatorServer, mode: str) -> None:
    # The policy's own backoff is at most 10 ms; only the service's hint can make it wait 0.2 s.
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.2, total_timeout=5.0)
    api = Api(connect(policy=policy), mode)
    [job_id] = emu.seed("training", status="Running")
    emu.faults.set("v2.detail", {"next_count": 1, "next_status": 429, "retry_after": 1})
    started = time.monotonic()
    assert (await api("get_training_job", job_id)).id == job_id
    waited = time.monotonic() - started
    assert waited >= 1.0 - 0.02  # the hint in full, beyond max_delay (less a clock tick)
    assert responses_of(emu, "v2.detail") == {"429": 1, "200": 1}


async def test_retry_after_beyond_the_time_budget_gives_up_at_once(
    connect: Connect, emu: EmulatorServer, mode: str
) -> None:
    policy = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=30.0, total_timeout=0.5)
    api = Api(connect(policy=policy), mode)
    [job_id] = emu.seed("training", status="Running")
    emu.faults.set("v2.detail", {"next_count": 1, "next_status": 503})
    assert (await api("get_training_job", job_id)).id == job_id  # the same budget allows a 503 retry
    emu.faults.set("v2.detail", {"next_count": 1, "next_status": 429, "retry_after": 1})
    with pytest.raises(ModelArtsRateLimitError) as failed:
        await api("get_training_job", job_id)  # waiting 1 s would overrun the 0.5 s budget
    assert failed.value.status_code == 429
    assert "retry after 1 s (Retry-After)" in str(failed.value)
    assert responses_of(emu, "v2.detail") == {"503": 1, "200": 1, "429": 1}


async def test_dropped_connections_are_retried(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training", status="Running")
    emu.faults.seed(DROP_SEED)
    emu.faults.set("v2.detail", {"drop_rate": 0.5})
    assert (await api("get_training_job", job_id)).id == job_id
    drops = emu.stats()["faults"]["drop"]
    assert 1 <= drops < FAST.max_attempts
    assert responses_of(emu, "v2.detail") == {"0": drops, "200": 1}
    assert requests_to(emu) == {"v2.detail": drops + 1}


async def test_always_dropped_raises_a_transport_error(api: Api, emu: EmulatorServer) -> None:
    [job_id] = emu.seed("training", status="Running")
    emu.faults.set("v2.detail", {"drop_rate": 1.0})
    with pytest.raises(ModelArtsTransportError) as failed:
        await api("get_training_job", job_id)
    assert f"after {FAST.max_attempts} attempt(s)" in str(failed.value) and is_transient(failed.value)
    assert responses_of(emu, "v2.detail") == {"0": FAST.max_attempts}


@pytest.mark.parametrize("status", [400, 403, 405, 409])
async def test_client_errors_are_never_retried(api: Api, emu: EmulatorServer, status: int) -> None:
    [job_id] = emu.seed("training", status="Running")
    emu.faults.set("v2.detail", {"next_count": 3, "next_status": status})
    with pytest.raises(ModelArtsApiError) as failed:
        await api("get_training_job", job_id)
    assert failed.value.status_code == status and not is_transient(failed.value)
    assert requests_to(emu) == {"v2.detail": 1}
    assert emu.faults.rules()["v2.detail"]["next_count"] == 2


async def test_service_errors_are_never_retried(api: Api, emu: EmulatorServer) -> None:
    [done] = emu.seed("training", status="Completed")
    with pytest.raises(ModelArtsConflictError):
        await api("terminate_training_job", done)
    with pytest.raises(ModelArtsNotFoundError):
        await api("get_training_job", "3faf5c03-aaa1-4cbe-879d-24b05d997347")
    with pytest.raises(ModelArtsNotFoundError):
        await api("get_visualization_job", 42)
    with pytest.raises(ModelArtsNotFoundError):
        await api("get_res_job", "missing")
    assert requests_to(emu) == {"v2.terminate": 1, "v2.detail": 1, "vis.detail": 1, "res.detail": 1}
