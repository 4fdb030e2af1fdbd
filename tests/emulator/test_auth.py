from __future__ import annotations

import json

import httpx

from airflow_provider_modelarts.auth import signer
from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.emulator import EmulatorServer

from .conftest import aksk, server_clock

SEARCH = {"limit": 10}


def _gateway(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "APIGW.0301"
    assert body["error_msg"] == "Incorrect IAM authentication information: verify aksk signature fail"
    assert body["request_id"] == response.headers["x-request-id"]


def test_signed_request_passes(client: httpx.Client, p: str) -> None:
    response = client.post(f"/v2/{p}/training-job-searches", json=SEARCH)
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_wrong_secret_is_a_gateway_error(emu: EmulatorServer, p: str) -> None:
    with httpx.Client(base_url=emu.url, auth=aksk(emu, secret="not-the-secret")) as c:
        _gateway(c.post(f"/v2/{p}/training-job-searches", json=SEARCH))
    assert emu.stats()["auth_failures_by_code"] == {"APIGW.0301": 1}


def test_tampered_body_fails(emu: EmulatorServer, p: str) -> None:
    request = httpx.Request("POST", f"{emu.url}/v2/{p}/training-job-searches", json=SEARCH)
    aksk(emu).sign(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    tampered = httpx.Request("POST", request.url, headers=headers, content=json.dumps({"limit": 11}).encode())
    with httpx.Client() as c:
        _gateway(c.send(tampered))
        assert c.send(request).status_code == 200


def test_tampered_query_fails(emu: EmulatorServer, p: str) -> None:
    request = httpx.Request("GET", f"{emu.url}/v1/{p}/training-jobs", params={"per_page": "5"})
    aksk(emu).sign(request)
    tampered = httpx.Request("GET", f"{emu.url}/v1/{p}/training-jobs?per_page=6", headers=request.headers)
    with httpx.Client() as c:
        _gateway(c.send(tampered))
        assert c.send(request).status_code == 200


def test_unknown_access_key(emu: EmulatorServer, p: str) -> None:
    auth = AkSkAuth("UNKNOWNACCESSKEY0000", emu.credentials.secret_key, clock=server_clock(emu))
    with httpx.Client(base_url=emu.url, auth=auth) as c:
        response = c.post(f"/v2/{p}/training-job-searches", json=SEARCH)
    _gateway(response)
    assert "unknown access key" in response.headers["x-emulator-reason"]


def test_sdk_date_older_than_15_minutes(emu: EmulatorServer, p: str) -> None:
    c = emu.credentials
    now = server_clock(emu)
    old = AkSkAuth(c.access_key, c.secret_key, clock=lambda: now().replace(microsecond=0) - _minutes(16))
    near = AkSkAuth(c.access_key, c.secret_key, clock=lambda: now() - _minutes(14))
    with httpx.Client(base_url=emu.url) as client:
        _gateway(client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=old))
        assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=near).status_code == 200


def test_clock_skew_setting_simulates_drift(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.config.update({"clock_skew_seconds": 20 * 60})
    _gateway(client.post(f"/v2/{p}/training-job-searches", json=SEARCH))
    emu.config.update({"clock_skew_seconds": 10 * 60})
    assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH).status_code == 200


def _minutes(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(minutes=n)


def test_unsigned_date_header_is_refused(emu: EmulatorServer, p: str) -> None:
    c = emu.credentials
    request = httpx.Request("GET", f"{emu.url}/v1/{p}/training-jobs")
    request.headers[signer.DATE_HEADER] = signer.format_date(server_clock(emu)())
    request.headers["Authorization"] = signer.sign(
        access_key=c.access_key, secret_key=c.secret_key, method="GET", path=request.url.path,
        query=[], headers=request.headers, body=b"", signed_headers=["host"],
    )  # fmt: skip
    with httpx.Client() as client:
        _gateway(client.send(request))


def test_temporary_key_needs_security_token(emu: EmulatorServer, p: str) -> None:
    c = emu.credentials
    with httpx.Client(base_url=emu.url, auth=aksk(emu, temporary=True)) as client:
        assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH).status_code == 200
    without = AkSkAuth(c.temp_access_key, c.temp_secret_key, clock=server_clock(emu))
    wrong = AkSkAuth(c.temp_access_key, c.temp_secret_key, "another-token", clock=server_clock(emu))
    with httpx.Client(base_url=emu.url) as client:
        _gateway(client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=without))
        _gateway(client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=wrong))


def test_rotated_temporary_credentials_refuse_the_old_ones(emu: EmulatorServer, p: str) -> None:
    before = emu.credentials
    old = aksk(emu, temporary=True)
    connection = emu.rotate_temporary_credentials()
    after = emu.credentials
    assert after.temp_access_key != before.temp_access_key
    assert after.security_token != before.security_token and after.temp_secret_key != before.temp_secret_key
    assert connection["login"] == after.temp_access_key
    assert connection["extra"]["security_token"] == after.security_token
    with httpx.Client(base_url=emu.url) as client:
        _gateway(client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=old))
        new = aksk(emu, temporary=True)
        assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=new).status_code == 200
        plain = aksk(emu)  # the permanent AK/SK are not touched
        assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH, auth=plain).status_code == 200


def test_missing_credentials(raw: httpx.Client, p: str) -> None:
    response = raw.post(f"/v2/{p}/training-job-searches", json=SEARCH)
    assert response.status_code == 401
    assert response.json()["error_code"] == "ModelArts.0201"


def test_wrong_project_is_403(client: httpx.Client) -> None:
    response = client.post("/v2/ffffffffffffffffffffffffffffffff/training-job-searches", json=SEARCH)
    assert response.status_code == 403
    assert response.json()["error_code"] == "ModelArts.0210"


def test_res_uses_its_own_shape(raw: httpx.Client, p: str) -> None:
    response = raw.get(f"/v1/{p}/jobs", params={"type": "etl", "current-page": 1, "page-size": 10})
    assert response.status_code == 401
    assert response.json() == {
        "is_success": False,
        "error_code": "res.2301",
        "error_msg": "Failed to resolve the token from the request.",
    }


def _token(emu: EmulatorServer, raw: httpx.Client, scope: dict[str, object] | None = None) -> str:
    c = emu.credentials
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": c.iam_user, "password": c.iam_password, "domain": {"name": c.iam_domain}}
                },
            },
            "scope": scope or {"project": {"name": c.region}},
        }
    }
    response = raw.post("/v3/auth/tokens", json=body)
    assert response.status_code == 201
    return response.headers["x-subject-token"]


def test_token_auth_and_expiry(emu: EmulatorServer, raw: httpx.Client, p: str) -> None:
    emu.config.update({"token_ttl_seconds": 60})
    token = _token(emu, raw)
    headers = {"X-Auth-Token": token}
    assert raw.post(f"/v2/{p}/training-job-searches", json=SEARCH, headers=headers).status_code == 200
    wrong_project = raw.post("/v2/abc/training-job-searches", json=SEARCH, headers=headers)
    assert (wrong_project.status_code, wrong_project.json()["error_code"]) == (403, "ModelArts.0210")
    emu.advance(61)
    expired = raw.post(f"/v2/{p}/training-job-searches", json=SEARCH, headers=headers)
    assert (expired.status_code, expired.json()["error_code"]) == (401, "ModelArts.0202")
    res = raw.get(f"/v1/{p}/jobs/abc", headers=headers)
    assert (res.status_code, res.json()["error_code"]) == (401, "res.2301")
    assert emu.stats()["tokens_issued"] == 1


def test_invalid_token(raw: httpx.Client, p: str) -> None:
    response = raw.post(f"/v2/{p}/training-job-searches", json=SEARCH, headers={"X-Auth-Token": "MIIforged"})
    assert (response.status_code, response.json()["error_code"]) == (401, "ModelArts.0203")


def test_domain_token_has_no_project(emu: EmulatorServer, raw: httpx.Client, p: str) -> None:
    token = _token(emu, raw, {"domain": {"name": emu.credentials.iam_domain}})
    response = raw.post(f"/v2/{p}/training-job-searches", json=SEARCH, headers={"X-Auth-Token": token})
    assert (response.status_code, response.json()["error_code"]) == (401, "ModelArts.0212")


def test_lockout_after_more_than_five_failures(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    emu.config.update({"lockout_enabled": True})
    with httpx.Client(base_url=emu.url, auth=aksk(emu, secret="bad")) as bad:
        for _ in range(6):
            _gateway(bad.post(f"/v2/{p}/training-job-searches", json=SEARCH))
    locked = client.post(f"/v2/{p}/training-job-searches", json=SEARCH)
    _gateway(locked)
    assert "locked" in locked.headers["x-emulator-reason"]
    emu.advance(301)
    assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH).status_code == 200


def test_no_lockout_by_default(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    with httpx.Client(base_url=emu.url, auth=aksk(emu, secret="bad")) as bad:
        for _ in range(7):
            _gateway(bad.post(f"/v2/{p}/training-job-searches", json=SEARCH))
    assert client.post(f"/v2/{p}/training-job-searches", json=SEARCH).status_code == 200


def test_percent_encoded_path_and_query_are_verified_as_received(client: httpx.Client, p: str) -> None:
    response = client.get(f"/v1/{p}/training-jobs", params={"search_content": "a b*(c)", "per_page": "5"})
    assert response.status_code == 200
    response = client.get(f"/v2/{p}/training-jobs/a%20b")
    assert response.status_code == 400
    assert response.json()["error_msg"] == "Training job (ID: a b) not found."
