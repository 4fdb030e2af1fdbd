"""A local emulator of the ModelArts (v2, v1, visualization), RES and IAM APIs this provider uses.

Standalone (no Airflow import): ``python -m airflow_provider_modelarts.emulator`` or
:class:`EmulatorServer` in-process. Behaviour follows the documented service; where the docs are
silent the choice is stated in the docstring of the module that makes it.
"""

from __future__ import annotations

from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.server import Credentials, EmulatorServer

__all__ = ["Credentials", "EmulatorConfig", "EmulatorServer"]
