from __future__ import annotations

from tests.airflow_support import modelarts_emulator_config

__all__ = ["modelarts_emulator_config"]
