"""Provider metadata, read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

import copy
from typing import Any

INTEGRATION = "Huawei Cloud ModelArts"
REGION_EXAMPLES = ["cn-north-4", "cn-east-3", "cn-south-1", "ap-southeast-1", "ap-southeast-3", "eu-de"]


def _field(label: str, description: str, **schema: Any) -> dict[str, Any]:
    """An optional text field; ``examples`` are what the form offers as you type (its placeholder)."""
    return {"label": label, "description": description, "schema": {"type": ["string", "null"], **schema}}


# The connection form's extra fields (Airflow 3.2+; 3.1 gets the hook's form widgets). A type
# without "null" makes the field required. Every value a field can store is either a JSON
# boolean or number or a string of 5+ characters: shorter strings in extras make Airflow's log
# masker warn in every task log.
CONN_FIELDS: dict[str, Any] = {
    "region": {
        "label": "Region",
        "description": "Region id: cn-north-4, ap-southeast-3, ... on Huawei Cloud; eu-de on "
        "Open Telekom Cloud.",
        "schema": {"type": "string", "minLength": 5, "examples": REGION_EXAMPLES},
    },
    "project_id": _field(
        "Project ID",
        "The region's project id (My Credentials > API Credentials, 32 hex characters). "
        "Leave empty to look it up from IAM once.",
    ),
    "cloud": {
        "label": "Cloud",
        "description": "Which cloud the region belongs to; selects the default endpoints.",
        "schema": {
            "type": "string",
            "enum": ["huaweicloud", "opentelekomcloud"],
            "default": "huaweicloud",
            "values_display": {"huaweicloud": "Huawei Cloud", "opentelekomcloud": "Open Telekom Cloud"},
        },
    },
    "domain_name": _field(
        "IAM domain name (token auth only)",
        "Leave empty to sign requests with the AK/SK above. Set it to the account (domain) name to "
        "log in with an IAM user name and password instead (project-scoped IAM token).",
    ),
    "security_token": _field(
        "Security token (temporary AK/SK only)",
        "With temporary AK/SK credentials from STS: their security token, sent as X-Security-Token.",
        format="password",
    ),
    "iam_endpoint": _field(
        "IAM endpoint override",
        "Full URL, for private deployments. Default: the region's public IAM endpoint.",
        examples=["https://iam.cn-north-4.myhuaweicloud.com"],
    ),
    "res_endpoint": _field(
        "RES endpoint override",
        "Full URL, for private deployments. Default: the region's public RES endpoint (cn-north-4).",
        examples=["https://res.cn-north-4.myhuaweicloud.com"],
    ),
    "verify": {
        "label": "Verify TLS certificates",
        "description": "Turn off only for a test deployment with a self-signed certificate "
        "(a warning is logged); prefer a CA bundle.",
        "schema": {"type": "boolean", "default": True},
    },
    "ca_bundle": _field(
        "CA bundle path",
        "A PEM file of CA certificates to verify the endpoints with, present on every Airflow host.",
        examples=["/etc/ssl/certs/ca-certificates.crt"],
    ),
    "timeout": {
        "label": "Timeout (s)",
        "description": "Time limit of each request as a whole, from sending it to the last byte of "
        "its answer, in seconds (default 30).",
        "schema": {"type": ["number", "null"], "minimum": 1, "maximum": 600},
    },
    "allow_insecure_http": {
        "label": "Allow plain http (AK/SK only)",
        "description": "Allow http:// endpoints on hosts that are not loopback, with AK/SK auth "
        "(a warning is logged): signed requests travel unencrypted. IAM token auth never sends its "
        "password or tokens over plain http, except to a loopback host.",
        "schema": {"type": "boolean", "default": False},
    },
}


def get_provider_info() -> dict[str, Any]:
    from airflow_provider_modelarts import __version__

    return {
        "package-name": "airflow-provider-modelarts",
        "name": "Huawei Cloud ModelArts",
        "description": "Tear down Huawei Cloud / Open Telekom Cloud ModelArts and RES jobs and wait until "
        "they are really gone.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://support.huaweicloud.com/intl/en-us/api-modelarts/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_provider_modelarts.hooks.modelarts"],
            }
        ],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_provider_modelarts.operators.modelarts"],
            }
        ],
        "sensors": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_provider_modelarts.sensors.modelarts"],
            }
        ],
        "triggers": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_modelarts.triggers.modelarts",
                    "airflow_provider_modelarts.triggers.events",
                ],
            }
        ],
        "extra-links": ["airflow_provider_modelarts.links.modelarts.ModelArtsConsoleLink"],
        "config": {
            "modelarts": {
                "description": "Settings of the Huawei Cloud ModelArts provider.",
                "options": {
                    "deferral_grace_seconds": {
                        "description": "How long a deferrable task keeps checking on the worker before "
                        "it defers, and the least time between a deferral and its trigger's first poll. "
                        "A trigger that fires right after a deferral can lose a race in the scheduler.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "5",
                        "default": "5.0",
                    }
                },
            }
        },
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_modelarts.hooks.modelarts.ModelArtsHook",
                "connection-type": "modelarts",
                "hook-name": "Huawei Cloud ModelArts",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "login": "Access Key ID (or IAM user name)",
                        "password": "Secret Access Key (or IAM password)",
                        "host": "ModelArts endpoint override (optional, full URL)",
                    },
                    "placeholders": {"host": "https://modelarts.cn-north-4.myhuaweicloud.com"},
                },
                "conn-fields": copy.deepcopy(CONN_FIELDS),
            }
        ],
    }
