"""Service hosts by cloud and region, from the official SDK region tables and the OTC endpoint list."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from airflow_provider_modelarts.api import ids


class Cloud(StrEnum):
    HUAWEICLOUD = "huaweicloud"
    OTC = "opentelekomcloud"


class Service(StrEnum):
    MODELARTS = "modelarts"
    IAM = "iam"
    RES = "res"


HUAWEICLOUD_MODELARTS_REGIONS = frozenset(
    {
        "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11", "cn-north-12",
        "cn-south-1", "cn-east-3", "cn-east-4", "cn-southwest-2", "cn-southwest-3", "ap-southeast-1",
        "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "af-south-1", "af-north-1", "la-south-2",
        "la-north-2", "sa-brazil-1", "tr-west-1", "me-east-1",
    }
)  # fmt: skip
# IAM is listed for more regions than ModelArts, and for a few regions ModelArts lists that it does not.
HUAWEICLOUD_IAM_REGIONS = frozenset(
    {
        "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-12", "cn-east-2", "cn-east-3",
        "cn-east-4", "cn-east-5", "cn-south-1", "cn-south-2", "cn-southwest-2", "ap-southeast-1",
        "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "af-south-1", "sa-brazil-1", "la-south-2",
        "la-north-2", "na-mexico-1", "eu-west-0", "my-kualalumpur-1", "ru-moscow-1", "me-east-1",
        "ae-ad-1", "tr-west-1", "eu-west-101",
    }
)  # fmt: skip
HUAWEICLOUD_RES_REGIONS = frozenset({"cn-north-4"})
OTC_MODELARTS_REGIONS = frozenset({"eu-de"})
OTC_REGIONS = frozenset({"eu-de", "eu-nl"})

# The SDK serves CN-Hong Kong from the .cn domain; Huawei Cloud Europe IAM lives under .eu.
_HUAWEICLOUD_SPECIAL = {
    (Service.MODELARTS, "ap-southeast-1"): "https://modelarts.ap-southeast-1.myhuaweicloud.cn",
    (Service.IAM, "eu-west-101"): "https://iam.eu-west-101.myhuaweicloud.eu",
}


class EndpointError(ValueError):
    """No endpoint is known for that service, cloud and region; set an override."""


def default_endpoint(service: Service, cloud: Cloud, region: str) -> str:
    """The public endpoint of ``service`` in ``region``; raises :class:`EndpointError` if unknown."""
    ids.region(region)
    if cloud is Cloud.OTC:
        if service is Service.RES:
            raise EndpointError("RES is not offered on Open Telekom Cloud; set res_endpoint to override")
        if service is Service.MODELARTS and region not in OTC_MODELARTS_REGIONS:
            raise EndpointError(
                f"ModelArts is not listed for OTC region {region!r} (only eu-de); set host to override"
            )
        if region not in OTC_REGIONS:
            raise EndpointError(f"unknown OTC region {region!r}; set an endpoint override")
        return f"https://{service.value}.{region}.otc.t-systems.com"
    special = _HUAWEICLOUD_SPECIAL.get((service, region))
    if special:
        return special
    if service is Service.RES and region not in HUAWEICLOUD_RES_REGIONS:
        raise EndpointError(f"RES is only listed for cn-north-4, not {region!r}; set res_endpoint")
    if service is Service.MODELARTS and region not in HUAWEICLOUD_MODELARTS_REGIONS:
        raise EndpointError(unlisted_region(region))
    if service is Service.IAM and region not in HUAWEICLOUD_IAM_REGIONS:
        raise EndpointError(
            f"IAM has no listed endpoint for Huawei Cloud region {region!r}; set extra iam_endpoint"
        )
    return f"https://{service.value}.{region}.myhuaweicloud.com"


def unlisted_region(region: str) -> str:
    """Why a Huawei Cloud region gets no ModelArts endpoint, and how to use it anyway."""
    listed = ", ".join(sorted(HUAWEICLOUD_MODELARTS_REGIONS))
    return (
        f"region {region!r} is not a Huawei Cloud region with a listed ModelArts endpoint ({listed}); "
        "check its spelling, or, for a region not listed here, set the connection's host to its "
        "ModelArts endpoint (and extra iam_endpoint if IAM is needed)"
    )


def shown_url(value: str) -> str:
    """``value`` fit to quote in a message: without its userinfo, query and fragment."""
    text = value.strip()
    for mark in ("?", "#"):
        text = text.split(mark, 1)[0]
    scheme, sep, rest = text.rpartition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    if "@" in path:  # not a URL with a host: anything before an @ may be a credential
        path = "***@" + path.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"


def normalize_endpoint(value: str, field: str) -> str:
    """Check an endpoint override (``https://host[:port][/base]``) and drop a trailing slash.

    A refused value is quoted without its userinfo, query and fragment: they may hold secrets."""
    parts = urlsplit(value.strip())
    shown = shown_url(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field}: {shown!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{field}: {shown!r} must not carry credentials, a query or a fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"{field}: {shown!r} has an invalid port") from None
    return value.strip().rstrip("/")


def console_url(cloud: Cloud, region: str) -> str:
    """The region's ModelArts training-job list page in the web console."""
    if cloud is Cloud.OTC:
        return f"https://console.otc.t-systems.com/modelarts/?region={region}#/trainingJobs"
    return f"https://console.huaweicloud.com/modelarts/?region={region}#/trainingJobs"
