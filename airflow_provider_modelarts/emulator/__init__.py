"""A local emulator of the ModelArts (v2, v1, visualization), RES and IAM APIs this provider uses.

Standalone (no Airflow import): ``python -m airflow_provider_modelarts.emulator`` or
:class:`EmulatorServer` in-process. Behaviour follows the documented service; where the docs are
silent the choice is stated in the docstring of the module that makes it. The names below load on
first use, so importing the package (as the pytest plugin does) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_modelarts.emulator.config import EmulatorConfig
    from airflow_provider_modelarts.emulator.server import Credentials, EmulatorServer

__all__ = ["Credentials", "EmulatorConfig", "EmulatorServer"]
_HOMES = {"Credentials": "server", "EmulatorConfig": "config", "EmulatorServer": "server"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
