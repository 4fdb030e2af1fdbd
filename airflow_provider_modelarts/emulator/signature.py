"""Verification of an ``SDK-HMAC-SHA256`` signature (AK/SK), as Huawei Cloud's API-signing guide
describes it; written from that guide, independently of the client's signer.

The steps, in the guide's order:

1. ``CanonicalRequest`` = method, canonical URI, canonical query string, canonical headers,
   signed headers and the payload hash, joined with ``\\n``.

   * The canonical URI is the path, URL-decoded, split on ``/``, each segment percent-encoded
     (everything but the RFC 3986 unreserved characters ``A-Z a-z 0-9 - _ . ~``), joined again,
     with a ``/`` appended when it does not end with one.
   * The canonical query string is every parameter encoded the same way, sorted by name (values of
     one name sorted too), as ``name=value`` joined with ``&``.
   * The canonical headers are ``name:value\\n`` for each signed header (name lower-cased, value
     stripped of surrounding white space), so the part ends with an empty line.
   * The payload hash is the lower-case hex SHA-256 of the body as sent (an empty body hashes
     ``b""``); when the request carries ``X-Sdk-Content-Sha256`` and a body, its value is used.

2. ``StringToSign`` = ``SDK-HMAC-SHA256\\n`` + the ``X-Sdk-Date`` value + ``\\n`` + the lower-case
   hex SHA-256 of the canonical request.
3. The signature is the lower-case hex HMAC-SHA256 of the string to sign, keyed with the SK.
4. ``Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>``.

The verifier recomputes the signature over what it received, with the signed headers the
``Authorization`` header names. Which headers a client must sign, and the time window of
``X-Sdk-Date``, are the caller's checks (:mod:`.auth`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "x-sdk-date"
CONTENT_SHA256_HEADER = "x-sdk-content-sha256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"  # e.g. 20191115T033655Z, always UTC

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_AUTHORIZATION = re.compile(
    r"SDK-HMAC-SHA256 +Access=(?P<access>[^,\s]+), *SignedHeaders=(?P<signed>[^,\s]+), *"
    r"Signature=(?P<signature>[0-9a-fA-F]+)"
)


@dataclass(frozen=True, slots=True)
class Authorization:
    """The parts of an ``Authorization`` header of this algorithm."""

    access_key: str
    signed_headers: tuple[str, ...]  # lower-case, in the order the header lists them
    signature: str  # lower-case hex


def parse_authorization(value: str) -> Authorization | None:
    """The parts of ``value``, or ``None`` when it is not an ``SDK-HMAC-SHA256`` authorization."""
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        return None
    names = tuple(name.lower() for name in match["signed"].split(";"))
    return Authorization(match["access"], names, match["signature"].lower())


def parse_sdk_date(value: str) -> datetime:
    """The moment an ``X-Sdk-Date`` value names; ``ValueError`` when it is not ``YYYYMMDDTHHMMSSZ``."""
    if re.fullmatch(r"\d{8}T\d{6}Z", value) is None:
        raise ValueError(f"not an X-Sdk-Date: {value!r}")
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)


def percent_encode(text: str | bytes) -> str:
    """``text`` as UTF-8, every byte outside the RFC 3986 unreserved set written ``%XX``."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return "".join(chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in raw)


def canonical_uri(raw_path: str) -> str:
    uri = "/".join(percent_encode(segment) for segment in unquote_to_bytes(raw_path).split(b"/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    declared = headers.get(CONTENT_SHA256_HEADER)
    if declared and body:
        return declared
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    raw_path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    body: bytes,
) -> str:
    """The canonical request of what was received; ``headers`` have lower-case names."""
    names = list(signed_headers)
    lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
    parts = [method.upper(), canonical_uri(raw_path), canonical_query(query), lines, ";".join(names)]
    return "\n".join([*parts, payload_hash(body, headers)])


def string_to_sign(canonical: str, sdk_date: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def sign(secret_key: str, to_sign: str) -> str:
    """The hex HMAC-SHA256 of ``to_sign`` keyed with the SK itself (no key derivation)."""
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def is_valid(
    authorization: Authorization,
    secret_key: str,
    *,
    method: str,
    raw_path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """Whether ``authorization`` signs this request with ``secret_key`` (``headers`` lower-case)."""
    canonical = canonical_request(method, raw_path, query, headers, authorization.signed_headers, body)
    expected = sign(secret_key, string_to_sign(canonical, headers.get(DATE_HEADER, "")))
    return hmac.compare_digest(expected, authorization.signature)
