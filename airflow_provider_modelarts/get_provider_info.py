"""Provider metadata, read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

INTEGRATION = "Huawei Cloud ModelArts"


def _field(label: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": ["string", "null"], **schema}}


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
                "python-modules": ["airflow_provider_modelarts.triggers.modelarts"],
            }
        ],
        "extra-links": ["airflow_provider_modelarts.links.modelarts.ModelArtsConsoleLink"],
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
                "conn-fields": {
                    "region": _field("Region", "Region id, e.g. cn-north-4 (Huawei Cloud) or eu-de (OTC)."),
                    "project_id": _field(
                        "Project ID",
                        "Project id (1-64 letters, digits, hyphens); looked up from IAM if empty.",
                    ),
                    "cloud": {
                        "label": "Cloud",
                        "description": "Which cloud the region belongs to; selects the default endpoints.",
                        "schema": {"type": ["string", "null"], "enum": ["huaweicloud", "otc"]},
                    },
                    "auth_type": {
                        "label": "Auth type",
                        "description": "aksk: sign requests with the AK/SK (login/password). token: IAM user "
                        "name/password for a project-scoped token.",
                        "schema": {"type": ["string", "null"], "enum": ["aksk", "token"]},
                    },
                    "security_token": _field(
                        "Security token",
                        "Temporary credentials only: sent as X-Security-Token.",
                        format="password",
                    ),
                    "domain_name": _field("IAM domain name", "Account (domain) name, for token auth."),
                    "iam_endpoint": _field("IAM endpoint override", "Full URL, for private deployments."),
                    "res_endpoint": _field("RES endpoint override", "Full URL, for private deployments."),
                    "verify": {
                        "label": "Verify TLS",
                        "description": "Verify server certificates (default true), or a CA bundle path.",
                        "schema": {"type": ["boolean", "string", "null"]},
                    },
                    "timeout": {
                        "label": "Timeout (s)",
                        "description": "Per-request timeout in seconds (default 30).",
                        "schema": {"type": ["number", "null"], "minimum": 1, "maximum": 600},
                    },
                },
            }
        ],
    }
