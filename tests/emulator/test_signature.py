"""The emulator's own ``SDK-HMAC-SHA256`` verifier against the published signing test vectors.

TV-1 and TV-2 are the official SDK's signer tests, TV-3 its canonical query test, TV-4 the
API-signing guide's worked example; TV-5 to TV-8 were derived with the official SDK signer for
the requests this provider makes (ModelArts v2, v1 and the RES ``del-job`` with its body).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from airflow_provider_modelarts.emulator import signature

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SDK_HEADERS = {"host": "service.endpoint.myhuaweicloud.com", "x-sdk-date": "20200608T023900Z"}
SDK_HEADERS_WITH_UNDERSCORE = {**SDK_HEADERS, "test_underscore": "TEST_VALUE"}


@pytest.mark.parametrize(
    ("method", "body", "canonical", "hash_line", "authorization"),
    [
        pytest.param(
            "GET",
            b"",
            "GET\n/resources/\nsize=1\nhost:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n\n"
            f"host;x-sdk-date\n{EMPTY_SHA256}",
            "de94dd1e1ccdb730b403ce35d7e14f7c7b04337f6def1c3a3a2ba936852b133f",
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
            "Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842",
            id="TV-1",
        ),
        pytest.param(
            "POST",
            b'{"name":"test","id":1}',
            "POST\n/resources/\nsize=1\nhost:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n\n"
            "host;x-sdk-date\n8ed555081b9961769014bc1182c629bb0fe68d7b01c1fc1caab4dc791f377e8c",
            "2b1b2515e48cb55e043ff2ec5b93d3f13ec287e1da1d7a2e4e14b0611a341969",
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, "
            "Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
            id="TV-2",
        ),
    ],
)
def test_the_official_sdk_vectors(
    method: str, body: bytes, canonical: str, hash_line: str, authorization: str
) -> None:
    parsed = signature.parse_authorization(authorization)
    assert parsed is not None and parsed.access_key == "AccessKey"
    # The header with "_" in its name is sent but not signed (the SDK's rule): it is not in the list.
    headers = SDK_HEADERS_WITH_UNDERSCORE
    built = signature.canonical_request(
        method, "/resources", [("size", "1")], headers, parsed.signed_headers, body
    )
    assert built == canonical
    to_sign = signature.string_to_sign(built, "20200608T023900Z")
    assert to_sign == f"SDK-HMAC-SHA256\n20200608T023900Z\n{hash_line}"
    assert signature.sign("SecretKey", to_sign) == parsed.signature
    request = {"method": method, "raw_path": "/resources", "query": [("size", "1")], "headers": headers}
    assert signature.is_valid(parsed, "SecretKey", **request, body=body)
    assert not signature.is_valid(parsed, "OtherKey", **request, body=body)
    assert not signature.is_valid(parsed, "SecretKey", **request, body=body + b" ")


def test_the_official_canonical_query_vector() -> None:
    # TV-3: [("limit",1),("enable",True),("test","一 (&=?!#%.*)"),("path","/tmp/123"),("multi",[1,2,3])]
    # as the query a server receives: one pair per value, booleans written true/false.
    pairs = [
        ("limit", "1"),
        ("enable", "true"),
        ("test", "一 (&=?!#%.*)"),
        ("path", "/tmp/123"),
        ("multi", "3"),
        ("multi", "1"),
        ("multi", "2"),
    ]
    assert signature.canonical_query(pairs) == (
        "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123"
        "&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
    )


def test_the_signing_guide_example() -> None:
    # TV-4: the API-signing guide's GET .../vpcs?limit=2&marker=... example.
    headers = {
        "content-type": "application/json",
        "host": "service.region.example.com",
        "x-sdk-date": "20191115T033655Z",
    }
    authorization = (
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    )
    parsed = signature.parse_authorization(authorization)
    assert parsed is not None
    query = [("marker", "13551d6b-755d-4757-b956-536f674975c0"), ("limit", "2")]
    path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    canonical = signature.canonical_request("GET", path, query, headers, parsed.signed_headers, b"")
    assert canonical == (
        "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
        "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
        "content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n"
        f"content-type;host;x-sdk-date\n{EMPTY_SHA256}"
    )
    assert signature.string_to_sign(canonical, "20191115T033655Z") == (
        "SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    )
    secret = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
    request = {"method": "GET", "raw_path": path, "query": query, "headers": headers, "body": b""}
    assert signature.is_valid(parsed, secret, **request)


P = "0123456789abcdef0123456789abcdef"
JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"


@pytest.mark.parametrize(
    ("method", "host", "path", "query", "body", "canonical_sha256", "sig"),
    [
        pytest.param(
            "DELETE",
            "modelarts.eu-de.otc.t-systems.com",
            f"/v2/{P}/training-jobs/{JOB}",
            [],
            b"",
            "2abea064f90b696a440a9bf0ad95768ec091b4b336cc90bcd9b66cfad1b23469",
            "a98774e6f386b984e8c730635f43eec17de6de178623a71eb62b8016d74fa51a",
            id="TV-5",
        ),
        pytest.param(
            "GET",
            "modelarts.eu-de.otc.t-systems.com",
            f"/v1/{P}/training-jobs",
            [("per_page", "10"), ("page", "1"), ("status", "12")],
            b"",
            "e5565d6c92f2ece9f3a3c6d654227f59364ea8fb35cb77e7571aa7b482e6d468",
            "bb5c377e3fa985137fd6a29c4c7e2e8a223e19644e6a0115965ae45a9d1ba9b1",
            id="TV-6",
        ),
        pytest.param(
            "POST",
            "modelarts.eu-de.otc.t-systems.com",
            f"/v2/{P}/training-jobs/{JOB}/actions",
            [],
            b'{"action_type":"terminate"}',
            "fbcea08dcf93c2c6e35e7b01ae1c7a905bce8cea10e6a04db1785c945dd96364",
            "874e392bb38bc96dda57e62c1bf37381135566ef8235cdb56a0ac200dce4e213",
            id="TV-7",
        ),
        pytest.param(
            "DELETE",
            "res.cn-north-4.myhuaweicloud.com",
            f"/v1/{P}/del-job",
            [],
            b'{"job_id":"aa22ac78f14142eaa7deacc8e88d477e","type":"etl"}',
            "df61663fe6701d6fd5786779c765efbc504e24c101532d545c90d770c423e5b8",
            "5fae33459be80ad10bcfb9f976aa4a8114114a232a7539b943079e6926ded32a",
            id="TV-8",
        ),
    ],
)
def test_the_derived_vectors_of_this_providers_requests(
    method: str,
    host: str,
    path: str,
    query: list[tuple[str, str]],
    body: bytes,
    canonical_sha256: str,
    sig: str,
) -> None:
    headers = {
        "content-type": "application/json",
        "host": host,
        "x-project-id": P,
        "x-sdk-date": "20240101T000000Z",
    }
    signed = ("content-type", "host", "x-project-id", "x-sdk-date")
    canonical = signature.canonical_request(method, path, query, headers, signed, body)
    assert hashlib.sha256(canonical.encode()).hexdigest() == canonical_sha256
    parsed = signature.Authorization("AccessKey", signed, sig)
    request = {"method": method, "raw_path": path, "query": query, "headers": headers}
    assert signature.is_valid(parsed, "SecretKey", **request, body=body)


def test_the_path_is_decoded_then_encoded_segment_by_segment() -> None:
    # The guide: URL-decode the path, percent-encode each segment, append "/".
    assert signature.canonical_uri("/a%20b/c~d/e%2Ff") == "/a%20b/c~d/e/f/"
    assert signature.canonical_uri("/x/") == "/x/"
    assert signature.percent_encode("a b*+é") == "a%20b%2A%2B%C3%A9"


def test_authorization_and_date_forms() -> None:
    assert signature.parse_authorization("Bearer abc") is None
    assert (
        signature.parse_authorization("SDK-HMAC-SHA256 Access=a, SignedHeaders=host, Signature=xyz") is None
    )
    parsed = signature.parse_authorization(
        "SDK-HMAC-SHA256 Access=a, SignedHeaders=Host;X-Sdk-Date, Signature=AB"
    )
    assert parsed == signature.Authorization("a", ("host", "x-sdk-date"), "ab")
    assert signature.parse_sdk_date("20191115T033655Z") == datetime(2019, 11, 15, 3, 36, 55, tzinfo=UTC)
    for bad in ("2019-11-15T03:36:55Z", "20191115T033655", "20191115T033655Z "):
        with pytest.raises(ValueError, match=r"X-Sdk-Date"):
            signature.parse_sdk_date(bad)


def test_a_declared_content_hash_replaces_the_body_hash_only_with_a_body() -> None:
    headers = {"x-sdk-content-sha256": "UNSIGNED-PAYLOAD"}
    assert signature.payload_hash(b"data", headers) == "UNSIGNED-PAYLOAD"
    assert signature.payload_hash(b"", headers) == EMPTY_SHA256
