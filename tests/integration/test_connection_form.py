"""The connection form as Airflow's own API server builds it for the UI, on the installed Airflow.

Airflow 3.2+ builds it from the provider info's ``conn-fields``; 3.1 from the hook's form widgets.
Both paths run here through ``HookMetaService``, the code behind the UI's ``hook_meta`` endpoint.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from airflow_provider_modelarts.api.config import EXTRA_KEYS, ConnectionConfig
from airflow_provider_modelarts.get_provider_info import CONN_FIELDS
from tests.airflow_support import AIRFLOW_3_2_PLUS

SHORT = 5  # Airflow's default [logging] min_length_masked_secret


def _form() -> dict[str, Any]:
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    [meta] = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "modelarts"]
    return dict(meta.model_dump())


def _types(field: dict[str, Any]) -> list[str]:
    kind = field["schema"]["type"]
    return kind if isinstance(kind, list) else [kind]


def test_every_extra_key_has_a_labelled_described_field() -> None:
    fields = _form()["extra_fields"]
    assert list(fields) == list(EXTRA_KEYS)
    for name, field in fields.items():
        assert field["schema"]["title"] and field["description"], name


def test_standard_fields() -> None:
    standard = _form()["standard_fields"]
    assert standard["port"]["hidden"] and standard["url_schema"]["hidden"]
    assert standard["login"]["title"] == "Access Key ID (or IAM user name)"
    assert standard["host"]["placeholder"] == "https://modelarts.cn-north-4.myhuaweicloud.com"


def test_field_kinds() -> None:
    fields = _form()["extra_fields"]
    assert fields["security_token"]["schema"]["format"] == "password"
    assert "boolean" in _types(fields["verify"]) and fields["verify"]["value"] is True
    assert {"number", "integer"} & set(_types(fields["timeout"]))
    assert fields["cloud"]["schema"]["enum"] == ["huaweicloud", "opentelekomcloud"]
    assert fields["cloud"]["value"] == "huaweicloud"
    assert [name for name, field in fields.items() if field["schema"].get("format") == "password"] == [
        "security_token"
    ]


@pytest.mark.skipif(not AIRFLOW_3_2_PLUS, reason="Airflow 3.1 forms cannot require a field or offer examples")
def test_region_is_required_and_free_text_fields_offer_examples() -> None:
    fields = _form()["extra_fields"]
    required = [name for name, field in fields.items() if "null" not in _types(field)]
    assert required == ["region", "cloud", "verify", "allow_insecure_http"]  # all but region have defaults
    assert fields["region"]["value"] is None  # so the form refuses to save without one
    for name in ("region", "iam_endpoint", "res_endpoint", "ca_bundle"):
        assert fields[name]["schema"]["examples"], name
    for region in fields["region"]["schema"]["examples"]:
        cloud = "opentelekomcloud" if region == "eu-de" else "huaweicloud"
        config = ConnectionConfig.from_connection_fields(
            login="AK", password="SK", host=None, extra={"region": region, "cloud": cloud}, environ={}
        )
        assert config.region == region


def _stored_values() -> list[Any]:
    """Every value the form can store in extras besides what the user types: defaults, choices, examples."""
    values: list[Any] = []
    for field in CONN_FIELDS.values():
        schema = field["schema"]
        values += [schema.get("default"), *schema.get("enum", []), *schema.get("examples", [])]
    return [value for value in values if value is not None]


def test_no_value_the_form_offers_is_too_short_to_mask() -> None:
    short = [v for v in _stored_values() if isinstance(v, str) and len(v) < SHORT]
    assert short == [] and len(_stored_values()) > 10


EXAMPLE_EXTRAS = [
    {"region": "cn-north-4", "project_id": "0123456789abcdef0123456789abcdef"},
    {"region": "cn-north-4", "security_token": "EMULATOR-SECURITY-TOKEN-0001", "verify": True},
    {"region": "eu-de", "cloud": "opentelekomcloud", "domain_name": "my-account", "timeout": 20},
    {"region": "cn-north-4", "verify": False, "iam_endpoint": "https://iam.example.internal"},
]


@pytest.fixture
def masker_warnings(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Any:
    """Read a connection's extras the way a task does; the masker's warnings, each time afresh."""
    from airflow.sdk import Connection
    from airflow.sdk._shared.secrets_masker import _secrets_masker  # the masker tasks use, 3.1 to 3.3

    masker = type(_secrets_masker())
    caplog.set_level(logging.WARNING)

    def read(extra: dict[str, Any]) -> list[str]:
        monkeypatch.setattr(masker, "_has_warned_short_secret", False)  # it warns once per process
        caplog.clear()
        connection = Connection(conn_id="masking_check", conn_type="modelarts", extra=json.dumps(extra))
        assert connection.extra_dejson == extra
        return [r.getMessage() for r in caplog.records if "too short" in r.getMessage()]

    return read


@pytest.mark.parametrize("extra", EXAMPLE_EXTRAS)
def test_reading_our_extras_makes_the_masker_warn_about_nothing(masker_warnings: Any, extra: dict) -> None:
    assert masker_warnings(extra) == []


def test_the_masker_warning_comes_from_short_extra_values(masker_warnings: Any) -> None:
    # The cause, shown: any string value under 5 characters, whatever its key.
    assert masker_warnings({"region": "cn-north-4", "auth_type": "aksk"})
    assert masker_warnings({"region": "eu-de", "cloud": "otc"})
    assert masker_warnings({"region": "cn-north-4", "anything": "abc"})
