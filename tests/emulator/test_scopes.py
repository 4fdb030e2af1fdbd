"""List scopes: workspaces and users. A list shows one scope; detail endpoints answer project-wide."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_modelarts.emulator import EmulatorServer

RES_LIST = {"type": "etl", "current-page": 1, "page-size": 50}


def _search(client: httpx.Client, p: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v2/{p}/training-job-searches", json={"limit": 50, **body})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _ids(page: dict[str, Any]) -> set[str]:
    return {item["metadata"]["id"] for item in page["items"]}


def _v1_ids(client: httpx.Client, path: str, **params: Any) -> set[str]:
    response = client.get(path, params={"per_page": 1000, **params})
    assert response.status_code == 200, response.text
    return {str(job["job_id"]) for job in response.json()["jobs"]}


def _config(raw: httpx.Client, **changes: Any) -> None:
    assert raw.post("/_emulator/config", json=changes).status_code == 200


# ---- workspaces -----------------------------------------------------------------------------


V1_LISTS = [
    ("training_v1", "/v1/{p}/training-jobs", "/v1/{p}/training-jobs/{id}/versions", {}),
    ("visualization", "/v1/{p}/visualization-jobs", "/v1/{p}/visualization-jobs/{id}", {}),
    ("res", "/v1/{p}/jobs", "/v1/{p}/jobs/{id}", RES_LIST),
]


@pytest.mark.parametrize(("family", "path", "detail", "params"), V1_LISTS)
def test_a_job_of_another_workspace_answers_on_detail_but_not_in_a_default_list(
    emu: EmulatorServer,
    client: httpx.Client,
    p: str,
    family: str,
    path: str,
    detail: str,
    params: dict[str, Any],
) -> None:
    (home,) = emu.seed(family, name="home")
    (away,) = emu.seed(family, name="away", workspace_id="w1")
    assert client.get(detail.format(p=p, id=away)).status_code == 200
    url = path.format(p=p)
    assert _v1_ids(client, url, **params) == {home}
    assert _v1_ids(client, url, **params, workspace_id="0") == {home}
    assert _v1_ids(client, url, **params, workspace_id="w1") == {away}


def test_v2_search_is_one_workspace_and_the_default_is_a_knob(
    emu: EmulatorServer, client: httpx.Client, raw: httpx.Client, p: str
) -> None:
    (home,) = emu.seed("training", name="home")
    (away,) = emu.seed("training", name="away", workspace_id="w1")
    detail = client.get(f"/v2/{p}/training-jobs/{away}")
    assert detail.status_code == 200 and detail.json()["metadata"]["workspace_id"] == "w1"
    default = _search(client, p)
    assert _ids(default) == {home} and (default["total"], default["workspace_id"]) == (1, "0")
    named = _search(client, p, workspace_id="w1")
    assert _ids(named) == {away} and (named["total"], named["workspace_id"]) == (1, "w1")

    _config(raw, v2_search_default_workspace=None)
    everywhere = _search(client, p)
    assert _ids(everywhere) == {home, away} and everywhere["total"] == 2
    assert _ids(_search(client, p, workspace_id="0")) == {home}
    _config(raw, v2_search_default_workspace="w1")
    assert _ids(_search(client, p)) == {away}


def test_jobs_created_in_a_workspace_stay_there(client: httpx.Client, p: str) -> None:
    v2 = client.post(
        f"/v2/{p}/training-jobs", json={"kind": "job", "metadata": {"name": "ws", "workspace_id": "w2"}}
    )
    assert v2.status_code == 201 and v2.json()["metadata"]["workspace_id"] == "w2"
    v1 = client.post(f"/v1/{p}/training-jobs", json={"job_name": "ws", "config": {}, "workspace_id": "w2"})
    vis = client.post(
        f"/v1/{p}/visualization-jobs", json={"job_name": "ws", "train_url": "/b/", "workspace_id": "w2"}
    )
    assert _ids(_search(client, p)) == set()
    assert _ids(_search(client, p, workspace_id="w2")) == {v2.json()["metadata"]["id"]}
    assert _v1_ids(client, f"/v1/{p}/training-jobs") == set()
    assert _v1_ids(client, f"/v1/{p}/training-jobs", workspace_id="w2") == {str(v1.json()["job_id"])}
    assert _v1_ids(client, f"/v1/{p}/visualization-jobs") == set()
    assert _v1_ids(client, f"/v1/{p}/visualization-jobs", workspace_id="w2") == {str(vis.json()["job_id"])}


UNKNOWN_WORKSPACE = [
    ("v2", "POST", "/v2/{p}/training-job-searches", {"json": {"workspace_id": "nowhere"}}),
    ("v1", "GET", "/v1/{p}/training-jobs", {"params": {"workspace_id": "nowhere"}}),
    ("vis", "GET", "/v1/{p}/visualization-jobs", {"params": {"workspace_id": "nowhere"}}),
    ("res", "GET", "/v1/{p}/jobs", {"params": {**RES_LIST, "workspace_id": "nowhere"}}),
]


@pytest.mark.parametrize(("family", "method", "path", "kwargs"), UNKNOWN_WORKSPACE, ids=lambda v: str(v))
def test_a_list_of_an_unknown_workspace_is_0102_in_the_family_shape(
    client: httpx.Client, raw: httpx.Client, p: str, family: str, method: str, path: str, kwargs: Any
) -> None:
    response = client.request(method, path.format(p=p), **kwargs)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "ModelArts.0102"
    message = body["error_message"] if family in ("v1", "vis") else body["error_msg"]
    assert message == "The workspace does not exist"
    assert ("is_success" in body) == (family != "v2")
    _config(raw, workspaces=["nowhere"])  # a declared workspace exists, empty
    assert client.request(method, path.format(p=p), **kwargs).status_code == 200


# ---- users ----------------------------------------------------------------------------------


def test_another_users_job_answers_on_detail_but_not_in_the_v2_search(
    emu: EmulatorServer, client: httpx.Client, other: httpx.Client, p: str
) -> None:
    (mine,) = emu.seed("training", name="mine")
    (theirs,) = emu.seed("training", name="theirs", owner="emulator-user-2")
    (stranger,) = emu.seed("training", name="stranger", owner="someone-else")
    detail = client.get(f"/v2/{p}/training-jobs/{theirs}")
    assert detail.status_code == 200 and detail.json()["metadata"]["user_name"] == "emulator-user-2"
    assert client.get(f"/v2/{p}/training-jobs/{stranger}").json()["metadata"]["user_name"] == "someone-else"
    page = _search(client, p)
    assert _ids(page) == {mine} and (page["total"], page["count"]) == (1, 1)
    assert _ids(_search(other, p)) == {theirs}


def test_a_job_created_by_the_second_user_is_invisible_to_the_first(
    emu: EmulatorServer, client: httpx.Client, other: httpx.Client, raw: httpx.Client, p: str
) -> None:
    created = other.post(f"/v2/{p}/training-jobs", json={"kind": "job", "metadata": {"name": "by-two"}})
    assert created.status_code == 201
    job = created.json()["metadata"]
    assert job["user_name"] == emu.credentials.second_iam_user
    assert _ids(_search(client, p)) == set()
    assert _ids(_search(other, p)) == {job["id"]}
    assert client.get(f"/v2/{p}/training-jobs/{job['id']}").status_code == 200

    c = emu.credentials
    user = {"name": c.second_iam_user, "password": c.second_iam_password, "domain": {"name": c.iam_domain}}
    auth = {"identity": {"methods": ["password"], "password": {"user": user}}}
    issued = raw.post("/v3/auth/tokens", json={"auth": {**auth, "scope": {"project": {"id": p}}}})
    assert issued.status_code == 201 and issued.json()["token"]["user"]["name"] == c.second_iam_user
    token = {"X-Auth-Token": issued.headers["x-subject-token"]}
    by_token = raw.post(f"/v2/{p}/training-job-searches", json={}, headers=token).json()
    assert _ids(by_token) == {job["id"]}


def test_v2_user_id_filter_and_res_user_id_name_the_owner(
    emu: EmulatorServer, client: httpx.Client, other: httpx.Client, p: str
) -> None:
    c = emu.config
    (theirs,) = emu.seed("training", owner=c.second_iam_user)
    mine_filter = [{"key": "user_id", "operator": "in", "value": [c.user_id]}]
    theirs_filter = [{"key": "user_id", "operator": "in", "value": [c.second_user_id]}]
    assert _search(other, p, filters=mine_filter)["count"] == 0
    assert _ids(_search(other, p, filters=theirs_filter)) == {theirs}
    (res,) = emu.seed("res", owner=c.second_iam_user)
    assert client.get(f"/v1/{p}/jobs/{res}").json()["job"]["user_id"] == c.second_user_id


@pytest.mark.parametrize(("family", "path", "detail", "params"), V1_LISTS)
def test_v1_lists_show_every_user_unless_the_knob_says_otherwise(
    emu: EmulatorServer,
    client: httpx.Client,
    other: httpx.Client,
    raw: httpx.Client,
    p: str,
    family: str,
    path: str,
    detail: str,
    params: dict[str, Any],
) -> None:
    (mine,) = emu.seed(family, name="mine")
    (theirs,) = emu.seed(family, name="theirs", owner=emu.config.second_iam_user)
    url = path.format(p=p)
    assert _v1_ids(client, url, **params) == {mine, theirs}
    _config(raw, v1_lists_by_user=True)
    assert _v1_ids(client, url, **params) == {mine}
    assert _v1_ids(other, url, **params) == {theirs}


def test_second_user_connection(emu: EmulatorServer) -> None:
    c = emu.credentials
    second = emu.airflow_connection(user="second")
    assert (second["login"], second["password"]) == (c.second_access_key, c.second_secret_key)
    token = emu.airflow_connection("token", user="second")
    assert (token["login"], token["password"]) == (c.second_iam_user, c.second_iam_password)
    with pytest.raises(ValueError, match="temporary"):
        emu.airflow_connection("temporary", user="second")


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("v2_search_default_workspace", None, ""),
        ("v1_lists_by_user", True, "yes"),
        ("workspaces", ["w"], "w"),
    ],
)
def test_scope_knobs_are_checked(raw: httpx.Client, key: str, good: Any, bad: Any) -> None:
    accepted = raw.post("/_emulator/config", json={key: good})
    assert accepted.status_code == 200 and accepted.json()["config"][key] == good
    assert raw.post("/_emulator/config", json={key: bad}).status_code == 400


def test_seed_checks_its_scope_keys(raw: httpx.Client) -> None:
    good = {"family": "training", "workspace_id": "w9", "owner": "anyone"}
    assert raw.post("/_emulator/seed", json=good).status_code == 200
    for entry in ({"family": "training", "workspace_id": ""}, {"family": "training", "owner": 7}):
        assert raw.post("/_emulator/seed", json=entry).status_code == 400
