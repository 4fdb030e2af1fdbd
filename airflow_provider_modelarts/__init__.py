"""Apache Airflow provider for tearing down Huawei Cloud / Open Telekom Cloud ModelArts jobs."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]

MINIMUM_AIRFLOW = (3, 1)


def _check_airflow() -> None:
    # Read the installed version from metadata: importing Airflow here would slow every import
    # of this package, the standalone emulator included.
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("apache-airflow-core")
    except PackageNotFoundError:
        return  # no Airflow at all: the API client and the emulator still work
    major, minor = (int(part) for part in installed.split(".")[:2])
    if (major, minor) < MINIMUM_AIRFLOW:
        raise RuntimeError(
            f"airflow-provider-modelarts {__version__} needs Apache Airflow 3.1+; found {installed}"
        )


_check_airflow()
