"""The shipped DAG helper and pytest plugin, used as a new user would: from the README, in a fresh
pytest process with its own AIRFLOW_HOME."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = re.compile(r"<!-- readme-example: run_dag -->\s*```python\n(?P<code>.*?)```", re.DOTALL)


def _fresh_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST"))}
    env |= {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(home / "dags")
    return env


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    match = EXAMPLE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match is not None, "the README lost its run_dag example"
    (tmp_path / "test_readme_example.py").write_text(match.group("code"), encoding="utf-8")
    (tmp_path / "home" / "dags").mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"],
        cwd=tmp_path,
        env=_fresh_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_the_plugin_imports_nothing_heavy() -> None:
    heavy = ("uvicorn", "httpx", "pydantic", "airflow", "airflow_provider_modelarts.emulator.server")
    code = (
        "import sys, airflow_provider_modelarts.emulator.pytest_plugin as plugin; "
        f"print([name for name in {heavy!r} if name in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
