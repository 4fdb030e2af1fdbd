from __future__ import annotations

import httpx
import pytest

from airflow_provider_modelarts.emulator import EmulatorServer


def _create(client: httpx.Client, p: str, name: str = "v1-job", **hints: object) -> dict:  # type: ignore[type-arg]
    body: dict[str, object] = {"job_name": name, "job_desc": "desc", "config": {}}
    if hints:
        body["emulator"] = hints
    response = client.post(f"/v1/{p}/training-jobs", json=body)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _version(client: httpx.Client, p: str, job: dict) -> httpx.Response:  # type: ignore[type-arg]
    return client.get(f"/v1/{p}/training-jobs/{job['job_id']}/versions/{job['version_id']}")


def test_create_and_detail(client: httpx.Client, p: str) -> None:
    job = _create(client, p)
    assert job["is_success"] is True and isinstance(job["job_id"], int) and isinstance(job["version_id"], int)
    assert job["version_name"] == "V0001" and job["status"] == 1  # INIT, as the documented sample
    detail = _version(client, p, job).json()
    assert detail["is_success"] is True and detail["job_name"] == "v1-job" and detail["status"] == 1
    for key in ("version_id", "version_name", "create_time", "duration", "start_time"):
        assert key in detail


def test_status_flow_and_stop(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job = _create(client, p, run_seconds=None)
    emu.advance(0.45)
    assert _version(client, p, job).json()["status"] == 8
    stop = client.post(f"/v1/{p}/training-jobs/{job['job_id']}/versions/{job['version_id']}/stop")
    assert stop.json() == {"is_success": True}
    assert _version(client, p, job).json()["status"] == 9
    emu.advance(0.31)
    assert _version(client, p, job).json()["status"] == 12
    again = client.post(f"/v1/{p}/training-jobs/{job['job_id']}/versions/{job['version_id']}/stop")
    assert again.status_code == 400
    assert again.json() == {
        "is_success": False,
        "error_code": "ModelArts.0105",
        "error_message": "This job can't be stop. job status: 12",
    }


def test_failure_status_is_configurable(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.config.update({"v1_failure_status": 200})
    job = _create(client, p)
    emu.advance(5)
    stop = client.post(f"/v1/{p}/training-jobs/{job['job_id']}/versions/{job['version_id']}/stop")
    assert (
        stop.status_code == 200 and stop.json()["error_message"] == "This job can't be stop. job status: 10"
    )


def test_list_params_and_answer(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    for name in ("c-job", "a-job", "b-job"):
        _create(client, p, name)
    page = client.get(f"/v1/{p}/training-jobs", params={"per_page": 2, "page": 1}).json()
    assert page["is_success"] is True and page["job_total_count"] == 3
    assert [j["job_name"] for j in page["jobs"]] == ["a-job", "b-job"]
    assert {"job_count_limit", "quotas"} <= set(page)
    assert set(page["jobs"][0]) == {
        "job_id", "job_name", "version_id", "status", "create_time", "duration", "job_desc", "version_count"
    }  # fmt: skip
    desc = client.get(f"/v1/{p}/training-jobs", params={"sortBy": "create_time", "order": "desc"}).json()
    assert desc["jobs"][0]["job_name"] == "b-job"
    found = client.get(f"/v1/{p}/training-jobs", params={"search_content": "c-j", "status": "1,8"}).json()
    assert [j["job_name"] for j in found["jobs"]] == ["c-job"]
    emu.advance(5)
    assert client.get(f"/v1/{p}/training-jobs", params={"status": "8"}).json()["jobs"] == []


@pytest.mark.parametrize(
    "params",
    [{"per_page": 0}, {"per_page": 1001}, {"page": 0}, {"page": 65536}, {"sortBy": "x"}, {"order": "up"}],
)
def test_list_refuses_bad_params(client: httpx.Client, p: str, params: dict) -> None:  # type: ignore[type-arg]
    response = client.get(f"/v1/{p}/training-jobs", params=params)
    assert response.status_code == 400 and response.json()["is_success"] is False


def test_versions(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job = _create(client, p)
    new = client.post(f"/v1/{p}/training-jobs/{job['job_id']}/versions", json={"job_desc": "v2"}).json()
    assert new["version_name"] == "V0002"
    versions = client.get(f"/v1/{p}/training-jobs/{job['job_id']}/versions").json()
    assert versions["version_count"] == 2 and len(versions["versions"]) == 2
    assert versions["versions"][0]["pre_version_id"] == job["version_id"]
    paged = client.get(f"/v1/{p}/training-jobs/{job['job_id']}/versions", params={"page": 2, "per_page": 1})
    assert [v["version_id"] for v in paged.json()["versions"]] == [job["version_id"]]
    assert client.delete(f"/v1/{p}/training-jobs/{job['job_id']}/versions/{new['version_id']}").json() == {
        "is_success": True
    }
    emu.advance(0.31)
    after = client.get(f"/v1/{p}/training-jobs/{job['job_id']}/versions").json()
    assert after["version_count"] == 1


def test_delete_then_gone(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job = _create(client, p)
    assert client.delete(f"/v1/{p}/training-jobs/{job['job_id']}").json() == {"is_success": True}
    assert _version(client, p, job).status_code == 200
    assert client.get(f"/v1/{p}/training-jobs").json()["job_total_count"] == 1
    emu.advance(0.31)
    gone = _version(client, p, job)
    assert gone.status_code == 404
    assert gone.json() == {
        "is_success": False,
        "error_code": "ModelArts.0015",
        "error_message": "The resource you requested does not exist.",
    }
    assert client.get(f"/v1/{p}/training-jobs/{job['job_id']}/versions").status_code == 404
    assert client.get(f"/v1/{p}/training-jobs").json()["jobs"] == []


def test_delete_failed_status(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job = _create(client, p, delete_fails=True)
    client.delete(f"/v1/{p}/training-jobs/{job['job_id']}")
    emu.advance(1)
    assert _version(client, p, job).json()["status"] == 6
    assert client.get(f"/v1/{p}/training-jobs").json()["jobs"][0]["status"] == 6
