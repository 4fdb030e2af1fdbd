from __future__ import annotations

import httpx

from airflow_provider_modelarts.emulator import EmulatorServer


def _create(client: httpx.Client, p: str, name: str = "vis") -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/v1/{p}/visualization-jobs", json={"job_name": name, "train_url": "/bucket/out/"}
    )
    assert response.status_code == 200 and response.json()["is_success"] is True
    return response.json()  # type: ignore[no-any-return]


def test_detail_has_no_is_success(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job = _create(client, p)
    detail = client.get(f"/v1/{p}/visualization-jobs/{job['job_id']}").json()
    assert "is_success" not in detail and detail["status"] == 1 and detail["train_url"] == "/bucket/out/"
    assert {"job_id", "job_name", "job_desc", "create_time", "duration", "service_url", "resource_id"} <= set(
        detail
    )
    emu.advance(100)
    assert client.get(f"/v1/{p}/visualization-jobs/{job['job_id']}").json()["status"] == 8


def test_stop_only_while_running_and_delete_refused_while_killing(
    emu: EmulatorServer, client: httpx.Client, p: str
) -> None:
    job = _create(client, p)
    early = client.post(f"/v1/{p}/visualization-jobs/{job['job_id']}/stop")
    assert (
        early.status_code == 400 and early.json()["error_message"] == "This job can't be stop. job status: 1"
    )
    emu.advance(0.45)
    assert client.post(f"/v1/{p}/visualization-jobs/{job['job_id']}/stop").json() == {"is_success": True}
    refused = client.delete(f"/v1/{p}/visualization-jobs/{job['job_id']}")
    assert refused.status_code == 400
    assert refused.json() == {
        "is_success": False,
        "error_code": "ModelArts.0105",
        "error_message": "This job can't be delete. job status: 9",
    }
    emu.advance(0.31)
    assert client.get(f"/v1/{p}/visualization-jobs/{job['job_id']}").json()["status"] == 12
    assert client.delete(f"/v1/{p}/visualization-jobs/{job['job_id']}").json() == {"is_success": True}
    emu.advance(0.31)
    gone = client.get(f"/v1/{p}/visualization-jobs/{job['job_id']}")
    assert gone.status_code == 404 and gone.json()["error_code"] == "ModelArts.0015"


def test_list(client: httpx.Client, p: str) -> None:
    ids = [_create(client, p, f"vis-{i}")["job_id"] for i in range(3)]
    page = client.get(f"/v1/{p}/visualization-jobs", params={"per_page": 2, "order": "desc"}).json()
    assert page["job_total_count"] == 3 and [j["job_id"] for j in page["jobs"]] == ids[::-1][:2]
    assert set(page["jobs"][0]) == {
        "job_id", "job_name", "status", "create_time", "duration", "job_desc", "service_url", "train_url",
        "resource_id",
    }  # fmt: skip
    assert client.get(f"/v1/{p}/visualization-jobs", params={"sortBy": "version_count"}).status_code == 400
