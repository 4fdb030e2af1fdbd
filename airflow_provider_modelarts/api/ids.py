"""Validation of every value that ends up in a URL path (and of the RES ``del-job`` body), before
any request is built.

Each validator returns the canonical form, or raises a ``ValueError`` (for ids,
:class:`InvalidIdError`) that names the field. Path segments are percent-encoded on top of this by
:func:`path`, so even a value that slipped past a validator could not change the route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import quote

from airflow_provider_modelarts.api.statuses import JobFamily

_PROJECT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_V2_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_NUMERIC_ID = re.compile(r"[0-9]{1,19}")
_RES_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,20}")
_REGION = re.compile(r"[a-z]{2,}(-[a-z0-9]+){1,3}")
_MAX_LONG = 2**63 - 1
RES_JOB_TYPES = frozenset(
    {"etl", "retrieval", "recall", "filter", "standard", "ranking", "nearline", "evaluation"}
)
RES_TYPES_NEEDING_PLATFORM = frozenset({"etl", "retrieval", "recall", "filter", "standard"})


class InvalidIdError(ValueError):
    """A value that may not be sent; ``field`` names the parameter it was given for."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{field}: {shown} is not valid; expected {expected}")


def _text(field: str, value: object, pattern: re.Pattern[str], expected: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidIdError(field, value, expected)
    text = str(value)
    if pattern.fullmatch(text) is None:
        raise InvalidIdError(field, value, expected)
    return text


def project_id(value: object, field: str = "project_id") -> str:
    return _text(field, value, _PROJECT_ID, "1-64 letters, digits or hyphens")


def training_job_id(value: object, field: str = "training_job_id") -> str:
    """A v2 training job id (a UUID in practice; any 1-64 letters, digits, hyphens accepted). A
    number is refused: v2 ids are UUIDs, and a numeric id is a v1 job's, which the v2 endpoints would
    answer "not found" for while the v1 job runs on."""
    text = _text(field, value, _V2_JOB_ID, "a v2 job id: 1-64 letters, digits or hyphens")
    if text.isdigit():
        raise InvalidIdError(
            field,
            value,
            "a v2 job id (a UUID); a numeric id is a v1 training job's: use job_family='training_v1'",
        )
    return text


def numeric_id(value: object, field: str = "job_id") -> str:
    """A v1 id (training job, version, visualization job): a non-negative 64-bit integer."""
    text = _text(field, value, _NUMERIC_ID, "a numeric id (a non-negative 64-bit integer)")
    if int(text) > _MAX_LONG:
        raise InvalidIdError(field, value, "a numeric id (a non-negative 64-bit integer)")
    return str(int(text))


def res_job_id(value: object, field: str = "job_id") -> str:
    return _text(field, value, _RES_JOB_ID, "1-20 letters, digits, '-' or '_'")


def region(value: object, field: str = "region") -> str:
    return _text(field, value, _REGION, "a region id such as 'cn-north-4' or 'eu-de'")


def path(*segments: str) -> str:
    """Join path segments, percent-encoding each one completely (``/`` included)."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def job_family(value: object, field: str = "job_family") -> JobFamily:
    try:
        return JobFamily(value)  # type: ignore[arg-type]
    except ValueError:
        choices = ", ".join(family.value for family in JobFamily)
        raise ValueError(f"{field}: {value!r} is not one of {choices}") from None


class JobRef(NamedTuple):
    """One job (or one version of a v1 job), its ids validated: what a request, a wait or an event
    is about."""

    family: JobFamily
    job_id: str
    version_id: str | None = None

    def describe(self) -> str:
        version = f" version {self.version_id}" if self.version_id is not None else ""
        return f"{self.family.value} job {self.job_id}{version}"


def job_target(
    family: object,
    job_id: object,
    version_id: object = None,
    *,
    job_field: str = "job_id",
    version_field: str = "version_id",
) -> JobRef:
    """Validate a (family, job, version) triple as one job of that family's id scheme; errors name
    the parameters as the caller's user wrote them (``job_field``, ``version_field``)."""
    fam = job_family(family)
    if fam is JobFamily.TRAINING:
        job = training_job_id(job_id, job_field)
    elif fam is JobFamily.RES:
        job = res_job_id(job_id, job_field)
    else:
        job = numeric_id(job_id, job_field)
    if version_id is not None and fam is not JobFamily.TRAINING_V1:
        raise ValueError(f"{version_field}: only training_v1 jobs have versions, not {fam.value}")
    version = numeric_id(version_id, version_field) if version_id is not None else None
    return JobRef(fam, job, version)


def is_template(value: object) -> bool:
    """Whether a constructor argument is only known after rendering (Jinja text, XComArg, ...)."""
    return not isinstance(value, str | int) or (isinstance(value, str) and "{{" in value)


def check_literal_target(
    family: object, job_id: object, version_id: object = None, *, job_field: str = "job_id"
) -> None:
    """Fail at DAG parse time for literal values that can never be valid; templates wait for render."""
    if not any(is_template(v) for v in (family, job_id) if v is not None) and (
        version_id is None or not is_template(version_id)
    ):
        job_target(family, job_id, version_id, job_field=job_field)


# ---- the RES del-job body -----------------------------------------------------------------------


def res_job_type(value: object, field: str = "job_type") -> str:
    if value is None:
        raise ValueError(f"{field}: required for RES jobs, one of {', '.join(sorted(RES_JOB_TYPES))}")
    if not isinstance(value, str) or value not in RES_JOB_TYPES:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(sorted(RES_JOB_TYPES))}")
    return value


def res_offline_platform(
    job_type: str, offline_platform: Mapping[str, Any] | None, field: str = "offline_platform"
) -> dict[str, Any] | None:
    """Check the ``offline_platform`` object of ``del-job`` (DLI only; needed for some types)."""
    if offline_platform is None:
        if job_type in RES_TYPES_NEEDING_PLATFORM:
            raise ValueError(f"{field}: required when job_type is {job_type!r}")
        return None
    if not isinstance(offline_platform, Mapping):
        raise ValueError(f"{field}: must be an object")
    platform = offline_platform.get("platform", "DLI")
    if platform != "DLI":
        raise ValueError(f"{field}.platform: {platform!r} is not 'DLI'")
    result: dict[str, Any] = {"platform": "DLI"}
    parameter = offline_platform.get("platform_parameter")
    if parameter is not None:
        cluster = parameter.get("cluster_name") if isinstance(parameter, Mapping) else None
        if not isinstance(cluster, str) or not cluster or len(cluster) > 128:
            raise ValueError(f"{field}.platform_parameter.cluster_name: a 1-128 character string is required")
        result["platform_parameter"] = {"cluster_name": cluster}
    load_path = offline_platform.get("config_load_path")
    if load_path is not None:
        if not isinstance(load_path, str) or len(load_path) > 1024:
            raise ValueError(f"{field}.config_load_path: must be a string of at most 1024 characters")
        result["config_load_path"] = load_path
    unknown = set(offline_platform) - {"platform", "platform_parameter", "config_load_path"}
    if unknown:
        raise ValueError(f"{field}: unknown keys {sorted(unknown)}")
    return result
