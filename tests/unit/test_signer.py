"""The SDK-HMAC-SHA256 signer against every test vector in the API reference (TV-1 ... TV-8)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import pytest

from airflow_provider_modelarts.auth import signer
from airflow_provider_modelarts.auth.aksk import AkSkAuth

P = "0123456789abcdef0123456789abcdef"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"


def _sdk_headers(date: str) -> dict[str, str]:
    return {"Host": "service.endpoint.myhuaweicloud.com", "X-Sdk-Date": date, "TEST_UNDERSCORE": "TEST_VALUE"}


@pytest.mark.parametrize(
    ("method", "body", "canonical_hash_line", "expected_signature"),
    [
        pytest.param(
            "GET",
            b"",
            "de94dd1e1ccdb730b403ce35d7e14f7c7b04337f6def1c3a3a2ba936852b133f",
            "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842",
            id="TV-1",
        ),
        pytest.param(
            "POST",
            b'{"name":"test","id":1}',
            "2b1b2515e48cb55e043ff2ec5b93d3f13ec287e1da1d7a2e4e14b0611a341969",
            "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
            id="TV-2",
        ),
    ],
)
def test_official_sdk_vectors(method: str, body: bytes, canonical_hash_line: str, expected_signature: str):
    headers = _sdk_headers("20200608T023900Z")
    names = signer.signable_header_names(headers)
    assert names == ["host", "x-sdk-date"]  # the underscore header is never signed
    canonical = signer.canonical_request(method, "/resources", [("size", "1")], headers, names, body)
    assert hashlib.sha256(canonical.encode()).hexdigest() == canonical_hash_line
    value = signer.sign(
        access_key="AccessKey",
        secret_key="SecretKey",
        method=method,
        path="/resources",
        query=[("size", "1")],
        headers=headers,
        body=body,
    )
    assert value == (
        f"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature={expected_signature}"
    )


def test_tv1_canonical_request_text():
    headers = _sdk_headers("20200608T023900Z")
    canonical = signer.canonical_request(
        "GET", "/resources", [("size", "1")], headers, ["host", "x-sdk-date"], b""
    )
    assert canonical == (
        "GET\n/resources/\nsize=1\nhost:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n\n"
        "host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_tv3_canonical_query_string():
    params = [
        ("limit", 1),
        ("enable", True),
        ("test", "一 (&=?!#%.*)"),
        ("path", "/tmp/123"),
        ("multi", [1, 2, 3]),
    ]
    assert signer.canonical_query(params) == (
        "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123"
        "&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
    )


def test_tv4_documentation_example():
    headers = {
        "Content-Type": "application/json",
        "Host": "service.region.example.com",
        "X-Sdk-Date": "20191115T033655Z",
    }
    query = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
    path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    names = signer.signable_header_names(headers)
    canonical = signer.canonical_request("GET", path, query, headers, names, b"")
    assert canonical == (
        "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
        "content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n"
        "content-type;host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert signer.string_to_sign(canonical, "20191115T033655Z") == (
        "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    )
    assert signer.sign(
        access_key="QTWAOYTTINDUT2QVKYUC",
        secret_key="MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
        method="GET",
        path=path,
        query=query,
        headers=headers,
        body=b"",
    ) == (
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    )


DERIVED = [
    pytest.param(
        "DELETE",
        f"https://modelarts.eu-de.otc.t-systems.com/v2/{P}/training-jobs/{JOB}",
        None,
        "2abea064f90b696a440a9bf0ad95768ec091b4b336cc90bcd9b66cfad1b23469",
        "a98774e6f386b984e8c730635f43eec17de6de178623a71eb62b8016d74fa51a",
        id="TV-5",
    ),
    pytest.param(
        "GET",
        f"https://modelarts.eu-de.otc.t-systems.com/v1/{P}/training-jobs?per_page=10&page=1&status=12",
        None,
        "e5565d6c92f2ece9f3a3c6d654227f59364ea8fb35cb77e7571aa7b482e6d468",
        "bb5c377e3fa985137fd6a29c4c7e2e8a223e19644e6a0115965ae45a9d1ba9b1",
        id="TV-6",
    ),
    pytest.param(
        "POST",
        f"https://modelarts.eu-de.otc.t-systems.com/v2/{P}/training-jobs/{JOB}/actions",
        b'{"action_type":"terminate"}',
        "fbcea08dcf93c2c6e35e7b01ae1c7a905bce8cea10e6a04db1785c945dd96364",
        "874e392bb38bc96dda57e62c1bf37381135566ef8235cdb56a0ac200dce4e213",
        id="TV-7",
    ),
    pytest.param(
        "DELETE",
        f"https://res.cn-north-4.myhuaweicloud.com/v1/{P}/del-job",
        b'{"job_id":"aa22ac78f14142eaa7deacc8e88d477e","type":"etl"}',
        "df61663fe6701d6fd5786779c765efbc504e24c101532d545c90d770c423e5b8",
        "5fae33459be80ad10bcfb9f976aa4a8114114a232a7539b943079e6926ded32a",
        id="TV-8",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "canonical_sha", "expected_signature"), DERIVED)
def test_derived_vectors_through_the_httpx_auth(method, url, body, canonical_sha, expected_signature):
    """TV-5..8 end to end: the real httpx request, signed by AkSkAuth, carries the expected header."""
    clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)  # noqa: E731
    request = httpx.Request(
        method,
        url,
        content=body,
        headers={"Content-Type": "application/json", "X-Project-Id": P},
    )
    # httpx adds Content-Length for bodies; the SDK signs only host, content-type and X- headers.
    AkSkAuth("AccessKey", "SecretKey", clock=clock).sign(request)
    parsed = signer.parse_authorization(request.headers["Authorization"])
    assert parsed is not None
    assert parsed.signed_headers == ["content-type", "host", "x-project-id", "x-sdk-date"]
    canonical = signer.canonical_request(
        method,
        request.url.path,
        request.url.params.multi_items(),
        request.headers,
        parsed.signed_headers,
        request.content,
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == canonical_sha
    assert parsed.signature == expected_signature


def test_security_token_is_sent_and_signed():
    request = httpx.Request("GET", "https://modelarts.cn-north-4.myhuaweicloud.com/v2/p/training-jobs/x")
    AkSkAuth("AK", "SK", security_token="tok").sign(request)
    parsed = signer.parse_authorization(request.headers["Authorization"])
    assert request.headers["X-Security-Token"] == "tok"
    assert parsed is not None and "x-security-token" in parsed.signed_headers


def test_every_retry_is_signed_afresh():
    moments = iter([datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC), datetime(2024, 1, 1, 0, 5, 0, tzinfo=UTC)])
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["X-Sdk-Date"], request.headers["Authorization"]))
        return httpx.Response(503 if len(seen) == 1 else 200, json={})

    auth = AkSkAuth("AK", "SK", clock=lambda: next(moments))
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.get("https://h/v2/p/x")
        client.get("https://h/v2/p/x")
    assert seen[0][0] == "20240101T000000Z" and seen[1][0] == "20240101T000500Z"
    assert seen[0][1] != seen[1][1]


def test_parse_authorization_rejects_other_schemes():
    assert signer.parse_authorization("Bearer abc") is None
    assert signer.parse_authorization("SDK-HMAC-SHA256 Access=a, SignedHeaders=host, Signature=zz") is None


def test_repr_hides_the_secret_key():
    assert "SK-SECRET" not in repr(AkSkAuth("AK", "SK-SECRET"))
