"""Every snippet in the README, as written.

Each ``python`` block runs in a fresh namespace, with ``modelarts_default`` pointing at an
emulator for the snippets that call the service, and must use no name it does not define or
import (ruff's F821, which also covers function bodies that only a test would call). Each
``AIRFLOW_CONN_...='{...}'`` in a ``bash`` block must be a ``modelarts`` connection whose extras
are the provider's keys, and must parse once its ``<placeholders>`` are filled in. New snippets
are picked up by themselves.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_modelarts.api.config import EXTRA_KEYS, ConnectionConfig
from airflow_provider_modelarts.emulator import EmulatorServer

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
CONNECTION = re.compile(r"AIRFLOW_CONN_[A-Z0-9_]+='(.*?)'", re.DOTALL)


def blocks(language: str) -> list[Any]:
    text = README.read_text()
    found = []
    for match in FENCE.finditer(text):
        if match.group(1) == language:
            line = text.count("\n", 0, match.start()) + 1
            found.append(pytest.param(match.group(2), id=f"README.md:{line}"))
    return found


def test_there_are_snippets() -> None:
    assert len(blocks("python")) >= 6 and len(blocks("bash")) >= 4


@pytest.mark.parametrize("code", blocks("python"))
def test_python_snippet_runs(code: str, modelarts_emulator: EmulatorServer, use_connection: Any) -> None:
    connection = modelarts_emulator.airflow_connection("temporary")
    use_connection(connection)
    namespace: dict[str, Any] = {"__name__": "readme_snippet"}
    exec(compile(code, str(README), "exec"), namespace)
    ruff = Path(sys.executable).parent / "ruff"
    if ruff.exists():  # the locked environment has it; the 3.1 one does not need it
        checked = subprocess.run(
            [str(ruff), "check", "--no-cache", "--select", "F821", "--stdin-filename", "snippet.py", "-"],
            input=code,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout


def _connections() -> list[Any]:
    return [
        pytest.param(match.group(1), id=param.id)
        for param in blocks("bash")
        for match in CONNECTION.finditer(param.values[0])
    ]


@pytest.mark.parametrize("text", _connections())
def test_connection_example_is_valid(text: str, tmp_path: Path) -> None:
    connection = json.loads(text)
    assert connection["conn_type"] == "modelarts"
    extra = connection.get("extra", {})
    assert set(extra) <= set(EXTRA_KEYS), set(extra) - set(EXTRA_KEYS)
    filled = json.loads(re.sub(r"<[^>]*>", "placeholder", text))
    if "ca_bundle" in filled["extra"]:
        bundle = tmp_path / "ca.pem"
        bundle.write_text("")
        filled["extra"]["ca_bundle"] = str(bundle)
    config = ConnectionConfig.from_connection_fields(
        login=filled.get("login"),
        password=filled.get("password"),
        host=filled.get("host"),
        extra=filled["extra"],
        environ={},
    )
    assert config.region == extra["region"]


def test_the_readme_has_connection_examples() -> None:
    assert len(_connections()) >= 3
