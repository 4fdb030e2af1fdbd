"""The connection contract: what a ``modelarts`` connection holds, parsed and checked once.

Built from an Airflow connection by the hook, but free of Airflow itself so that the emulator,
benchmarks and tests can use it directly. Secrets are ``SecretStr`` and never reach ``repr()``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

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
from airflow_provider_modelarts.api.endpoints import Cloud, Service, default_endpoint, normalize_endpoint

ENV_ACCESS_KEY = "HUAWEICLOUD_SDK_AK"
ENV_SECRET_KEY = "HUAWEICLOUD_SDK_SK"
ENV_SECURITY_TOKEN = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
DEFAULT_TIMEOUT = 30.0

EXTRA_KEYS = (
    "region",
    "project_id",
    "cloud",
    "auth_type",
    "security_token",
    "domain_name",
    "iam_endpoint",
    "res_endpoint",
    "verify",
    "timeout",
)


class AuthType(StrEnum):
    AKSK = "aksk"
    TOKEN = "token"


class ConnectionConfig(BaseModel):
    """Everything needed to talk to ModelArts, IAM and RES for one connection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    verify: bool | str = True
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=600)

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
                    "auth_type 'aksk' needs an access key (login) and a secret key (password), "
                    f"or {ENV_ACCESS_KEY}/{ENV_SECRET_KEY} in the environment"
                )
        else:
            if not self.username or not self.password or not self.domain_name:
                raise ValueError(
                    "auth_type 'token' needs the IAM user name (login), its password and extra 'domain_name'"
                )
        return self

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
        """Parse an Airflow connection's fields; empty AK/SK fall back to the SDK's env variables."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for key in EXTRA_KEYS:
            value = extra.get(key, extra.get(f"extra__modelarts__{key}"))
            if value not in (None, ""):
                values[key] = value
        values.update({k: v for k, v in (overrides or {}).items() if v not in (None, "")})
        raw_auth = str(values.pop("auth_type", AuthType.AKSK.value)).lower()
        try:
            auth_type = AuthType(raw_auth)
        except ValueError:
            raise ValueError(f"auth_type: {raw_auth!r} is not 'aksk' or 'token'") from None
        if "verify" in values:
            values["verify"] = _as_verify(values["verify"])
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


def _as_verify(value: object) -> bool | str:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    return text  # a CA bundle path


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
