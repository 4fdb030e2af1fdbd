"""Airflow version flags, evaluated once (the pattern the official providers use)."""

from __future__ import annotations

from functools import cache

from packaging.version import Version


@cache
def airflow_version() -> tuple[int, int, int]:
    from airflow import __version__

    release = Version(__version__).release
    return (*release, 0, 0, 0)[:3]  # type: ignore[return-value]


def airflow_at_least(major: int, minor: int, micro: int = 0) -> bool:
    return airflow_version() >= (major, minor, micro)
