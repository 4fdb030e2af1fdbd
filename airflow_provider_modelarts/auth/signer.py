"""The ``SDK-HMAC-SHA256`` algorithm of Huawei Cloud's API gateway.

Pure functions over bytes and strings so that the client (which signs) and the emulator (which
verifies what it received) share one implementation. Follows the official SDK signer: names with
``_`` are never signed, the canonical URI always ends in ``/``, the SK is the HMAC key as is.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()

_AUTHORIZATION_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<access>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-fA-F]+)$"
)


def _encode(value: str) -> str:
    return quote(value, safe="~")


def format_date(moment: datetime) -> str:
    """The ``X-Sdk-Date`` form of a moment (always UTC)."""
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def parse_date(value: str) -> datetime:
    """Parse an ``X-Sdk-Date`` value; raises ``ValueError`` on any other form."""
    return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)


def canonical_uri(path: str) -> str:
    segments = [_encode(segment) for segment in unquote(path).split("/")]
    uri = "/".join(segments)
    return uri if uri.endswith("/") else uri + "/"


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_query(params: Iterable[tuple[str, object]]) -> str:
    """Sorted, RFC 3986 encoded query; list values expand to one pair per (sorted) value."""
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        values = value if isinstance(value, list | tuple) else [value]
        grouped.setdefault(_encode(str(key)), []).extend(_encode(_query_text(v)) for v in values)
    return "&".join(f"{key}={value}" for key in sorted(grouped) for value in sorted(grouped[key]))


def signable_header_names(headers: Iterable[str]) -> list[str]:
    """Lower-cased, sorted names the SDK signs: all but ``Authorization`` and names with ``_``."""
    names = {name.lower() for name in headers}
    return sorted(name for name in names if "_" not in name and name != "authorization")


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    lowered = {name.lower(): value for name, value in headers.items()}
    declared = lowered.get(CONTENT_SHA256_HEADER.lower())
    if declared and body:
        return declared
    return hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, object]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
) -> str:
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    header_lines = "".join(f"{name}:{lowered.get(name, '')}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            header_lines,
            ";".join(signed_headers),
            payload_hash(body, headers),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key: str, signed_headers: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed_headers)}, Signature={sig}"


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    access_key: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Split an ``Authorization`` header of this algorithm; ``None`` when it is not one."""
    match = _AUTHORIZATION_RE.match(value.strip())
    if match is None:
        return None
    return ParsedAuthorization(
        access_key=match["access"],
        signed_headers=match["signed"].split(";"),
        signature=match["signature"].lower(),
    )


def sign(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, object]],
    headers: Mapping[str, str],
    body: bytes,
    signed_headers: list[str] | None = None,
) -> str:
    """The ``Authorization`` value for a request whose headers already carry ``X-Sdk-Date``/``Host``."""
    names = signed_headers if signed_headers is not None else signable_header_names(headers)
    lowered = {name.lower(): value for name, value in headers.items()}
    canonical = canonical_request(method, path, query, headers, names, body)
    sig = signature(secret_key, string_to_sign(canonical, lowered[DATE_HEADER.lower()]))
    return authorization(access_key, names, sig)
