"""Provider registration: what Airflow itself sees of the package, and the connection form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import airflow
import jsonschema
import pytest

import airflow_provider_modelarts
from airflow_provider_modelarts.api.config import EXTRA_KEYS
from airflow_provider_modelarts.get_provider_info import get_provider_info
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

PACKAGE = "airflow-provider-modelarts"
HOOK_CLASS = "airflow_provider_modelarts.hooks.modelarts.ModelArtsHook"


def _airflow(*args: str) -> Any:
    """Run the venv's ``airflow`` command with the tests' AIRFLOW_HOME; its JSON output."""
    command = [str(Path(sys.executable).parent / "airflow"), *args, "--output", "json"]
    env = {**os.environ, "AIRFLOW_HOME": os.environ["AIRFLOW_HOME"]}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    start = done.stdout.index("[")  # any banner before the JSON document
    return json.loads(done.stdout[start:])


def test_airflow_lists_the_provider() -> None:
    rows = _airflow("providers", "get", PACKAGE)
    assert rows == [{"Provider": PACKAGE, "Version": airflow_provider_modelarts.__version__}]


def test_airflow_lists_the_connection_type() -> None:
    hooks = {row["connection_type"]: row for row in _airflow("providers", "hooks")}
    assert hooks["modelarts"] == {
        "connection_type": "modelarts",
        "class": HOOK_CLASS,
        "conn_id_attribute_name": "modelarts_conn_id",
        "package_name": PACKAGE,
        "hook_name": "Huawei Cloud ModelArts",
    }


def test_entry_point_is_get_provider_info() -> None:
    [point] = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_provider_")
    ]
    assert point.load() is get_provider_info


def _schema() -> dict[str, Any]:
    path = Path(airflow.__file__).parent / "provider_info.schema.json"
    return dict(json.loads(path.read_text()))


def test_provider_info_matches_airflows_schema() -> None:
    schema = _schema()
    info = get_provider_info()
    jsonschema.validate(info, schema)
    broken = {key: value for key, value in info.items() if key != "name"}
    with pytest.raises(jsonschema.ValidationError):  # the schema does check what it requires
        jsonschema.validate(broken, schema)
    assert info["package-name"] == PACKAGE
    [connection] = info["connection-types"]
    assert connection["hook-class-name"] == HOOK_CLASS
    assert connection["connection-type"] == ModelArtsHook.conn_type == "modelarts"
    assert connection["hook-name"] == ModelArtsHook.hook_name
    assert set(connection["conn-fields"]) == set(EXTRA_KEYS)
    assert connection["conn-fields"]["security_token"]["schema"]["format"] == "password"
    integrations = {item["integration-name"] for item in info["integrations"]}
    for kind in ("hooks", "operators", "sensors", "triggers"):
        for item in info[kind]:
            assert item["integration-name"] in integrations
            for module in item["python-modules"]:
                __import__(module)


def test_ui_field_behaviour_agrees_with_the_provider_info() -> None:
    behaviour = ModelArtsHook.get_ui_field_behaviour()
    assert set(behaviour) == {"hidden_fields", "relabeling", "placeholders"}
    assert behaviour["hidden_fields"] == ["schema", "port"]
    assert set(behaviour["relabeling"]) == {"login", "password", "host"}
    declared = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
    assert declared["hidden-fields"] == behaviour["hidden_fields"]
    assert declared["relabeling"] == behaviour["relabeling"]
    assert declared["placeholders"]["host"] == behaviour["placeholders"]["host"]
    extra = json.loads(behaviour["placeholders"]["extra"])
    assert set(extra) <= set(EXTRA_KEYS) and extra["region"] == "cn-north-4"


def test_the_provider_declares_its_config() -> None:
    from airflow_provider_modelarts.operators.waiting import DEFAULT_DEFERRAL_GRACE

    [option] = get_provider_info()["config"]["modelarts"]["options"].values()
    assert float(option["default"]) == DEFAULT_DEFERRAL_GRACE
    command = [str(Path(sys.executable).parent / "airflow"), "config", "get-value", "modelarts"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__MODELARTS__")}
    done = subprocess.run(
        [*command, "deferral_grace_seconds"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1] == option["default"], done.stderr
