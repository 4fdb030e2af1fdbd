from __future__ import annotations

import httpx
import pytest

from airflow_provider_modelarts.emulator import EmulatorServer

LIST = {"type": "etl", "current-page": 1, "page-size": 10}
PLATFORM = {"platform": "DLI", "platform_parameter": {"cluster_name": "c1"}}


def test_list_and_detail(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    ids = emu.seed("res", 3, name="rec", type="etl")
    emu.seed("res", 2, name="rank", type="ranking")
    page = client.get(f"/v1/{p}/jobs", params=LIST).json()
    assert page["is_success"] is True and page["total_items"] == 3
    job = page["jobs"][0]
    assert set(job) >= {"job_id", "job_name", "job_description", "project_id", "user_id", "operating_time",
                        "job_status", "resource", "is_use", "type"}  # fmt: skip
    assert job["resource"] == "DLI" and job["job_status"] == "RUNNING"
    detail = client.get(f"/v1/{p}/jobs/{ids[0]}").json()
    assert detail["is_success"] is True and detail["job"]["job_id"] == ids[0]
    emu.advance(5)
    assert client.get(f"/v1/{p}/jobs/{ids[0]}").json()["job"]["job_status"] == "SUCCEEDED"
    second = client.get(f"/v1/{p}/jobs", params={**LIST, "current-page": 2, "page-size": 2}).json()
    assert len(second["jobs"]) == 1


@pytest.mark.parametrize("missing", ["type", "current-page", "page-size"])
def test_list_needs_all_three(client: httpx.Client, p: str, missing: str) -> None:
    params = {k: v for k, v in LIST.items() if k != missing}
    response = client.get(f"/v1/{p}/jobs", params=params)
    assert response.status_code == 400 and response.json()["error_code"] == "RES.1001"
    assert response.json()["is_success"] is False


def test_unknown_job(client: httpx.Client, p: str) -> None:
    response = client.get(f"/v1/{p}/jobs/nope")
    assert response.status_code == 404
    assert response.json() == {
        "is_success": False,
        "error_code": "RES.1002",
        "error_msg": "The job does not exist.",
    }


def test_del_job_async(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    (job_id,) = emu.seed("res", job_id="res_job-1", type="etl")
    body = {"job_id": job_id, "type": "etl", "offline_platform": PLATFORM}
    response = client.request("DELETE", f"/v1/{p}/del-job", json=body)
    assert response.json() == {"is_success": True, "message": "Succeed to delete train log."}
    assert client.get(f"/v1/{p}/jobs/{job_id}").status_code == 200
    emu.advance(0.31)
    assert client.get(f"/v1/{p}/jobs/{job_id}").status_code == 404
    assert client.get(f"/v1/{p}/jobs", params=LIST).json()["total_items"] == 0
    assert client.request("DELETE", f"/v1/{p}/del-job", json=body).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"type": "etl", "offline_platform": PLATFORM},
        {"job_id": "x" * 21, "type": "etl", "offline_platform": PLATFORM},
        {"job_id": "bad id", "type": "etl", "offline_platform": PLATFORM},
        {"job_id": "j1", "type": "etl"},
        {"job_id": "j1", "type": "etl", "offline_platform": {"platform": "MRS"}},
        {"job_id": "j1", "type": "painting"},
        {"job_id": "j1"},
    ],
)
def test_del_job_validates_the_body(client: httpx.Client, p: str, body: dict) -> None:  # type: ignore[type-arg]
    response = client.request("DELETE", f"/v1/{p}/del-job", json=body)
    assert response.status_code == 400 and response.json()["error_code"] == "RES.1001"


def test_del_job_without_platform_for_ranking(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    (job_id,) = emu.seed("res", job_id="rank1", type="ranking")
    response = client.request("DELETE", f"/v1/{p}/del-job", json={"job_id": job_id, "type": "ranking"})
    assert response.status_code == 200


def test_del_job_invalid_json(client: httpx.Client, p: str) -> None:
    response = client.request(
        "DELETE", f"/v1/{p}/del-job", content=b"[", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error_code"] == "RES.1001"
