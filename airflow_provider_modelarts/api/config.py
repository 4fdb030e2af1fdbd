"""The connection contract: what a ``modelarts`` connection holds, parsed and checked once.

Built from an Airflow connection by the hook, but free of Airflow itself so that the emulator,
benchmarks and tests can use it directly. Secrets are ``SecretStr`` and never reach ``repr()``,
nor any error message.

No extra key takes a short string value: Airflow registers every string value of a connection's
extras with its log masker and warns in every task log about any value shorter than 5 characters.
So the auth mode has no key of its own (an IAM ``domain_name`` selects token auth), ``cloud`` says
``opentelekomcloud`` in full, and ``verify`` is a JSON boolean beside a separate ``ca_bundle``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.endpoints import (
    Cloud,
    EndpointError,
    Service,
    console_url,
    default_endpoint,
    normalize_endpoint,
)

ENV_ACCESS_KEY = "HUAWEICLOUD_SDK_AK"
ENV_SECRET_KEY = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
DEFAULT_TIMEOUT = 30.0

EXTRA_KEYS = (
    "region",
    "project_id",
    "cloud",
    "domain_name",
    "security_token",
    "iam_endpoint",
    "res_endpoint",
    "verify",
    "ca_bundle",
    "timeout",
    "allow_insecure_http",
)
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class AuthType(StrEnum):
    """How requests are authenticated; chosen by the connection (``domain_name`` means token)."""

    AKSK = "aksk"
    TOKEN = "token"


class ConnectionConfig(BaseModel):
    """Everything needed to talk to ModelArts, IAM and RES for one connection."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    auth_type: AuthType = AuthType.AKSK
    access_key: str | None = None
    secret_key: SecretStr | None = None
    security_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    domain_name: str | None = None
    region: str
    project_id: str | None = None
    cloud: Cloud = Cloud.HUAWEICLOUD
    modelarts_endpoint: str | None = None
    iam_endpoint: str | None = None
    res_endpoint: str | None = None
    verify: bool | str = True  # False, True, or the path of a CA bundle (from ``ca_bundle``)
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=600)
    # Plain http to a host that is not loopback: AK/SK auth only, and only when asked for.
    allow_insecure_http: bool = False

    @field_validator("access_key", "secret_key", "security_token", mode="before")
    @classmethod
    def _credential(cls, value: Any) -> Any:
        return _clean_credential(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return ids.region(value)

    @field_validator("project_id")
    @classmethod
    def _project(cls, value: str | None) -> str | None:
        return None if value in (None, "") else ids.project_id(value)

    @field_validator("modelarts_endpoint", "iam_endpoint", "res_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None, info: Any) -> str | None:
        return None if not value else normalize_endpoint(value, info.field_name)

    @model_validator(mode="after")
    def _credentials(self) -> ConnectionConfig:
        if self.auth_type is AuthType.AKSK:
            if not self.access_key or not self.secret_key or not self.secret_key.get_secret_value():
                raise ValueError(
                    "AK/SK auth needs an access key (login) and a secret key (password), "
                    f"or {ENV_ACCESS_KEY}/{ENV_SECRET_KEY} in the environment"
                )
            if self.domain_name:
                raise ValueError("domain_name selects IAM token auth; AK/SK auth takes no domain_name")
        else:
            if not self.username or not self.password or not self.domain_name:
                raise ValueError(
                    "IAM token auth (extra 'domain_name' is set) needs the IAM user name (login) "
                    "and its password"
                )
            if self.security_token is not None:
                raise ValueError(
                    "a security_token goes with temporary AK/SK credentials, not with IAM token auth "
                    "(remove domain_name or security_token)"
                )
        return self

    @model_validator(mode="after")
    def _listed_region(self) -> ConnectionConfig:
        """A region without a listed ModelArts endpoint (a misspelt one, say) needs the ``host``
        override: no host name is made up for it."""
        if not self.modelarts_endpoint:
            default_endpoint(Service.MODELARTS, self.cloud, self.region)  # EndpointError is a ValueError
        return self

    @model_validator(mode="after")
    def _encrypted(self) -> ConnectionConfig:
        insecure = self.insecure_endpoints()
        if not insecure:
            return self
        if self.auth_type is AuthType.TOKEN:
            raise ValueError(
                f"plain http to {', '.join(insecure)} would send the IAM password or tokens unencrypted; "
                "IAM token auth needs https (or a loopback host)"
            )
        if not self.allow_insecure_http:
            raise ValueError(
                f"plain http to {', '.join(insecure)} would send signed requests unencrypted; use https, "
                "or set extra allow_insecure_http to true (AK/SK auth only)"
            )
        return self

    def insecure_endpoints(self) -> list[str]:
        """The endpoint overrides (``host``, ``iam_endpoint``, ``res_endpoint``) that are plain http
        to a host that is not loopback (127.0.0.0/8, ::1, ``localhost``)."""
        overrides = (self.modelarts_endpoint, self.iam_endpoint, self.res_endpoint)
        return [
            url
            for url in overrides
            if url and urlsplit(url).scheme.lower() == "http" and not _is_loopback(url)
        ]

    def auth_description(self) -> str:
        """Which credentials are in use, in words (no secret): for messages such as the connection test."""
        if self.auth_type is AuthType.TOKEN:
            return f"IAM token auth (user {self.username}, domain {self.domain_name})"
        if self.security_token is not None:
            return "temporary AK/SK auth with a security token"
        return "AK/SK auth"

    def endpoint(self, service: Service) -> str:
        override = {
            Service.MODELARTS: self.modelarts_endpoint,
            Service.IAM: self.iam_endpoint,
            Service.RES: self.res_endpoint,
        }[service]
        if override:
            return override
        if (
            service is not Service.MODELARTS
            and self.modelarts_endpoint
            and _is_loopback(self.modelarts_endpoint)
        ):
            return self.modelarts_endpoint  # a local emulator serves all three services on one port
        return default_endpoint(service, self.cloud, self.region)

    def endpoint_origin(self, service: Service) -> str:
        """Where :meth:`endpoint` took ``service``'s endpoint from, in words."""
        override = {
            Service.MODELARTS: ("host", self.modelarts_endpoint),
            Service.IAM: ("extra iam_endpoint", self.iam_endpoint),
            Service.RES: ("extra res_endpoint", self.res_endpoint),
        }[service]
        if override[1]:
            return f"the connection's {override[0]}"
        shared = self.modelarts_endpoint and _is_loopback(self.modelarts_endpoint)
        if service is not Service.MODELARTS and shared:
            return "the connection's host (a loopback host serves every service)"
        return f"derived from the region ({self.cloud.value})"

    def describe_endpoint(self, service: Service) -> str:
        """The host a request to ``service`` goes to, the region, and where the endpoint came from."""
        try:
            url = self.endpoint(service)
        except EndpointError as exc:
            return f"no {service.value} endpoint: {exc}"
        host = urlsplit(url).netloc
        return f"host {host} (region {self.region!r}, endpoint {self.endpoint_origin(service)})"

    def console_url(self) -> str | None:
        """The region's job list in the public web console; ``None`` when ModelArts is reached at
        another endpoint (a private deployment, the emulator): the public console does not show it."""
        try:
            public = default_endpoint(Service.MODELARTS, self.cloud, self.region)
        except EndpointError:
            return None
        if self.modelarts_endpoint not in (None, public):
            return None
        return console_url(self.cloud, self.region)

    def secrets(self) -> list[str]:
        """The secret values this config holds, for registering with the log masker."""
        found = (self.secret_key, self.security_token, self.password)
        return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]

    def identity(self) -> str:
        """A stable, secret-free key for sharing clients and tokens between callers."""
        parts = [
            self.auth_type.value,
            self.access_key or "",
            self.username or "",
            self.domain_name or "",
            self.region,
            self.project_id or "",
            self.endpoint(Service.MODELARTS),
            str(self.verify),
            # Different secrets for the same AK must not share a client; hash, never show them.
            hashlib.sha256("\0".join(self.secrets()).encode()).hexdigest()[:16],
        ]
        return "|".join(parts)

    @classmethod
    def from_connection_fields(
        cls,
        *,
        login: str | None,
        password: str | None,
        host: str | None,
        extra: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> ConnectionConfig:
        """Parse an Airflow connection's fields; empty AK/SK fall back to the SDK's env variables.

        Extra ``domain_name`` selects IAM token auth (login and password are then the IAM user's);
        without it, requests are signed with the AK/SK.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for key in EXTRA_KEYS:
            value = extra.get(key, extra.get(f"extra__modelarts__{key}"))
            if value not in (None, ""):
                values[key] = value
        values.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
        auth_type = AuthType.TOKEN if values.get("domain_name") else AuthType.AKSK
        values["verify"] = _as_verify(values.pop("verify", True), values.pop("ca_bundle", None))
        values["allow_insecure_http"] = _as_bool(
            "allow_insecure_http", values.pop("allow_insecure_http", False)
        )
        if auth_type is AuthType.AKSK:
            values["access_key"] = login or env.get(ENV_ACCESS_KEY)
            values["secret_key"] = password or env.get(ENV_SECRET_KEY)
            if "security_token" not in values and not login and env.get(ENV_SECURITY_TOKEN):
                values["security_token"] = env[ENV_SECURITY_TOKEN]
        else:
            values["username"] = login
            values["password"] = password
        if host:
            values["modelarts_endpoint"] = host if "://" in host else f"https://{host}"
        if "region" not in values:
            raise ValueError("the connection needs extra 'region' (for example 'cn-north-4' or 'eu-de')")
        try:
            return cls(auth_type=auth_type, **values)
        except ValidationError as exc:
            # Pydantic's own text repeats the input, secrets included: keep only the reasons.
            reasons = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'connection'}: {error['msg']}"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise ValueError(f"invalid modelarts connection: {reasons}") from None


def _as_bool(name: str, value: object, hint: str = "") -> bool:
    """A JSON boolean, or ``"true"``/``"false"`` as URI-style connections give it."""
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in _TRUE:
        return True
    if str(value).strip().lower() in _FALSE:
        return False
    raise ValueError(f"{name}: {value!r} is not true or false{hint}")


def _as_verify(verify: object, ca_bundle: object) -> bool | str:
    """``verify`` (a boolean; ``"true"``/``"false"`` as URI-style connections give it) and
    ``ca_bundle`` (the path of a CA bundle file) as one httpx ``verify`` value."""
    check = _as_bool("verify", verify, " (a CA bundle path goes in extra 'ca_bundle')")
    if ca_bundle in (None, ""):
        return check
    if not check:
        raise ValueError("ca_bundle is set but verify is false: remove one of them")
    path = str(ca_bundle).strip()
    if not Path(path).is_file():
        raise ValueError(f"ca_bundle: {path!r} is not a file")
    return path


def _clean_credential(value: Any) -> Any:
    """An AK, SK or security token without surrounding whitespace; refused (without showing it)
    if it holds anything but printable ASCII, as a stray newline inside would end up in a header."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not (text.isascii() and text.isprintable()) or any(ch.isspace() for ch in text):
        raise ValueError("holds a space, a control or a non-ASCII character (the value is not shown)")
    return text


def _is_loopback(url: str) -> bool:
    """Whether the URL's host is ``localhost`` or a loopback IP address (127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
