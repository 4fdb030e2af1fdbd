"""The shipped DAG helper and pytest plugin, used as a new user would: from the README, in a fresh
pytest process with its own AIRFLOW_HOME."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "airflow_provider_modelarts.emulator.pytest_plugin"


def readme_example(name: str) -> str:
    """The python block the README marks ``<!-- readme-example: NAME -->``."""
    pattern = rf"<!-- readme-example: {name} -->\s*```python\n(?P<code>.*?)```"
    match = re.search(pattern, (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert match is not None, f"the README lost its {name} example"
    return match.group("code")


def _fresh_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST"))}
    env |= {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(home / "dags")
    return env


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=_fresh_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    conftest = readme_example("conftest")
    assert f"pytest_plugins = [{PLUGIN!r}]".replace("'", '"') in conftest
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_readme_example.py").write_text(readme_example("run_dag"), encoding="utf-8")
    (tmp_path / "home" / "dags").mkdir(parents=True)
    result = _pytest(tmp_path, "test_readme_example.py")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_the_plugin_is_loaded_only_when_a_suite_opts_in(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "test_fixture.py").write_text(
        "def test_fixture(modelarts_emulator):\n    assert modelarts_emulator.url.startswith('http://127.0.0.1:')\n",
        encoding="utf-8",
    )
    without = _pytest(tmp_path, "test_fixture.py")
    assert without.returncode != 0 and "fixture 'modelarts_emulator' not found" in without.stdout
    with_flag = _pytest(tmp_path, "-p", PLUGIN, "test_fixture.py")
    assert with_flag.returncode == 0 and "1 passed" in with_flag.stdout, with_flag.stdout[-2000:]


def test_the_plugin_imports_nothing_heavy() -> None:
    heavy = ("uvicorn", "httpx", "pydantic", "airflow", "airflow_provider_modelarts.emulator.server")
    code = (
        "import sys, airflow_provider_modelarts.emulator.pytest_plugin as plugin; "
        f"print([name for name in {heavy!r} if name in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
