"""What a user installing the built wheel, or unpacking the sdist, gets (built here with ``uv build``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    local = ROOT / ".tools" / "bin" / "uv"
    found = shutil.which("uv") or (str(local) if local.exists() else None)
    assert found, "uv is needed to build the package (./run installs it into .tools/)"
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    subprocess.run(
        [_uv(), "build", "--quiet", "--out-dir", str(out), str(ROOT)], check=True, timeout=300, env=env
    )
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    return wheel, sdist


def test_the_wheel_carries_the_license_urls_and_entry_points(built: tuple[Path, Path]) -> None:
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = HeaderParser().parsestr(archive.read(metadata).decode())
        entry_points = archive.read(metadata.replace("METADATA", "entry_points.txt")).decode()
        license_text = archive.read(metadata.replace("METADATA", "licenses/LICENSE")).decode()
    assert "Apache License" in license_text and "Version 2.0" in license_text
    assert headers["License-Expression"] == "Apache-2.0"
    urls = dict(value.split(", ", 1) for value in headers.get_all("Project-URL"))
    assert set(urls) == {"Documentation", "Source", "Issues"}
    for group in ("[apache_airflow_provider]", "[airflow.plugins]", "[console_scripts]"):
        assert group in entry_points
    # The emulator's pytest plugin is opted into by a suite's conftest, never loaded into every
    # pytest session of an environment; its server comes with the "emulator" extra.
    assert "[pytest11]" not in entry_points
    assert "emulator" in headers.get_all("Provides-Extra")
    requires = headers.get_all("Requires-Dist")
    assert any(r.startswith("uvicorn") and "extra == 'emulator'" in r for r in requires)
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "benchmarks/"))]


def test_the_long_description_opens_with_what_a_user_needs(built: tuple[Path, Path]) -> None:
    readme = (ROOT / "README.md").read_text()
    # Intro, install and connection come first, and need no clone: ./run is for development.
    assert readme.index("## Install") < readme.index("## The connection") < readme.index("## Operators")
    assert "./run" not in readme[: readme.index("## Operators")]


def test_the_sdist_runs_what_the_readme_says(built: tuple[Path, Path]) -> None:
    _, sdist = built
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if "/" in m.name}
    for needed in ("run", ".ci/run", "uv.lock", "LICENSE", "README.md", "scripts/demo.py"):
        assert needed in members, needed
    assert (
        "scripts/system_test/__main__.py" in members
        and "example_dags/example_modelarts_teardown.py" in members
    )
    assert members["run"].mode & 0o111  # executable
