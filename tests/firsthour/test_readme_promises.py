"""What the README promises a first-hour user, checked against what the code does."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_modelarts.operators.cleanup import ModelArtsCleanupJobsOperator

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start:end]


def test_install_says_what_building_the_wheel_needs() -> None:
    install = section("## Install")
    assert "pip wheel --no-deps ." in install and "needs [uv]" in install and "pip install build" in install


def test_the_fixture_says_it_needs_pytest_and_the_server_shows_its_import() -> None:
    own = section("### Testing your own DAGs")
    assert "needs `pytest`" in own
    assert "from airflow_provider_modelarts.emulator import EmulatorConfig, EmulatorServer" in own


def test_the_connection_test_says_what_each_interface_shows() -> None:
    testing = section("### Testing a connection")
    assert "prints only *Connection success!*" in testing and "**Test** button" in testing


def test_the_unlisted_region_rule_is_stated_for_both_clouds() -> None:
    assert "Regions without a listed endpoint need an override." not in README
    assert "a Huawei Cloud\nregion without a listed ModelArts endpoint" in README


def test_the_cleanup_section_names_every_templated_argument() -> None:
    cleanup = section("### Bulk housekeeping")
    for field in ("older_than", "max_deletes", "dry_run"):
        assert field in cleanup
    assert {"older_than", "max_deletes", "report_only"} <= set(ModelArtsCleanupJobsOperator.template_fields)
    assert "skipped_by_reason" in cleanup and "`listed`" in cleanup
