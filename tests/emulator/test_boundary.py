"""The emulator is a second reading of the documentation: it never imports the client's own beliefs.

Nothing under ``airflow_provider_modelarts/emulator/`` may import the client's ``api``, ``auth``,
``hooks``, ``operators``, ``sensors`` or ``triggers`` packages, at module level or inside a
function. Checked twice: on the source (every ``import`` statement, parsed with :mod:`ast`), and by
importing every emulator module in a fresh interpreter and looking at ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import airflow_provider_modelarts.emulator as emulator_package

PACKAGE = "airflow_provider_modelarts"
CLIENT = tuple(f"{PACKAGE}.{name}" for name in ("api", "auth", "hooks", "operators", "sensors", "triggers"))
EMULATOR_DIR = Path(emulator_package.__file__).resolve().parent
MODULES = sorted(
    f"{PACKAGE}.emulator" + ("" if path.stem == "__init__" else f".{path.stem}")
    for path in EMULATOR_DIR.glob("*.py")
    if path.stem != "__main__"
)


def is_client(name: str) -> bool:
    return any(name == client or name.startswith(client + ".") for client in CLIENT)


def imported_names(path: Path) -> list[str]:
    """Every module an ``import`` or ``from ... import`` statement of ``path`` names (relative
    imports resolved against the emulator package, ``from package import module`` included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = f"{PACKAGE}.emulator".rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_the_source_check_sees_a_client_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    from airflow_provider_modelarts import auth\n"
        "from ..api.statuses import V2Phase\nimport airflow_provider_modelarts.hooks.modelarts\n"
    )
    assert sorted(name for name in imported_names(sample) if is_client(name)) == [
        "airflow_provider_modelarts.api.statuses",
        "airflow_provider_modelarts.api.statuses.V2Phase",
        "airflow_provider_modelarts.auth",
        "airflow_provider_modelarts.hooks.modelarts",
    ]


@pytest.mark.parametrize("path", sorted(EMULATOR_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_emulator_module_imports_the_client(path: Path) -> None:
    assert [name for name in imported_names(path) if is_client(name)] == []


def test_importing_the_emulator_loads_no_client_package() -> None:
    assert len(MODULES) > 10 and f"{PACKAGE}.emulator.server" in MODULES
    script = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({PACKAGE + '.'!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert f"{PACKAGE}.emulator.server" in loaded
    assert [name for name in loaded if is_client(name)] == []
