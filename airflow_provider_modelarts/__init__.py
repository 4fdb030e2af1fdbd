"""Apache Airflow provider for tearing down Huawei Cloud / Open Telekom Cloud ModelArts jobs."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
