from __future__ import annotations

import httpx

from airflow_provider_modelarts.emulator import EmulatorServer


def _body(emu: EmulatorServer, password: str | None = None, scope: object = None) -> dict:  # type: ignore[type-arg]
    c = emu.credentials
    user = {"name": c.iam_user, "password": password or c.iam_password, "domain": {"name": c.iam_domain}}
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": scope or {"project": {"id": c.project_id}},
        }
    }


def test_issue_token(emu: EmulatorServer, raw: httpx.Client) -> None:
    response = raw.post("/v3/auth/tokens", json=_body(emu))
    assert response.status_code == 201 and response.headers["x-subject-token"]
    token = response.json()["token"]
    assert token["project"]["id"] == emu.credentials.project_id
    assert (
        token["project"]["name"] == "cn-north-4" and token["project"]["domain"]["name"] == "emulator-domain"
    )
    assert token["expires_at"].endswith("Z") and token["issued_at"] < token["expires_at"]
    assert token["user"]["name"] == "emulator-user"


def test_wrong_password_and_bad_body(emu: EmulatorServer, raw: httpx.Client) -> None:
    wrong = raw.post("/v3/auth/tokens", json=_body(emu, password="nope"))
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == 401 and wrong.json()["error"]["title"] == "Unauthorized"
    assert raw.post("/v3/auth/tokens", json={"auth": {}}).status_code == 400
    assert (
        raw.post("/v3/auth/tokens", content=b"{", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    other = raw.post("/v3/auth/tokens", json=_body(emu, scope={"project": {"id": "other"}}))
    assert other.status_code == 401


def test_projects_lookup(emu: EmulatorServer, raw: httpx.Client, client: httpx.Client) -> None:
    assert raw.get("/v3/projects", params={"name": "cn-north-4"}).status_code == 401
    projects = client.get("/v3/projects", params={"name": "cn-north-4"}).json()["projects"]
    assert projects == [
        {
            "id": emu.credentials.project_id,
            "name": "cn-north-4",
            "domain_id": emu.config.domain_id,
            "parent_id": emu.config.domain_id,
            "description": "",
            "enabled": True,
            "is_domain": False,
        }
    ]
    assert client.get("/v3/projects", params={"name": "eu-de"}).json()["projects"] == []
    token = raw.post("/v3/auth/tokens", json=_body(emu)).headers["x-subject-token"]
    with_token = raw.get("/v3/projects", params={"name": "cn-north-4"}, headers={"X-Auth-Token": token})
    assert with_token.status_code == 200
