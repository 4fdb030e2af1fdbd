from __future__ import annotations

import httpx
import pytest

from airflow_provider_modelarts.emulator import EmulatorServer


def _create(client: httpx.Client, p: str, name: str = "job-a", **hints: object) -> dict:  # type: ignore[type-arg]
    body: dict[str, object] = {"kind": "job", "metadata": {"name": name, "description": "d"}}
    if hints:
        body["emulator"] = hints
    response = client.post(f"/v2/{p}/training-jobs", json=body)
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


def _phase(client: httpx.Client, p: str, job_id: str) -> str:
    response = client.get(f"/v2/{p}/training-jobs/{job_id}")
    assert response.status_code == 200
    return response.json()["status"]["phase"]  # type: ignore[no-any-return]


def test_create_answers_the_full_job(client: httpx.Client, p: str) -> None:
    job = _create(client, p)
    assert job["kind"] == "job"
    meta = job["metadata"]
    assert len(meta["id"]) == 36 and meta["workspace_id"] == "0" and meta["name"] == "job-a"
    assert isinstance(meta["create_time"], int) and meta["create_time"] > 1_600_000_000_000
    assert meta["user_name"] == "emulator-user" and meta["description"] == "d"
    assert job["status"]["phase"] == "Creating" and job["status"]["start_time"] == 0


def test_phases_follow_the_clock(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job_id = _create(client, p)["metadata"]["id"]
    seen = [_phase(client, p, job_id)]
    for _ in range(3):
        emu.advance(0.25)
        seen.append(_phase(client, p, job_id))
    emu.advance(1)
    seen.append(_phase(client, p, job_id))
    assert seen == ["Creating", "Pending", "Running", "Running", "Completed"]
    detail = client.get(f"/v2/{p}/training-jobs/{job_id}").json()["status"]
    assert detail["duration"] == 500 and detail["start_time"] > 0


@pytest.mark.parametrize(("outcome", "phase"), [("failed", "Failed"), ("abnormal", "Abnormal")])
def test_outcome_hint(emu: EmulatorServer, client: httpx.Client, p: str, outcome: str, phase: str) -> None:
    job_id = _create(client, p, outcome=outcome)["metadata"]["id"]
    emu.advance(5)
    assert _phase(client, p, job_id) == phase


def test_terminate_then_terminated(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job_id = _create(client, p, run_seconds=None)["metadata"]["id"]
    emu.advance(10)
    assert _phase(client, p, job_id) == "Running"
    response = client.post(f"/v2/{p}/training-jobs/{job_id}/actions", json={"action_type": "terminate"})
    assert response.status_code == 202
    assert response.json()["status"]["phase"] == "Terminating"
    emu.advance(0.31)
    assert _phase(client, p, job_id) == "Terminated"
    again = client.post(f"/v2/{p}/training-jobs/{job_id}/actions", json={"action_type": "terminate"})
    assert again.status_code == 409 and again.json()["error_code"] == "ModelArts.2796"


def test_terminate_refused_on_completed_and_bad_action(
    emu: EmulatorServer, client: httpx.Client, p: str
) -> None:
    job_id = _create(client, p)["metadata"]["id"]
    bad = client.post(f"/v2/{p}/training-jobs/{job_id}/actions", json={"action_type": "restart"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "ModelArts.2812"
    emu.advance(5)
    done = client.post(f"/v2/{p}/training-jobs/{job_id}/actions", json={"action_type": "terminate"})
    assert done.status_code == 409 and done.json()["error_code"] == "ModelArts.2796"


def test_delete_is_asynchronous(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job_id = _create(client, p)["metadata"]["id"]
    response = client.delete(f"/v2/{p}/training-jobs/{job_id}")
    assert response.status_code == 202 and response.content == b""
    assert _phase(client, p, job_id) == "Creating"
    assert client.post(f"/v2/{p}/training-job-searches", json={}).json()["count"] == 1
    emu.advance(0.31)
    gone = client.get(f"/v2/{p}/training-jobs/{job_id}")
    assert gone.status_code == 400
    assert gone.json() == {
        "error_code": "ModelArts.2775",
        "error_msg": f"Training job (ID: {job_id}) not found.",
    }
    assert client.post(f"/v2/{p}/training-job-searches", json={}).json()["count"] == 0
    assert client.delete(f"/v2/{p}/training-jobs/{job_id}").status_code == 400


def test_delete_fails_hint_keeps_the_job(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    job_id = _create(client, p, delete_fails=True)["metadata"]["id"]
    client.delete(f"/v2/{p}/training-jobs/{job_id}")
    emu.advance(5)
    assert client.get(f"/v2/{p}/training-jobs/{job_id}").status_code == 200


def test_batch_delete(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    ids = [_create(client, p, f"b-{i}")["metadata"]["id"] for i in range(3)]
    jobs = [{"kind": "job", "metadata": {"id": i}} for i in ids[:2]]
    assert client.post(f"/v2/{p}/training-jobs/batch-delete", json={"jobs": jobs}).status_code == 202
    emu.advance(0.31)
    assert [client.get(f"/v2/{p}/training-jobs/{i}").status_code for i in ids] == [400, 400, 200]
    empty = client.post(f"/v2/{p}/training-jobs/batch-delete", json={"jobs": []})
    assert empty.status_code == 400
    many = [{"kind": "job", "metadata": {"id": ids[2]}}] * 101
    assert client.post(f"/v2/{p}/training-jobs/batch-delete", json={"jobs": many}).status_code == 400
    unknown = [{"kind": "job", "metadata": {"id": "00000000-0000-0000-0000-000000000000"}}]
    response = client.post(f"/v2/{p}/training-jobs/batch-delete", json={"jobs": unknown})
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.2775"


def test_a_batch_delete_across_workspaces_deletes_nothing(
    emu: EmulatorServer, client: httpx.Client, p: str
) -> None:
    """The documented rule: all jobs of one batch delete are in one workspace."""
    (home,) = emu.seed("training", 1, status="Completed")
    (away,) = emu.seed("training", 1, status="Completed", workspace_id="w1")
    jobs = [{"kind": "job", "metadata": {"id": i}} for i in (home, away)]
    response = client.post(f"/v2/{p}/training-jobs/batch-delete", json={"jobs": jobs})
    assert (response.status_code, response.json()["error_code"]) == (400, "ModelArts.2788")
    emu.advance(1)
    assert [client.get(f"/v2/{p}/training-jobs/{i}").status_code for i in (home, away)] == [200, 200]
    alone = client.post(f"/v2/{p}/training-jobs/batch-delete", json={"jobs": jobs[1:]})
    assert alone.status_code == 202


def test_search_pages_by_index(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.seed("training", 120, name="seeded")
    page = client.post(f"/v2/{p}/training-job-searches", json={"offset": 2, "limit": 50}).json()
    assert (page["total"], page["count"], page["offset"], page["limit"], len(page["items"])) == (
        120,
        120,
        2,
        50,
        20,
    )
    for key in ("sort_by", "order", "group_by", "workspace_id", "ai_project"):
        assert key in page
    first = client.post(f"/v2/{p}/training-job-searches", json={"offset": 0, "limit": 50}).json()["items"]
    second = client.post(f"/v2/{p}/training-job-searches", json={"offset": 1, "limit": 50}).json()["items"]
    assert not {j["metadata"]["id"] for j in first} & {j["metadata"]["id"] for j in second}


def test_search_filters(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.seed("training", 3, name="alpha", status="Running")
    emu.seed("training", 2, name="beta", status="Completed", age_seconds=3600)

    def search(*filters: dict) -> dict:  # type: ignore[type-arg]
        response = client.post(f"/v2/{p}/training-job-searches", json={"filters": list(filters), "limit": 50})
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    assert search({"key": "name", "operator": "like", "value": ["alph"]})["count"] == 3
    assert search({"key": "phase", "operator": "in", "value": ["Completed"]})["count"] == 2
    assert search({"key": "phase", "operator": "not", "value": ["Completed"]})["count"] == 3
    now_ms = int(emu.clock.now() * 1000)
    recent = search(
        {"key": "create_time", "operator": "between", "value": [str(now_ms - 60_000), str(now_ms)]}
    )
    assert recent["count"] == 3 and recent["total"] == 5


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"limit": 0}, "ModelArts.2788"),
        ({"limit": 51}, "ModelArts.2788"),
        ({"offset": -1}, "ModelArts.2788"),
        ({"filters": [{"key": "id", "operator": "in", "value": ["x"]}]}, "ModelArts.2807"),
        ({"filters": [{"key": "name", "operator": "eq", "value": ["x"]}]}, "ModelArts.2808"),
        ({"filters": [{"key": "create_time", "operator": "between", "value": ["x"]}]}, "ModelArts.2809"),
        ({"sort_by": "color"}, "ModelArts.2790"),
    ],
)
def test_search_refuses_bad_bodies(client: httpx.Client, p: str, body: dict, code: str) -> None:  # type: ignore[type-arg]
    response = client.post(f"/v2/{p}/training-job-searches", json=body)
    assert response.status_code == 400 and response.json()["error_code"] == code


def test_invalid_json_body(client: httpx.Client, p: str) -> None:
    response = client.post(
        f"/v2/{p}/training-job-searches", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.2787"


def test_unknown_path_and_wrong_method(client: httpx.Client, p: str) -> None:
    unknown = client.get(f"/v2/{p}/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "ModelArts.2836"
    assert unknown.headers["x-request-id"]
    wrong = client.put(f"/v2/{p}/training-job-searches", json={})
    assert wrong.status_code == 405 and wrong.json()["error_code"] == "ModelArts.2803"
