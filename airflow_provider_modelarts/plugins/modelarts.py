"""The provider's Airflow plugin: only the API-server middleware of :mod:`.connection_test`.

Registered through the ``airflow.plugins`` entry point, which Airflow always reads (plugins in
the provider info load only with ``[core] lazy_load_providers = False``).
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowPlugin

from airflow_provider_modelarts.plugins.connection_test import PortlessConnectionTest


class ModelArtsPlugin(AirflowPlugin):  # type: ignore[misc]
    name = "modelarts"
    fastapi_root_middlewares = [
        {"middleware": PortlessConnectionTest, "name": "modelarts: connection test without a port"}
    ]
